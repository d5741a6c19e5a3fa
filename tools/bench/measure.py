#!/usr/bin/env python3
"""measure.py OUT.json [--tracer-pid PID] [--storm SECONDS [--storm-jobs N]] -- COMMAND [ARG...]

One measurement of the overhead benchmark (tools/bench/overhead.sh): runs
COMMAND (or, with --storm, N parallel drop_caches loops for SECONDS) and
writes to OUT.json its wall time and CPU time (user + sys of the command and
its children) and, when a tracer is running, the tracer's own CPU time and
peak RSS (from /proc) and the BPF run-time stats of every program loaded now
(bpftool prog show -j; needs kernel.bpf_stats_enabled=1 for run_time_ns).

The tracer is --tracer-pid, or else this process's parent when that parent is
shrinktrace (shrinktrace -- measure.py ...).
"""
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime + stime of pid in seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def proc_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def storm(seconds, jobs):
    """drop_caches in `jobs` loops: as many walks as the kernel does."""
    end = time.monotonic() + seconds
    kids = []
    for _ in range(jobs):
        pid = os.fork()
        if pid == 0:
            n = 0
            while time.monotonic() < end:
                with open("/proc/sys/vm/drop_caches", "w") as f:
                    f.write("2\n")
                n += 1
            os._exit(0)
        kids.append(pid)
    for k in kids:
        os.waitpid(k, 0)


def main():
    args = sys.argv[1:]
    if not args or "--" not in args and "--storm" not in args:
        print(__doc__, file=sys.stderr)
        return 2
    out = args.pop(0)
    tracer = None
    storm_s = None
    jobs = os.cpu_count() or 1
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--tracer-pid":
            tracer = int(args.pop(0))
        elif opt == "--storm":
            storm_s = float(args.pop(0))
        elif opt == "--storm-jobs":
            jobs = int(args.pop(0))
        else:
            print("measure.py: unknown option %s" % opt, file=sys.stderr)
            return 2
    cmd = args[1:] if args else []
    if tracer is None and comm(os.getppid()) == "shrinktrace":
        tracer = os.getppid()

    t_cpu0 = proc_cpu(tracer) if tracer else None
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    rc = 0
    if storm_s is not None:
        storm(storm_s, jobs)
    else:
        rc = subprocess.call(cmd)
    t1 = time.monotonic()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t_cpu1 = proc_cpu(tracer) if tracer else None

    res = {
        "rc": rc,
        "wall_s": t1 - t0,
        "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
    }
    if tracer:
        res["tracer_cpu_s"] = (t_cpu1 - t_cpu0) if t_cpu0 is not None and t_cpu1 is not None else None
        res["tracer_rss_kib"] = proc_hwm_kib(tracer)
    try:
        progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                                          text=True, check=True).stdout)
    except (OSError, subprocess.CalledProcessError, ValueError):
        progs = []
    res["progs"] = [{"id": p.get("id"), "name": p.get("name", ""),
                     "run_time_ns": p.get("run_time_ns", 0), "run_cnt": p.get("run_cnt", 0)}
                    for p in progs]
    with open(out, "w") as f:
        json.dump(res, f)
    return rc


if __name__ == "__main__":
    sys.exit(main())
