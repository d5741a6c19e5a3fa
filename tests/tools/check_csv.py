#!/usr/bin/env python3
# tests/tools/check_csv.py - check a `--format csv` file (python3 stdlib only).
#
#   check_csv.py CSV [--source LOG] [--violations VIOLATIONS.jsonl]
#                    [--events N] [--nviolations N] [--count TYPE=N ...]
#
# Reads CSV back with Python's csv module and checks: UTF-8, CRLF row ends, the
# header row, the column count of every row, the type of every cell (ints,
# "0x" lowercase pointers, freed "empty", booleans, violation kinds), and the
# fields every event type must carry.  With --source (a shrinktrace/1 log) the
# event rows must be exactly the log's events, field by field, as a multiset
# (the converter orders them by ts); with --violations (the output of
# `replay --format jsonl` on the same log) the violation rows must be exactly
# those.  --events/--nviolations/--count give expected numbers instead (a live
# trace has no source log).  Prints "ok: ..." and exits 0, or prints one line
# "FAIL-REASON: ..." and exits 1.
import argparse
import collections
import csv
import io
import json
import re
import sys

COLUMNS = ("type,ts,cpu,pid,comm,inferred,deferred,shrinker,name,flags,id,nid,memcg,"
           "priority,nr_to_scan,refcount,next,prev,freed,duration_ns,count,evidence,earliest_ts,"
           "delta,total_scan,scanned,nr_deferred,new_nr_deferred,unused_scan,count_ns,scan_ns,"
           "trigger,memcg_limit,gfp,order,stack_id,unfinished,kind,"
           "walker_pid,walker_comm,certain,detail,next_state").split(",")
TRIGGERS = ("unknown", "kswapd", "direct", "node_reclaim", "memcg", "drop_caches")
LIMITS = ("memory.high", "memory.max", "memory.reclaim")
EVENT_TYPES = ("shrinker_alloc", "shrinker_register", "walk_begin", "walk_end",
               "shrink_begin", "shrink_end", "free_begin", "free_end", "rcu_free", "lost")
KINDS = ("use_after_free", "walk_onto_queued", "free_while_running", "stale_next",
         "double_free", "stuck_free")
PTR = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
UINT = re.compile(r"^(0|[1-9][0-9]*)$")
INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
PTR_COLS = ("shrinker", "memcg", "next", "prev")
UINT_COLS = ("ts", "flags", "nr_to_scan", "duration_ns", "earliest_ts", "delta", "total_scan",
             "scanned", "nr_deferred", "new_nr_deferred", "unused_scan", "count_ns", "scan_ns",
             "gfp")
INT_COLS = ("cpu", "pid", "id", "nid", "priority", "refcount", "walker_pid", "order", "stack_id")
# cells an event type must fill (any backend)
NEED = {
    "shrinker_alloc": ("shrinker",),
    "shrinker_register": ("shrinker",),
    "walk_begin": ("nid", "memcg", "priority"),
    "walk_end": ("freed",),
    "shrink_begin": ("shrinker",),
    "shrink_end": ("shrinker", "freed"),
    "free_begin": ("shrinker",),
    "free_end": ("shrinker",),
    "rcu_free": ("shrinker",),
    "lost": ("count",),
    "violation": ("kind", "shrinker", "walker_pid", "certain", "detail"),
}
# cells only violations have
VIOLATION_ONLY = ("kind", "walker_pid", "walker_comm", "certain", "detail", "next_state")


class Fail(Exception):
    pass


def text(s, maxbytes):
    """What the C side makes of a JSON string: at most maxbytes bytes, bytes
    that are not valid UTF-8 as the character of their Latin-1 reading."""
    b = s.encode("utf-8", "surrogatepass")[:maxbytes]
    out = b.decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xdc00) if 0xdc80 <= ord(c) <= 0xdcff else c for c in out)


def ptr(v):
    return "0x%x" % int(v, 16)


def event_row(d):
    """The CSV row the converter writes for event object d of a log."""
    row = dict.fromkeys(COLUMNS, "")
    row["type"] = d["type"]
    for k in ("ts", "cpu", "pid"):
        row[k] = str(d[k])
    row["comm"] = text(d["comm"], 15)
    if d.get("inferred") is True:
        row["inferred"] = "true"
    if d.get("deferred") is True:
        row["deferred"] = "true"
    if d.get("unfinished") is True:
        row["unfinished"] = "true"
    # the reader keeps nid/memcg/priority and next/prev as groups: one of
    # them present makes the group present, the others 0 (as the JSONL writer
    # would write them back)
    for group in (("nid", "memcg", "priority"), ("next", "prev")):
        if any(k in d for k in group):
            d = dict(d)
            for k in group:
                d.setdefault(k, "0x0" if k in PTR_COLS else 0)
    for k in ("shrinker", "memcg", "next", "prev"):
        if k in d:
            row[k] = ptr(d[k])
    if "name" in d:
        row["name"] = text(d["name"], 63)
    for k in ("evidence", "trigger", "memcg_limit"):
        if k in d:
            row[k] = d[k]
    for k in ("flags", "id", "nid", "priority", "nr_to_scan", "refcount", "duration_ns",
              "earliest_ts", "delta", "total_scan", "scanned", "nr_deferred", "new_nr_deferred",
              "unused_scan", "count_ns", "scan_ns", "gfp", "order", "stack_id"):
        if k in d:
            row[k] = str(d[k])
    for k in ("freed", "count"):
        if k in d:
            row[k] = "empty" if d[k] == "empty" else str(d[k])
    return tuple(row[c] for c in COLUMNS)


def violation_row(d):
    row = dict.fromkeys(COLUMNS, "")
    row["type"] = "violation"
    for k in ("ts", "cpu", "pid", "walker_pid"):
        row[k] = str(d[k])
    row["comm"] = d["comm"]
    row["kind"] = d["kind"]
    row["shrinker"] = ptr(d["shrinker"])
    if d.get("name"):
        row["name"] = d["name"]
    if "next" in d:
        row["next"] = ptr(d["next"])
    if d.get("walker_pid"):
        row["walker_comm"] = d.get("walker_comm", "")
    row["certain"] = "true" if d["certain"] else "false"
    row["detail"] = d["detail"]
    row["next_state"] = d.get("next_state", "")
    return tuple(row[c] for c in COLUMNS)


def read_jsonl(path, keep):
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            d = json.loads(raw.decode("utf-8"))
            if isinstance(d, dict) and keep(d.get("type")):
                out.append(d)
    return out


def check_cell(r, col, v, n):
    if v == "":
        return
    if col in PTR_COLS and not PTR.match(v):
        raise Fail("row %d: %s %r is not a 0x lowercase pointer" % (n, col, v))
    if col in UINT_COLS and not UINT.match(v):
        raise Fail("row %d: %s %r is not an unsigned integer" % (n, col, v))
    if col in INT_COLS and not INT.match(v):
        raise Fail("row %d: %s %r is not an integer" % (n, col, v))
    if col in ("freed", "count") and v != "empty" and not UINT.match(v):
        raise Fail("row %d: %s %r is neither a count nor \"empty\"" % (n, col, v))
    if col == "trigger" and v not in TRIGGERS:
        raise Fail("row %d: trigger %r" % (n, v))
    if col == "memcg_limit" and v not in LIMITS:
        raise Fail("row %d: memcg_limit %r" % (n, v))
    if col in ("inferred", "deferred", "unfinished") and v != "true":
        raise Fail("row %d: %s %r, want true or empty" % (n, col, v))
    if col == "certain" and v not in ("true", "false"):
        raise Fail("row %d: certain %r" % (n, v))
    if col == "next_state" and v not in ("queued", "freed"):
        raise Fail("row %d: next_state %r" % (n, v))
    if col == "kind" and v not in KINDS:
        raise Fail("row %d: kind %r" % (n, v))


def check(args):
    with open(args.csv, "rb") as f:
        raw = f.read()
    try:
        txt = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("not UTF-8: %s" % e)
    if not raw.endswith(b"\r\n"):
        raise Fail("the last row does not end in CRLF")
    rows = list(csv.reader(io.StringIO(txt, newline=""), strict=True))
    if not rows or rows[0] != COLUMNS:
        raise Fail("header row is %r" % (rows[0] if rows else None,))
    # every line end outside quotes is CRLF: the reader would see a bare \n
    # as a row end too, so count rows both ways
    if txt.count("\r\n") < len(rows):
        raise Fail("rows not ended in CRLF")
    events, viols = [], []
    for n, r in enumerate(rows[1:], 2):
        if len(r) != len(COLUMNS):
            raise Fail("row %d has %d cells, want %d" % (n, len(r), len(COLUMNS)))
        d = dict(zip(COLUMNS, r))
        t = d["type"]
        if t not in EVENT_TYPES and t != "violation":
            raise Fail("row %d: type %r" % (n, t))
        for c in COLUMNS:
            check_cell(r, c, d[c], n)
        for c in NEED[t]:
            if d[c] == "":
                raise Fail("row %d: %s without %s" % (n, t, c))
        if t == "violation":
            viols.append(tuple(r))
            if d["inferred"] or d["deferred"] or d["unfinished"]:
                raise Fail("row %d: a violation marked inferred/deferred" % n)
        else:
            events.append(tuple(r))
            for c in VIOLATION_ONLY:
                if d[c] != "":
                    raise Fail("row %d: %s has %s %r" % (n, t, c, d[c]))
    if args.source:
        want = collections.Counter(event_row(d) for d in
                                   read_jsonl(args.source, lambda t: t in EVENT_TYPES))
        got = collections.Counter(events)
        if want != got:
            miss = list((want - got).elements())[:1]
            extra = list((got - want).elements())[:1]
            raise Fail("event rows differ from %s: %d rows vs %d events; missing %r; "
                       "unexpected %r" % (args.source, sum(got.values()), sum(want.values()),
                                          miss, extra))
    if args.violations is not None:
        want = collections.Counter(violation_row(d) for d in
                                   read_jsonl(args.violations, lambda t: t == "violation"))
        got = collections.Counter(viols)
        if want != got:
            raise Fail("violation rows differ from %s: %d rows, want %d; missing %r" %
                       (args.violations, len(viols), sum(want.values()),
                        list((want - got).elements())[:1]))
    if args.events is not None and len(events) != args.events:
        raise Fail("%d event rows, want %d" % (len(events), args.events))
    if args.nviolations is not None and len(viols) != args.nviolations:
        raise Fail("%d violation rows, want %d" % (len(viols), args.nviolations))
    by_type = collections.Counter(r[0] for r in events)
    for spec in args.count:
        t, _, n = spec.partition("=")
        if by_type[t] != int(n):
            raise Fail("%d %s rows, want %s" % (by_type[t], t, n))
    return "%d rows: %d events, %d violations" % (len(rows) - 1, len(events), len(viols))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("csv")
    ap.add_argument("--source", help="the shrinktrace/1 log it was converted from")
    ap.add_argument("--violations", help="replay --format jsonl output of the source")
    ap.add_argument("--events", type=int)
    ap.add_argument("--nviolations", type=int)
    ap.add_argument("--count", action="append", default=[], metavar="TYPE=N")
    args = ap.parse_args()
    try:
        print("ok: " + check(args))
    except Fail as e:
        print("csv check failed: %s" % e)
        return 1
    except (OSError, ValueError, csv.Error) as e:
        print("csv check failed: %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
