#!/usr/bin/env python3
"""Write the replay corpus: tests/replay/corpus/*.jsonl + .expect (+ .uncertain)
and tests/replay/bad/*.jsonl + .err.  Deterministic; rerun after editing:
    python3 tests/replay/gen-corpus.py
.expect: sorted "KIND SHRINKER" lines of `shrinktrace replay --format jsonl`.
.uncertain: the subset of those lines that must carry "certain": false.
.err: a substring of the one "FILE:LINE: reason" error line."""
import json, os, random

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
BAD = os.path.join(HERE, "bad")
A, B, C, D = 0xffff888104a1c000, 0xffff888104a1c400, 0xffff888104a1c800, 0xffff888104a1cc00
HEAD = 0xffffffff83a1b2c0
POISON = 0xdead000000000122
MS = 1000000
NAMES = {A: "sb-tmpfs", B: "sb-ramfs", C: "mm-shadow", D: "sb-proc"}


def p(x):
    return "0x%x" % x


class Log:
    def __init__(self, refcount=True, header=None):
        self.ev = []
        self.refcount = refcount
        if header:
            self.ev.append(dict(type="header", format="shrinktrace/1", kernel=header[0],
                                backend=header[1], clock="monotonic", start_ts=0))

    def add(self, type, ts, pid, comm, cpu=0, **kw):
        e = dict(type=type, ts=ts, cpu=cpu, pid=pid, comm=comm)
        for k, v in kw.items():
            e[k] = p(v) if k in ("shrinker", "memcg", "next", "prev") else v
        self.ev.append(e)
        return e

    def reg(self, ts, s, pid=1, comm="mount"):
        self.add("shrinker_register", ts, pid, comm, shrinker=s, name=NAMES.get(s, "x"), flags=3, id=-1)

    def alloc(self, ts, s, pid=1, comm="mount"):
        self.add("shrinker_alloc", ts, pid, comm, shrinker=s, flags=3)

    def three(self):
        self.reg(1000, A); self.reg(1100, B); self.reg(1200, C)

    def walk(self, ts, pid=100, comm="kswapd0", memcg=0, cpu=0):
        self.add("walk_begin", ts, pid, comm, cpu=cpu, nid=0, memcg=memcg, priority=12)

    def walk_end(self, ts, pid=100, comm="kswapd0", freed=0, cpu=0):
        self.add("walk_end", ts, pid, comm, cpu=cpu, freed=freed)

    def sb(self, ts, s, nxt, prev=HEAD, pid=100, comm="kswapd0", memcg=0, cpu=0, snap=True):
        kw = dict(shrinker=s, name=NAMES.get(s, "x"), nid=0, memcg=memcg, priority=12, nr_to_scan=128)
        if self.refcount:
            kw["refcount"] = 2
        if snap:
            kw.update(next=nxt, prev=prev)
        self.add("shrink_begin", ts, pid, comm, cpu=cpu, **kw)

    def se(self, ts, s, nxt, prev=HEAD, pid=100, comm="kswapd0", freed=0, cpu=0, snap=True):
        kw = dict(shrinker=s, freed=freed, duration_ns=1000)
        if snap:
            kw.update(next=nxt, prev=prev)
        self.add("shrink_end", ts, pid, comm, cpu=cpu, **kw)

    def fb(self, ts, s, pid=200, comm="umount", cpu=1, **kw):
        self.add("free_begin", ts, pid, comm, cpu=cpu, shrinker=s, **kw)

    def fe(self, ts, s, pid=200, comm="umount", cpu=1, **kw):
        self.add("free_end", ts, pid, comm, cpu=cpu, shrinker=s, **kw)

    def rcu(self, ts, s, cpu=1, **kw):
        self.add("rcu_free", ts, 0, "swapper/%d" % cpu, cpu=cpu, shrinker=s, **kw)

    def lost(self, ts, n, cpu=1):
        self.add("lost", ts, 0, "", cpu=cpu, count=n)

    def lines(self):
        return [json.dumps(e, separators=(",", ":")) for e in self.ev]


def write(name, log, expect, uncertain=None, lines=None):
    with open(os.path.join(CORPUS, name + ".jsonl"), "w") as f:
        for l in (lines if lines is not None else log.lines()):
            f.write(l + "\n")
    with open(os.path.join(CORPUS, name + ".expect"), "w") as f:
        for k, s in sorted(expect):
            f.write("%s %s\n" % (k, p(s)))
    path = os.path.join(CORPUS, name + ".uncertain")
    if uncertain is not None:
        with open(path, "w") as f:
            for k, s in sorted(uncertain):
                f.write("%s %s\n" % (k, p(s)))
    elif os.path.exists(path):
        os.unlink(path)


def seed(log, t=2000000):
    """The seed interleaving of the shared scenarios (the folder beside the clone) on A, B, C."""
    log.walk(t)
    log.sb(t + 100, A, B)
    log.fb(t + 200, A)
    log.fe(t + 300, A)
    log.fb(t + 400, B, pid=201)
    log.fe(t + 500, B, pid=201)
    log.rcu(t + 600, B)
    log.se(t + 700, A, B, POISON, freed=10)
    log.sb(t + 800, B, C, POISON)
    log.se(t + 900, B, C, POISON)
    log.walk_end(t + 1000, freed=10)
    log.rcu(t + 20 * MS, A)

SEED_EXPECT = [("free_while_running", A), ("stale_next", A), ("use_after_free", B)]


def main():
    os.makedirs(CORPUS, exist_ok=True)
    os.makedirs(BAD, exist_ok=True)

    # use_after_free: a walker reaches B after its RCU free (no unlink snapshot on it)
    L = Log(); L.three()
    L.fb(2 * MS, B); L.fe(3 * MS, B); L.rcu(4 * MS, B)
    L.walk(5 * MS); L.sb(5 * MS + 100, B, C); L.se(5 * MS + 200, B, C); L.walk_end(5 * MS + 300)
    write("use-after-free", L, [("use_after_free", B)])
    # clean twin: a new generation is allocated at B first
    L = Log(); L.three()
    L.fb(2 * MS, B); L.fe(3 * MS, B); L.rcu(4 * MS, B); L.alloc(4 * MS + 500, B); L.reg(4 * MS + 600, B)
    L.walk(5 * MS); L.sb(5 * MS + 100, B, C); L.se(5 * MS + 200, B, C); L.walk_end(5 * MS + 300)
    write("use-after-free-clean", L, [])

    # walk_onto_queued: queued, not yet RCU freed, and a walker enters it
    L = Log(); L.three()
    L.fb(2 * MS, B); L.fe(3 * MS, B)
    L.walk(4 * MS); L.sb(4 * MS + 100, B, C); L.se(4 * MS + 200, B, C); L.walk_end(4 * MS + 300)
    L.rcu(30 * MS, B)
    write("walk-onto-queued", L, [("walk_onto_queued", B)])
    # clean twin: the walker enters B while shrinker_free() is still waiting (before the unlink)
    L = Log(); L.three()
    L.fb(2 * MS, B)
    L.walk(2 * MS + 100); L.sb(2 * MS + 200, B, C); L.se(2 * MS + 300, B, C); L.walk_end(2 * MS + 400)
    L.fe(3 * MS, B); L.rcu(30 * MS, B)
    write("walk-onto-queued-clean", L, [])

    # free_while_running: free_end while kswapd0 is inside do_shrink_slab(C), then it returns
    L = Log(); L.three()
    L.walk(2 * MS); L.sb(2 * MS + 100, C, HEAD)
    L.fb(2 * MS + 200, C); L.fe(2 * MS + 300, C)
    L.se(2 * MS + 400, C, HEAD, POISON); L.walk_end(2 * MS + 500)
    L.rcu(30 * MS, C)
    write("free-while-running", L, [("free_while_running", C)])
    # clean twin: the same with the call ending before free_end
    L = Log(); L.three()
    L.walk(2 * MS); L.sb(2 * MS + 100, C, HEAD)
    L.fb(2 * MS + 200, C)
    L.se(2 * MS + 250, C, HEAD); L.walk_end(2 * MS + 260)
    L.fe(2 * MS + 300, C); L.rcu(30 * MS, C)
    write("free-while-running-clean", L, [])

    # stale_next: A's call ends with A unlinked and next = B, queued meanwhile.
    # The walker's own call on A ended before A's free_end, so no free_while_running;
    # A is unlinked by a free whose end comes later (free_end after shrink_end).
    L = Log(); L.three()
    L.walk(2 * MS); L.sb(2 * MS + 100, A, B)
    L.fb(2 * MS + 150, B, pid=201); L.fe(2 * MS + 200, B, pid=201)
    L.fb(2 * MS + 300, A)
    L.se(2 * MS + 400, A, B, POISON, freed=5)
    L.walk_end(2 * MS + 500)
    L.fe(2 * MS + 600, A)
    L.rcu(30 * MS, A); L.rcu(31 * MS, B)
    write("stale-next", L, [("stale_next", A)])
    # clean twin: A's next moved on to C when B was unlinked
    L = Log(); L.three()
    L.walk(2 * MS); L.sb(2 * MS + 100, A, B)
    L.fb(2 * MS + 150, B, pid=201); L.fe(2 * MS + 200, B, pid=201)
    L.se(2 * MS + 400, A, C, HEAD, freed=5)
    L.sb(2 * MS + 450, C, HEAD); L.se(2 * MS + 460, C, HEAD)
    L.walk_end(2 * MS + 500)
    L.fb(2 * MS + 550, A); L.fe(2 * MS + 600, A)
    L.rcu(30 * MS, A); L.rcu(31 * MS, B)
    write("stale-next-clean", L, [])

    # double_free: a second shrinker_free() on one generation
    L = Log(); L.three()
    L.fb(2 * MS, D if False else C); L.fe(3 * MS, C)
    L.fb(4 * MS, C, pid=300, comm="kworker/0:2", cpu=0)
    L.fb(5 * MS, C, pid=300, comm="kworker/0:2", cpu=0)   # deduplicated
    L.rcu(40 * MS, C)
    write("double-free", L, [("double_free", C)])
    # clean twin: two frees of two generations at one address
    L = Log(); L.three()
    L.fb(2 * MS, C); L.fe(3 * MS, C); L.rcu(10 * MS, C)
    L.alloc(11 * MS, C); L.reg(11 * MS + 10, C)
    L.fb(12 * MS, C, pid=300); L.fe(13 * MS, C, pid=300); L.rcu(20 * MS, C)
    write("double-free-clean", L, [])

    # stuck_free with no walker in flight: a reference held outside any traced call
    L = Log(); L.three()
    L.walk(1 * MS); L.sb(1 * MS + 100, B, C); L.se(1 * MS + 200, B, C); L.walk_end(1 * MS + 300)
    L.fb(2 * MS, B)
    for i in range(1, 14):
        L.walk(i * 1000 * MS, pid=101, comm="kworker/1:1", cpu=1)
        L.sb(i * 1000 * MS + 100, C, HEAD, pid=101, comm="kworker/1:1", cpu=1)
        L.se(i * 1000 * MS + 200, C, HEAD, pid=101, comm="kworker/1:1", cpu=1)
        L.walk_end(i * 1000 * MS + 300, pid=101, comm="kworker/1:1", cpu=1)
    write("stuck-free-no-walker", L, [("stuck_free", B)])
    # clean twin: a slow free (9 s) under the 10 s threshold
    L = Log(); L.three()
    L.fb(2 * MS, B)
    L.walk(1000 * MS); L.sb(1000 * MS + 100, C, HEAD); L.se(1000 * MS + 200, C, HEAD); L.walk_end(1000 * MS + 300)
    L.fe(9000 * MS, B); L.rcu(9010 * MS, B)
    L.walk(14000 * MS); L.sb(14000 * MS + 100, C, HEAD); L.se(14000 * MS + 200, C, HEAD); L.walk_end(14000 * MS + 300)
    write("stuck-free-clean", L, [])

    # address reuse, churned: 200 generations at 4 addresses, walks between them
    L = Log(); t = 1000
    rng = random.Random(3)
    addrs = [A, B, C, D]
    for a in addrs:
        L.reg(t, a); t += 100
    for i in range(200):
        a = addrs[i % 4]
        nxt = addrs[(i + 1) % 4]
        L.walk(t); L.sb(t + 10, nxt, addrs[(i + 2) % 4]); L.se(t + 20, nxt, addrs[(i + 2) % 4], freed=rng.randint(0, 50))
        L.walk_end(t + 30)
        L.fb(t + 40, a); L.fe(t + 50, a); L.rcu(t + 60 + rng.randint(0, 5), a)
        L.alloc(t + 100, a); L.reg(t + 110, a)
        t += 1000
    write("address-reuse-churn", L, [])

    # out of order beyond a few events: two CPUs' streams of ~600 events each,
    # delivered in blocks of up to 150 per CPU (all within the 50 ms window),
    # with the seed interleaving in the middle
    def busy(seed_too):
        L = Log(); L.three()
        cpu0, cpu1 = [], []
        t = 1 * MS
        for i in range(150):
            L2 = Log()
            L2.walk(t, pid=100, cpu=0); L2.sb(t + 1000, C, HEAD, cpu=0); L2.se(t + 2000, C, HEAD, cpu=0)
            L2.walk_end(t + 3000, cpu=0)
            cpu0 += L2.ev
            L2 = Log()
            L2.walk(t + 500, pid=101, comm="kswapd1", cpu=1)
            L2.sb(t + 1500, C, HEAD, pid=101, comm="kswapd1", cpu=1)
            L2.se(t + 2500, C, HEAD, pid=101, comm="kswapd1", cpu=1)
            L2.walk_end(t + 3500, pid=101, comm="kswapd1", cpu=1)
            cpu1 += L2.ev
            t += 10000
            if i == 75:
                L2 = Log()
                if seed_too:
                    seed(L2, t)
                else:
                    L2.walk(t); L2.sb(t + 100, A, B); L2.fb(t + 200, A); L2.fb(t + 400, B, pid=201)
                    L2.fe(t + 500, B, pid=201); L2.se(t + 700, A, C, freed=10); L2.fe(t + 750, A)
                    L2.sb(t + 800, C, HEAD); L2.se(t + 900, C, HEAD); L2.walk_end(t + 1000, freed=10)
                    L2.rcu(t + 2 * MS, B); L2.rcu(t + 3 * MS, A)
                for e in L2.ev:
                    (cpu0 if e["cpu"] == 0 else cpu1).append(e)
                t += 10000
        cpu0.sort(key=lambda e: e["ts"]); cpu1.sort(key=lambda e: e["ts"])
        # interleave per-CPU blocks: CPU 1 drains late, in big chunks
        out, i, j = [], 0, 0
        while i < len(cpu0) or j < len(cpu1):
            n = rng.randint(20, 150)
            out += cpu0[i:i + n]; i += n
            n = rng.randint(20, 150)
            out += cpu1[j:j + n]; j += n
        L.ev += out
        return L
    L = busy(True)
    assert sum(1 for a, b in zip(L.ev, L.ev[1:]) if b["ts"] < a["ts"]) > 5
    write("out-of-order-many", L, SEED_EXPECT)
    write("out-of-order-many-clean", busy(False), [])

    # lost records: a lost record between the walker's shrink_begin on A and the
    # free_end of A -> free_while_running is uncertain (its shrink_end may be what
    # was lost); stale_next (A's snapshot, B's free) and use_after_free on B (B's
    # rcu_free and the access) rest on events after it: certain
    L = Log(); L.three()
    t = 2 * MS
    L.walk(t); L.sb(t + 100, A, B); L.lost(t + 150, 12)
    L.fb(t + 200, A); L.fe(t + 300, A); L.fb(t + 400, B, pid=201); L.fe(t + 500, B, pid=201)
    L.rcu(t + 600, B); L.se(t + 700, A, B, POISON, freed=10); L.sb(t + 800, B, C, POISON)
    L.se(t + 900, B, C, POISON); L.walk_end(t + 1000); L.rcu(t + 20 * MS, A)
    write("lost-records", L, SEED_EXPECT,
          uncertain=[("free_while_running", A)])

    # memcg walks: shrink_slab_memcg() calls do_shrink_slab() twice on SHRINK_EMPTY,
    # a free begins between the two calls and waits for the walker's reference
    L = Log(); L.three()
    MEMCG = 0xffff888100a40000
    t = 2 * MS
    for k in range(20):
        L.walk(t, memcg=MEMCG)
        L.sb(t + 100, A, B, memcg=MEMCG); L.se(t + 200, A, B, freed="empty")
        if k == 10:
            L.fb(t + 250, A)
        L.sb(t + 300, A, B, memcg=MEMCG); L.se(t + 400, A, B, freed="empty" if k % 2 else 3)
        L.sb(t + 500, C, HEAD, memcg=MEMCG); L.se(t + 600, C, HEAD, freed="empty")
        L.sb(t + 700, C, HEAD, memcg=MEMCG); L.se(t + 800, C, HEAD, freed=0)
        L.walk_end(t + 900, freed=3)
        if k == 10:
            L.fe(t + 950, A); L.rcu(t + 5000, A)
            L.alloc(t + 6000, A); L.reg(t + 6100, A)
        t += 10000
    write("memcg-shrink-empty", L, [])

    # 6.1-era kernel (kprobe backend): no refcount, no rcu_free; unregister_shrinker()
    # is free_begin/free_end; a new register at a freed address is a new generation
    L = Log(refcount=False, header=("6.1.0-28-cloud-amd64", "kprobe")); L.three()
    t = 2 * MS
    for k in range(30):
        L.walk(t); L.sb(t + 100, A, B, snap=False); L.se(t + 200, A, B, freed=k, snap=False)
        L.sb(t + 300, B, C, snap=False); L.se(t + 400, B, C, snap=False)
        L.walk_end(t + 500, freed=k)
        L.fb(t + 600, B, pid=300 + k); L.fe(t + 700, B, pid=300 + k)
        L.reg(t + 800, B, pid=400 + k)
        t += 10000
    write("linux-6.1", L, [])
    # 6.1 with a walker inside unregister's window (impossible under shrinker_rwsem)
    L = Log(refcount=False, header=("6.1.0-28-cloud-amd64", "kprobe")); L.three()
    L.walk(2 * MS); L.sb(2 * MS + 100, B, C, snap=False)
    L.fb(2 * MS + 200, B); L.fe(2 * MS + 300, B)
    L.se(2 * MS + 400, B, C, snap=False); L.walk_end(2 * MS + 500)
    write("linux-6.1-free-while-running", L, [("free_while_running", B)])

    # tracepoint backend (6.18 host with lockdown): no walk events, shrink calls only
    # when count_objects() found something, allocations and frees inferred from
    # kmem:kmalloc / kmem:kfree, no next/prev on shrink_begin
    L = Log(header=("6.18.0", "tracepoint"))
    t = 1 * MS
    for k in range(40):
        a = [A, B, C, D][k % 4]
        L.add("shrinker_alloc", t, 500 + k, "mount", shrinker=a, inferred=True)
        L.add("shrink_begin", t + 1000, 100, "kswapd0", shrinker=a, nid=0, priority=12,
              nr_to_scan=64, refcount=2)
        L.add("shrink_end", t + 2000, 100, "kswapd0", shrinker=a, freed=k)
        L.add("free_begin", t + 5000, 0, "rcuc/0", shrinker=a, inferred=True)
        L.add("free_end", t + 5000, 0, "rcuc/0", shrinker=a, inferred=True)
        L.add("rcu_free", t + 5000, 0, "rcuc/0", shrinker=a, inferred=True)
        t += 100000
    write("tracepoint-backend", L, [])

    # a header, unknown event types, unknown fields, blank lines and earlier
    # verdicts in the input: all ignored
    L = Log(header=("6.12.95", "fentry")); L.three()
    L.add("mm_something_new", 1500, 1, "x", whatever=[1, 2])
    L.walk(2 * MS)
    e = L.add("shrink_begin", 2 * MS + 100, 100, "kswapd0", shrinker=C, name="mm-shadow", nid=0,
              memcg=0, priority=12, nr_to_scan=1, refcount=2, next=HEAD, prev=HEAD)
    e["future_field"] = {"x": 1}
    L.se(2 * MS + 200, C, HEAD)
    L.add("violation", 2 * MS + 300, 100, "kswapd0", kind="use_after_free", shrinker=C, detail="old")
    L.walk_end(2 * MS + 400)
    lines = L.lines()
    lines.insert(5, "")
    lines.insert(6, "   ")
    write("ignored-records", L, [], lines=lines)

    # ---- bad input: one error line FILE:LINE: reason, exit 1 ----
    good = Log(); good.three()
    g = good.lines()
    bad = {
        "bad-json": (g + ['{"type":"free_begin","ts":5,'], "bad-json.jsonl:4: bad JSON"),
        "missing-field": (g[:2] + ['{"type":"free_end","ts":5,"cpu":0,"pid":1,"comm":"x"}'] + g[2:],
                          "missing-field.jsonl:3: free_end: missing field \"shrinker\""),
        "mistyped-field": (g + ['{"type":"free_end","ts":"5","cpu":0,"pid":1,"comm":"x","shrinker":"0x1"}'],
                           "mistyped-field.jsonl:4: \"ts\": expected an integer"),
        "bad-pointer": (g + ['{"type":"free_end","ts":5,"cpu":0,"pid":1,"comm":"x","shrinker":"ffff8881"}'],
                        "bad-pointer.jsonl:4: \"shrinker\": bad pointer string"),
        "negative-ts": (['', '{"type":"lost","ts":-5,"cpu":0,"pid":1,"comm":"x","count":1}'],
                        "negative-ts.jsonl:2: \"ts\": must not be negative"),
        "not-an-object": (g[:1] + ['"free_end"'], "not-an-object.jsonl:2: bad JSON: expected an object"),
    }
    for name, (lines, err) in bad.items():
        with open(os.path.join(BAD, name + ".jsonl"), "w") as f:
            for l in lines:
                f.write(l + "\n")
        with open(os.path.join(BAD, name + ".err"), "w") as f:
            f.write(err + "\n")


if __name__ == "__main__":
    main()
