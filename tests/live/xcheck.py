#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""tests/live/xcheck.py - shrinker lifecycles in the log vs an independent ftrace recording.

usage: xcheck.py TRACER [--generations N] [--jobs J] [--keep DIR] [--rcu-wait S]
                 [--tracer-arg ARG ...] [--quiet]

One run on this kernel (root):
  * a raw tracefs instance (not trace-cmd: it fails under lockdown) records
    kmem:kmalloc filtered on call_site inside shrinker_alloc() and
    bytes_req == sizeof(struct shrinker) (from BTF), and every kmem:kfree,
    with trace_clock mono (the clock of bpf_ktime_get_ns()) and raw pointers;
  * meanwhile `TRACER -q -o LOG -- shrinkstress -w tmpfs` makes N tmpfs
    superblock shrinker generations (alloc, register, free, RCU free);
  * the workload waits until every generation it made has its kfree in ftrace
    (lazy RCU can hold callbacks for seconds), at most --rcu-wait seconds.

Then every generation ftrace saw (kmalloc of a shrinker at ptr .. the next kfree
of ptr; the workload runs under its own name, so only this run's count) must
have, in the log, a shrinker_alloc, a shrinker_register, a free_begin, a
free_end and an rcu_free at that address within its lifetime (1 ms slack), and
no earliest_ts before its kmalloc.  A generation without its rcu_free is
accepted only when the tracer counted the miss itself: an rcu_free with
"evidence":"reuse" (its address allocated again) or a `lost` record with
"evidence":"unlisted" naming it, before the next allocation at that address;
and the summary's "lifecycle:" line must give exactly as many of each as the
log holds.

Prints per-type counts, "PASS xcheck ..." or "FAIL xcheck: why", and the last
line "N passed, M failed, K skipped" like the other live suites.  Exit 0 on
PASS or SKIP.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

TRACEFS = "/sys/kernel/tracing"
TYPES = ("shrinker_alloc", "shrinker_register", "free_begin", "free_end", "rcu_free")


def done(passed, failed, skipped, msg=None):
    if msg:
        print(msg)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


def skip(why):
    done(0, 0, 1, "SKIP xcheck: " + why)


def fail(why):
    done(0, 1, 0, "FAIL xcheck: " + why)


def wr(path, val):
    with open(path, "w") as f:
        f.write(val)


def kallsyms_range(name):
    """[start, end) of a text symbol: end is the next symbol's address."""
    addrs, start = [], None
    with open("/proc/kallsyms") as f:
        for line in f:
            p = line.split()
            if len(p) < 3 or p[1] not in "tTwW":
                continue
            a = int(p[0], 16)
            addrs.append(a)
            if p[2] == name and start is None:
                start = a
    if not start:
        return None
    addrs.sort()
    nxt = [a for a in addrs if a > start]
    return start, (min(nxt) if nxt else start + 4096)


def shrinker_size():
    out = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux"],
                         capture_output=True, text=True).stdout
    m = re.search(r"STRUCT 'shrinker' size=(\d+)", out)
    return int(m.group(1)) if m else None


# "  comm-123  [001] d.s2.  712.123456789: kfree: call_site=... ptr=ffff..."
LINE = re.compile(r"^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+(\d+)\.(\d+): (kmalloc|kfree): (.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")


def parse_trace(path):
    """(ts_ns, kind, ptr, cpu, irqflags, call_site) per kmalloc/kfree line."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            frac = m.group(6)
            ts = int(m.group(5)) * 10**9 + int(frac.ljust(9, "0")[:9])
            fields = dict(FIELD.findall(m.group(8)))
            ptr = fields.get("ptr", "0")
            try:
                p = int(ptr, 16)
            except ValueError:
                continue
            out.append((ts, m.group(7), p, int(m.group(3)), m.group(4), fields.get("call_site", "")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tracer")
    ap.add_argument("--stress", default=None, help="shrinkstress binary (default: beside TRACER)")
    ap.add_argument("--generations", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rcu-wait", type=float, default=30.0)
    ap.add_argument("--keep", default=None, help="keep the trace and log in this directory")
    ap.add_argument("--tracer-arg", action="append", default=[])
    ap.add_argument("--buffer-kb", type=int, default=65536, help="ftrace buffer per CPU")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--skip-kfree", type=int, default=0,
                    help="test the miss accounting: the tracer ignores every Nth kfree of a "
                         "tracked shrinker (SHRINKTRACE_TEST_SKIP_KFREE); PASS then needs "
                         "at least one counted miss")
    a = ap.parse_args()

    if os.geteuid() != 0:
        skip("not root")
    stress = a.stress or os.path.join(os.path.dirname(os.path.abspath(a.tracer)), "shrinkstress")
    for b in (a.tracer, stress):
        if not os.access(b, os.X_OK):
            fail("no executable %s (make builds it)" % b)
    if not os.path.isdir(TRACEFS + "/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], stderr=subprocess.DEVNULL)
    if not os.path.isdir(TRACEFS + "/instances"):
        skip("no tracefs instances at %s" % TRACEFS)
    if not os.path.isdir(TRACEFS + "/events/kmem/kfree"):
        skip("no kmem:kfree tracepoint")
    rng = kallsyms_range("shrinker_alloc")
    if not rng:
        skip("no shrinker_alloc in /proc/kallsyms (kernel before 6.7: shrinkers are embedded)")
    if not shutil.which("bpftool"):
        skip("bpftool is needed for sizeof(struct shrinker)")
    size = shrinker_size()
    if not size:
        skip("struct shrinker not in /sys/kernel/btf/vmlinux")

    work = a.keep or tempfile.mkdtemp(prefix="shrinktrace-xcheck.")
    os.makedirs(work, exist_ok=True)
    inst = "%s/instances/shrinktrace-xcheck-%d" % (TRACEFS, os.getpid())
    log = os.path.join(work, "trace.jsonl")
    err = os.path.join(work, "tracer.err")
    ftr = os.path.join(work, "ftrace.txt")
    go = os.path.join(work, "rcu-done")
    stress_done = os.path.join(work, "stress-done")
    for f in (go, stress_done):
        if os.path.exists(f):
            os.unlink(f)
    try:
        os.mkdir(inst)
    except OSError as e:
        skip("cannot create a tracefs instance: %s" % e)
    reader = None
    try:
        wr(inst + "/buffer_size_kb", str(a.buffer_kb))
        wr(inst + "/trace_clock", "mono")
        wr(inst + "/options/overwrite", "0")   # a full buffer drops new events, reported as LOST
        try:
            wr(inst + "/options/hash-ptr", "0")
        except OSError:
            pass
        # Only this run's generations: the workload runs as a copy of
        # shrinkstress named after this process (other engineers' mounts on a
        # shared host are not ours to count).
        comm = "stx%d" % os.getpid()
        shutil.copy(stress, os.path.join(work, comm))
        stress = os.path.join(work, comm)
        wr(inst + "/events/kmem/kmalloc/filter",
           'call_site >= 0x%x && call_site < 0x%x && bytes_req == %d && comm == "%s"'
           % (rng[0], rng[1], size, comm[:15]))
        wr(inst + "/events/kmem/kmalloc/enable", "1")
        wr(inst + "/events/kmem/kfree/enable", "1")
        reader = Reader(inst + "/trace_pipe", ftr)
        reader.start()
        wr(inst + "/tracing_on", "1")

        per_job = max(1, -(-a.generations // a.jobs))
        wl = ("%s -q -w tmpfs -j %d -n %d --files 1 >/dev/null && touch %s && "
              "while [ ! -e %s ]; do sleep 0.05; done" % (stress, a.jobs, per_job, stress_done, go))
        cmd = [a.tracer, "-q", "--no-banner", "-o", log] + a.tracer_arg + ["--", "sh", "-c", wl]
        t0 = time.monotonic_ns()
        env = dict(os.environ)
        if a.skip_kfree:
            env["SHRINKTRACE_TEST_SKIP_KFREE"] = str(a.skip_kfree)
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(err, "w"), env=env)
        deadline = None
        while p.poll() is None:
            time.sleep(0.1)
            if not os.path.exists(stress_done):
                continue
            if deadline is None:
                deadline = time.monotonic() + a.rcu_wait
            if reader.outstanding() == 0 or time.monotonic() > deadline:
                open(go, "w").close()
                break
        rc = p.wait()
        t1 = time.monotonic_ns()
        time.sleep(0.2)
        wr(inst + "/tracing_on", "0")
    finally:
        for ev in ("kmalloc", "kfree"):
            try:
                wr(inst + "/events/kmem/%s/enable" % ev, "0")
            except OSError:
                pass
        if reader:
            reader.stop()
        try:
            os.rmdir(inst)
        except OSError:
            pass
    if rc != 0:
        why = open(err).read()
        if "could be attached" in why or "Operation not permitted" in why:
            skip("the tracer cannot attach on this kernel: %s" % why.strip().splitlines()[-1][:200])
        fail("tracer exited %d: %s" % (rc, why[-400:]))
    res = analyse(a, log, err, ftr, reader, t0, t1)
    if not a.keep and res == 0:
        shutil.rmtree(work, ignore_errors=True)
    elif not a.keep:
        print("kept for inspection: %s" % work)
    return res


class Reader(threading.Thread):
    """Consumes trace_pipe into a file and keeps the set of shrinker pointers
    allocated and not yet freed (for the workload's wait)."""

    def __init__(self, pipe, out):
        super().__init__(daemon=True)
        self.pipe, self.out = pipe, out
        self.live = set()
        self.lost = 0
        self.lock = threading.Lock()
        self.stopping = False
        self.fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)

    def outstanding(self):
        with self.lock:
            return len(self.live)

    def run(self):
        buf = b""
        with open(self.out, "wb") as o:
            while True:
                try:
                    chunk = os.read(self.fd, 1 << 20)
                except BlockingIOError:
                    chunk = None
                if not chunk:
                    if self.stopping:
                        break
                    time.sleep(0.02)
                    continue
                o.write(chunk)
                buf += chunk
                lines = buf.split(b"\n")
                buf = lines.pop()
                with self.lock:
                    for ln in lines:
                        if b"LOST" in ln and b"EVENTS" in ln:
                            m = re.search(rb"LOST (\d+) EVENTS", ln)
                            self.lost += int(m.group(1)) if m else 1
                            continue
                        i = ln.find(b" ptr=")
                        if i < 0:
                            continue
                        ptr = ln[i + 5:].split(b" ", 1)[0]
                        if b": kmalloc: " in ln:
                            self.live.add(ptr)
                        elif b": kfree: " in ln:
                            self.live.discard(ptr)

    def stop(self):
        self.stopping = True
        self.join(timeout=30)
        os.close(self.fd)


def log_events(log):
    evs, summary = [], {}
    with open(log, errors="replace") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            t = r.get("type")
            if t == "header":
                summary["start_ts"] = r.get("start_ts")
            evs.append(r)
    return evs


def generations(tr):
    """[(ptr, kmalloc ts, kfree ts, (cpu, flags, call_site))] from the ftrace events, and
    how many were not freed by the end."""
    open_gen, gens = {}, []
    for ts, kind, ptr, cpu, fl, cs in tr:
        if kind == "kmalloc":
            open_gen[ptr] = [ptr, ts, None, None]
        elif ptr in open_gen:
            g = open_gen.pop(ptr)
            g[2], g[3] = ts, (cpu, fl, cs)
            gens.append(tuple(g))
    return gens, len(open_gen)


def classify(gens, evs):
    """Per ftrace generation: which lifecycle events the log has in its lifetime, and
    whether a miss is counted by the tracer.  Returns (missing per type, counted,
    uncounted, events with an earliest_ts before their generation's kmalloc)."""
    by_addr = {}
    for e in evs:
        s = e.get("shrinker")
        if s and (e.get("type") in TYPES or e.get("type") == "lost"):
            by_addr.setdefault(int(s, 16), []).append(e)
    allocs_at, frees_at = {}, {}
    for g in gens:
        allocs_at.setdefault(g[0], []).append(g[1])
        frees_at.setdefault(g[0], []).append(g[2])
    slack = 1000000     # 1 ms: ftrace and the BPF programs read the clock apart
    missing = {t: 0 for t in TYPES}
    counted, uncounted, early = [], [], 0
    for ptr, ta, tf, where in gens:
        seen = {t: 0 for t in TYPES}
        # the slack never reaches into the generation before or after at ptr
        pk = max([x for x in frees_at[ptr] if x <= ta] or [-slack])
        na = min([x for x in allocs_at[ptr] if x > ta] or [tf + 2 * slack])
        lo, hi = max(ta - slack, (pk + ta) // 2), min(tf + slack, (tf + na) // 2)
        for e in by_addr.get(ptr, []):
            # records closing the generation before (written when its address
            # was allocated again) sit at this one's start
            if e.get("evidence") in ("reuse", "unlisted"):
                continue
            if lo <= e["ts"] <= hi and e["type"] in TYPES:
                seen[e["type"]] += 1
                if "earliest_ts" in e and e["earliest_ts"] < lo:
                    early += 1
        miss = [t for t in TYPES if not seen[t]]
        for t in miss:
            missing[t] += 1
        if not miss:
            continue
        nxt = min([x for x in allocs_at[ptr] if x > ta] or [float("inf")])
        rec = [e for e in by_addr.get(ptr, []) if tf - slack <= e["ts"] <= nxt + slack and
               ((e["type"] == "rcu_free" and e.get("evidence") == "reuse") or
                (e["type"] == "lost" and e.get("evidence") == "unlisted"))]
        (counted if rec and "rcu_free" in miss else uncounted).append((ptr, ta, tf, where, miss))
    return missing, counted, uncounted, early


def self_check(a, gens, evs, summary):
    """Would this log pass?  (For the self-check with a doctored log.)"""
    _, _, uncounted, early = classify(gens, evs)
    return not uncounted and not early


def analyse(a, log, err, ftr, reader, t0, t1):
    tr = parse_trace(ftr)
    tr.sort(key=lambda e: e[0])
    if reader.lost:
        return fail_ret("ftrace itself lost %d events (a larger --buffer-kb)" % reader.lost)
    evs = log_events(log)
    summary = re.sub(r"\n {6}(?=\S)", " ", open(err).read())  # wrapped head lines
    gens, unfreed = generations(tr)
    bad_interval = sum(1 for e in evs if "earliest_ts" in e and e["earliest_ts"] > e["ts"])
    missing, counted, uncounted, early = classify(gens, evs)
    n_reuse = sum(1 for e in evs if e.get("type") == "rcu_free" and e.get("evidence") == "reuse")
    n_lost = sum(1 for e in evs if e.get("type") == "lost" and e.get("evidence") == "unlisted")
    m = re.search(r"lifecycle: \d+ shrinker_alloc; rcu_free \d+ at kmem:kfree, (\d+) inferred from "
                  r"address reuse.*?, (\d+) unseen by the end", summary)
    print("xcheck: %d generations in ftrace (%d not freed by the end), log has %d events; "
          "%d complete, %d missing events but counted, %d missing and uncounted" % (
              len(gens), unfreed, len(evs), len(gens) - len(counted) - len(uncounted),
              len(counted), len(uncounted)))
    for t in TYPES:
        print("  %-18s missing %d" % (t, missing[t]))
    for ptr, ta, tf, where, miss in uncounted[:10]:
        print("  uncounted: 0x%x alloc %d kfree %d (+%.1f ms) cpu %d flags %s site %s: no %s" % (
            ptr, ta, tf, (tf - ta) / 1e6, where[0], where[1], where[2], ", ".join(miss)))
    for line in summary.splitlines():
        if "skipped" in line or "lost:" in line or "lifecycle" in line or "census" in line:
            print("  tracer: " + line.strip())
    if len(gens) < a.generations:
        return fail_ret("only %d of %d generations in the ftrace recording" % (len(gens), a.generations))
    if not m:
        return fail_ret("the tracer's summary has no lifecycle line")
    if (int(m.group(1)), int(m.group(2))) != (n_reuse, n_lost):
        return fail_ret("summary counts %s reuse / %s unseen, the log has %d / %d records" % (
            m.group(1), m.group(2), n_reuse, n_lost))
    if bad_interval:
        return fail_ret("%d events with earliest_ts after ts" % bad_interval)
    if early:
        return fail_ret("%d events of a generation claim an earliest_ts before its kmalloc" % early)
    if uncounted:
        return fail_ret("%d generations with missing events that the tracer did not count" %
                        len(uncounted))
    if a.skip_kfree and not counted:
        return fail_ret("--skip-kfree %d: no counted miss at all" % a.skip_kfree)
    # the check itself must be able to fail: the same log without one rcu_free
    # of a complete generation must not pass
    if not a.skip_kfree and gens:
        victim = "0x%x" % gens[len(gens) // 2][0]
        cut = [e for e in evs if not (e.get("type") == "rcu_free" and e.get("shrinker") == victim)]
        if self_check(a, gens, cut, summary):
            return fail_ret("self-check: a log without the rcu_free of %s still passed" % victim)
    print("PASS xcheck: %d generations, %d complete, %d with an unseen kfree counted (%d by "
          "address reuse, %d lost records)" % (len(gens), len(gens) - len(counted), len(counted),
                                              n_reuse, n_lost))
    print("1 passed, 0 failed, 0 skipped")
    return 0


def fail_ret(why):
    print("FAIL xcheck: " + why)
    print("0 passed, 1 failed, 0 skipped")
    return 1


if __name__ == "__main__":
    sys.exit(main())
