#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""tools/bench/metrics_bench.py BUILD - what the exporter costs (root; `make bench`
through tools/bench/metrics_bench.sh).  Not a test: it prints numbers.

Idle: `shrinktrace --stats-only -q --no-banner` without and with `--metrics`
(nobody scraping), RUNS runs of IDLE_S seconds each (defaults 3 and 20),
interleaved, medians.  A run's cost is what the tracer costs and nothing else
on the machine: its threads' CPU time (/proc/PID/task/*/schedstat, ns) plus the
run time of the BPF programs it holds (found through /proc/PID/fdinfo, read with
`bpftool prog show`, kernel.bpf_stats_enabled=1 during the runs; the census
program is left out: it runs by BPF_PROG_TEST_RUN in the tracer's own thread,
already in its CPU time).  The BPF time is that of the programs hooked on the
kernel's allocations (tracepoint backend), so it grows with what the rest of the
machine allocates; the process CPU is the exporter's own part.

Per scrape: rendering, the event loop's thread CPU per rendering (the exporter's
own shrinktrace_metrics_render_cpu_seconds_total / renders: every scrape of a
scraper at intervals of 1 s or more gets a fresh rendering), plus serving:
N_FAST (default 300) scrapes in a row, each on a new connection (a thread of the
server each), which get the rendered buffer: the process's CPU over them, less
the renderings that fell in that window, / N_FAST.  Before, drop_caches and a
small tmpfs churn so that every shrinker has calls (series).

Environment: RUNS, IDLE_S, N_FAST.  Prints a table and, last, a JSON line
"metrics_bench: {...}".
"""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from kcost import cpu_s, progs_of, sysctl  # noqa: E402  (the same accounting as kcost.py)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(port):
    """One scrape on a new connection; the body."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        data = []
        while True:
            b = s.recv(262144)
            if not b:
                break
            data.append(b)
    finally:
        s.close()
    raw = b"".join(data)
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("scrape: %r" % head[:80])
    return body.decode()


def sample(body, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), body, re.M)
    return float(m.group(1)) if m else 0.0


def start(bin_, extra):
    p = subprocess.Popen([bin_, "-q", "--no-banner", "--stats-only"] + extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(3)	# attached, start-up work done
    if p.poll() is not None:
        raise RuntimeError("the tracer exited: %s" % p.stderr.read().decode()[-300:])
    return p


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def idle_run(bin_, extra, secs):
    p = start(bin_, extra)
    try:
        c0, b0, t0 = cpu_s(p.pid), progs_of(p.pid), time.monotonic()
        time.sleep(secs)
        c1, b1, t1 = cpu_s(p.pid), progs_of(p.pid), time.monotonic()
    finally:
        stop(p)
    bpf = sum(b1[i][0] - b0.get(i, (0, 0))[0] for i in b1) / 1e9
    wall = t1 - t0
    return {"proc": 100 * (c1 - c0) / wall, "bpf": 100 * bpf / wall,
            "total": 100 * ((c1 - c0) + bpf) / wall}


def med(rs, k):
    return statistics.median(r[k] for r in rs)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    bin_ = os.path.join(build, "shrinktrace")
    runs = int(os.environ.get("RUNS", "3"))
    idle_s = float(os.environ.get("IDLE_S", "20"))
    n_fast = int(os.environ.get("N_FAST", "300"))
    if os.geteuid():
        print("metrics bench: needs root")
        return
    port = free_port()
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")
    old_stats = sysctl("kernel.bpf_stats_enabled")
    base, with_m = [], []
    try:
        sysctl("kernel.bpf_stats_enabled", 1)
        for r in range(runs):
            print("\r  idle %d/%d" % (r + 1, runs), end="", file=sys.stderr, flush=True)
            base.append(idle_run(bin_, [], idle_s))
            with_m.append(idle_run(bin_, ["--metrics", "127.0.0.1:%d" % port], idle_s))
        print(file=sys.stderr)
    finally:
        sysctl("kernel.bpf_stats_enabled", old_stats)

    # per scrape (bpf_stats off: the scrape path has no BPF program)
    p = start(bin_, ["--metrics", "127.0.0.1:%d" % port])
    try:
        subprocess.run([os.path.join(ROOT, "tools", "workload", "tmpfs-churn"), "3"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(3):	# renderings with every name that has calls
            get(port)
            time.sleep(1.1)
        b0 = get(port)
        r0 = sample(b0, "shrinktrace_metrics_renders_total")
        c0 = cpu_s(p.pid)
        t0 = time.monotonic()
        for _ in range(n_fast):
            get(port)
        c1 = cpu_s(p.pid)
        wall = time.monotonic() - t0
        time.sleep(1.1)
        body = get(port)
    finally:
        stop(p)
    # a body counts the renderings before its own
    renders = sample(body, "shrinktrace_metrics_renders_total")
    rcpu = sample(body, "shrinktrace_metrics_render_cpu_seconds_total")
    render_ms = 1000 * rcpu / renders if renders else float("nan")
    # renderings inside the window (at most one a second): after b0's own, before body's
    win_r = max(0.0, renders - r0 - 1)
    serve_ms = 1000 * max(0.0, (c1 - c0) - win_r * render_ms / 1000) / n_fast
    lines = [l for l in body.splitlines() if l and not l.startswith("#")]
    series = len(lines)
    nonbucket = len([l for l in lines if "_bucket{" not in l])
    names = len([l for l in lines if l.startswith("shrinktrace_shrinker_calls_total{")])

    res = {k: {"proc": med(v, "proc"), "bpf": med(v, "bpf"), "total": med(v, "total"),
               "total_min": min(r["total"] for r in v), "total_max": max(r["total"] for r in v)}
           for k, v in (("stats-only", base), ("stats-only --metrics", with_m))}
    print("exporter cost (idle: %g s windows, median of %d runs; the tracer process's CPU "
          "(schedstat) + its BPF programs' run time)" % (idle_s, runs))
    print("  %-22s %9s %9s %9s  %s" % ("mode, idle", "process%", "BPF%", "total%", "total min-max"))
    for k, v in res.items():
        print("  %-22s %9.3f %9.3f %9.3f  %.3f-%.3f" % (k, v["proc"], v["bpf"], v["total"],
                                                        v["total_min"], v["total_max"]))
    d_proc = res["stats-only --metrics"]["proc"] - res["stats-only"]["proc"]
    d_tot = res["stats-only --metrics"]["total"] - res["stats-only"]["total"]
    print("  exporter idle (difference): process %+.3f %%, total %+.3f %% of one CPU" % (d_proc, d_tot))
    print("  per scrape: rendering %.3f ms (event loop, mean of %d), serving %.3f ms "
          "(%d scrapes in a row, %.0f/s, %g renderings in the window), total %.3f ms"
          % (render_ms, renders, serve_ms, n_fast, n_fast / wall, win_r, render_ms + serve_ms))
    print("  a scrape: %d bytes, %d samples (%d besides histogram buckets), %d shrinker names"
          % (len(body), series, nonbucket, names))
    print("metrics_bench: " + json.dumps({
        "idle": res, "exporter_idle_proc_pct": d_proc, "exporter_idle_total_pct": d_tot,
        "render_ms": render_ms, "serve_ms": serve_ms, "scrape_ms": render_ms + serve_ms,
        "bytes": len(body), "samples": series, "nonbucket": nonbucket, "names": names,
        "runs": runs, "idle_s": idle_s, "n_fast": n_fast}))


if __name__ == "__main__":
    main()
