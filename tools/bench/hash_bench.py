#!/usr/bin/env python3
"""tools/bench/hash_bench.py SHRINKTRACE [OLD_SHRINKTRACE] - crafted keys (issue 15.6).

Replays 200,000 log lines whose shrinker addresses all fall into one bucket of
the hash the tables used before lib/htab.c (MurmurHash3's finalizer fmix64,
& (cap - 1): the addresses are fmix64^-1 of multiples of 2^24, so they share
every bucket index up to 2^24 buckets), next to 200,000 ordinary lines (the
same events on addresses 0x400 apart), and `redact --all` of 200,000 lines
whose 30,000 task names all land in 256 neighbouring slots of the FNV-1a table
redact used for them, next to ordinary names.  Prints the median wall time of
3 runs of each (and of OLD_SHRINKTRACE, a build of the code before, when
given) and the ratio crafted/ordinary: a linear implementation keeps it near
1.  Not a test: it prints numbers (make bench).
"""
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

M64 = (1 << 64) - 1
C1, C2 = 0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53


def fmix64_inv(h):
    """The k with fmix64(k) == h (each step of the finalizer is invertible)."""
    i1, i2 = pow(C1, -1, 1 << 64), pow(C2, -1, 1 << 64)
    h ^= h >> 33
    h = (h * i2) & M64
    h ^= h >> 33
    h = (h * i1) & M64
    h ^= h >> 33
    return h


def replay_log(path, addrs):
    """5 lines per shrinker: register, a call (begin + end), free_begin, free_end."""
    with open(path, "w") as f:
        f.write('{"type":"header","format":"shrinktrace/1","kernel":"bench","backend":"fentry",'
                '"clock":"monotonic","start_ts":0}\n')
        ts = 1000
        for a in addrs:
            ts += 10
            f.write('{"type":"shrinker_register","ts":%d,"cpu":0,"pid":1,"comm":"mount",'
                    '"shrinker":"0x%x","name":"sb-bench","flags":3,"id":-1}\n' % (ts, a))
        for a in addrs:
            ts += 10
            f.write('{"type":"shrink_begin","ts":%d,"cpu":0,"pid":100,"comm":"kswapd0",'
                    '"shrinker":"0x%x","name":"sb-bench","nid":0,"memcg":"0x0","priority":12,'
                    '"nr_to_scan":128,"refcount":2}\n' % (ts, a))
            ts += 10
            f.write('{"type":"shrink_end","ts":%d,"cpu":0,"pid":100,"comm":"kswapd0",'
                    '"shrinker":"0x%x","freed":1,"duration_ns":100}\n' % (ts, a))
        for a in addrs:
            ts += 10
            f.write('{"type":"free_begin","ts":%d,"cpu":0,"pid":2,"comm":"umount",'
                    '"shrinker":"0x%x"}\n' % (ts, a))
            ts += 10
            f.write('{"type":"free_end","ts":%d,"cpu":0,"pid":2,"comm":"umount",'
                    '"shrinker":"0x%x"}\n' % (ts, a))


FNV_P16 = 0x01b3
PRINTABLE = [c for c in range(0x21, 0x7f) if c not in (0x22, 0x5c)]


def fnv16(s, h=0x2325):
    for c in s:
        h = ((h ^ c) * FNV_P16) & 0xffff
    return h


def crafted_comms(n, rnd):
    """n distinct 15-byte names whose FNV-1a hash & 0xffff is below 256."""
    out = set()
    while len(out) < n:
        prefix = bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(13))
        s = fnv16(prefix)
        for c14 in PRINTABLE:
            s2 = ((s ^ c14) * FNV_P16) & 0xffff
            for c15 in PRINTABLE:
                if ((s2 ^ c15) * FNV_P16) & 0xffff < 256:
                    out.add(prefix + bytes((c14, c15)))
        if len(out) > n:
            break
    return [c.decode() for c in sorted(out)[:n]]


def redact_log(path, comms, lines):
    with open(path, "w") as f:
        for i in range(lines):
            c = comms[i % len(comms)].replace("\\", "\\\\").replace('"', '\\"')
            f.write('{"type":"shrinker_alloc","ts":%d,"cpu":0,"pid":%d,"comm":"%s",'
                    '"shrinker":"0x%x","flags":3}\n' % (1000 + i, 1000 + i % 30000, c,
                                                       0xffff888100000000 + i * 0x400))


def median_time(argv, runs=3):
    ts = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.monotonic() - t0)
    return statistics.median(ts), min(ts), max(ts)


def main():
    bins = sys.argv[1:3]
    if not bins:
        sys.exit(__doc__)
    rnd = random.Random(15)
    with tempfile.TemporaryDirectory() as d:
        n = 40000
        ordinary = [0xffff888100000000 + i * 0x400 for i in range(n)]
        crafted = [fmix64_inv((i + 1) << 24) for i in range(n)]
        replay_log(os.path.join(d, "ordinary.jsonl"), ordinary)
        replay_log(os.path.join(d, "crafted.jsonl"), crafted)
        comms = crafted_comms(30000, rnd)
        plain = ["task-%010d" % i for i in range(30000)]
        redact_log(os.path.join(d, "names-ordinary.jsonl"), plain, 200000)
        redact_log(os.path.join(d, "names-crafted.jsonl"), comms, 200000)
        print("crafted keys (issue 15.6): median wall time of 3 runs, seconds (min-max)")
        print("%-42s %-20s %-20s %s" % ("", "ordinary", "crafted", "crafted/ordinary"))
        for label, args, a, b in (
                ("replay, 200000 lines", ["replay"], "ordinary.jsonl", "crafted.jsonl"),
                ("redact --all, 200000 lines", ["redact", "--all"], "names-ordinary.jsonl",
                 "names-crafted.jsonl")):
            for i, b_ in enumerate(bins):
                who = "this build" if i == 0 else "old"
                to = median_time([b_] + args + [os.path.join(d, a)])
                tc = median_time([b_] + args + [os.path.join(d, b)])
                print("%-42s %-20s %-20s %.2f" % (
                    "%s (%s)" % (label, who), "%.2f (%.2f-%.2f)" % to, "%.2f (%.2f-%.2f)" % tc,
                    tc[0] / to[0] if to[0] else 0))


if __name__ == "__main__":
    main()
