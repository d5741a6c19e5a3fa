#!/usr/bin/env python3
"""Host side of tools/lab/run.

  check.py extract SERIAL.TXT OUTDIR
      unpack what the guest sent on its second serial port into OUTDIR/<case>/<file>
  check.py check KERNEL CASE CASEDIR EXPECT
      judge one case: the verdict (violation kinds and shrinker names) against EXPECT, plus
      what the JSONL log must show for that case. Prints a one-line summary first, then
      the reasons of a failure; exit 0 = PASS.
  check.py selftest KERNEL CASE CASEDIR
      (detail, trigger) damage copies of a passing case's results in each way its check must
      catch (a count, deferred value, time off by 15%, a trigger, a stack, a folded line...);
      exit 0 when every damaged copy fails the check.

EXPECT files (tests/lab/expect/<kernel>-<case>.expect): one expected violation per line,
`KIND SHRINKER-NAME`; `#` comments; a file with no such line expects no violation.
"""
import base64
import gzip
import json
import os
import subprocess
import re
import sys

LIST_POISON2 = "0xdead000000000122"
MS = 1000 * 1000


def extract(serial, outdir):
    cur = None
    buf = []
    seen = set()
    done = False
    with open(serial, "rb") as f:
        lines = f.read().decode("utf-8", "replace").replace("\r", "").split("\n")
    for line in lines:
        if cur is not None:
            if line.startswith("@@END "):
                case, name = cur
                d = os.path.join(outdir, case)
                os.makedirs(d, exist_ok=True)
                try:
                    data = gzip.decompress(base64.b64decode("".join(buf)))
                except Exception as e:  # truncated transfer
                    data = ("(transfer broken: %s)\n" % e).encode()
                with open(os.path.join(d, name), "wb") as o:
                    o.write(data)
                cur, buf = None, []
            else:
                buf.append(line.strip())
            continue
        m = re.match(r"@@FILE (\S+) (\S+)", line)
        if m:
            cur = (m.group(1), m.group(2))
            continue
        m = re.match(r"@@CASE (\S+) (.*)", line)
        if m:
            d = os.path.join(outdir, m.group(1))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "guest.txt"), "w") as o:
                o.write(m.group(2) + "\n")
            seen.add(m.group(1))
        if line.startswith("@@DONE"):
            done = True
        if line.startswith("@@FATAL"):
            print("guest:", line, file=sys.stderr)
    if not done:
        print("guest did not finish (no @@DONE); cases finished: %s" % (" ".join(sorted(seen)) or "none"),
              file=sys.stderr)
        return 1
    return 0


def load_jsonl(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"type": "_unparsable", "text": line[:200]})
    return out


def norm_name(n):
    """`lab_a_scan [shrinker_lab]` -> `lab_a_scan`; the kernel's own name when it has one."""
    if n is None:
        return "?"
    n = str(n).strip()
    n = re.sub(r"\s*\[[^\]]*\]$", "", n)
    n = re.sub(r"\+0x[0-9a-f]+(/0x[0-9a-f]+)?$", "", n)
    return {"lab-a": "lab_a_scan", "lab-b": "lab_b_scan"}.get(n, n)


def kv(path):
    d = {}
    if os.path.exists(path):
        for tok in open(path).read().split():
            if "=" in tok:
                k, v = tok.split("=", 1)
                d[k] = v
    return d


def rcu_unseen(path):
    """The summary's "rcu_free unseen: N" in the tracer's stderr (0 when absent)."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.match(r"\s*rcu_free unseen: (\d+) ", line)
                if m:
                    return int(m.group(1))
    except OSError:
        pass
    return 0


class Generations:
    """Shrinker generations by address, as docs/event-log.md defines them."""

    def __init__(self, events):
        self.gens = []      # list of dicts: addr, name, events{type: [ev]}
        cur = {}
        for ev in events:
            a = ev.get("shrinker")
            t = ev.get("type")
            if not a or t == "violation":
                continue
            g = cur.get(a)
            if t == "shrinker_alloc" or g is None or (t == "shrinker_register" and "shrinker_register" in g["ev"]) \
                    or "rcu_free" in g["ev"]:
                g = {"addr": a, "name": None, "ev": {}}
                self.gens.append(g)
                cur[a] = g
            g["ev"].setdefault(t, []).append(ev)
            if ev.get("name") and not g["name"]:
                g["name"] = ev["name"]

    def named(self, name):
        return [g for g in self.gens if norm_name(g["name"]) == name]


class Case:
    def __init__(self, kernel, case, d, expect):
        self.kernel, self.case, self.d, self.expect = kernel, case, d, expect
        self.errors = []
        self.notes = []
        self.events = sorted((e for e in load_jsonl(os.path.join(d, "log.jsonl")) if e.get("type") != "header"),
                             key=lambda e: e.get("ts", 0))
        self.header = next((e for e in load_jsonl(os.path.join(d, "log.jsonl")) if e.get("type") == "header"), {})
        self.verdict = load_jsonl(os.path.join(d, "verdict.jsonl"))
        self.guest = kv(os.path.join(d, "guest.txt"))
        self.module = kv(os.path.join(d, "module.txt"))
        self.gens = Generations(self.events)

    def err(self, msg):
        self.errors.append(msg)

    def types(self):
        c = {}
        for e in self.events:
            c[e.get("type")] = c.get(e.get("type"), 0) + 1
        return c

    def of(self, t, name=None, addr=None):
        return [e for e in self.events if e.get("type") == t
                and (name is None or norm_name(e.get("name")) == name or
                     any(e.get("shrinker") == g["addr"] for g in self.gens.named(name)))
                and (addr is None or e.get("shrinker") == addr)]

    def read_expect(self):
        want = []
        if not os.path.exists(self.expect):
            self.err("no expect file %s" % self.expect)
            return want
        for line in open(self.expect):
            line = line.split("#", 1)[0].strip()
            if line:
                kind, name = line.split()[:2]
                want.append((kind, norm_name(name)))
        return sorted(set(want))

    def run(self):
        if not self.guest:
            self.err("the guest did not finish this case (no @@CASE record); see the console log")
            return
        if not self.events and not (os.environ.get("LAB_VERDICT_ONLY") and self.header):
            # (a filtered run of a case without lifecycle events writes a header alone)
            self.err("empty or missing log.jsonl")
        want = self.read_expect()
        got = sorted(set((v.get("kind"), norm_name(v.get("name"))) for v in self.verdict))
        if got != want:
            self.err("verdict %s, expected %s" % (fmt(got), fmt(want)))
        live = sorted(set((v.get("kind"), norm_name(v.get("name")))
                          for v in load_jsonl(os.path.join(self.d, "log.jsonl")) if v.get("type") == "violation"))
        if live != got:
            self.err("live violations in the log %s differ from the replayed verdict %s" % (fmt(live), fmt(got)))
        rc = self.guest.get("rc")
        want_rc = "3" if want else "0"
        if rc != want_rc:
            self.err("tracer exit status %s, expected %s" % (rc, want_rc))
        if self.guest.get("replay_rc") not in ("0", "3"):
            self.err("replay exit status %s" % self.guest.get("replay_rc"))
        lost = sum(int(e.get("count", 0)) for e in self.events if e.get("type") == "lost")
        if lost:
            self.notes.append("lost=%d" % lost)
        bad = [e for e in self.events if e.get("type") == "_unparsable"]
        if bad:
            self.err("%d unparsable log lines, first: %s" % (len(bad), bad[0]["text"]))
        self.perfetto()
        if os.environ.get("LAB_VERDICT_ONLY"):
            # Filtered runs (LAB_TRACER_ARGS with --comm, --stats-only...): the
            # events a case expects may be filtered out, but never a verdict.
            return
        self.consistency()
        getattr(self, "case_" + self.case)()

    def perfetto(self):
        """The guest's log, converted on the host to a Perfetto trace, must pass
        tests/tools/check_perfetto.py: real walks and calls nest per task."""
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
        host = os.environ.get("LAB_HOST_TRACER", os.path.join(root, "build", "shrinktrace"))
        log = os.path.join(self.d, "log.jsonl")
        if not os.access(host, os.X_OK) or not os.path.exists(log):
            self.notes.append("perfetto not checked (no %s)" % host)
            return
        trace = os.path.join(self.d, "trace.json")
        r = subprocess.run([host, "replay", "--format", "perfetto", "-o", trace, log],
                           capture_output=True, text=True)
        if r.returncode not in (0, 3):
            self.err("replay --format perfetto exited %d: %s" % (r.returncode, r.stderr.strip()[:200]))
            return
        r = subprocess.run([sys.executable, os.path.join(root, "tests", "tools", "check_perfetto.py"),
                            trace, "--source", log], capture_output=True, text=True)
        if r.returncode:
            self.err((r.stdout + r.stderr).strip()[:300])

    def consistency(self):
        """Every shrink_begin has its shrink_end; a walk's freed is the sum of its calls'."""
        open_calls, walks = {}, {}
        for e in self.events:
            t, key = e.get("type"), (e.get("pid"), e.get("shrinker"))
            if t == "shrink_begin":
                open_calls[key] = e
            elif t == "shrink_end":
                if open_calls.pop(key, None) is None:
                    self.err("shrink_end without shrink_begin: %s" % json.dumps(e))
                if e.get("pid") in walks and e.get("freed") != "empty":
                    walks[e["pid"]] += int(e.get("freed", 0))
            elif t == "walk_begin":
                walks[e.get("pid")] = 0
            elif t == "walk_end" and e.get("pid") in walks:
                got = walks.pop(e["pid"])
                if got != int(e.get("freed", -1)):
                    self.err("walk_end at %s says freed %s, its shrink_end calls freed %d"
                             % (e.get("ts"), e.get("freed"), got))
        for e in open_calls.values():
            self.err("shrink_begin with no shrink_end: %s" % json.dumps(e))

    # -- per case --------------------------------------------------------------------------
    def need_types(self, *types):
        have = self.types()
        missing = [t for t in types if not have.get(t)]
        if missing:
            self.err("log has no %s events" % ", ".join(missing))

    def lifecycle(self, g, with_rcu):
        need = ["shrinker_register", "free_begin", "free_end"]
        if self.new_api():
            need = ["shrinker_alloc"] + need + (["rcu_free"] if with_rcu else [])
        return [t for t in need if t not in g["ev"]]

    def new_api(self):
        return self.kernel != "6.1"

    def case_churn(self):
        self.need_types("walk_begin", "walk_end", "shrink_begin", "shrink_end", "shrinker_register",
                        "free_begin", "free_end", *(["shrinker_alloc", "rcu_free"] if self.new_api() else []))
        zero = [e for e in self.of("shrink_end") if e.get("freed") in (0, "0", "empty")]
        if not zero:
            self.err("no shrink_end with freed 0 or \"empty\"")
        tmpfs = self.gens.named("sb-tmpfs")
        complete = [g for g in tmpfs if not self.lifecycle(g, True)]
        # A kprobe hit while another kprobe handler runs on that CPU is skipped by the
        # kernel (an RCU softirq on top of our do_shrink_slab kprobe, say): a generation
        # whose only gap is its rcu_free, followed by a new generation at the same
        # address (the memory was freed and allocated again), is a miss the summary must
        # count exactly ("rcu_free unseen: N"), not a loss of the tracer's.
        later = {}
        for g in self.gens.gens:
            later[g["addr"]] = later.get(g["addr"], 0) + 1
        seen_addr, reused = {}, []
        for g in self.gens.gens:
            seen_addr[g["addr"]] = seen_addr.get(g["addr"], 0) + 1
            if g in tmpfs and self.lifecycle(g, True) == ["rcu_free"] and seen_addr[g["addr"]] < later[g["addr"]]:
                reused.append(g)
        counted = rcu_unseen(os.path.join(self.d, "stderr"))
        if reused and counted != len(reused):
            self.err("%d churned generations lack only their rcu_free and were reallocated, the "
                     "summary counts %s (rcu_free unseen)" % (len(reused), counted))
        if len(complete) + (len(reused) if counted == len(reused) else 0) < 20:
            sample = [(g["addr"], self.lifecycle(g, True)) for g in tmpfs if self.lifecycle(g, True)][:3]
            self.err("%d of 20 churned sb-tmpfs shrinkers have a full lifecycle (%d seen); missing e.g. %s"
                     % (len(complete), len(tmpfs), sample))
        self.notes.append("sb-tmpfs lifecycles=%d%s shrink_end freed0/empty=%d"
                          % (len(complete), " (+%d rcu_free unseen, %d counted)" % (len(reused), counted) if reused else "",
                             len(zero)))

    def case_fcost(self):
        """Benchmark: BPF ns per do_shrink_slab() call, shrinktrace's pair vs the reference."""
        r = fcost_ratio(os.path.join(self.d, "fcost.txt"))
        if not r:
            self.err("no usable fcost.txt (fentryref did not report both pairs)")
            return
        self.notes.append("fentry cost: shrinktrace %.0f ns, reference %.0f ns per call, ratio %.2f "
                          "(%d calls)" % (r["shrinktrace_ns"], r["reference_ns"], r["ratio"], r["calls"]))

    def lab_a(self):
        return self.module.get("a")

    def case_slow(self):
        a = self.lab_a()
        ends = [e for e in self.of("shrink_end", addr=a) if int(e.get("duration_ns", 0)) >= 150 * MS]
        if not ends:
            self.err("no shrink_end on lab-a (%s) lasting >= 150 ms" % a)
        fb, fe = self.of("free_begin", addr=a), self.of("free_end", addr=a)
        if not fb or not fe:
            self.err("no free_begin/free_end for lab-a")
        elif ends:
            wait = fe[0]["ts"] - fb[0]["ts"]
            if not (fb[0]["ts"] < ends[0]["ts"] <= fe[0]["ts"]) or wait < 50 * MS:
                self.err("the free of lab-a did not wait for the walker (free %d ms, scan ended at +%d ms)"
                         % (wait // MS, (ends[0]["ts"] - fb[0]["ts"]) // MS))
            else:
                self.notes.append("lab-a scan %d ms, shrinker free waited %d ms"
                                  % (int(ends[0]["duration_ns"]) // MS, wait // MS))

    def stuck(self, expect_walker):
        a = self.lab_a()
        v = [x for x in self.verdict if x.get("kind") == "stuck_free" and x.get("shrinker") == a]
        if not v:
            self.err("no stuck_free on lab-a at %s" % a)
            return
        wp = v[0].get("walker_pid")
        if expect_walker:
            if str(wp) != self.module.get("walker_pid"):
                self.err("stuck_free names walker %s, the walker in lab_a_scan was %s"
                         % (wp, self.module.get("walker_pid")))
        elif wp not in (None, 0, "0", -1, ""):
            self.err("stuck_free names walker %s though no walker held lab-a" % wp)
        if not self.of("free_end", addr=a):
            self.err("the free of lab-a never completed (no free_end)")
        if self.new_api() and not self.of("rcu_free", addr=a):
            self.err("no rcu_free for lab-a")
        self.notes.append("stuck_free: %s" % v[0].get("detail"))

    def case_blocked(self):
        self.stuck(True)

    def case_leak(self):
        self.stuck(False)

    def case_unlink(self):
        a, b = self.lab_a(), self.module.get("b")
        if self.module.get("reader_timed_out") != "0":
            self.err("the RCU reader timed out before release: %s" % self.module)
        v = [x for x in self.verdict if x.get("kind") == "stale_next" and x.get("shrinker") == a]
        if not v:
            snap = [e.get("next") for e in self.of("shrink_end", addr=a) if e.get("prev") == LIST_POISON2]
            hint = ""
            if snap and points_at(snap[0], b):
                hint = "; its unlinked shrink_end snapshot has next=%s = lab-b + 0x%x (the list_head inside lab-b)" \
                    % (snap[0], int(snap[0], 16) - int(b, 16))
            self.err("no stale_next on lab-a (%s)%s" % (a, hint))
        elif not points_at(v[0].get("next"), b):
            self.err("stale_next on lab-a points at %s, lab-b is %s" % (v[0].get("next"), b))
        else:
            self.notes.append("stale_next on lab-a -> %s" % v[0].get("next"))
        ends = [e for e in self.of("shrink_end", addr=a)
                if e.get("prev") == LIST_POISON2 and points_at(e.get("next"), b)]
        if not ends:
            self.err("no shrink_end snapshot on lab-a showing it unlinked with next = lab-b")
            return
        # B must have been queued (free_end) but not yet freed (rcu_free) when the walker left A
        fe, rf = self.of("free_end", addr=b), self.of("rcu_free", addr=b)
        if not fe or fe[0]["ts"] > ends[0]["ts"]:
            self.err("lab-b was not queued (free_end) before the walker left lab-a")
        if not rf:
            self.err("no rcu_free for lab-b")
        elif rf[0]["ts"] < ends[0]["ts"]:
            self.err("lab-b was already RCU-freed when the walker left lab-a: the reader did not hold it")
        else:
            self.notes.append("lab-b queued %.1f ms before the walker left lab-a, RCU-freed %.1f ms after"
                              % ((ends[0]["ts"] - fe[0]["ts"]) / MS, (rf[0]["ts"] - ends[0]["ts"]) / MS))

    def case_control(self):
        for who in ("lab_a_scan", "lab_b_scan"):
            gs = self.gens.named(who)
            if not gs:
                self.err("no shrinker named %s in the log" % who)
                continue
            g = gs[-1]
            miss = self.lifecycle(g, True) + [t for t in ("shrink_begin", "shrink_end") if t not in g["ev"]]
            if miss:
                self.err("%s: no %s" % (who, ", ".join(miss)))

    # -- detail: the call in detail against what lab-a's callbacks saw ---------------------
    def case_detail(self):
        """Each do_shrink_slab() call on lab-a, as the log's shrink_end tells it, against the
        module's own record of that call (calls.txt, see shrinker_lab.c): count, the deferred
        work taken and left, scanned, freed, and count_ns/scan_ns within DETAIL_TOLERANCE of
        the module's own ktime measurements."""
        a = self.lab_a()
        calls = parse_calls(os.path.join(self.d, "calls.txt"))
        if not a or not calls:
            self.err("no module record of lab-a's calls (module.txt a=%s, calls.txt %d lines)"
                     % (a, len(calls)))
            return
        if self.module.get("calls") != self.module.get("kept") or int(self.module.get("calls", 0)) != len(calls):
            self.err("the module kept %s of %s calls, calls.txt has %d: raise DETAIL_CALLS"
                     % (self.module.get("kept"), self.module.get("calls"), len(calls)))
        ends = self.of("shrink_end", addr=a)
        res = match_detail(calls, ends, int(self.module.get("final_deferred", -1)))
        for e in res["errors"]:
            self.err(e)
        if len(ends) != len(calls):
            self.err("%d shrink_end records on lab-a, the module saw %d calls" % (len(ends), len(calls)))
        need = {"count 0": any(c["count"] == 0 for c in calls),
                "a SHRINK_STOP batch": any(c["stop"] for c in calls),
                "deferred work carried over": any(c["deferred"] > 0 and c["count"] for c in calls)}
        for what, ok in need.items():
            if not ok:
                self.err("no call with %s: the case proves less than it should" % what)
        walks = [e for e in self.events if e.get("type") == "walk_begin"
                 and str(e.get("pid")) in set(str(c["pid"]) for c in calls)]
        bad = [w for w in walks if w.get("trigger") != "drop_caches"]
        if not walks or bad:
            self.err("the walks of lab-a's caller should all be drop_caches: %d walks, %s"
                     % (len(walks), json.dumps(bad[:1])))
        self.notes.append("%d calls matched field by field; count_ns within %.1f%%, scan_ns within "
                          "%.1f%% of the module's own times (limit %d%%)"
                          % (res["matched"], res["count_dev"] * 100, res["scan_dev"] * 100,
                             DETAIL_TOLERANCE * 100))

    # -- trigger: each walk trigger from a real cause ----------------------------------------
    def case_trigger(self):
        """Every trigger from the guest's real causes (case-trigger.sh): the walks of each
        cause's task carry that trigger (and memcg limit and cgroup path), and only that; with
        --stacks, each walk names its stack, and the folded file names shrink_slab's callers."""
        for line in open(os.path.join(self.d, "case.txt")) if os.path.exists(os.path.join(self.d, "case.txt")) else []:
            if line.startswith("FAILED"):
                self.err("the workload failed: %s" % line.strip())
        paths = {e.get("memcg"): e.get("path") for e in self.events if e.get("type") == "memcg"}
        walks = [e for e in self.events if e.get("type") == "walk_begin"]
        seen = []
        for comm, trig, limit, path in TRIGGERS:
            mine = [w for w in walks if w.get("comm") == comm]
            if not mine:
                self.err("no walk by %s (expected trigger %s%s)" % (comm, trig, " " + limit if limit else ""))
                continue
            wrong = [w for w in mine if w.get("trigger") != trig or w.get("memcg_limit") != limit]
            if wrong:
                self.err("%d of %d walks by %s are not trigger %s, memcg_limit %s: e.g. %s"
                         % (len(wrong), len(mine), comm, trig, limit, json.dumps(wrong[0])))
            if path and not [w for w in mine if paths.get(w.get("memcg")) == path]:
                self.err("no walk by %s on the memcg of cgroup %s (its walks' memcgs: %s)"
                         % (comm, path, sorted(set(str(paths.get(w.get("memcg"), w.get("memcg"))) for w in mine))))
            if trig in ("direct", "memcg"):
                lack = [w for w in mine if "order" not in w or "gfp" not in w]
                if lack:
                    self.err("%d walks by %s (%s) lack order or gfp: %s" % (len(lack), comm, trig, json.dumps(lack[0])))
            seen.append("%s %s%s x%d" % (comm, trig, "/" + limit if limit else "", len(mine)))
        stacks = {e.get("stack_id") for e in self.events if e.get("type") == "stack"}
        nostack = [w for w in walks if w.get("stack_id") not in stacks]
        if nostack:
            self.err("%d of %d walks have no stack record (--stacks): e.g. %s"
                     % (len(nostack), len(walks), json.dumps(nostack[0])))
        ok, msg = check_folded(os.path.join(self.d, "folded.txt"))
        if not ok:
            self.err(msg)
        self.notes.append("walks: " + ", ".join(seen) + "; " + msg)


def points_at(ptr, shrinker):
    """`ptr` is the shrinker itself or its embedded list_head (list.next as read)."""
    try:
        d = int(ptr, 16) - int(shrinker, 16)
    except (TypeError, ValueError):
        return False
    return 0 <= d < 0x100


def fcost_ratio(path):
    """{shrinktrace_ns, reference_ns, ratio, calls} per do_shrink_slab() call from the
    prog lines of tools/bench/fentryref, or None."""
    st = {}
    try:
        for line in open(path):
            p = line.split()
            if len(p) == 4 and p[0] == "prog":
                st[p[1]] = (int(p[2].split("=")[1]), int(p[3].split("=")[1]))
    except (OSError, ValueError, IndexError):
        return None
    need = ("fe_shrink_begin", "fx_shrink_end", "ref_fentry", "ref_fexit")
    if any(n not in st or not st[n][0] for n in need):
        return None
    calls = st["fe_shrink_begin"][0]
    ours = (st["fe_shrink_begin"][1] + st["fx_shrink_end"][1]) / calls
    ref = st["ref_fentry"][1] / st["ref_fentry"][0] + st["ref_fexit"][1] / st["ref_fexit"][0]
    return {"shrinktrace_ns": ours, "reference_ns": ref, "ratio": ours / ref, "calls": calls}


# detail: count_ns and scan_ns against the module's own times (issue 16.6: within 10%)
DETAIL_TOLERANCE = 0.10
SHRINK_STOP = "stop"


def parse_calls(path):
    """calls.txt of the detail case: one dict per call (see detail_show() in shrinker_lab.c)."""
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        d = dict(t.split("=", 1) for t in line.split() if "=" in t)
        if "call" not in d:
            continue
        batches = []
        for b in filter(None, d.get("b", "").split(",")):
            to, sc, ret, ns = b.split("/")
            batches.append({"to_scan": int(to), "scanned": int(sc), "ret": ret, "ns": int(ns)})
        c = {"k": int(d["call"]), "pid": int(d["pid"]), "t0": int(d["t0"]), "deferred": int(d["deferred"]),
             "count": int(d["count"]), "count_ns": int(d["count_ns"]), "nbatch": int(d["batches"]),
             "batches": batches}
        c["stop"] = any(b["ret"] == SHRINK_STOP for b in batches)
        done = [b for b in batches if b["ret"] != SHRINK_STOP]
        c["scanned"] = sum(b["scanned"] for b in done)
        c["freed"] = sum(int(b["ret"]) for b in done)
        c["scan_ns"] = sum(b["ns"] for b in batches)
        out.append(c)
    return out


def dev(got, want):
    return abs(got - want) / want if want else (0.0 if got == want else float("inf"))


def match_detail(calls, ends, final_deferred):
    """Pair each module call with the shrink_end whose call [ts - duration_ns, ts] holds the
    module's count_objects() entry, then compare field by field. Returns matched, errors and
    the largest count_ns / scan_ns deviations."""
    errors, matched, cdev, sdev = [], 0, 0.0, 0.0
    used = set()
    pairs = []
    for c in calls:
        hit = [i for i, e in enumerate(ends) if i not in used and str(e.get("pid")) == str(c["pid"])
               and int(e["ts"]) - int(e.get("duration_ns", 0)) <= c["t0"] <= int(e["ts"])]
        if len(hit) != 1:
            errors.append("call %d (pid %d, count_objects() at %d): %d shrink_end records on lab-a span it"
                          % (c["k"], c["pid"], c["t0"], len(hit)))
            pairs.append(None)
            continue
        used.add(hit[0])
        pairs.append(ends[hit[0]])
    for i, (c, e) in enumerate(zip(calls, pairs)):
        if e is None:
            continue
        bad = []

        def want(field, value):
            if e.get(field) != value:
                bad.append("%s %s, the module %s" % (field, json.dumps(e.get(field)), value))
        want("count", c["count"])
        if c["nbatch"] != len(c["batches"]):
            bad.append("the module kept %d of %d batches" % (len(c["batches"]), c["nbatch"]))
        nxt = calls[i + 1] if i + 1 < len(calls) else None
        # the next call took what this one left, unless it began before this one ended
        nxt_deferred = final_deferred if nxt is None else nxt["deferred"]
        if nxt is not None and nxt["t0"] < int(e["ts"]):
            nxt_deferred = None
        if c["count"]:
            want("nr_deferred", c["deferred"])
            want("scanned", c["scanned"])
            want("freed", c["freed"])
            want("unused_scan", c["deferred"])
            if nxt_deferred is not None:
                want("new_nr_deferred", nxt_deferred)
            want_scan_ns = c["scan_ns"]
        else:
            # count_objects() found nothing: no tracepoint fired, the deferred work stays
            for f in ("nr_deferred", "new_nr_deferred", "scanned", "delta", "total_scan"):
                if f in e:
                    bad.append("%s %s though count_objects() returned 0" % (f, e[f]))
            want("freed", 0)
            if nxt_deferred is not None and nxt_deferred != c["deferred"]:
                bad.append("the deferred work changed (%d -> %d) across a call that took none"
                           % (c["deferred"], nxt_deferred))
            want_scan_ns = 0
        for f in ("count_ns", "scan_ns"):
            if not isinstance(e.get(f), int):
                bad.append("no %s" % f)
        if isinstance(e.get("count_ns"), int):
            d = dev(e["count_ns"], c["count_ns"])
            cdev = max(cdev, d)
            if d > DETAIL_TOLERANCE:
                bad.append("count_ns %d, the module's count_objects() took %d ns (%.1f%% off)"
                           % (e["count_ns"], c["count_ns"], d * 100))
        if isinstance(e.get("scan_ns"), int):
            d = dev(e["scan_ns"], want_scan_ns)
            sdev = max(sdev, d)
            if d > DETAIL_TOLERANCE:
                bad.append("scan_ns %d, the module's scan_objects() batches took %d ns (%.1f%% off)"
                           % (e["scan_ns"], want_scan_ns, d * 100))
        if bad:
            errors.append("call %d (shrink_end at %s): %s" % (c["k"], e.get("ts"), "; ".join(bad)))
        else:
            matched += 1
    return {"matched": matched, "errors": errors, "count_dev": cdev, "scan_dev": sdev}


# trigger: (comm of the cause's task, trigger, memcg_limit, cgroup path of the walks' memcg)
TRIGGERS = (
    ("kswapd0", "kswapd", None, None),
    ("lab-hog", "direct", None, None),
    ("lab-high", "memcg", "memory.high", "/lab-high"),
    ("lab-max", "memcg", "memory.max", "/lab-max"),
    ("lab-reclaim", "memcg", "memory.reclaim", "/lab-reclaim"),
    ("lab-drop", "drop_caches", None, None),
)
# shrink_slab() callers a folded file from the trigger case must name (any of each group)
# (exact function names: do_try_to_free_pages is no direct reclaim's own frame)
FOLDED_CALLERS = (("balance_pgdat", "kswapd"), ("try_to_free_pages",), ("drop_slab", "drop_slab_node"),
                  ("try_to_free_mem_cgroup_pages",))
FOLDED_LINE = re.compile(r"^([^ ;]+(?:;[^ ;]+)*);shrink_slab;([^ ;]+) ([1-9][0-9]*)$")


def _names(line, *fns):
    """Does the folded line's stack have one of the functions fns (a frame is
    "function" or "function+0xoff")?"""
    m = FOLDED_LINE.match(line.rstrip("\n"))
    return bool(m) and any(f.split("+", 1)[0] in fns for f in m.group(1).split(";"))


def check_folded(path):
    """(ok, message): every line `frame;...;shrink_slab;NAME WEIGHT` with a positive integer
    weight, and shrink_slab's callers of every trigger named."""
    if not os.path.exists(path):
        return False, "no folded.txt from the guest (replay --format folded)"
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8", errors="replace")]
    if not lines:
        return False, "folded.txt is empty"
    bad = [l for l in lines if not FOLDED_LINE.match(l)]
    if bad:
        return False, "%d of %d folded lines are not 'frames;shrink_slab;NAME WEIGHT': %s" % (
            len(bad), len(lines), bad[0][:200])
    funcs = set(f.split("+", 1)[0] for l in lines for f in FOLDED_LINE.match(l).group(1).split(";"))
    missing = [g for g in FOLDED_CALLERS if not funcs.intersection(g)]
    if missing:
        return False, "; ".join("no folded stack names %s" % " or ".join(g) for g in missing)
    return True, "folded: %d lines, %d ns, naming %s" % (
        len(lines), sum(int(FOLDED_LINE.match(l).group(3)) for l in lines),
        ", ".join(g[0] for g in FOLDED_CALLERS))


# ---- selftest: damaged copies of a passing case's results must fail its check -------------
def _edit_log(d, fn):
    path = os.path.join(d, "log.jsonl")
    evs = [json.loads(l) for l in open(path) if l.strip()]
    evs = fn(evs)
    with open(path, "w") as f:
        for e in evs:
            f.write(json.dumps(e) + "\n")


def _first(pred):
    """an edit of the first event that matches pred (fn(e) changes it in place)"""
    def edit(fn):
        def apply(evs):
            for e in evs:
                if pred(e):
                    fn(e)
                    return evs
            raise LookupError("nothing to damage")
        return apply
    return edit


def _edit_text(name, fn):
    def apply(d):
        path = os.path.join(d, name)
        lines = open(path).read().splitlines(True) if os.path.exists(path) else []
        with open(path, "w") as f:
            f.writelines(fn(lines))
    return apply


def damages(case, d):
    """(what, fn(dir)) pairs: each makes the case's check fail."""
    if case == "detail":
        a = kv(os.path.join(d, "module.txt")).get("a")

        def a_end(pred=lambda e: True):
            return _first(lambda e: e.get("type") == "shrink_end" and e.get("shrinker") == a and pred(e))
        full = lambda e: e.get("count", 0) not in (0, "empty") and e.get("nr_deferred", 0) > 0  # noqa: E731
        one = {
            "count + 1": a_end(full)(lambda e: e.update(count=e["count"] + 1)),
            "nr_deferred + 1": a_end(full)(lambda e: e.update(nr_deferred=e["nr_deferred"] + 1)),
            "new_nr_deferred + 8": a_end(full)(lambda e: e.update(new_nr_deferred=e["new_nr_deferred"] + 8)),
            "scanned - 192": a_end(full)(lambda e: e.update(scanned=e["scanned"] - 192)),
            "freed + 1": a_end(full)(lambda e: e.update(freed=e["freed"] + 1)),
            "unused_scan + 1": a_end(full)(lambda e: e.update(unused_scan=e["unused_scan"] + 1)),
            "count_ns + 15%": a_end(full)(lambda e: e.update(count_ns=int(e["count_ns"] * 1.15))),
            "scan_ns - 15%": a_end(full)(lambda e: e.update(scan_ns=int(e["scan_ns"] * 0.85))),
            "count_ns of a count-0 call - 15%": a_end(lambda e: e.get("count") == 0)(
                lambda e: e.update(count_ns=int(e["count_ns"] * 0.85))),
            "nr_deferred on a count-0 call": a_end(lambda e: e.get("count") == 0)(
                lambda e: e.update(nr_deferred=1)),
        }
        out = [(w, lambda d, f=f: _edit_log(d, f)) for w, f in one.items()]
        out.append(("a shrink_end on lab-a missing", lambda d: _edit_log(d, lambda evs: [
            e for i, e in enumerate(evs) if not (e.get("type") == "shrink_end" and e.get("shrinker") == a
                                                 and i == max(j for j, x in enumerate(evs)
                                                              if x.get("type") == "shrink_end"
                                                              and x.get("shrinker") == a))])))
        out.append(("the walks' trigger", lambda d: _edit_log(d, _first(
            lambda e: e.get("type") == "walk_begin")(lambda e: e.update(trigger="unknown")))))
        return out
    if case == "trigger":
        walk = lambda comm: _first(lambda e: e.get("type") == "walk_begin" and e.get("comm") == comm)  # noqa: E731

        def repath(evs):
            ids = {e.get("memcg") for e in evs if e.get("type") == "walk_begin" and e.get("comm") == "lab-high"}
            for e in evs:
                if e.get("type") == "memcg" and e.get("memcg") in ids:
                    e["path"] = "/elsewhere"
            return evs
        one = {
            "kswapd0's walk: trigger unknown": walk("kswapd0")(lambda e: e.update(trigger="unknown")),
            "lab-hog's walk: no order": walk("lab-hog")(lambda e: e.pop("order")),
            "lab-max's walk: memory.high": walk("lab-max")(lambda e: e.update(memcg_limit="memory.high")),
            "lab-drop's walk: trigger direct": walk("lab-drop")(lambda e: e.update(trigger="direct")),
            "lab-reclaim's walks gone": lambda evs: [e for e in evs if e.get("comm") != "lab-reclaim"],
            "lab-high's memcg elsewhere": repath,
            "a stack record missing": _first(lambda e: e.get("type") == "stack")(lambda e: e.update(stack_id=-7)),
        }
        out = [(w, lambda d, f=f: _edit_log(d, f)) for w, f in one.items()]
        out += [
            ("a folded weight 0", _edit_text("folded.txt", lambda ls: [re.sub(r" \d+$", " 0", ls[0])] + ls[1:])),
            ("a folded line without weight", _edit_text("folded.txt", lambda ls: [ls[0].rsplit(" ", 1)[0] + "\n"] + ls[1:])),
            ("no try_to_free_pages in folded", _edit_text("folded.txt", lambda ls: [l for l in ls if not _names(l, "try_to_free_pages")])),
            ("no balance_pgdat/kswapd in folded", _edit_text("folded.txt", lambda ls: [l for l in ls if not _names(l, "balance_pgdat", "kswapd")])),
            ("no try_to_free_mem_cgroup_pages in folded", _edit_text("folded.txt", lambda ls: [l for l in ls if not _names(l, "try_to_free_mem_cgroup_pages")])),
            ("a workload step failed", _edit_text("case.txt", lambda ls: ls + ["FAILED: labmem -n lab-hog hog\n"])),
        ]
        return out
    return []


def selftest(kernel, case, d):
    import shutil
    import tempfile
    ds = damages(case, d)
    if not ds:
        print("no selftest for case %s" % case)
        return 2
    missed = []
    for what, fn in ds:
        tmp = tempfile.mkdtemp(prefix="lab-selftest-")
        try:
            t = os.path.join(tmp, case)
            shutil.copytree(d, t)
            try:
                fn(t)
            except LookupError:
                missed.append("%s (nothing in these results to damage)" % what)
                continue
            c = Case(kernel, case, t, "/dev/null")
            try:
                getattr(c, "case_" + case)()
            except Exception as e:  # a crash is a failure too, but say so
                c.err("checker error: %r" % e)
            if not c.errors:
                missed.append(what)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("[%d/%d damaged copies of these results fail the %s check%s]"
          % (len(ds) - len(missed), len(ds), case, "" if not missed else "; passed: " + ", ".join(missed)))
    return 1 if missed else 0


def fmt(pairs):
    return "[" + ", ".join("%s(%s)" % p for p in pairs) + "]" if pairs else "[none]"


def check(kernel, case, d, expect):
    c = Case(kernel, case, d, expect)
    try:
        c.run()
    except Exception as e:  # a malformed log must fail the case, not the lab
        c.err("checker error: %r" % e)
    secs = c.guest.get("secs", "?")
    try:
        s0, s1 = secs.split("-")
        secs = "%.1fs" % (float(s1) - float(s0))
    except ValueError:
        pass
    t = c.types()
    print("[%s in guest, %d events, backend %s, verdict %s%s]" % (
        secs, len(c.events), c.header.get("backend", "?"),
        fmt(sorted(set((v.get("kind"), norm_name(v.get("name"))) for v in c.verdict))),
        "; " + "; ".join(c.notes) if c.notes else ""))
    for e in c.errors:
        print("  " + e)
    if c.errors:
        print("  event counts: %s" % json.dumps(t, sort_keys=True))
    return 1 if c.errors else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        sys.exit(extract(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 6 and sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    if len(sys.argv) == 5 and sys.argv[1] == "selftest":
        sys.exit(selftest(*sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
