#!/usr/bin/env python3
# tests/tools/check_perfetto.py - check a `--format perfetto` trace (python3 stdlib only).
#
#   check_perfetto.py TRACE [--source LOG] [--violations VIOLATIONS.jsonl]
#                           [--nviolations N] [--count TYPE=N ...] [--truncated]
#
# The trace must be Chrome trace-event JSON in the array format, as Perfetto
# reads it: a JSON array of event objects, where a missing closing "]" is
# accepted (what a killed tracer leaves; --truncated also accepts a cut-off
# last line and open slices).  Checks:
#  - every object has ph, pid, tid (but process metadata), a numeric ts (but
#    metadata); the process is named "shrinktrace"; every track (pid, tid)
#    that has slices or thread instants is named by a thread_name;
#  - per track, in file order: B/E/X timestamps never decrease, every E ends
#    the innermost open B with the same name and category, strictly after it,
#    and (unless --truncated) every B has its E at the end;
#  - per track, in the order Perfetto's importer sorts the events into (by ts;
#    with "X" slices in the trace: ends first, then complete slices longest
#    first, then the rest, each in file order): the same nesting, X included;
#  - instants have a scope s of t, p or g; violations (cat "violation") are
#    global ("s":"g") instants named "VIOLATION <kind> ..." with kind, detail,
#    certain, walker_pid args, and nothing else is named VIOLATION;
#  - with --source (the shrinktrace/1 log it came from) or --count TYPE=N:
#    do_shrink_slab slices closed by a shrink_end (E without "unfinished", X)
#    plus end-only instants = shrink_end events; B of cat shrink = shrink_begin
#    events; the same for walks; lost instants = lost records; lifecycle
#    instants = alloc + register + free_begin + free_end + rcu_free events;
#  - with --violations (replay --format jsonl of the source) or --nviolations:
#    the number of violation instants, and with --violations their kinds.
# Prints "ok: ..." and exits 0, or one line "perfetto check failed: ..." and exits 1.
import argparse
import collections
import json
import sys

KINDS = ("use_after_free", "walk_onto_queued", "free_while_running", "stale_next",
         "double_free", "stuck_free")
LIFECYCLE = ("shrinker_alloc", "shrinker_register", "free_begin", "free_end", "rcu_free")


class Fail(Exception):
    pass


def load(path, truncated):
    """(events, how): how is "complete", "no closing bracket" or "cut off"."""
    with open(path, "rb") as f:
        txt = f.read().decode("utf-8")
    try:
        return json.loads(txt), "complete"
    except ValueError as e:
        first = e
    body = txt.rstrip()
    if not body.startswith("["):
        raise Fail("not a JSON array: %s" % first)
    # Perfetto (like chrome://tracing) reads an array without its closing "]"
    try:
        return json.loads(body.rstrip(",") + "]"), "no closing bracket"
    except ValueError:
        pass
    if truncated:
        # a killed writer may have left half an object on the last line
        cut = body.rsplit("\n", 1)[0].rstrip().rstrip(",")
        try:
            return json.loads(cut + "]"), "cut off"
        except ValueError:
            pass
    raise Fail("does not parse as JSON (even with a closing ']'): %s" % first)


def source_counts(path):
    c = collections.Counter()
    with open(path, "rb") as f:
        for raw in f:
            if raw.strip():
                d = json.loads(raw.decode("utf-8"))
                if isinstance(d, dict):
                    c[d.get("type")] += 1
    return c


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def ns(us):
    """A trace timestamp in ns, as Perfetto reads a number of microseconds."""
    return int(us) * 1000 if float(us).is_integer() else int(round(us * 1000.0))


def perfetto_order(track, has_x):
    """The slices of one track in the order Perfetto's sorter hands them to its
    slice tracker: by timestamp, then (once a trace has "X" slices) ends first,
    then complete slices longest first, then the rest, each in file order;
    check that they nest there too.  track: [(index, event)]."""
    big = 1 << 62

    def key(item):
        i, e = item
        k = big
        if has_x and e["ph"] == "E":
            k = -big
        elif has_x and e["ph"] == "X":
            k = big - ns(e["dur"])
        return (ns(e["ts"]), k, i)

    stack = []		# (name, cat, end_ns or None for a B)
    for i, e in sorted(track, key=key):
        t = ns(e["ts"])
        while stack and stack[-1][2] is not None and stack[-1][2] <= t:
            stack.pop()
        where = "event %d (%s %r at %s), in Perfetto's order" % (i, e["ph"], e["name"], e["ts"])
        if e["ph"] == "B":
            stack.append((e["name"], e.get("cat"), None))
        elif e["ph"] == "E":
            if not stack or stack[-1][2] is not None:
                raise Fail("%s: %s" % (where, "no open B" if not stack else
                                       "a complete slice %r is still open" % stack[-1][0]))
            if stack[-1][:2] != (e["name"], e.get("cat")):
                raise Fail("%s: ends %r" % (where, stack[-1][0]))
            stack.pop()
            if stack and stack[-1][2] is not None and stack[-1][2] < t:
                raise Fail("%s: the slice began inside the complete slice %r, which "
                           "ends first" % (where, stack[-1][0]))
        elif e["ph"] == "X":
            end = t + ns(e["dur"])
            if stack and stack[-1][2] is not None and stack[-1][2] < end:
                raise Fail("%s: overlaps the complete slice %r" % (where, stack[-1][0]))
            stack.append((e["name"], e.get("cat"), end))
    return [s for s in stack if s[2] is None]


def check(args):
    evs, how = load(args.trace, args.truncated)
    if not isinstance(evs, list):
        raise Fail("top level is %s, want an array" % type(evs).__name__)
    if how != "complete" and not args.truncated and not args.allow_no_bracket:
        raise Fail("no closing ']' (pass --truncated for a killed tracer)")
    procs, threads = {}, {}
    stacks = collections.defaultdict(list)	# (pid, tid) -> [(name, cat, ts)]
    tracks = collections.defaultdict(list)	# (pid, tid) -> [(index, B/E/X event)]
    last = {}					# (pid, tid) -> newest B/E/X ts
    used = set()				# tracks with slices / thread instants
    n = collections.Counter()
    vkinds = collections.Counter()
    for i, e in enumerate(evs):
        where = "event %d" % i
        if not isinstance(e, dict) or not isinstance(e.get("ph"), str):
            raise Fail("%s: not an object with a ph: %r" % (where, e))
        ph = e["ph"]
        if not isinstance(e.get("pid"), int):
            raise Fail("%s: pid %r" % (where, e.get("pid")))
        if ph == "M":
            a = e.get("args") or {}
            if e.get("name") == "process_name":
                procs[e["pid"]] = a.get("name")
            elif e.get("name") == "thread_name":
                if not isinstance(e.get("tid"), int) or not isinstance(a.get("name"), str):
                    raise Fail("%s: thread_name without tid or name" % where)
                threads[(e["pid"], e["tid"])] = a["name"]
            continue
        if not isinstance(e.get("tid"), int):
            raise Fail("%s: tid %r" % (where, e.get("tid")))
        if not num(e.get("ts")):
            raise Fail("%s: ts %r is not a number" % (where, e.get("ts")))
        if not isinstance(e.get("name"), str) or not e["name"]:
            raise Fail("%s: no name" % where)
        key = (e["pid"], e["tid"])
        ts, name, cat = e["ts"], e["name"], e.get("cat")
        eargs = e.get("args") or {}
        where = "event %d (%s %s %r at %s)" % (i, ph, cat, name, ts)
        if "VIOLATION" in name and cat != "violation":
            raise Fail("%s: named like a violation but cat %r" % (where, cat))
        if ph in ("B", "E", "X"):
            used.add(key)
            tracks[key].append((i, e))
            if ts < last.get(key, float("-inf")):
                raise Fail("%s: ts goes back on track %r (last %s)" % (where, key, last[key]))
            last[key] = ts
            st = stacks[key]
            if ph == "B":
                st.append((name, cat, ts))
                n["B", cat] += 1
            elif ph == "E":
                if not st:
                    raise Fail("%s: E with no open B on track %r" % (where, key))
                bname, bcat, bts = st.pop()
                if (bname, bcat) != (name, cat):
                    raise Fail("%s: E does not match the open B %r (%s)" % (where, bname, bcat))
                if ts <= bts:
                    raise Fail("%s: E not after its B (at %s)" % (where, bts))
                if "unfinished" in eargs:
                    n["E-unfinished", cat] += 1
                else:
                    n["E", cat] += 1
            else:
                if not num(e.get("dur")) or e["dur"] < 0:
                    raise Fail("%s: X with dur %r" % (where, e.get("dur")))
                # a complete slice: opens and closes here, inside what is open
                last[key] = ts + e["dur"]
                n["X", cat] += 1
        elif ph in ("i", "I"):
            s = e.get("s", "t")
            if s not in ("t", "p", "g"):
                raise Fail("%s: instant scope %r" % (where, s))
            if s == "t":
                used.add(key)
            if cat == "violation":
                if s != "g":
                    raise Fail("%s: a violation that is not a global instant" % where)
                k = eargs.get("kind")
                if k not in KINDS or not name.startswith("VIOLATION %s " % k):
                    raise Fail("%s: violation kind %r / name" % (where, k))
                if not isinstance(eargs.get("detail"), str) or not eargs["detail"]:
                    raise Fail("%s: violation without detail" % where)
                if not isinstance(eargs.get("certain"), bool) or \
                   not isinstance(eargs.get("walker_pid"), int):
                    raise Fail("%s: violation without certain/walker_pid" % where)
                vkinds[k] += 1
            elif name.endswith("(begin not seen)"):
                n["i-end", cat] += 1
            else:
                n["i", cat] += 1
        else:
            raise Fail("%s: unexpected phase %r" % (where, ph))
    has_x = any(e["ph"] == "X" for tr in tracks.values() for _, e in tr)
    for key, tr in tracks.items():
        left = perfetto_order(tr, has_x)
        if left and not args.truncated:
            raise Fail("track %r: B %r has no E in Perfetto's order" % (key, left[-1][0]))
    if procs.get(1) != "shrinktrace":
        raise Fail("process 1 is named %r, want shrinktrace" % procs.get(1))
    for key in sorted(used):
        if key not in threads:
            raise Fail("track %r has no thread_name" % (key,))
    if not args.truncated:
        for key, st in stacks.items():
            if st:
                raise Fail("track %r: B %r (%s) at %s has no E" % ((key,) + st[-1]))
    want = collections.Counter()
    if args.source:
        want.update(source_counts(args.source))
    for spec in args.count:
        t, _, c = spec.partition("=")
        want[t] = int(c)
    if args.source or args.count:
        got = {
            "shrink_end": n["E", "shrink"] + n["X", "shrink"] + n["i-end", "shrink"],
            "shrink_begin": n["B", "shrink"],
            "walk_end": n["E", "walk"] + n["i-end", "walk"],
            "walk_begin": n["B", "walk"],
            "lost": n["i", "lost"],
            "lifecycle": n["i", "lifecycle"],
        }
        want["lifecycle"] = sum(want[t] for t in LIFECYCLE) if args.source or \
            all(t in want for t in LIFECYCLE) else None
        for t, g in got.items():
            if (args.source or t in want) and want[t] is not None and g != want[t]:
                raise Fail("%d %s in the trace, want %d (slices: %s)" %
                           (g, t, want[t], dict(n)))
    nv = sum(vkinds.values())
    if args.violations is not None:
        wk = collections.Counter()
        with open(args.violations, "rb") as f:
            for raw in f:
                if raw.strip():
                    wk[json.loads(raw.decode("utf-8"))["kind"]] += 1
        if wk != vkinds:
            raise Fail("violations %s, want %s" % (dict(vkinds), dict(wk)))
    if args.nviolations is not None and nv != args.nviolations:
        raise Fail("%d violations, want %d" % (nv, args.nviolations))
    return "%d trace events (%s), %d tracks, %d shrink slices, %d walks, %d violations" % (
        len(evs), how, len(used), n["E", "shrink"] + n["X", "shrink"],
        n["E", "walk"], nv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--source", help="the shrinktrace/1 log it was converted from")
    ap.add_argument("--violations", help="replay --format jsonl output of the source")
    ap.add_argument("--nviolations", type=int)
    ap.add_argument("--count", action="append", default=[], metavar="TYPE=N",
                    help="expected number of events of TYPE (shrink_end, walk_begin, ...)")
    ap.add_argument("--truncated", action="store_true",
                    help="a killed tracer's file: no ']', maybe a cut last line, open slices")
    ap.add_argument("--allow-no-bracket", action="store_true",
                    help="accept a missing closing ']' (but nothing else)")
    args = ap.parse_args()
    try:
        print("ok: " + check(args))
    except Fail as e:
        print("perfetto check failed: %s" % e)
        return 1
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("perfetto check failed: %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
