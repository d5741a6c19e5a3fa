#!/usr/bin/env python3
# tests/live/logcheck.py - the JSON side of tests/live/run.sh (python3 stdlib only).
#
#   logcheck.py probe-bpf                      exit 0 when bpf(BPF_MAP_CREATE) works, else
#                                              print the reason and exit 1
#   logcheck.py wait-rcu LOG PIDS NMOUNTS SECS run inside the traced workload: poll the
#                                              growing LOG until every shrinker_alloc made by
#                                              a pid listed in PIDS has its rcu_free, or SECS
#   logcheck.py churn LOG PIDS NMOUNTS ERR     the churn assertions, one PASS/FAIL line each
#   logcheck.py complete LOG ERR NAME          a log stopped by a signal/duration is whole
#
# The format rules are those of docs/event-log.md (shrinktrace/1).
import ctypes
import json
import os
import re
import sys
import time

PTR = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
PTR_FIELDS = ("shrinker", "memcg", "next", "prev")
TYPES = {
    # type: fields a directly observed event must carry (besides the common ones)
    "shrinker_alloc": ("shrinker", "flags"),
    "shrinker_register": ("shrinker", "name", "flags", "id"),
    "walk_begin": ("nid", "memcg", "priority"),
    "walk_end": ("freed",),
    "shrink_begin": ("shrinker", "name", "nid", "memcg", "priority", "nr_to_scan"),
    "shrink_end": ("shrinker", "freed", "duration_ns"),
    "free_begin": ("shrinker",),
    "free_end": ("shrinker",),
    "rcu_free": ("shrinker",),
    "lost": ("count",),
    "violation": ("kind", "shrinker", "detail"),
}
# Metadata lines (not events): no ts/cpu/pid/comm.
META = {"header": ("format",), "memcg": ("memcg", "memcg_id", "path")}
# What an inferred event (the tracepoint backend) carries at least: shrinker_alloc from
# kmem:kmalloc is the address only (documented in the tracer's banner).
INFERRED_MIN = {"shrinker_alloc": ("shrinker",)}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def read_lines(path):
    """(raw bytes, [(lineno, text)]) of a log."""
    with open(path, "rb") as f:
        raw = f.read()
    return raw, [(i + 1, l) for i, l in enumerate(raw.decode("utf-8").split("\n")) if l.strip()]


def check_event(d):
    """Reason why event object d breaks docs/event-log.md, or None."""
    if not isinstance(d, dict):
        return "not an object"
    t = d.get("type")
    if t in META:
        missing = [k for k in META[t] if k not in d]
        return "%s: no %s" % (t, missing[0]) if missing else None
    if t not in TYPES:
        return "unknown type %r" % (t,)
    for k in ("ts", "cpu", "pid"):
        if not is_int(d.get(k)) or d[k] < 0:
            return "%s: %s is %r, want a non-negative int" % (t, k, d.get(k))
    c = d.get("comm")
    if not isinstance(c, str) or len(c.encode()) > 15:
        return "%s: comm %r" % (t, c)
    if "inferred" in d and d["inferred"] is not True:
        return "%s: inferred is %r, want true or absent" % (t, d["inferred"])
    need = TYPES[t]
    if d.get("inferred") and t in INFERRED_MIN:
        need = INFERRED_MIN[t]
    for k in need:
        if k not in d:
            return "%s: no %s" % (t, k)
    for k in PTR_FIELDS:
        if k in d and not (isinstance(d[k], str) and PTR.match(d[k])):
            return "%s: %s %r is not a 0x lowercase pointer without leading zeros" % (t, k, d[k])
    for k in ("freed",):
        if k in d and not (is_int(d[k]) and d[k] >= 0) and d[k] != "empty":
            return "%s: freed %r" % (t, d[k])
    for k in ("nid", "priority", "flags", "id", "nr_to_scan", "duration_ns", "count", "refcount"):
        if k in d and not is_int(d[k]):
            return "%s: %s %r is not an int" % (t, k, d[k])
    if "name" in d and (not isinstance(d["name"], str) or not d["name"]):
        return "%s: empty name" % t
    return None


def parse_log(path):
    """(header, events, errors) for a whole log; errors are strings."""
    errs = []
    raw, lines = read_lines(path)
    if not raw:
        return None, [], ["empty log"]
    if not raw.endswith(b"\n"):
        errs.append("last line does not end with \\n")
    hdr, evs = None, []
    for n, l in lines:
        try:
            d = json.loads(l)
        except ValueError as e:
            errs.append("line %d does not parse: %s" % (n, e))
            continue
        if n == 1:
            if not isinstance(d, dict) or d.get("type") != "header":
                errs.append("line 1 is not the header")
            else:
                hdr = d
                continue
        elif isinstance(d, dict) and d.get("type") == "header":
            errs.append("line %d: a second header" % n)
            continue
        why = check_event(d)
        if why:
            errs.append("line %d: %s" % (n, why))
            continue
        if isinstance(d, dict) and d.get("type") in META:
            continue        # metadata (memcg), checked above, not an event
        d["_line"] = n
        evs.append(d)
    if hdr is not None:
        if hdr.get("format") != "shrinktrace/1":
            errs.append("header format %r" % hdr.get("format"))
        if hdr.get("clock") != "monotonic":
            errs.append("header clock %r" % hdr.get("clock"))
        for k in ("kernel", "backend"):
            if not isinstance(hdr.get(k), str) or not hdr[k]:
                errs.append("header has no %s" % k)
        if not is_int(hdr.get("start_ts")):
            errs.append("header start_ts %r" % hdr.get("start_ts"))
    return hdr, evs, errs


def summary(errpath):
    """Numbers from the tracer's stderr summary."""
    with open(errpath, errors="replace") as f:
        # the summary's head lines wrap at 80 columns, continued 6 spaces in
        txt = re.sub(r"\n {6}(?=\S)", " ", f.read())
    s = {"text": txt}
    m = re.search(r"summary: ([0-9.]+) s traced, (\d+) events", txt)
    if m:
        s["secs"], s["events"] = float(m.group(1)), int(m.group(2))
    m = re.search(r"lost: (\d+) events dropped by the kernel side.*?; (\d+) arrived after", txt)
    if m:
        s["lost"], s["late"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"^  violations:(.*)$", txt, re.M)
    if m:
        s["violations"] = sum(int(x) for x in re.findall(r"=(\d+)", m.group(1)))
    m = re.search(r"^  walk\s+(\S+)", txt, re.M)
    if m:
        s["walk_mech"] = m.group(1)
    m = re.search(r"command: .* (exited with status|killed by signal) (\d+)", txt)
    if m:
        s["command"] = (m.group(1), int(m.group(2)))
    return s


def read_pids(path):
    try:
        with open(path) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def generations(evs, pids):
    """Each shrinker_alloc by one of pids, with the events of its generation (up to the
    next alloc/register at that address): [(alloc, [events after it])]."""
    evs = sorted(evs, key=lambda d: (d["ts"], d["_line"]))
    out = []
    for i, a in enumerate(evs):
        if a["type"] != "shrinker_alloc" or a["pid"] not in pids:
            continue
        gen = []
        for d in evs[i + 1:]:
            if d.get("shrinker") != a["shrinker"]:
                continue
            if d["type"] == "shrinker_alloc":
                break
            gen.append(d)
        out.append((a, gen))
    return out


# ---- subcommands -------------------------------------------------------------

def probe_bpf():
    syscall_nr = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361,
                  "s390x": 351}.get(os.uname().machine)
    if syscall_nr is None:
        print("unknown bpf() syscall number on %s" % os.uname().machine)
        return 1
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint32 * 32)()
    attr[0], attr[1], attr[2], attr[3] = 2, 4, 8, 1	# BPF_MAP_TYPE_ARRAY, key 4, value 8, 1 entry
    fd = libc.syscall(syscall_nr, 0, ctypes.byref(attr), ctypes.sizeof(attr))	# BPF_MAP_CREATE
    if fd < 0:
        e = ctypes.get_errno()
        print("bpf(BPF_MAP_CREATE) fails: %s" % os.strerror(e))
        return 1
    os.close(fd)
    return 0


def wait_rcu(log, pidfile, nmounts, secs):
    """Runs as the end of the traced workload, so that tracing goes on until the lazy RCU
    callbacks of every churned shrinker have run (the tracer flushes its log every poll)."""
    pids = set(read_pids(pidfile))
    deadline = time.monotonic() + secs
    start = time.monotonic()
    while True:
        evs = []
        try:
            _, lines = read_lines(log)
            for _, l in lines:
                try:
                    d = json.loads(l)
                except ValueError:
                    continue	# a line being written
                if isinstance(d, dict) and "ts" in d:
                    d["_line"] = 0
                    evs.append(d)
        except (OSError, UnicodeDecodeError):
            pass
        gens = generations(evs, pids)
        allocd = {a["pid"] for a, _ in gens}
        missing = [a["shrinker"] for a, g in gens if not any(d["type"] == "rcu_free" for d in g)]
        if len(pids) >= nmounts and allocd >= pids and not missing:
            print("wait-rcu: all %d rcu_free seen after %.1f s" % (len(gens), time.monotonic() - start))
            return 0
        if time.monotonic() >= deadline:
            print("wait-rcu: gave up after %.1f s: %d allocations, %d without rcu_free"
                  % (time.monotonic() - start, len(gens), len(missing)))
            return 0
        time.sleep(0.2)


class Cases:
    def __init__(self):
        self.failed = 0

    def result(self, name, why):
        if why:
            print("FAIL %s: %s" % (name, why))
            self.failed += 1
        else:
            print("PASS %s" % name)


def churn(log, pidfile, nmounts, errpath):
    c = Cases()
    hdr, evs, errs = parse_log(log)
    s = summary(errpath)
    pids = read_pids(pidfile)
    by = {}
    for d in evs:
        by.setdefault(d["type"], []).append(d)

    # 1. the format of every line
    why = None
    if hdr is None:
        why = "no header line first"
    elif errs:
        why = "%d bad lines, first: %s" % (len(errs), errs[0])
    elif any(d["ts"] < hdr["start_ts"] for d in evs):
        why = "an event has ts before the header's start_ts"
    elif s.get("events") != len(evs) - len(by.get("violation", [])):
        why = "summary says %r events, the log has %d" % (s.get("events"), len(evs))
    c.result("churn/format", why)

    # 2. no lost events, no violations
    why = None
    if s.get("lost") != 0 or s.get("late") != 0:
        why = "summary: lost=%r late=%r" % (s.get("lost"), s.get("late"))
    elif by.get("lost"):
        why = "%d lost records in the log" % len(by["lost"])
    elif by.get("violation") or s.get("violations") != 0:
        why = "violations: %s" % (by.get("violation", [{}])[0].get("detail") or s.get("violations"))
    c.result("churn/no-lost-no-violations", why)

    # 3. named shrink calls
    sb = by.get("shrink_begin", [])
    named = [d for d in sb if d.get("name")]
    unsym = sorted({d["name"] for d in named if d["name"].startswith("scan@")})
    why = None
    if len(named) < 3:
        why = "%d named shrink_begin (of %d), want >= 3" % (len(named), len(sb))
    elif len(named) != len(sb):
        why = "%d shrink_begin without a name" % (len(sb) - len(named))
    elif unsym:
        why = "not symbolised: %s" % ", ".join(unsym[:5])
    elif not any(d["name"].startswith("sb-") for d in named):
        why = "no superblock shrinker (sb-*) among %s" % sorted({d["name"] for d in named})[:8]
    c.result("churn/named-shrinks", why)

    # 4. shrink_end pairs with an open shrink_begin of the same task and shrinker
    why = None
    open_calls = {}
    for d in sorted(sb + by.get("shrink_end", []), key=lambda d: (d["ts"], d["_line"])):
        k = (d["pid"], d["shrinker"])
        if d["type"] == "shrink_begin":
            if open_calls.get(k):
                why = "line %d: shrink_begin while pid %d is still in %s" % (d["_line"], *k)
                break
            open_calls[k] = d
        else:
            b = open_calls.pop(k, None)
            if b is None:
                why = "line %d: shrink_end of %s by pid %d without a shrink_begin" % (
                    d["_line"], d["shrinker"], d["pid"])
                break
            # duration_ns starts a little before the begin event is stamped (the
            # probe's own work), so it may exceed end - begin slightly; much more
            # means it was measured from some other call
            if d["duration_ns"] > d["ts"] - b["ts"] + 1000000:
                why = "line %d: duration_ns %d > end - begin %d + 1 ms" % (
                    d["_line"], d["duration_ns"], d["ts"] - b["ts"])
                break
    if not why and not by.get("shrink_end"):
        why = "no shrink_end at all"
    c.result("churn/shrink-pairs", why)

    # 5. walk events exactly when the banner names a walk mechanism
    nwalk = len(by.get("walk_begin", [])) + len(by.get("walk_end", []))
    mech = s.get("walk_mech")
    why = None
    if mech is None:
        why = "no 'walk' line in the banner"
    elif mech == "none" and nwalk:
        why = "banner says walk none, log has %d walk events" % nwalk
    elif mech != "none" and (not by.get("walk_begin") or not by.get("walk_end")):
        why = "banner says walk %s, but drop_caches gave no walk_begin/walk_end" % mech
    c.result("churn/walk-events (walk hook: %s)" % mech, why)

    # 6. every churned tmpfs superblock shrinker was allocated ...
    gens = generations(evs, set(pids))
    per_pid = {}
    for a, _ in gens:
        per_pid[a["pid"]] = per_pid.get(a["pid"], 0) + 1
    why = None
    if len(pids) != nmounts:
        why = "the workload recorded %d mount pids, want %d" % (len(pids), nmounts)
    elif [p for p in pids if p not in per_pid]:
        why = "no shrinker_alloc from mount pid(s) %s" % [p for p in pids if p not in per_pid][:5]
    elif len(gens) < nmounts:
        why = "%d shrinker_alloc from the mounts, want >= %d" % (len(gens), nmounts)
    elif any(a["comm"] != "mount" for a, _ in gens):
        why = "alloc comm %r" % [a["comm"] for a, _ in gens if a["comm"] != "mount"][0]
    c.result("churn/alloc (%d from %d mounts)" % (len(gens), len(pids)), why)

    # 7. ... freed (free_begin/free_end) and RCU-freed as sb-tmpfs.  An rcu_free
    # may be missing only when the summary says the kernel skipped that many
    # runs of our programs (a kmem:kfree in softirq nested in one: docs/backends.md),
    # any other missing rcu_free fails.
    why = None
    nrcu = 0
    missing = []
    try:
        m = re.search(r"^  skipped: the kernel skipped (\d+) runs", open(errpath).read(), re.M)
    except OSError:
        m = None
    skipped = int(m.group(1)) if m else 0
    for a, g in gens:
        rf = [d for d in g if d["type"] == "rcu_free"]
        if not rf:
            missing.append("%s (alloc line %d): no rcu_free" % (a["shrinker"], a["_line"]))
            if len(missing) > skipped:
                why = missing[0] + (" (the summary counts %d skipped runs)" % skipped)
                break
            continue
        nrcu += 1
        if rf[0].get("name") != "sb-tmpfs":
            why = "%s: rcu_free name %r, want sb-tmpfs" % (a["shrinker"], rf[0].get("name"))
            break
        fe = [d for d in g if d["type"] == "free_end" and d["ts"] <= rf[0]["ts"]]
        fb = [d for d in g if d["type"] == "free_begin" and d["ts"] <= rf[0]["ts"]]
        if len(fb) != 1 or len(fe) != 1:
            why = "%s: %d free_begin, %d free_end before its rcu_free, want 1 each" % (
                a["shrinker"], len(fb), len(fe))
            break
        if [d for d in g if d["ts"] > rf[0]["ts"]]:
            why = "%s: events after its rcu_free" % a["shrinker"]
            break
    if not gens and not why:
        why = "no allocations to check"
    c.result("churn/rcu-free (%d of %d%s)" % (nrcu, len(gens), ", %d missing with %d skipped "
             "kfree runs counted" % (len(missing), skipped) if missing else ""), why)
    return 1 if c.failed else 0


def complete(log, errpath, name):
    """A log ended by a signal or -d: whole and consistent with the summary."""
    hdr, evs, errs = parse_log(log)
    s = summary(errpath)
    why = None
    if hdr is None:
        why = "no header line first"
    elif errs:
        why = "%d bad lines, first: %s" % (len(errs), errs[0])
    elif "events" not in s:
        why = "no summary on stderr"
    elif s["events"] != len([d for d in evs if d["type"] != "violation"]):
        why = "summary says %d events, the log has %d" % (s["events"], len(evs))
    print(("FAIL %s: %s" % (name, why)) if why else ("PASS %s" % name))
    return 1 if why else 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "probe-bpf":
        return probe_bpf()
    if cmd == "wait-rcu" and len(argv) == 6:
        return wait_rcu(argv[2], argv[3], int(argv[4]), float(argv[5]))
    if cmd == "churn" and len(argv) == 6:
        return churn(argv[2], argv[3], int(argv[4]), argv[5])
    if cmd == "complete" and len(argv) == 5:
        return complete(argv[2], argv[3], argv[4])
    sys.stderr.write(__doc__ if __doc__ else "usage: see the header of logcheck.py\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
