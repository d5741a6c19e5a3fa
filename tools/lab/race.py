#!/usr/bin/env python3
"""Verdict of tools/lab/race: KASAN (the kernel's own referee) against shrinktrace.

  race.py [--n N] --out DIR [--selftest] IMAGE...      IMAGE: stock | unsafe

--selftest (with both images): damaged copies of the results (the tracer blind or late, KASAN
silent, a KASAN report or a violation on the stock kernel, names not from shrinker->name, the
patch not in effect, an iteration missing) must each fail the verdict with the expected reason.

DIR/<image>/console.log is the guest console (KASAN reports, with printk timestamps);
DIR/<image>/race/ holds what the guest sent: log.jsonl, verdict.jsonl (replay), module.txt
(one line per iteration, see tools/lab/shrinker_lab.c), guest.txt, stderr.

Clocks. The tracer's `ts` is CLOCK_MONOTONIC (bpf_ktime_get_ns). A printk timestamp is
local_clock() (the console shows it to the microsecond). In each iteration the module reads
both clocks back to back in the walker, in A's scan_objects just before it returns (`ret_mono`,
`ret_local`: local is the midpoint of two local_clock() reads around ktime_get_ns(), `ret_err`
their distance), i.e. microseconds before the walker steps on. A KASAN report of iteration i is
put on the log's time as  mono = printk_ts + (ret_mono_i - ret_local_i);  the uncertainty of
that is ret_err_i plus 1 us (the console's resolution) plus the drift of the two clocks over
the few microseconds between the pair and the report (negligible; the drift between the
iteration's begin and end pairs is printed as a check). "Before" means
violation.ts + uncertainty < KASAN mono.

Iterations are the windows between the module's begin markers (begin_local of module.txt,
the printk clock): a KASAN report is in iteration i when begin_local_i <= printk_ts <
begin_local_{i+1}; a violation when its shrinker is that iteration's A or B and its ts is in
[begin_mono_i, begin_mono_{i+1}).

Agreement, per iteration:
  unsafe  the patched shrinker_free() unlinked A before waiting (a_unlinked=1); KASAN reports
          a use-after-free in the walk (title in shrink_slab, or shrink_slab in its call
          trace) by the walker on B's object; shrinktrace has a stale_next or use_after_free
          on that walk (A or B, the walker's pid) timestamped before the first such report;
          nothing else (no other KASAN report, no other violation kind).
  stock   a_unlinked=0, no KASAN report, no violation.
Every disagreement is listed. Exit 0 when all agree, 1 otherwise.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import load_jsonl, kv  # noqa: E402

TS_RE = re.compile(r"^\[\s*(\d+)\.(\d{6})\]\s?(.*)$")
BUG_RE = re.compile(r"BUG: KASAN: (\S+) in (\S+)")
CPU_RE = re.compile(r"^CPU: (\d+) ")
ACCESS_RE = re.compile(r"(Read|Write) of size (\d+) at addr ([0-9a-f]+) by task (.+)/(\d+)")
OBJ_RE = re.compile(r"The buggy address belongs to the object at ([0-9a-f]+)")
WALK_KINDS = ("stale_next", "use_after_free")
SHRINKER_SIZE = 0x100     # sizeof(struct shrinker) < 256 on this config


def parse_console(path):
    """KASAN reports: dicts with local_ns, bug, func, access, addr, task, pid, obj, trace."""
    reports = []
    if not os.path.exists(path):
        return reports, "no console log %s" % path
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").replace("\r", "").split("\n")
    cur = None
    sep_ts = None       # the report's opening "=====" line, printed before its BUG line
    for line in lines:
        m = TS_RE.match(line)
        if not m:
            continue
        ts = int(m.group(1)) * 10**9 + int(m.group(2)) * 1000
        text = m.group(3)
        b = BUG_RE.search(text)
        if b:
            # The access happened before the report's first line: the "=====" line just
            # before, when it is there (printing it to the console takes milliseconds here).
            cur = {"local_ns": sep_ts if sep_ts is not None else ts, "bug_ts": ts,
                   "bug": b.group(1), "func": b.group(2), "trace": [],
                   "access": None, "addr": None, "task": None, "pid": None, "obj": None,
                   "cpu": None}
            reports.append(cur)
            sep_ts = None
            continue
        sep_ts = ts if text.startswith("==========") else None
        if cur is None:
            continue
        if text.startswith("=========="):
            cur = None
            continue
        a = ACCESS_RE.search(text)
        if a and cur["addr"] is None:
            cur.update(access="%s of size %s" % (a.group(1), a.group(2)), addr=int(a.group(3), 16),
                       task=a.group(4), pid=int(a.group(5)))
            continue
        c = CPU_RE.match(text)
        if c and cur["cpu"] is None:
            cur["cpu"] = int(c.group(1))
            continue
        o = OBJ_RE.search(text)
        if o:
            cur["obj"] = int(o.group(1), 16)
            continue
        # call trace frames of the access (up to "Allocated by task")
        if text.startswith("Allocated by task") or text.startswith("Freed by task"):
            cur.setdefault("done_trace", True)
        elif not cur.get("done_trace"):
            f = re.match(r"\s*(?:\? )?([A-Za-z0-9_.]+)\+0x", text)
            if f:
                cur["trace"].append(f.group(1))
    return reports, None


def in_walk(r):
    return r["func"].startswith("shrink_slab+") or "shrink_slab" in r["trace"][:12]


def hexint(s):
    try:
        return int(str(s), 16)
    except ValueError:
        return None


class Image:
    def __init__(self, name, out, n):
        self.name, self.n = name, n
        self.dir = os.path.join(out, name)
        self.case = os.path.join(self.dir, "race")
        self.problems = []           # disagreements / failures, one per line
        self.notes = []
        self.rows = []               # per-iteration results
        self.manifest = kv(os.path.join(out, "manifest-%s.txt" % name))
        self.guest = kv(os.path.join(self.case, "guest.txt"))
        self.iters = []
        p = os.path.join(self.case, "module.txt")
        if os.path.exists(p):
            for line in open(p):
                d = {}
                for tok in line.split():
                    if "=" in tok:
                        k, v = tok.split("=", 1)
                        d[k] = v
                if d.get("mode") == "race":
                    self.iters.append(d)
        log = load_jsonl(os.path.join(self.case, "log.jsonl"))
        self.header = next((e for e in log if e.get("type") == "header"), {})
        self.events = [e for e in log if e.get("type") not in ("header", "violation")]
        self.live = [e for e in log if e.get("type") == "violation"]
        self.verdict = load_jsonl(os.path.join(self.case, "verdict.jsonl"))
        self.reports, err = parse_console(os.path.join(self.dir, "console.log"))
        if err:
            self.problems.append(err)

    def bad(self, msg):
        self.problems.append(msg)

    def run(self):
        if not self.guest:
            self.bad("the guest did not finish the race case (no @@CASE record): see %s"
                     % os.path.join(self.dir, "console.log"))
        elif self.guest.get("replay_rc") not in ("0", "3"):
            self.bad("shrinktrace replay exit status %s" % self.guest.get("replay_rc"))
        case_txt = os.path.join(self.case, "case.txt")
        if os.path.exists(case_txt):
            for line in open(case_txt):
                if line.startswith("FAILED"):
                    self.bad("guest case: %s" % line.strip())
        if len(self.iters) != self.n:
            self.bad("%d iterations reported by the module, %d asked for" % (len(self.iters), self.n))
        if not self.events:
            self.bad("empty or missing log.jsonl")
        bad_lines = [e for e in self.events if e.get("type") == "_unparsable"]
        if bad_lines:
            self.bad("%d unparsable log lines" % len(bad_lines))
        lost = sum(int(e.get("count", 0)) for e in self.events if e.get("type") == "lost")
        if lost:
            self.bad("the tracer lost %d events" % lost)
        key = lambda v: (v.get("kind"), v.get("shrinker"), v.get("walker_pid"))
        if sorted(map(key, self.live), key=str) != sorted(map(key, self.verdict), key=str):
            self.bad("live violations in the log (%d) differ from the replayed verdict (%d)"
                     % (len(self.live), len(self.verdict)))
        self.check_names()
        want_rc = "3" if self.name == "unsafe" else "0"
        if self.guest and self.guest.get("rc") != want_rc:
            self.bad("tracer exit status %s, expected %s" % (self.guest.get("rc"), want_rc))

        # assign KASAN reports and violations to iterations
        begins_l = [int(d.get("begin_local", 0)) for d in self.iters]
        begins_m = [int(d.get("begin_mono", 0)) for d in self.iters]
        per_k = [[] for _ in self.iters]
        per_v = [[] for _ in self.iters]
        for r in self.reports:
            i = window(begins_l, r["local_ns"])
            if i is None:
                self.bad("KASAN report outside any iteration at printk %.6f s: %s in %s"
                         % (r["local_ns"] / 1e9, r["bug"], r["func"]))
            else:
                per_k[i].append(r)
        for v in self.verdict:
            i = window(begins_m, int(v.get("ts", 0)))
            if i is not None and v.get("shrinker") not in (self.iters[i].get("a"), self.iters[i].get("b")):
                i = None
            if i is None:
                self.bad("violation outside the iterations' shrinkers: %s on %s (%s) at %s"
                         % (v.get("kind"), v.get("name"), v.get("shrinker"), v.get("ts")))
            else:
                per_v[i].append(v)
        for i, d in enumerate(self.iters):
            self.iteration(i, d, per_k[i], per_v[i])

    def check_names(self):
        """shrinker->name (SHRINKER_DEBUG) must be what the module gave: lab-a, lab-b."""
        want = {}
        for d in self.iters:
            want[d.get("a")] = "lab-a"
            want[d.get("b")] = "lab-b"
        seen, wrong = 0, {}
        for e in self.events + self.verdict:
            a = e.get("shrinker")
            if a in want and "name" in e:
                seen += 1
                if e["name"] != want[a]:
                    wrong[(a, e["name"])] = want[a]
        if not seen:
            self.bad("no event names the module's shrinkers")
        for (a, got), w in sorted(wrong.items()):
            self.bad("shrinker %s is named %r in the log, the module named it %r" % (a, got, w))
        if not wrong and seen:
            self.notes.append("names: %d events on A/B, all 'lab-a'/'lab-b' (shrinker->name)" % seen)

    def iteration(self, i, d, ks, vs):
        it = d.get("iter", str(i + 1))
        walker = int(d.get("walker_pid", -1))
        a, b = hexint(d.get("a")), hexint(d.get("b"))
        off = int(d["ret_mono"]) - int(d["ret_local"]) if d.get("ret_mono") else None
        err = int(d.get("ret_err", 0)) + 1000
        walk_k = [r for r in ks if r["bug"].endswith("use-after-free") and in_walk(r)]
        other_k = [r for r in ks if r not in walk_k]
        walk_v = [v for v in vs if v.get("kind") in WALK_KINDS]
        other_v = [v for v in vs if v not in walk_v]
        row = {"iter": it, "kasan": len(walk_k), "kasan_other": len(other_k),
               "viol": {}, "agree": True, "margin_us": None}
        for v in vs:
            row["viol"][v.get("kind")] = row["viol"].get(v.get("kind"), 0) + 1
        why = []
        if d.get("a_next_was_b") != "1":
            why.append("B was not A's successor (the case did not set up the race)")
        if d.get("b_freed") != "1":
            why.append("B was not freed before the release")
        if self.name == "unsafe":
            if d.get("a_unlinked") != "1":
                why.append("A was still linked while shrinker_free(A) waited: the patch is not in effect")
            if not walk_k:
                why.append("no KASAN use-after-free in the shrinker walk")
            if not walk_v:
                why.append("no shrinktrace stale_next/use_after_free on this walk")
            for r in walk_k:
                if r["pid"] != walker:
                    why.append("KASAN report by pid %s, the walker was %d" % (r["pid"], walker))
                if b is None or r["addr"] is None or not (b <= r["addr"] < b + SHRINKER_SIZE):
                    why.append("KASAN address %s is not inside B (%s)"
                               % (hex(r["addr"]) if r["addr"] else "?", d.get("b")))
            for v in walk_v:
                if str(v.get("walker_pid")) != str(walker) and v.get("pid") != walker:
                    why.append("%s names walker %s, the walker was %d" % (v.get("kind"), v.get("walker_pid"), walker))
                if v.get("kind") == "stale_next" and hexint(v.get("next")) != b:
                    why.append("stale_next points at %s, B is %s" % (v.get("next"), d.get("b")))
            for r in walk_k:
                if d.get("ret_cpu") is not None and r["cpu"] is not None and str(r["cpu"]) != d["ret_cpu"]:
                    why.append("KASAN report on CPU %s, the walker's clock pair on CPU %s: the walker "
                               "moved, the clocks' offset may not carry over" % (r["cpu"], d["ret_cpu"]))
            if walk_k and walk_v:
                if off is None:
                    why.append("no clock pair from the walker (ret_mono/ret_local)")
                else:
                    k_mono = min(r["local_ns"] for r in walk_k) + off
                    v_ts = min(int(v["ts"]) for v in walk_v)
                    row["margin_us"] = (k_mono - v_ts) / 1000.0
                    if not v_ts + err < k_mono:
                        why.append("shrinktrace's %s at %d is not before KASAN's report at %d (mono, +-%d ns)"
                                   % (walk_v[0].get("kind"), v_ts, k_mono, err))
                    if int(d["ret_mono"]) > v_ts:
                        why.append("the violation (%d) precedes the walker's return from A's scan_objects (%d)"
                                   % (v_ts, int(d["ret_mono"])))
        else:
            if d.get("a_unlinked") != "0":
                why.append("A was unlinked while shrinker_free(A) waited on the stock kernel")
            if walk_k:
                why.append("%d KASAN use-after-free reports in the walk" % len(walk_k))
            if walk_v:
                why.append("shrinktrace violations %s" % ", ".join(sorted(set(v["kind"] for v in walk_v))))
        for r in other_k:
            why.append("other KASAN report: %s in %s (%s, pid %s)" % (r["bug"], r["func"], r.get("access"), r.get("pid")))
        for v in other_v:
            why.append("other violation: %s on %s: %s" % (v.get("kind"), v.get("name"), v.get("detail", "")[:160]))
        if d.get("begin_mono") and d.get("end_mono"):
            # change of the offset mono - local between the iteration's first and last pair,
            # beyond what each pair's own read spread allows (the true offset is within
            # err/2 of a pair's)
            drift = (int(d["end_mono"]) - int(d["end_local"])) - (int(d["begin_mono"]) - int(d["begin_local"]))
            slack = (int(d.get("begin_err", 0)) + int(d.get("end_err", 0))) / 2
            row["drift_ns"] = max(0, abs(drift) - slack)
        if why:
            row["agree"] = False
            for w in why:
                self.bad("iteration %s: %s" % (it, w))
        self.rows.append(row)

    def summary(self):
        kinds = {}
        for v in self.verdict:
            kinds[v.get("kind")] = kinds.get(v.get("kind"), 0) + 1
        return {
            "iters": len(self.iters),
            "kasan_iters": sum(1 for r in self.rows if r["kasan"]),
            "kasan_reports": sum(r["kasan"] for r in self.rows),
            "kasan_all": len(self.reports),
            "kinds": kinds,
            "agree": sum(1 for r in self.rows if r["agree"]),
            "margins": [r["margin_us"] for r in self.rows if r["margin_us"] is not None],
            "drifts": [abs(r["drift_ns"]) for r in self.rows if "drift_ns" in r],
            "errs": [int(d.get("ret_err", 0)) for d in self.iters] or [0],
        }


def window(starts, t):
    """index i with starts[i] <= t < starts[i+1], None before the first"""
    idx = None
    for i, s in enumerate(starts):
        if t >= s:
            idx = i
    return idx


def evaluate(out, n, names):
    imgs = []
    for name in names:
        im = Image(name, out, n)
        try:
            im.run()
        except Exception as e:  # a malformed result fails the run, not the script
            im.bad("verdict error: %r" % e)
        imgs.append(im)
    return imgs


def report(imgs, n):
    print("shrinktrace vs KASAN: the shrinker_free() race on our own 6.12 kernel (%d iterations per image)"
          % n)
    print()
    hdr = ("image", "kernel", "iterations", "KASAN UAF in walk (iters/reports)", "other KASAN",
           "shrinktrace violations", "agree")
    rows = []
    for im in imgs:
        s = im.summary()
        kinds = ", ".join("%s %d" % kv_ for kv_ in sorted(s["kinds"].items())) or "none"
        rows.append((im.name, im.header.get("kernel", "?"), str(s["iters"]),
                     "%d / %d" % (s["kasan_iters"], s["kasan_reports"]),
                     str(s["kasan_all"] - s["kasan_reports"]), kinds,
                     "%d/%d" % (s["agree"], n)))
    w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
    print(line(hdr))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print(line(r))
    print()
    ok = True
    for im in imgs:
        s = im.summary()
        m = s["margins"]
        extra = []
        if m:
            extra.append("stale_next before KASAN by %.1f-%.1f us (median %.1f)"
                         % (min(m), max(m), sorted(m)[len(m) // 2]))
        if s["drifts"]:
            extra.append("clock offset (mono - local) change begin->end of an iteration beyond the pairs' "
                         "read spread <= %.1f us; walker's pair read spread <= %.1f us"
                         % (max(s["drifts"]) / 1000.0, max(s["errs"]) / 1000.0))
        extra += im.notes
        print("%s: %s, patch %s, config %s; boot %s s%s" % (
            im.name, im.manifest.get("source", "?"), im.manifest.get("patch") or "none",
            im.manifest.get("config_sha256_12", "?"), read1(os.path.join(im.dir, "boot_seconds")),
            "; " + "; ".join(extra) if extra else ""))
        if im.problems:
            ok = False
            print("  DISAGREEMENTS / FAILURES (%d):" % len(im.problems))
            for p in im.problems:
                print("   - " + p)
    print()
    print("RESULT: %s" % ("PASS: every iteration agrees" if ok else "FAIL"))
    return ok


# ---- self-test: the verdict must fail when either referee or the tracer is wrong ---------------
def _rw(path, fn):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(fn(text))


def _jsonl_map(path, fn):
    """fn(obj) -> obj or None (drop)"""
    def conv(text):
        out = []
        for line in text.splitlines():
            if not line.strip():
                continue
            o = fn(json.loads(line))
            if o is not None:
                out.append(json.dumps(o))
        return "\n".join(out) + "\n"
    _rw(path, conv)


def _ts_line(ns, text):
    return "[%5d.%06d] %s" % (ns // 10**9, (ns // 1000) % 10**6, text)


def _iters(d):
    return [dict(t.split("=", 1) for t in line.split() if "=" in t)
            for line in open(os.path.join(d, "race", "module.txt")) if "mode=race" in line]


def _mut_blind(t):      # the tracer saw nothing
    for f in ("verdict.jsonl", "log.jsonl"):
        _jsonl_map(os.path.join(t, "unsafe", "race", f), lambda o: None if o.get("type") == "violation" or "kind" in o else o)


def _mut_late(t):       # the tracer's verdict comes after KASAN's
    for f in ("verdict.jsonl", "log.jsonl"):
        _jsonl_map(os.path.join(t, "unsafe", "race", f),
                   lambda o: dict(o, ts=o["ts"] + 20 * 10**6) if o.get("kind") else o)


def _mut_kasan_silent(t):   # KASAN reported nothing
    _rw(os.path.join(t, "unsafe", "console.log"),
        lambda x: "\n".join(l for l in x.split("\n") if "BUG: KASAN" not in l))


def _mut_stock_uaf(t):  # a KASAN report in the walk on the stock kernel
    it = _iters(os.path.join(t, "stock"))[0]
    at = int(it["release_local"]) + 1000
    rep = [_ts_line(at, "=================================================================="),
           _ts_line(at, "BUG: KASAN: slab-use-after-free in shrink_slab+0x18c/0x900"),
           _ts_line(at, "Read of size 4 at addr %x by task sh/%s" % (int(it["b"], 16) + 32, it["walker_pid"])),
           _ts_line(at, "==================================================================")]
    _rw(os.path.join(t, "stock", "console.log"), lambda x: x + "\n".join(rep) + "\n")


def _mut_stock_violation(t):    # a stale_next on the stock kernel
    it = _iters(os.path.join(t, "stock"))[0]
    v = {"type": "violation", "ts": int(it["ret_mono"]) + 1000, "cpu": 0, "pid": int(it["walker_pid"]),
         "comm": "sh", "kind": "stale_next", "shrinker": it["a"], "name": "lab-a", "next": it["b"],
         "walker_pid": int(it["walker_pid"]), "certain": True, "detail": "injected"}
    for f in ("verdict.jsonl", "log.jsonl"):
        _rw(os.path.join(t, "stock", "race", f), lambda x: x + json.dumps(v) + "\n")


def _mut_names(t):      # names not from shrinker->name
    _rw(os.path.join(t, "unsafe", "race", "log.jsonl"), lambda x: x.replace('"lab-a"', '"lab_a_scan"'))


def _mut_unpatched(t):  # the unsafe image did not unlink A before waiting
    _rw(os.path.join(t, "unsafe", "race", "module.txt"), lambda x: x.replace("a_unlinked=1", "a_unlinked=0"))


def _mut_short(t):      # an iteration missing
    _rw(os.path.join(t, "stock", "race", "module.txt"), lambda x: "".join(x.splitlines(True)[:-1]))


MUTATIONS = [
    ("tracer blind on the unsafe kernel", _mut_blind, "unsafe", "no shrinktrace stale_next"),
    ("tracer's violation 20 ms late", _mut_late, "unsafe", "is not before KASAN"),
    ("KASAN silent on the unsafe kernel", _mut_kasan_silent, "unsafe", "no KASAN use-after-free"),
    ("KASAN use-after-free on the stock kernel", _mut_stock_uaf, "stock", "KASAN use-after-free reports"),
    ("stale_next on the stock kernel", _mut_stock_violation, "stock", "shrinktrace violations stale_next"),
    ("names not from shrinker->name", _mut_names, "unsafe", "is named"),
    ("patch not in effect", _mut_unpatched, "unsafe", "patch is not in effect"),
    ("an iteration missing", _mut_short, "stock", "iterations reported"),
]


def selftest(out, n):
    """Damage copies of real results in known ways; each must make the verdict fail with the
    expected reason. Needs both images' results, which must pass as they are."""
    import shutil
    import tempfile
    base = evaluate(out, n, ["stock", "unsafe"])
    if any(im.problems for im in base):
        print("selftest: not run (the real results do not pass)")
        return False
    caught = 0
    for title, fn, img, want in MUTATIONS:
        with tempfile.TemporaryDirectory() as t:
            for name in ("stock", "unsafe"):
                shutil.copytree(os.path.join(out, name), os.path.join(t, name),
                                ignore=shutil.ignore_patterns("serial.txt", "dmesg.txt"))
            fn(t)
            with open(os.devnull, "w") as null:
                saved, sys.stdout = sys.stdout, null
                try:
                    imgs = evaluate(t, n, ["stock", "unsafe"])
                finally:
                    sys.stdout = saved
            probs = [p for im in imgs if im.name == img for p in im.problems]
            if any(want in p for p in probs):
                caught += 1
            else:
                print("selftest: NOT caught: %s (wanted '%s' on %s; got %s)" % (title, want, img, probs[:3] or "PASS"))
    print("selftest: %d/%d damaged copies of these results fail the verdict as they must" % (caught, len(MUTATIONS)))
    return caught == len(MUTATIONS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--out", required=True)
    ap.add_argument("--selftest", action="store_true",
                    help="also check that damaged copies of the results fail (both images needed)")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()
    ok = report(evaluate(args.out, args.n, args.images), args.n)
    if args.selftest and set(args.images) == {"stock", "unsafe"}:
        ok = selftest(args.out, args.n) and ok
    return 0 if ok else 1


def read1(p):
    try:
        return open(p).read().strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
