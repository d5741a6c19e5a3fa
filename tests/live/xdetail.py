#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""tests/live/xdetail.py - each call's detail in the log vs an independent perf recording.

usage: xdetail.py TRACER [--keep DIR] [--drops N] [--mounts N] [--tracer-arg ARG ...]
       xdetail.py --match LOG PERF_SCRIPT_OUTPUT     (match saved files only)

One run on this kernel (root), nested so that perf sees everything the tracer can:

    perf record -k CLOCK_MONOTONIC -a -e vmscan:mm_shrink_slab_start
                                      -e vmscan:mm_shrink_slab_end
        -- TRACER -q -o LOG -- WORKLOAD

WORKLOAD: `tools/workload/tmpfs-churn N` (N tmpfs mount/umount cycles, drop_caches), then
N more drop_caches writes, bracketed by its own CLOCK_MONOTONIC readings t0 and t1 with
0.3 s of quiet on either side.

Every shrink_end of the log that began in [t0, t1] is paired with the perf
mm_shrink_slab_start/_end pair of the same task and shrinker (`shr`) that began in
[t0, t1], in order, and compared field by field:

    count           == cache_items               delta == delta
    total_scan      == total_scan (start)        nr_deferred == nr_objects_to_shrink
    unused_scan     == unused_scan_cnt           new_nr_deferred == new_scan_cnt
    scanned         == total_scan(start) - total_scan(end)
    freed           == shrinker_retval

PASS needs 0 mismatches, the same number of calls on both sides (per task and shrinker),
no events lost by either, and at least --min-calls calls. The check must be able to fail:
after matching, copies of the log's calls are damaged one way at a time (each field off by
one, a call missing) and each copy must fail; `--self-test` prints those verdicts.

Prints "PASS xdetail ..." or "FAIL xdetail: why", and the last line "N passed, M failed,
K skipped" like the other live suites. Exit 0 on PASS or SKIP. Skips when not root or when
the tracer cannot attach here; no perf is a failure naming the way out
(tools/install-deps.sh installs linux-perf).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EVENTS = ("vmscan:mm_shrink_slab_start", "vmscan:mm_shrink_slab_end")
# (log field, what perf's pair says)
FIELDS = (
    ("count", lambda s, e: s["cache_items"]),
    ("delta", lambda s, e: s["delta"]),
    ("total_scan", lambda s, e: s["total_scan"]),
    ("nr_deferred", lambda s, e: s["nr_objects_to_shrink"]),
    ("unused_scan", lambda s, e: e["unused_scan"]),
    ("new_nr_deferred", lambda s, e: e["new_scan"]),
    ("scanned", lambda s, e: s["total_scan"] - e["total_scan"]),
    ("freed", lambda s, e: e["retval"]),
)
SHRINK_EMPTY = (1 << 64) - 2

# "  comm  123 [001]  5089.651041380: vmscan:mm_shrink_slab_start: super_cache_scan+0x0
#   0xffff8881003d6600: nid: 0 objects to shrink 0 gfp_flags GFP_KERNEL cache items 453 delta
#   226 total_scan 226 priority 0"
HEAD = re.compile(r"^\s*(?P<comm>.*?)\s+(?P<tid>\d+)\s+\[\d+\]\s+(?P<s>\d+)\.(?P<ns>\d+):\s+"
                  r"vmscan:(?P<ev>mm_shrink_slab_start|mm_shrink_slab_end):\s+.*?\s+"
                  r"(?:0x)?(?P<shr>[0-9a-f]+):\s+nid:\s+-?\d+\s+(?P<rest>.*)$")
START = re.compile(r"objects to shrink (-?\d+) gfp_flags \S+ cache items (-?\d+) delta (-?\d+) "
                   r"total_scan (-?\d+) priority (-?\d+)$")
END = re.compile(r"unused scan count (-?\d+) new scan count (-?\d+) total_scan (-?\d+) "
                 r"last shrinker return val (-?\d+)$")


def result(passed, failed, skipped, msg):
    print(msg)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


def skip(why):
    result(0, 0, 1, "SKIP xdetail: " + why)


def fail(why):
    result(0, 1, 0, "FAIL xdetail: " + why)


def perf_pairs(text):
    """[(tid, shr, start dict, end dict)] from `perf script --ns` output, each start paired
    with the next end of the same task and shrinker; unpaired starts/ends are counted."""
    open_start, pairs, unpaired, unparsed = {}, [], 0, 0
    for line in text.splitlines():
        m = HEAD.match(line)
        if not m:
            if "vmscan:mm_shrink_slab" in line:
                unparsed += 1
            continue
        ts = int(m.group("s")) * 10**9 + int(m.group("ns").ljust(9, "0")[:9])
        key = (int(m.group("tid")), int(m.group("shr"), 16))
        if m.group("ev") == "mm_shrink_slab_start":
            f = START.match(m.group("rest"))
            if not f:
                unparsed += 1
                continue
            if key in open_start:
                unpaired += 1
            open_start[key] = {"ts": ts, "nr_objects_to_shrink": int(f.group(1)),
                               "cache_items": int(f.group(2)), "delta": int(f.group(3)),
                               "total_scan": int(f.group(4))}
        else:
            f = END.match(m.group("rest"))
            if not f:
                unparsed += 1
                continue
            st = open_start.pop(key, None)
            if st is None:
                unpaired += 1
                continue
            pairs.append((key[0], key[1], st, {"ts": ts, "unused_scan": int(f.group(1)),
                                               "new_scan": int(f.group(2)),
                                               "total_scan": int(f.group(3)),
                                               "retval": int(f.group(4))}))
    return pairs, unpaired + len(open_start), unparsed


def log_calls(path):
    """[(pid, shrinker, begin ts, shrink_end dict)] of the log, and the lost count."""
    begins, calls, lost = {}, [], 0
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            e = json.loads(line)
            t = e.get("type")
            if t == "lost":
                lost += int(e.get("count", 1))
            elif t == "shrink_begin":
                begins[(e["pid"], e["shrinker"])] = e["ts"]
            elif t == "shrink_end":
                b = begins.pop((e["pid"], e["shrinker"]), e["ts"] - int(e.get("duration_ns", 0)))
                calls.append((e["pid"], int(e["shrinker"], 16), b, e))
    return calls, lost


def freed_of(e):
    v = e.get("freed")
    return SHRINK_EMPTY if v == "empty" else v


def match(calls, pairs, t0, t1):
    """Pair the calls that began in [t0, t1] in order per (task, shrinker) and compare.
    Returns (matched, mismatches [text], count problems [text], n log calls, n perf calls)."""
    lc, pc = {}, {}
    for pid, shr, b, e in calls:
        if t0 <= b <= t1:
            lc.setdefault((pid, shr), []).append((b, e))
    for tid, shr, s, e in pairs:
        if t0 <= s["ts"] <= t1:
            pc.setdefault((tid, shr), []).append((s, e))
    matched, bad, counts = 0, [], []
    for key in sorted(set(lc) | set(pc)):
        a = sorted(lc.get(key, []), key=lambda x: x[0])
        p = sorted(pc.get(key, []), key=lambda x: x[0]["ts"])
        if len(a) != len(p):
            counts.append("task %d shrinker 0x%x: %d calls in the log, %d in perf"
                          % (key[0], key[1], len(a), len(p)))
        for (b, e), (s, en) in zip(a, p):
            diff = []
            for f, want in FIELDS:
                got = freed_of(e) if f == "freed" else e.get(f)
                w = want(s, en)
                if f == "freed" and w < 0:
                    w &= (1 << 64) - 1
                if got != w:
                    diff.append("%s %s, perf %s" % (f, json.dumps(got), w))
            if diff:
                bad.append("task %d shrinker 0x%x call at %d: %s" % (key[0], key[1], b, "; ".join(diff)))
            else:
                matched += 1
    return matched, bad, counts, sum(len(v) for v in lc.values()), sum(len(v) for v in pc.values())


def damaged(calls):
    """(what, calls) copies of the log's calls, each damaged one way."""
    full = [i for i, c in enumerate(calls) if "nr_deferred" in c[3]]
    if not full:
        return []
    i = full[len(full) // 2]
    out = []
    for f, _ in FIELDS:
        cp = list(calls)
        e = dict(cp[i][3])
        e[f] = (freed_of(e) if f == "freed" else e[f]) + 1
        cp[i] = cp[i][:3] + (e,)
        out.append(("%s + 1" % f, cp))
    out.append(("a call missing", calls[:i] + calls[i + 1:]))
    return out


def verdict(calls, pairs, t0, t1, min_calls, lost, perf_lost, unpaired, unparsed):
    """'' when this would pass, else why not."""
    matched, bad, counts, nl, np = match(calls, pairs, t0, t1)
    if lost:
        return "the tracer lost %d events" % lost
    if perf_lost:
        return "perf lost %d events (%s)" % (perf_lost, "a larger -m")
    if unparsed:
        return "%d perf lines not understood (perf script's format changed?)" % unparsed
    if bad:
        return "%d of %d calls differ, first: %s" % (len(bad), nl, bad[0])
    if counts or nl != np:
        return "%d calls in the log, %d in perf: %s" % (nl, np, "; ".join(counts[:3]))
    if nl < min_calls:
        return "only %d calls in the window, want >= %d" % (nl, min_calls)
    return ""


def self_test(calls, pairs, t0, t1, quiet=False):
    """Each damaged copy of the log's calls must fail. Returns the damages that passed."""
    passed = []
    for what, cp in damaged(calls):
        why = verdict(cp, pairs, t0, t1, 1, 0, 0, 0, 0)
        if not quiet:
            print("  self-test: %-22s -> %s" % (what, why or "PASSED (not caught)"))
        if not why:
            passed.append(what)
    return passed


def run(a):
    if os.geteuid() != 0:
        skip("not root")
    if not os.access(a.tracer, os.X_OK):
        fail("no executable %s (make builds it)" % a.tracer)
    perf = shutil.which("perf")
    if not perf:
        fail("no perf: install linux-perf (tools/install-deps.sh)")
    churn = os.path.join(ROOT, "tools", "workload", "tmpfs-churn")
    work = a.keep or tempfile.mkdtemp(prefix="shrinktrace-xdetail.")
    os.makedirs(work, exist_ok=True)
    log, data, win = (os.path.join(work, n) for n in ("log.jsonl", "perf.data", "window"))
    wl = ("import subprocess, time\n"
          "t0 = time.monotonic_ns(); time.sleep(0.3)\n"
          "subprocess.run([%r, %r], check=True, stderr=subprocess.DEVNULL)\n"
          "for _ in range(%d):\n"
          "    with open('/proc/sys/vm/drop_caches', 'w') as f: f.write('2')\n"
          "time.sleep(0.3); t1 = time.monotonic_ns()\n"
          "open(%r, 'w').write('%%d %%d' %% (t0, t1))\n" % (churn, str(a.mounts), a.drops, win))
    cmd = [perf, "record", "-q", "-k", "CLOCK_MONOTONIC", "-a", "-m", "4096", "-o", data]
    for ev in EVENTS:
        cmd += ["-e", ev]
    cmd += ["--", a.tracer, "-q", "--no-banner", "--ringbuf-size", "64M", "-o", log] + a.tracer_arg
    cmd += ["--", sys.executable, "-c", wl]
    r = subprocess.run(cmd, capture_output=True, text=True)
    err = (r.stderr or "").strip()
    if r.returncode != 0:
        if "could be attached" in err or ("Operation not permitted" in err and "shrinktrace" in err):
            skip("the tracer cannot attach on this kernel: %s" % err.splitlines()[-1][:200])
        fail("perf record / tracer exited %d: %s" % (r.returncode, err[-300:]))
    if not os.path.exists(win):
        fail("the workload did not finish (no %s): %s" % (win, err[-300:]))
    t0, t1 = (int(x) for x in open(win).read().split())
    s = subprocess.run([perf, "script", "-i", data, "--ns", "-F", "comm,tid,cpu,time,event,trace"],
                       capture_output=True, text=True)
    if s.returncode != 0:
        fail("perf script exited %d: %s" % (s.returncode, s.stderr.strip()[-300:]))
    with open(os.path.join(work, "perf.txt"), "w") as f:
        f.write(s.stdout)
    st = subprocess.run([perf, "report", "-i", data, "--stats"], capture_output=True, text=True).stdout
    perf_lost = sum(int(x) for x in re.findall(r"LOST(?:_SAMPLES)? events:\s+(\d+)", st))
    res = judge(log, s.stdout, t0, t1, a, perf_lost)
    if not a.keep and res == 0:
        shutil.rmtree(work, ignore_errors=True)
    elif not a.keep:
        print("kept for inspection: %s" % work)
    return res


def judge(log, perf_text, t0, t1, a, perf_lost=0):
    calls, lost = log_calls(log)
    pairs, unpaired, unparsed = perf_pairs(perf_text)
    matched, bad, counts, nl, np = match(calls, pairs, t0, t1)
    inwin = [c for c in calls if t0 <= c[2] <= t1]
    nz = {f: sum(1 for c in inwin if c[3].get(f) not in (None, 0)) for f, _ in FIELDS}
    print("xdetail: window %.3f s; log %d calls, perf %d start/end pairs in it (%d unpaired "
          "overall); %d matched field by field, %d differ" % ((t1 - t0) / 1e9, nl, np, unpaired,
                                                             matched, len(bad)))
    print("  calls with a nonzero field: " + ", ".join("%s %d" % kv for kv in nz.items()))
    for b in bad[:5]:
        print("  differs: " + b)
    for c in counts[:5]:
        print("  count: " + c)
    why = verdict(calls, pairs, t0, t1, a.min_calls, lost, perf_lost, 0, unparsed)
    passed = self_test(calls, pairs, t0, t1, quiet=not a.self_test)
    n = len(damaged(calls))
    if why:
        return ret_fail(why)
    if not n:
        return ret_fail("no call with the deferred fields to damage: the self-test cannot run")
    if passed:
        return ret_fail("self-test: damaged copies still pass: %s" % ", ".join(passed))
    print("PASS xdetail: %d calls, every field equal to perf's (count, delta, total_scan, "
          "nr_deferred, unused_scan, new_nr_deferred, scanned, freed); self-test %d/%d damaged "
          "copies fail" % (matched, n, n))
    print("1 passed, 0 failed, 0 skipped")
    return 0


def ret_fail(why):
    print("FAIL xdetail: " + why)
    print("0 passed, 1 failed, 0 skipped")
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tracer", nargs="?")
    ap.add_argument("--keep", default=None, help="keep the log and the perf recording here")
    ap.add_argument("--mounts", type=int, default=20, help="tmpfs mount/umount cycles")
    ap.add_argument("--drops", type=int, default=3, help="drop_caches writes after the churn")
    ap.add_argument("--min-calls", type=int, default=20)
    ap.add_argument("--tracer-arg", action="append", default=[])
    ap.add_argument("--self-test", action="store_true", help="print each damaged copy's verdict")
    ap.add_argument("--match", nargs=2, metavar=("LOG", "PERF_TXT"),
                    help="only match a saved log with saved `perf script --ns` output "
                         "(whole time range)")
    a = ap.parse_args()
    if a.match:
        return judge(a.match[0], open(a.match[1]).read(), 0, 1 << 63, a)
    if not a.tracer:
        ap.error("TRACER is needed")
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
