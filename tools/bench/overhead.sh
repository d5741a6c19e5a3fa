#!/usr/bin/env bash
# What tracing costs (not a test; `make bench` runs it): tools/bench/overhead.sh BUILD_DIR
#
# One fixed shrink-heavy workload (shrinkstress: tmpfs mount churn + files on disk and
# drop_caches) runs untraced, under `shrinktrace -q -o FILE` (per-event mode), under
# `shrinktrace -q --stats-only -o FILE`, and under the equivalent bpftrace script
# (tools/bench/shrink.bt), BENCH_REPS times each, interleaved; the table shows medians.
# Then a walk storm (drop_caches in a loop on every CPU) measures the sustained event
# rate and the events lost at the default ring buffer size.
#
# env: BENCH_REPS (default 5), BENCH_ITERATIONS (shrinkstress iterations, default 10),
#      BENCH_STORM_S (default 40: about 10 million events here; the log, some GB, is
#      deleted once counted), BENCH_STORM_JOBS (parallel drop_caches loops, default
#      CPUs - 1), BENCH_OUT (default BUILD_DIR/bench-overhead)
set -u
build=${1:-build}
reps=${BENCH_REPS:-5}
iters=${BENCH_ITERATIONS:-10}
storm_s=${BENCH_STORM_S:-40}
# one CPU storms, the other is left to the tracer (both storming starves the reader:
# the kernel then produces faster than any reader can be scheduled)
storm_jobs=${BENCH_STORM_JOBS:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_OUT:-$build/bench-overhead}
tracer=$build/shrinktrace
stress=$build/shrinkstress
measure=$root/tools/bench/measure.py
workload=("$stress" -q -w tmpfs,disk -n "$iters")

die() { echo "overhead.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (BPF, mounts, drop_caches): run it with sudo"
[ -x "$tracer" ] && [ -x "$stress" ] || die "build first: make ($tracer, $stress)"
command -v bpftool >/dev/null || die "bpftool is missing: sh tools/install-deps.sh"
if ! command -v bpftrace >/dev/null; then
	echo "installing bpftrace (Debian package) for the comparison..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q bpftrace >/dev/null 2>&1 ||
		echo "overhead.sh: bpftrace could not be installed: its row stays empty" >&2
fi
# bpftrace reads tracepoint formats from tracefs
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ulimit -l unlimited 2>/dev/null

mkdir -p "$out" || die "cannot create $out"
old_stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 || echo "overhead.sh: kernel.bpf_stats_enabled unavailable: no ns/event" >&2
trap 'sysctl -qw kernel.bpf_stats_enabled="$old_stats"; kill $(jobs -p) 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# One run: $1 mode, $2 result file.  Prints nothing; the result JSON carries everything.
run_mode() {
	local mode=$1 res=$2 log=$out/$1.log bt
	bpftool prog show -j > "$res.before" 2>/dev/null || echo '[]' > "$res.before"
	rm -f "$log"
	case $mode in
	untraced)
		python3 "$measure" "$res" -- "${workload[@]}" ;;
	per-event)
		"$tracer" -q --no-banner -o "$log" -- python3 "$measure" "$res" -- "${workload[@]}" \
			> /dev/null 2>"$res.err" ;;
	stats-only)
		"$tracer" -q --no-banner --stats-only -o "$log" -- python3 "$measure" "$res" -- \
			"${workload[@]}" > /dev/null 2>"$res.err" ;;
	bpftrace)
		command -v bpftrace >/dev/null || return 1
		bpftrace -o "$log" "$root/tools/bench/shrink.bt" 2>"$res.err" &
		bt=$!
		for _ in $(seq 100); do grep -q Attaching "$log" 2>/dev/null && break; sleep 0.1; done
		python3 "$measure" "$res" --tracer-pid "$bt" -- "${workload[@]}"
		kill -INT "$bt"; wait "$bt" 2>/dev/null ;;
	storm)
		"$tracer" -q --no-banner -o "$log" -- python3 "$measure" "$res" --storm "$storm_s" --storm-jobs "$storm_jobs" \
			> /dev/null 2>"$res.err" ;;
	esac
	python3 - "$res" "$log" "$mode" <<'EOF'
import json, sys
res, log, mode = sys.argv[1:]
r = json.load(open(res))
before = {p.get("id") for p in json.load(open(res + ".before"))}
# Programs this run loaded, except shrinktrace's scanner: it runs by
# BPF_PROG_TEST_RUN in the tracer's own process, so its time is already in
# the tracer's CPU time.
mine = [p for p in r.get("progs", []) if p["id"] not in before and p["name"] != "scanner"]
r["bpf_ns"] = sum(p["run_time_ns"] for p in mine)
r["bpf_runs"] = sum(p["run_cnt"] for p in mine)
events = lost = 0
if mode != "untraced":
    try:
        for line in open(log, errors="replace"):
            if not line.strip():
                continue	# padding lines of the log (docs/event-log.md)
            if mode == "bpftrace":
                events += line.startswith("shrink_")
            elif '"type":"lost"' in line:
                lost += json.loads(line)["count"]
            elif '"type":"header"' not in line and '"type":"violation"' not in line:
                events += 1
    except OSError:
        pass
r["events"], r["lost"] = events, lost
r.pop("progs", None)
json.dump(r, open(res, "w"))
EOF
}

modes=(untraced per-event stats-only bpftrace)
echo "overhead benchmark: ${workload[*]##*/}, $reps runs of each mode (interleaved), results in $out"
for rep in $(seq "$reps"); do
	for m in "${modes[@]}"; do
		printf '\r  run %d/%d: %-10s' "$rep" "$reps" "$m" >&2
		run_mode "$m" "$out/$m.$rep.json"
	done
done
printf '\r  walk storm: %s s of drop_caches, %d loop(s), under shrinktrace\n' "$storm_s" "$storm_jobs" >&2
run_mode storm "$out/storm.json"
rm -f "$out/storm.log"

python3 - "$out" "$reps" "$iters" "$storm_s" "$storm_jobs" <<'EOF'
import json, os, platform, statistics, sys, time
out, reps, iters, storm_s, storm_jobs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
modes = ["untraced", "per-event", "stats-only", "bpftrace"]

def load(m):
    rs = []
    for i in range(1, reps + 1):
        try:
            rs.append(json.load(open(os.path.join(out, "%s.%d.json" % (m, i)))))
        except (OSError, ValueError):
            pass
    return rs

def med(rs, k):
    v = [r[k] for r in rs if r.get(k) is not None]
    return statistics.median(v) if v else None

def f(v, fmt):
    return (fmt % v) if v is not None else "-"

cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
print()
print("shrinktrace overhead, %s, kernel %s, %s x %d CPUs" % (
    time.strftime("%Y-%m-%d"), platform.release(), cpu, os.cpu_count()))
print("workload: shrinkstress -w tmpfs,disk -n %s; median of %d runs" % (iters, reps))
print()
hdr = "%-11s %7s %6s %7s %6s %8s %9s %5s %8s %8s %7s %9s %8s" % (
    "mode", "wall s", "x", "cpu s", "x", "events", "events/s", "lost", "tracer%", "RSS MiB",
    "BPF ms", "ns/event", "cost ms")
print(hdr)
print("-" * len(hdr))
base = load("untraced")
bw, bc = med(base, "wall_s"), med(base, "cpu_s")
row = {}
for m in modes:
    rs = load(m)
    if not rs:
        print("%-11s (no run)" % m)
        continue
    w, c = med(rs, "wall_s"), med(rs, "cpu_s")
    tc = med(rs, "tracer_cpu_s")
    ev = med(rs, "events")
    rss = med(rs, "tracer_rss_kib")
    bpf = med(rs, "bpf_ns")
    # what tracing costs in CPU: the tracer process plus its BPF programs
    cost = (tc or 0) * 1e3 + (bpf or 0) / 1e6 if m != "untraced" else None
    row[m] = dict(w=w, c=c, tc=tc, rss=rss, cost=cost, lost=max((r.get("lost") or 0) for r in rs))
    print("%-11s %7s %6s %7s %6s %8s %9s %5s %8s %8s %7s %9s %8s" % (
        m, f(w, "%.2f"), f(w / bw if w and bw else None, "%.3f"), f(c, "%.2f"),
        f(c / bc if c is not None and bc else None, "%.3f"),
        f(ev if m != "untraced" else None, "%d"),
        f(ev / w if m != "untraced" and ev is not None and w else None, "%.0f"),
        f(row[m]["lost"] if m != "untraced" else None, "%d"),
        f(100 * tc / w if tc is not None and w else None, "%.1f"),
        f(rss / 1024 if rss else None, "%.1f"),
        f(bpf / 1e6 if m != "untraced" and bpf is not None else None, "%.1f"),
        f(bpf / ev if m != "untraced" and bpf is not None and ev else None, "%.0f"),
        f(cost, "%.1f")))
try:
    s = json.load(open(os.path.join(out, "storm.json")))
    print()
    print("walk storm (%s s of drop_caches in %s loop(s), per-event mode, -o FILE, default 8 MiB ring):\n"
          "  %d events, %.0f events/s, %d lost, tracer %.1f%% CPU, RSS %.1f MiB, %.0f ns/event in BPF"
          % (storm_s, storm_jobs, s["events"], s["events"] / s["wall_s"], s["lost"],
             100 * (s.get("tracer_cpu_s") or 0) / s["wall_s"], (s.get("tracer_rss_kib") or 0) / 1024,
             s["bpf_ns"] / s["events"] if s["events"] else 0))
except (OSError, ValueError, KeyError):
    pass
print()
def target(name, ok):
    print("  %-58s %s" % (name, "met" if ok else "NOT met" if ok is not None else "not measured"))
print("targets:")
r = lambda m, k: row.get(m, {}).get(k)
target("per-event wall within 5% of untraced",
       r("per-event", "w") / bw <= 1.05 if r("per-event", "w") and bw else None)
target("stats-only wall within 2% of untraced",
       r("stats-only", "w") / bw <= 1.02 if r("stats-only", "w") and bw else None)
target("per-event cheaper than bpftrace (cost: tracer CPU + BPF time)",
       r("per-event", "cost") < r("bpftrace", "cost")
       if r("per-event", "cost") is not None and r("bpftrace", "cost") is not None else None)
try:
    target("tracer RSS under 64 MiB after 10 million events (walk storm)",
           s["tracer_rss_kib"] < 64 * 1024 if s["events"] >= 10000000 else None)
except (NameError, KeyError, TypeError):
    target("tracer RSS under 64 MiB after 10 million events (walk storm)", None)
try:
    target("zero events lost at >= 200k events/s (walk storm)",
           s["lost"] == 0 if s["events"] / s["wall_s"] >= 200000 else None)
except (NameError, KeyError, ZeroDivisionError):
    target("zero events lost at >= 200k events/s (walk storm)", None)
EOF
