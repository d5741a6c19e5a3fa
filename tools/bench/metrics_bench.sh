#!/usr/bin/env bash
# tools/bench/metrics_bench.sh BUILD - what the exporter costs (root).  Not a
# test: it prints numbers.
#   idle: CPU of the tracer (--stats-only -q) over IDLE_S seconds (default 20),
#         without and with --metrics, nobody scraping, side by side, RUNS runs
#         (default 3), medians; CPU in ns from /proc/PID/task/*/schedstat;
#   per scrape: the event loop's rendering (the exporter's own
#         shrinktrace_metrics_render_cpu_seconds_total / renders, thread CPU
#         time) plus serving: N_FAST (default 300) scrapes in a row, which get
#         the rendered buffer, process CPU (utime+stime) / N_FAST;
#   before measuring, one drop_caches so that every shrinker has calls (series).
set -u
build=${1:-build}
bin=$build/shrinktrace
idle_s=${IDLE_S:-20}
runs=${RUNS:-3}
n_fast=${N_FAST:-300}
[ "$(id -u)" -eq 0 ] || { echo "metrics bench: needs root"; exit 0; }
command -v curl >/dev/null || { echo "metrics bench: needs curl"; exit 0; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hz=$(getconf CLK_TCK)
sched_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
idle_run() {	# options...: CPU ns over idle_s
	"$bin" -q --no-banner --stats-only "$@" >/dev/null 2>&1 &
	local pid=$! c0 c1
	sleep 3
	c0=$(sched_ns $pid)
	sleep "$idle_s"
	c1=$(sched_ns $pid)
	kill -INT $pid; wait $pid 2>/dev/null
	echo $((c1 - c0))
}
sync; echo 2 > /proc/sys/vm/drop_caches
base=() with=()
for r in $(seq "$runs"); do
	base+=("$(idle_run)")
	with+=("$(idle_run --metrics "127.0.0.1:$port")")
done
b=$(printf '%s\n' "${base[@]}" | median)
w=$(printf '%s\n' "${with[@]}" | median)

"$bin" -q --no-banner --stats-only --metrics "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
sleep 3
echo 2 > /proc/sys/vm/drop_caches	# calls for the tables: series
for k in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 1.1; done
t0=$(ticks $pid)
for k in $(seq "$n_fast"); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
t1=$(ticks $pid)
sleep 1.1
body=$(curl -s "http://127.0.0.1:$port/metrics")
kill -INT $pid; wait $pid 2>/dev/null
samples=$(grep -vc '^#' <<<"$body")
series=$(grep -v '^#' <<<"$body" | grep -vc '_bucket{')
names=$(grep -c '^shrinktrace_shrinker_calls_total{' <<<"$body")
rcpu=$(sed -n 's/^shrinktrace_metrics_render_cpu_seconds_total //p' <<<"$body")
rn=$(sed -n 's/^shrinktrace_metrics_renders_total //p' <<<"$body")
awk -v b="$b" -v w="$w" -v T="$idle_s" -v runs="$runs" -v hz="$hz" -v t="$((t1 - t0))" \
    -v nf="$n_fast" -v bytes="${#body}" -v samples="$samples" -v series="$series" \
    -v names="$names" -v rcpu="$rcpu" -v rn="$rn" 'BEGIN {
	printf "exporter cost (idle: %d s windows, median of %d runs, schedstat ns)\n", T, runs
	printf "  tracer --stats-only -q, idle:             %7.3f %% of one CPU\n", 100 * b / 1e9 / T
	printf "  ... with --metrics, nobody scraping:      %7.3f %% of one CPU\n", 100 * w / 1e9 / T
	printf "  exporter idle (difference):               %+7.3f %% of one CPU\n", 100 * (w - b) / 1e9 / T
	if (rn > 0) printf "  per scrape, rendering (event loop):       %7.3f ms\n", 1000 * rcpu / rn
	printf "  per scrape, serving (%d in a row):       %7.3f ms\n", nf, 1000 * t / hz / nf
	if (rn > 0) printf "  per scrape, total:                        %7.3f ms\n", 1000 * rcpu / rn + 1000 * t / hz / nf
	printf "  a scrape: %d bytes, %d samples (%d series besides histogram buckets, %d shrinker names)\n", bytes, samples, series, names
}'
