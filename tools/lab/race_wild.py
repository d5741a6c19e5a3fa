#!/usr/bin/env python3
"""Verdict of tools/lab/race-wild: the unsafe-ordering race in the wild, KASAN against shrinktrace.

  race_wild.py --out DIR [--seconds S] [--modes events,stats-only] [--selftest] IMAGE...

IMAGE: stock | unsafe. DIR/<image>/<mode>/ holds one boot: console.log (KASAN reports and the
clock pairs, with printk timestamps) and wild/ (what the guest sent: log.jsonl, verdict.jsonl,
stderr, case.txt, a NAME.txt per shrinkstress job, guest.txt).

Per run it counts guest seconds of stress, walks (shrink_slab()), shrinker_free() calls, KASAN
reports by kind and function, shrinktrace violations by kind, and judges the agreement:

  every KASAN use-after-free in the walk (shrink_slab/do_shrink_slab frames) must be matched by
  a shrinktrace stale_next or use_after_free of the same walker pid whose `next` (stale_next) or
  `shrinker` (use_after_free) is the object KASAN names, timestamped before the report. A
  freed successor's list.next leads the walk on to the next freed one, so reports of that
  walker on other objects follow; they are the same walk (matched as follow-ons) when they come
  after the violation and before the walk_end of its walk (per-event log) or, in a --stats-only
  log, which has no walk events, within FOLLOW_NS of the walker's previous report;
  stock: no KASAN report at all and no violation (but stuck_free, listed: the idle-class walker
  the stress starves can keep shrinker_free() waiting on either kernel).

Clocks. The log's ts is CLOCK_MONOTONIC; the console's timestamps are printk's local_clock().
/bin/stclock (tools/lab/stclock.c) in the guest writes a probe line to /dev/kmsg every 200 ms
between two CLOCK_MONOTONIC reads M and E, reads the probe's printk stamp L back (us,
truncated like the console's) and puts `shrinktrace-clock seq=N local_us=L mono=M end=E` on
the console: mono - local then lay in [M - (L + 1 us), E - L]. Under TCG the system call
makes that 100-250 us wide; a tighter lower bound comes with it, `tick_local_us=T
tick_mono=NOW`: an hrtimer tick event traced with the printk clock (a tracefs instance with
trace_clock perf), whose `now` is CLOCK_MONOTONIC read just before the stamp, so mono - local
>= NOW - (T + 1 us). A report at console time R maps to mono in [R + lo, R + 1 us + hi]
(lo is what "before" rests on): every pair within 2 s bounds the offset at its own
time; carried to R along the run's fitted slope (least squares) and widened by 5 us per
second of distance, the bounds are intersected (when they do not intersect, the union of the
nearest pair before and after is used, and counted). "Before" means violation.ts < R + lo.

Near misses: a stale_next whose `next` was queued for freeing (free_end) but not yet RCU-freed
when the walker left the unlinked shrinker (the field next_state "queued" when the record has
it, else "(not yet RCU freed)" in its detail); margin = that shrinker's rcu_free in the log
minus the violation's ts. Hazard windows: every do_shrink_slab() return (shrink_end) on an
unlinked shrinker (list.prev = LIST_POISON2), by the walk it belongs to (the list walk of the
root memcg, which steps on through list.next, or a memcg walk, which does not) and by the state
of its list.next then (freed, queued, live, the list head), and how long after the shrinker's
free_begin (on the unsafe kernel: its unlink) the walker left it. Frees that waited: free_begin while a
do_shrink_slab() call on that shrinker was in flight (in --stats-only such calls are written too).

--selftest damages copies of the results (KASAN report or violation on stock, an unflagged
KASAN report on unsafe, a violation after the report, clock pairs gone, a short run, a wrong
tracer mode, an oops, the tracer blind) and each must fail; it also checks the near-miss
margin on an injected one. Exit 0 when every run agrees, 1 otherwise.
"""
import argparse
import bisect
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import kv, LIST_POISON2  # noqa: E402
from race import parse_console, in_walk  # noqa: E402

CLOCK_RE = re.compile(r"shrinktrace-clock seq=(\d+) local_us=(\d+) mono=(\d+) end=(\d+)"
                      r"(?: tick_local_us=(\d+) tick_mono=(\d+))?")
TS_RE = re.compile(r"^\[\s*(\d+)\.(\d{6})\]\s?(.*)$")
# kernel trouble other than KASAN's own reports
OOPS_RE = re.compile(r"(BUG: (?!KASAN)|Oops|general protection fault|Kernel panic|"
                     r"rcu: INFO: rcu_\w+ detected stalls|INFO: task \S+ blocked|"
                     r"Out of memory|invoked oom-killer|WARNING: CPU)")
WALK_KINDS = ("stale_next", "use_after_free")
# shrinker_free() waiting longer than --stuck-after for a walker the stress starves: true on
# both kernels, listed, but neither the hazard nor a failure of the stock kernel
NOT_THE_HAZARD = ("stuck_free",)
MODES = ("events", "stats-only")
FOLLOW_NS = 2 * 10**9        # a follow-on report: same walker, within 2 s of a matched one
KASAN_SILENT_NS = 5 * 10**9  # a step onto freed memory KASAN should report within this
MAX_PAIR_GAP_NS = 3 * 10**9  # a report needs a clock pair within this before and after
WINDOW_NS = 2 * 10**9        # clock pairs within this of a report bound its mono time
DRIFT_TOL = 5e-6             # ... each allowed to drift 5 us per second off the fitted slope


def ns_of(sec, usec):
    return int(sec) * 10**9 + int(usec) * 1000


def hexint(s):
    try:
        return int(str(s), 16)
    except (TypeError, ValueError):
        return None


def dist(xs):
    """n, min, median, max of a list of ns, as ms text"""
    if not xs:
        return "n=0"
    s = sorted(xs)
    return "n=%d min %.3f median %.3f max %.3f ms" % (len(s), s[0] / 1e6, s[len(s) // 2] / 1e6, s[-1] / 1e6)


class Clock:
    """mono - local from the stclock pairs on the console."""

    def __init__(self, path):
        self.pairs = []          # (local_ns, off_lo, off_hi)
        self.bounds = []
        self.ticks = 0
        if os.path.exists(path):
            with open(path, "rb") as f:
                for line in f.read().decode("utf-8", "replace").replace("\r", "").split("\n"):
                    m = CLOCK_RE.search(line)
                    if m:
                        local, mono, end = int(m.group(2)) * 1000, int(m.group(3)), int(m.group(4))
                        self.pairs.append((local, mono - (local + 1000), end - local))
                        self.bounds.append(end - mono)
                        if m.group(5):
                            # an hrtimer tick: a lower bound only, without the syscall's delay
                            t = int(m.group(5)) * 1000
                            self.pairs.append((t, int(m.group(6)) - (t + 1000), float("inf")))
                            self.ticks += 1
        self.pairs.sort()
        self.locals = [p[0] for p in self.pairs]
        self._slope = None
        self.fallbacks = 0

    def slope(self):
        """d(mono - local)/d(local), least squares over the pairs' midpoints (the tighter half)"""
        if self._slope is None:
            two = [p for p in self.pairs if p[2] != float("inf")]
            ps = sorted(two, key=lambda p: p[2] - p[1])[:max(2, len(two) // 2)]
            self._slope = 0.0
            if len(ps) >= 2:
                xs = [p[0] for p in ps]
                ys = [(p[1] + p[2]) / 2 for p in ps]
                mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
                den = sum((x - mx) ** 2 for x in xs)
                if den:
                    self._slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den
        return self._slope

    def to_mono(self, local):
        """(lo, hi) of CLOCK_MONOTONIC at console time `local` (us-truncated), or None.

        Every pair within WINDOW_NS of it bounds mono - local at its own time; carried to
        `local` along the run's fitted slope, widened by DRIFT_TOL per unit of distance, the
        bounds are intersected. When they do not intersect (the offset moved more than that),
        the union of the nearest pair before and after is taken instead (counted in
        self.fallbacks)."""
        i = bisect.bisect_right(self.locals, local)
        if i == 0 or i == len(self.pairs):
            return None
        a, b = self.pairs[i - 1], self.pairs[i]
        if local - a[0] > MAX_PAIR_GAP_NS or b[0] - local > MAX_PAIR_GAP_NS:
            return None
        s = self.slope()
        lo, hi = -float("inf"), float("inf")
        j0 = bisect.bisect_left(self.locals, local - WINDOW_NS)
        j1 = bisect.bisect_right(self.locals, local + WINDOW_NS)
        for t, plo, phi in self.pairs[j0:j1]:
            d = local - t
            lo = max(lo, plo + s * d - DRIFT_TOL * abs(d))
            hi = min(hi, phi + s * d + DRIFT_TOL * abs(d))
        if lo > hi:
            self.fallbacks += 1
            two = [p for p in self.pairs[j0:j1] if p[2] != float("inf")] or [a, b]
            lo, hi = min(p[1] for p in two), max(p[2] for p in two)
        return local + int(lo), local + 1000 + int(hi + 0.999)

    def drift(self):
        """how far mono - local moved over the run (fitted slope times the run's length)"""
        if len(self.pairs) < 2:
            return 0
        return abs(self.slope() * (self.pairs[-1][0] - self.pairs[0][0]))

    def width(self, local):
        m = self.to_mono(local)
        return None if m is None else m[1] - m[0]


class Log:
    """One pass over log.jsonl (written in ts order by the tracer's reorder window)."""

    def __init__(self, path):
        self.ok = os.path.exists(path)
        self.header = {}
        self.types = {}
        self.memcg_path = {}     # memcg -> "/" (the root: the list walk) or its path
        self.walks = {"list": 0, "memcg": 0}
        self.frees = 0
        self.free_names = {}
        self.lost = 0
        self.unparsable = 0
        self.out_of_order = 0
        self.live = []
        self.rcu = {}            # shrinker -> [ts]
        self.walk_spans = {}     # pid -> [(walk_begin ts, walk_end ts or None)]
        self.free_end = {}
        self.unlinked = []       # hazard windows
        self.frees_waited = 0
        last_fb = {}             # shrinker -> ts of its last free_begin
        self.frees_in_list_walk = 0
        self.first_ts = self.last_ts = None
        if not self.ok:
            return
        inflight = {}            # (pid, shrinker) -> memcg path of the call ("" unknown)
        by_shr = {}              # shrinker -> set of pids with a call in flight
        list_walkers = set()     # pids inside a list walk
        state = {}               # shrinker -> live | queued | freed
        names = {}
        off = 0
        last = -1
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    e = json.loads(line)
                except ValueError:
                    self.unparsable += 1
                    continue
                t = e.get("type")
                if t == "header":
                    if not self.header:
                        self.header = e
                        off = int(e.get("list_offset", 0))
                    continue
                if t == "memcg":
                    # cgroup v2's root has id 1 (its path is "" when the hierarchy was
                    # mounted after the tracer started)
                    self.memcg_path[e.get("memcg")] = "/" if e.get("memcg_id") == 1 else e.get("path", "")
                    continue
                if t == "violation":
                    self.live.append(e)
                    continue
                self.types[t] = self.types.get(t, 0) + 1
                ts = int(e.get("ts", 0))
                if ts < last:
                    self.out_of_order += 1
                last = max(last, ts)
                if self.first_ts is None:
                    self.first_ts = ts
                self.last_ts = ts
                s = e.get("shrinker")
                pid = e.get("pid")
                if t in ("walk_begin", "walk_end"):
                    spans = self.walk_spans.setdefault(pid, [])
                    if t == "walk_begin":
                        spans.append([ts, None])
                    elif spans and spans[-1][1] is None:
                        spans[-1][1] = ts
                if t == "walk_begin":
                    if self.memcg_path.get(e.get("memcg")) == "/" or e.get("memcg") == "0x0":
                        self.walks["list"] += 1
                        list_walkers.add(pid)
                    else:
                        self.walks["memcg"] += 1
                elif t == "walk_end":
                    list_walkers.discard(pid)
                elif t in ("shrinker_alloc", "shrinker_register"):
                    state[s] = "live"
                    if e.get("name"):
                        names[s] = e["name"]
                elif t == "shrink_begin":
                    if e.get("name"):
                        names[s] = e["name"]
                    m = e.get("memcg")
                    inflight[(pid, s)] = "" if m is None else (
                        "/" if m == "0x0" else self.memcg_path.get(m, "?"))
                    by_shr.setdefault(s, set()).add(pid)
                elif t == "shrink_end":
                    walk = inflight.pop((pid, s), None)
                    if s in by_shr:
                        by_shr[s].discard(pid)
                    if e.get("prev") == LIST_POISON2:
                        nxt = hexint(e.get("next"))
                        nshr = "0x%x" % (nxt - off) if nxt is not None else None
                        st = state.get(nshr, "list head or untracked")
                        fb = last_fb.get(s)
                        self.unlinked.append({
                            "ts": ts, "pid": pid, "comm": e.get("comm"), "shrinker": s, "next": nshr,
                            "window": ts - fb if fb is not None and fb <= ts else None,
                            "walk": "list" if walk == "/" else ("?" if walk in (None, "", "?") else "memcg"),
                            "next_state": st})
                elif t == "free_begin":
                    self.frees += 1
                    last_fb[s] = ts
                    n = e.get("name") or names.get(s, "?")
                    self.free_names[n] = self.free_names.get(n, 0) + 1
                    if by_shr.get(s):
                        self.frees_waited += 1
                    if list_walkers:
                        self.frees_in_list_walk += 1
                elif t == "free_end":
                    state[s] = "queued"
                    self.free_end.setdefault(s, []).append(ts)
                elif t == "rcu_free":
                    state[s] = "freed"
                    self.rcu.setdefault(s, []).append(ts)
                elif t == "lost":
                    self.lost += int(e.get("count", 0))

    def walk_of(self, pid, ts):
        """[begin, end] of pid's walk around ts (end None: not ended in the log), or None"""
        for b, e in reversed(self.walk_spans.get(pid, [])):
            if b <= ts:
                return (b, e) if e is None or ts <= e else None
        return None

    def rcu_after(self, shr, ts):
        xs = self.rcu.get(shr, [])
        i = bisect.bisect_left(xs, ts)
        return xs[i] if i < len(xs) else None


def load_jsonl(path):
    out = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8", errors="replace"):
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"type": "_unparsable"})
    return out


def summary_walks(stderr_path):
    """walks and calls from the tracer's summary (its stderr)"""
    w = c = None
    if os.path.exists(stderr_path):
        text = open(stderr_path, encoding="utf-8", errors="replace").read()
        m = re.search(r"^Walks: (\d+)", text, re.M)
        if m:
            w = int(m.group(1))
        elif re.search(r"^Walks: none traced", text, re.M):
            w = 0
        m = re.search(r"shrinkers:.*? (\d+) walks?, (\d+) calls?", text)
        if m:
            w = int(m.group(1)) if w is None else w
            c = int(m.group(2))
    return w, c


def near_state(v):
    ns = v.get("next_state")
    if ns in ("queued", "freed"):
        return ns
    d = v.get("detail", "")
    if "(not yet RCU freed)" in d:
        return "queued"
    if "and RCU freed at" in d:
        return "freed"
    return "?"


class Run:
    def __init__(self, out, image, mode, seconds):
        self.image, self.mode, self.seconds = image, mode, seconds
        self.dir = os.path.join(out, image, mode)
        self.case = os.path.join(self.dir, "wild")
        self.problems = []       # failures of the verdict
        self.disagree = []       # disagreements that do not fail it (listed)
        self.notes = []

    def bad(self, msg):
        self.problems.append(msg)

    def load(self):
        self.guest = kv(os.path.join(self.case, "guest.txt"))
        self.casekv = kv(os.path.join(self.case, "case.txt"))
        self.case_lines = open(os.path.join(self.case, "case.txt")).read().splitlines() \
            if os.path.exists(os.path.join(self.case, "case.txt")) else []
        console = os.path.join(self.dir, "console.log")
        self.reports, err = parse_console(console)
        if err:
            self.bad(err)
        self.clock = Clock(console)
        self.oops = []
        if os.path.exists(console):
            with open(console, "rb") as f:
                for line in f.read().decode("utf-8", "replace").replace("\r", "").split("\n"):
                    m = TS_RE.match(line)
                    if m and OOPS_RE.search(m.group(3)):
                        self.oops.append("%s.%s %s" % (m.group(1), m.group(2), m.group(3)[:160]))
        self.log = Log(os.path.join(self.case, "log.jsonl"))
        self.verdict = load_jsonl(os.path.join(self.case, "verdict.jsonl"))
        self.sum_walks, self.sum_calls = summary_walks(os.path.join(self.case, "stderr"))
        self.stress = {}
        for w in [m.group(1) for m in (re.match(r"(\S+): pid=", x) for x in self.case_lines) if m]:
            p = os.path.join(self.case, w + ".txt")
            if os.path.exists(p):
                self.stress[w] = open(p).read()

    def judge(self):
        self.load()
        g = self.guest
        if not g:
            self.bad("the guest did not finish (no @@CASE record): see %s" % os.path.join(self.dir, "console.log"))
        else:
            if g.get("replay_rc") not in ("0", "3"):
                self.bad("shrinktrace replay in the guest exited %s" % g.get("replay_rc"))
            if g.get("rc") not in ("0", "3"):
                self.bad("the tracer exited %s (0 or 3 expected)" % g.get("rc"))
        for line in self.case_lines:
            if line.startswith("FAILED"):
                self.bad("guest: %s" % line)
        t0, t1 = self.casekv.get("stress_start_uptime"), self.casekv.get("stress_end_uptime")
        self.guest_secs = float(t1) - float(t0) if t0 and t1 else 0.0
        if self.guest_secs < 0.95 * self.seconds:
            self.bad("the stress ran %.1f s of guest time, %d asked for" % (self.guest_secs, self.seconds))
        if self.casekv.get("stress_rc") not in ("0", None) or (g and self.casekv.get("stress_rc") is None):
            bad_w = [w for w, text in self.stress.items() if "errors=0" not in text.split("total")[-1]]
            self.bad("shrinkstress failed (stress_rc=%s): %s" % (
                self.casekv.get("stress_rc"), "; ".join("%s: %s" % (w, self.stress[w].strip().splitlines()[-1][:200])
                                                         for w in bad_w) or "see case.txt"))
        L = self.log
        if not L.ok or not L.types:
            self.bad("empty or missing log.jsonl")
        want_mode = "stats-only" if self.mode == "stats-only" else "events"
        if L.ok and L.header.get("mode", "events") != want_mode:
            self.bad("the log's header says mode %r, this run is %s" % (L.header.get("mode"), want_mode))
        if L.unparsable:
            self.bad("%d unparsable log lines" % L.unparsable)
        if L.lost:
            self.disagree.append("the tracer lost %d events (violations may be uncertain)" % L.lost)
        key = lambda v: (v.get("kind"), v.get("shrinker"), v.get("walker_pid"))
        if sorted(map(key, L.live), key=str) != sorted(map(key, self.verdict), key=str):
            self.bad("live violations in the log (%d) differ from the replayed verdict (%d)"
                     % (len(L.live), len(self.verdict)))
        if len(self.clock.pairs) < 10:
            self.bad("%d clock pairs on the console (stclock did not run?): the agreement cannot be timed"
                     % len(self.clock.pairs))
        for o in self.oops:
            self.bad("kernel trouble on the console: %s" % o)
        self.walk_uaf = [r for r in self.reports if r["bug"].endswith("use-after-free") and in_walk(r)]
        self.other_k = [r for r in self.reports if r not in self.walk_uaf]
        self.kinds = {}
        for v in self.verdict:
            self.kinds[v.get("kind")] = self.kinds.get(v.get("kind"), 0) + 1
        self.matched = self.follow = 0
        self.margins = []        # per violation: its first KASAN report's mono (lower end) - its ts
        self.first_margin = {}
        if self.image == "stock":
            for r in self.reports:
                self.bad("KASAN on the stock kernel: %s in %s (%s, pid %s) at %.6f s"
                         % (r["bug"], r["func"], r.get("access"), r.get("pid"), r["local_ns"] / 1e9))
            for v in self.verdict:
                if v.get("kind") in NOT_THE_HAZARD:
                    continue
                self.bad("violation on the stock kernel: %s: %s" % (v.get("kind"), v.get("detail", "")[:200]))
        else:
            self.agree()
            for r in self.other_k:
                self.bad("KASAN report outside the walk: %s in %s (%s, pid %s) at %.6f s"
                         % (r["bug"], r["func"], r.get("access"), r.get("pid"), r["local_ns"] / 1e9))
        for v in self.verdict:
            if v.get("kind") in NOT_THE_HAZARD:
                self.disagree.append("%s (a starved walker held a reference; not the hazard under test): %s"
                                     % (v.get("kind"), v.get("detail", "")[:240]))
        self.hazards()

    def agree(self):
        """every KASAN walk UAF flagged first by a violation of the same walker"""
        walkv = [v for v in self.verdict if v.get("kind") in WALK_KINDS]
        chain = {}               # pid -> (violation, walk end or None, mono of its last report)
        for r in sorted(self.walk_uaf, key=lambda r: r["local_ns"]):
            when = "%.6f s (console)" % (r["local_ns"] / 1e9)
            mono = self.clock.to_mono(r["local_ns"])
            if mono is None:
                self.bad("KASAN %s in %s by pid %s at %s: no clock pair within %d s before and after it"
                         % (r["bug"], r["func"], r["pid"], when, MAX_PAIR_GAP_NS // 10**9))
                continue
            lo, hi = mono
            mine = [v for v in walkv if str(v.get("walker_pid", v.get("pid"))) == str(r["pid"])]
            prim = [v for v in mine if r["obj"] is not None and
                    hexint(v.get("next") if v.get("kind") == "stale_next" else v.get("shrinker")) == r["obj"]]
            before = [v for v in prim if int(v["ts"]) < lo]
            if before:
                v = max(before, key=lambda v: int(v["ts"]))
                self.matched += 1
                k = (v.get("kind"), v.get("shrinker"), v.get("ts"))
                if k not in self.first_margin:     # the walk's first report on it
                    self.first_margin[k] = lo - int(v["ts"])
                    self.margins.append(lo - int(v["ts"]))
                span = self.log.walk_of(int(r["pid"]), int(v["ts"])) if r["pid"] is not None else None
                chain[r["pid"]] = (v, span[1] if span else None, lo)
                continue
            if prim:
                v = min(prim, key=lambda v: int(v["ts"]))
                self.bad("KASAN %s in %s by pid %s on 0x%x at %s (mono %d..%d): shrinktrace's %s on it is at %d, "
                         "not before" % (r["bug"], r["func"], r["pid"], r["obj"], when, lo, hi, v.get("kind"), int(v["ts"])))
                continue
            # The walk goes on through freed memory: the freed successor's list.next leads to
            # the next one. Same walk: before the walk_end of the violation's walk (per-event
            # log), or, without walk events (--stats-only), reports of that walker following
            # each other within FOLLOW_NS.
            c = chain.get(r["pid"])
            if c:
                v, wend, last = c
                same = (lo <= wend + (hi - lo)) if wend is not None else (lo - last <= FOLLOW_NS)
                if lo > int(v["ts"]) and same:
                    self.follow += 1
                    chain[r["pid"]] = (v, wend, lo)
                    continue
            self.bad("KASAN %s in %s by pid %s (%s) on object %s at %s: no shrinktrace stale_next/use_after_free "
                     "of that walker on it before" % (r["bug"], r["func"], r["pid"], r.get("task"),
                                                       hex(r["obj"]) if r["obj"] is not None else "?", when))
        # the other way: a list walk that stepped onto freed memory must show in KASAN
        for u in self.log.unlinked:
            if u["walk"] != "list" or u["next_state"] != "freed":
                continue
            seen = False
            for r in self.walk_uaf:
                m = self.clock.to_mono(r["local_ns"])
                if str(r["pid"]) == str(u["pid"]) and m and 0 <= m[1] - u["ts"] <= KASAN_SILENT_NS:
                    seen = True
                    break
            if not seen:
                self.disagree.append(
                    "KASAN silent: %s (pid %s) left unlinked %s at %d onto %s, already RCU-freed, and KASAN "
                    "reported nothing of that walker within %d s" % (u["comm"], u["pid"], u["shrinker"], u["ts"],
                                                                    u["next"], KASAN_SILENT_NS // 10**9))

    def hazards(self):
        L = self.log
        self.near = []           # (violation, walk kind, margin or None)
        calls_walk = {}
        for u in L.unlinked:
            calls_walk[(str(u["pid"]), u["shrinker"], u["ts"])] = u["walk"]
        for v in self.verdict:
            if v.get("kind") != "stale_next" or near_state(v) != "queued":
                continue
            rf = L.rcu_after(v.get("next"), int(v["ts"]))
            walk = calls_walk.get((str(v.get("pid")), v.get("shrinker"), int(v["ts"])), "?")
            self.near.append((v, walk, None if rf is None else rf - int(v["ts"])))
        self.hw = {}
        for u in L.unlinked:
            k = (u["walk"], u["next_state"])
            self.hw[k] = self.hw.get(k, 0) + 1

    def walks_text(self):
        L = self.log
        if self.mode == "events" and L.ok:
            return "%d (%d list, %d memcg)" % (L.walks["list"] + L.walks["memcg"], L.walks["list"], L.walks["memcg"])
        return "%s (summary)" % ("?" if self.sum_walks is None else self.sum_walks)

    def kasan_text(self):
        if not self.reports:
            return "0"
        c = {}
        for r in self.reports:
            k = "%s in %s" % (r["bug"], r["func"].split("+")[0])
            c[k] = c.get(k, 0) + 1
        return ", ".join("%s: %d" % kv_ for kv_ in sorted(c.items()))

    def agree_text(self):
        n = len(self.walk_uaf)
        if self.image == "stock":
            return "silent: %s" % ("yes" if not self.reports and not self.verdict else "NO")
        return "%d/%d flagged first (+%d follow-on)" % (self.matched, n - self.follow, self.follow) if n else "0 UAF to flag"


def evaluate(out, names, modes, seconds):
    runs = []
    for name in names:
        for mode in modes:
            r = Run(out, name, mode, seconds)
            try:
                r.judge()
            except Exception as e:  # a malformed result fails the run, not the script
                import traceback
                traceback.print_exc()
                r.bad("verdict error: %r" % e)
            runs.append(r)
    return runs


def table(hdr, rows):
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
    print(line(hdr))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print(line(r))


def report(runs, seconds):
    print("shrinktrace vs KASAN in the wild: unstaged stress, %d s of guest time per image and mode" % seconds)
    print()
    rows = []
    for r in runs:
        if not hasattr(r, "walk_uaf"):
            rows.append((r.image, r.mode) + ("?",) * 6)
            continue
        kinds = ", ".join("%s %d" % kv_ for kv_ in sorted(r.kinds.items())) or "none"
        rows.append((r.image, r.mode, "%.0f" % r.guest_secs, r.walks_text(), str(r.log.frees),
                     r.kasan_text(), kinds, r.agree_text()))
    table(("image", "mode", "guest s", "walks", "shrinker_free()", "KASAN reports", "shrinktrace violations",
           "agreement"), rows)
    print()
    rows = []
    for r in runs:
        if not hasattr(r, "near"):
            continue
        hw = r.hw
        tot = lambda walk: sum(n for (w, _), n in hw.items() if w == walk)
        near_list = [m for v, w, m in r.near if w == "list"]
        rows.append((r.image, r.mode, str(r.log.frees_waited),
                     "%d / %d / %d" % (tot("list"), tot("memcg"), tot("?")),
                     "%d/%d/%d/%d" % tuple(hw.get(("list", s), 0) for s in
                                          ("freed", "queued", "live", "list head or untracked")),
                     dist([u["window"] for u in r.log.unlinked if u["walk"] == "list" and u["window"] is not None]),
                     "%d (%d list walk)" % (len(r.near), len(near_list)),
                     dist([m for _, _, m in r.near if m is not None])))
    table(("image", "mode", "frees that waited for a walker", "unlinked returns list/memcg/?",
           "list: next freed/queued/live/head", "list: unlink to return", "near misses",
           "near-miss margin (to rcu_free)"), rows)
    print()
    ok = True
    for r in runs:
        extra = []
        if hasattr(r, "clock"):
            b = r.clock.bounds
            if b:
                ws = [r.clock.width(p[0] + 10**8) for p in r.clock.pairs[::5]]
                ws = sorted(w for w in ws if w is not None) or [0]
                extra.append("clock: %d pairs (each bound median %.1f us) + %d hrtimer ticks, mono of a console time "
                             "known to %.1f us (median; max %.1f), offset slope %.2f ppm (%.1f us over the run)%s"
                             % (len(b), sorted(b)[len(b) // 2] / 1e3, r.clock.ticks, ws[len(ws) // 2] / 1e3, ws[-1] / 1e3,
                                r.clock.slope() * 1e6, r.clock.drift() / 1e3,
                                "; %d fallbacks to the neighbours' union" % r.clock.fallbacks
                                if r.clock.fallbacks else ""))
        if getattr(r, "margins", None):
            m = sorted(r.margins)
            extra.append("violation before the walk's first KASAN report by %.1f-%.1f us (median %.1f; "
                         "the lower end of the report's clock bound)"
                         % (m[0] / 1e3, m[-1] / 1e3, m[len(m) // 2] / 1e3))
        if hasattr(r, "log") and r.log.ok:
            L = r.log
            extra.append("frees during a list walk %d; shrinker_free() by name: %s" % (
                L.frees_in_list_walk, ", ".join("%s %d" % kv_ for kv_ in sorted(L.free_names.items(), key=lambda x: -x[1])[:4])))
            if r.sum_calls is not None:
                extra.append("do_shrink_slab() calls %d" % r.sum_calls)
            if L.out_of_order:
                extra.append("%d events out of ts order in the log" % L.out_of_order)
        for w, text in sorted(getattr(r, "stress", {}).items()):
            lines = [x.strip() for x in text.strip().splitlines() if x.startswith("  ") and not x.startswith("  total")]
            extra.append("%s: %s" % (w, "; ".join(lines)[:300]))
        print("%s/%s: %s" % (r.image, r.mode, "\n    ".join(extra) if extra else "-"))
        for v, w, m in getattr(r, "near", [])[:5]:
            print("  near miss (%s walk): %s; margin %s" % (w, v.get("detail", "")[:300],
                                                           "%.3f ms" % (m / 1e6) if m is not None else "no rcu_free in the log"))
        if r.disagree:
            print("  DISAGREEMENTS that do not fail the verdict (%d):" % len(r.disagree))
            for p in r.disagree[:50]:
                print("   - " + p)
        if r.problems:
            ok = False
            print("  DISAGREEMENTS / FAILURES (%d):" % len(r.problems))
            for p in r.problems[:100]:
                print("   - " + p)
    print()
    print("RESULT: %s" % ("PASS: every run agrees" if ok else "FAIL"))
    return ok


# ---- self-test ------------------------------------------------------------------------------
def _ts_line(ns, text):
    return "[%5d.%06d] %s" % (ns // 10**9, (ns // 1000) % 10**6, text)


def _append(path, text):
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def _rewrite(path, fn):
    with open(path, encoding="utf-8", errors="replace") as f:
        t = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(fn(t))


def _mid_pair(d):
    """(local, mono) of a clock pair in the middle of a run"""
    c = Clock(os.path.join(d, "console.log"))
    two = [p for p in c.pairs if p[2] != float("inf")]
    local, lo, hi = two[len(two) // 2]
    return local, local + int(lo + hi) // 2


def _kasan(local, pid, addr, func="shrink_slab+0x1ac/0x6d0"):
    lines = ["==================================================================",
             "BUG: KASAN: slab-use-after-free in %s" % func,
             "Read of size 4 at addr %x by task selftest/%d" % (addr + 32, pid),
             "CPU: 1 UID: 0 PID: %d Comm: selftest" % pid,
             "Call trace:", " shrink_slab+0x1ac/0x6d0", " drop_slab+0x9e/0x130",
             "The buggy address belongs to the object at %x" % addr,
             "=================================================================="]
    return "".join(_ts_line(local, l) + "\n" for l in lines)


def _violation(ts, pid, a, b, state):
    d = ("selftest (pid %d) left do_shrink_slab() on shrinker sb-proc at %s at ... with it already unlinked "
         "(list.prev = LIST_POISON2), and its list.next is shrinker sb-proc at %s, which x queued for freeing at ... %s: "
         "the walk steps onto it" % (pid, a, b, "(not yet RCU freed)" if state == "queued" else "and RCU freed at 1.0 s"))
    return {"type": "violation", "ts": ts, "cpu": 1, "pid": pid, "comm": "selftest", "kind": "stale_next",
            "shrinker": a, "name": "sb-proc", "next": b, "walker_pid": pid, "walker_comm": "selftest",
            "certain": True, "detail": d}


def _add_violation(d, v):
    for f in ("verdict.jsonl", "log.jsonl"):
        _append(os.path.join(d, "wild", f), json.dumps(v) + "\n")


A, B = 0xffff888100001000, 0xffff888100002000
PID = 99999


def _m_stock_kasan(t, mode):
    d = os.path.join(t, "stock", mode)
    local, _ = _mid_pair(d)
    _append(os.path.join(d, "console.log"), _kasan(local + 50 * 10**6, PID, B))


def _m_stock_violation(t, mode):
    d = os.path.join(t, "stock", mode)
    _, mono = _mid_pair(d)
    _add_violation(d, _violation(mono, PID, hex(A), hex(B), "freed"))


def _m_unflagged(t, mode):
    d = os.path.join(t, "unsafe", mode)
    local, _ = _mid_pair(d)
    _append(os.path.join(d, "console.log"), _kasan(local + 50 * 10**6, PID, B))


def _m_late(t, mode):
    d = os.path.join(t, "unsafe", mode)
    local, mono = _mid_pair(d)
    _append(os.path.join(d, "console.log"), _kasan(local + 50 * 10**6, PID, B))
    _add_violation(d, _violation(mono + 70 * 10**6, PID, hex(A), hex(B), "freed"))


def _m_blind(t, mode):
    d = os.path.join(t, "unsafe", mode)
    local, mono = _mid_pair(d)
    # a real-looking pair (report and its violation 1 ms before), then the tracer loses it
    _append(os.path.join(d, "console.log"), _kasan(local + 50 * 10**6, PID, B))
    for f in ("verdict.jsonl", "log.jsonl"):
        _rewrite(os.path.join(d, "wild", f), lambda x: "".join(
            l for l in x.splitlines(True) if '"kind":"stale_next"' not in l.replace(" ", "")
            and '"kind":"use_after_free"' not in l.replace(" ", "")))


def _m_no_clock(t, mode):
    d = os.path.join(t, "unsafe", mode)
    _rewrite(os.path.join(d, "console.log"),
             lambda x: "".join(l for l in x.splitlines(True) if "shrinktrace-clock" not in l))


def _m_short(t, mode):
    d = os.path.join(t, "stock", mode)
    _rewrite(os.path.join(d, "wild", "case.txt"), lambda x: re.sub(
        r"stress_end_uptime=([0-9.]+)", lambda m: "stress_end_uptime=%s" % (
            float(re.search(r"stress_start_uptime=([0-9.]+)", x).group(1)) + 10), x))


def _m_mode(t, mode):
    d = os.path.join(t, "stock", mode)
    other = "events" if mode == "stats-only" else "stats-only"
    _rewrite(os.path.join(d, "wild", "log.jsonl"), lambda x: re.sub(
        r'("type":"header"[^\n]*?)("mode":"[a-z-]+")', r'\1"mode":"%s"' % other, x, count=1)
        if '"mode"' in x.split("\n", 1)[0] else x.replace('"type":"header",', '"type":"header","mode":"%s",' % other, 1))


def _m_oops(t, mode):
    d = os.path.join(t, "unsafe", mode)
    local, _ = _mid_pair(d)
    _append(os.path.join(d, "console.log"),
            _ts_line(local, "BUG: unable to handle page fault for address: ffff888100002060") + "\n")


MUTATIONS = [
    ("a KASAN report on the stock kernel", _m_stock_kasan, "stock", "KASAN on the stock kernel"),
    ("a violation on the stock kernel", _m_stock_violation, "stock", "violation on the stock kernel"),
    ("a KASAN walk use-after-free nobody flagged", _m_unflagged, "unsafe", "no shrinktrace stale_next"),
    ("the violation 20 ms after KASAN's report", _m_late, "unsafe", "not before"),
    ("the tracer blind to walk violations", _m_blind, "unsafe", "no shrinktrace stale_next"),
    ("the clock pairs gone", _m_no_clock, "unsafe", "clock pairs"),
    ("a run cut to 10 s", _m_short, "stock", "of guest time"),
    ("the other tracer mode", _m_mode, "stock", "header says mode"),
    ("an oops on the console", _m_oops, "unsafe", "kernel trouble"),
]


def _quiet_eval(t, names, modes, seconds):
    with open(os.devnull, "w") as null:
        saved, sys.stdout = sys.stdout, null
        try:
            return evaluate(t, names, modes, seconds)
        finally:
            sys.stdout = saved


def _copy(out, t, names, modes):
    for n in names:
        for m in modes:
            shutil.copytree(os.path.join(out, n, m), os.path.join(t, n, m),
                            ignore=shutil.ignore_patterns("serial.txt", "dmesg.txt", "*.cpio.gz"))


def selftest(out, modes, seconds):
    names = ["stock", "unsafe"]
    base = _quiet_eval(out, names, modes, seconds)
    if any(r.problems for r in base):
        print("selftest: not run (the real results do not pass)")
        return False
    mode = modes[0]
    caught = 0
    for title, fn, img, want in MUTATIONS:
        with tempfile.TemporaryDirectory() as t:
            _copy(out, t, names, [mode])
            fn(t, mode)
            runs = _quiet_eval(t, names, [mode], seconds)
            probs = [p for r in runs if r.image == img for p in r.problems]
            if any(want in p for p in probs):
                caught += 1
            else:
                print("selftest: NOT caught: %s (wanted '%s' on %s; got %s)" % (title, want, img, probs[:3] or "PASS"))
    # the near-miss margin, on an injected one: queued, RCU-freed 5 ms after the step
    near_ok = False
    with tempfile.TemporaryDirectory() as t:
        _copy(out, t, ["unsafe"], [mode])
        d = os.path.join(t, "unsafe", mode)
        _, mono = _mid_pair(d)
        _add_violation(d, _violation(mono, PID, hex(A), hex(B), "queued"))
        _append(os.path.join(d, "wild", "log.jsonl"), json.dumps(
            {"type": "rcu_free", "ts": mono + 5 * 10**6, "cpu": 0, "pid": 0, "comm": "swapper/0",
             "shrinker": hex(B)}) + "\n")
        r = _quiet_eval(t, ["unsafe"], [mode], seconds)[0]
        got = [m for v, _, m in getattr(r, "near", []) if v.get("shrinker") == hex(A)]
        near_ok = got == [5 * 10**6]
        if not near_ok:
            print("selftest: the injected near miss (margin 5 ms) came out as %s" % got)
    print("selftest: %d/%d damaged copies of these results fail the verdict as they must; near-miss margin %s"
          % (caught, len(MUTATIONS), "right" if near_ok else "WRONG"))
    return caught == len(MUTATIONS) and near_ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="results of tools/lab/race-wild")
    ap.add_argument("--seconds", type=int, default=300, help="guest seconds each run was asked for")
    ap.add_argument("--modes", default="events,stats-only", help="tracer modes run (events, stats-only)")
    ap.add_argument("--selftest", action="store_true",
                    help="also check that damaged copies of the results fail (both images needed)")
    ap.add_argument("images", nargs="+", choices=("stock", "unsafe"))
    a = ap.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            ap.error("--modes: unknown mode %r (events, stats-only)" % m)
    runs = evaluate(a.out, a.images, modes, a.seconds)
    ok = report(runs, a.seconds)
    npass = sum(1 for r in runs if not r.problems)
    nfail = len(runs) - npass
    if a.selftest and set(a.images) == {"stock", "unsafe"}:
        st = selftest(a.out, modes, a.seconds)
        ok = st and ok
        npass, nfail = npass + (1 if st else 0), nfail + (0 if st else 1)
    # the closing line tests/run-all.sh counts: a run (image, mode) or the self-test each
    print("%d passed, %d failed, 0 skipped" % (npass, nfail))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
