#!/usr/bin/env bash
# tools/bench/metrics_bench.sh BUILD - what the exporter costs (root): the
# tracer's CPU idle without and with --metrics (side by side, nothing
# scraping), then with a scrape every second, and the CPU per scrape.  CPU is
# utime+stime of the tracer process from /proc/PID/stat over IDLE_S seconds
# (default 20), the median of RUNS (default 3) runs.  Not a test: it prints numbers.
set -u
build=${1:-build}
bin=$build/shrinktrace
idle_s=${IDLE_S:-20}
runs=${RUNS:-3}
[ "$(id -u)" -eq 0 ] || { echo "metrics bench: needs root"; exit 0; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# one measurement: $1 = scrape (0/1), rest = tracer options; prints CPU seconds and scrapes
measure() {
	local scrape=$1; shift
	"$bin" -q --no-banner "$@" >/dev/null 2>&1 &
	local pid=$! n=0 c0 c1 t_end
	sleep 3	# attach and settle
	c0=$(cpu $pid)
	t_end=$(( $(date +%s%N) + idle_s * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$t_end" ]; do
		if [ "$scrape" = 1 ]; then
			curl -s -o /dev/null "http://127.0.0.1:$port/metrics" && n=$((n + 1))
		fi
		sleep 1
	done
	c1=$(cpu $pid)
	kill -INT $pid; wait $pid 2>/dev/null
	echo "$(( c1 - c0 )) $n"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -a base idle scr nscr
for r in $(seq "$runs"); do
	read -r t _ < <(measure 0 --stats-only); base+=("$t")
	read -r t _ < <(measure 0 --stats-only --metrics "127.0.0.1:$port"); idle+=("$t")
	read -r t n < <(measure 1 --stats-only --metrics "127.0.0.1:$port"); scr+=("$t"); nscr+=("$n")
done
b=$(printf '%s\n' "${base[@]}" | median)
i=$(printf '%s\n' "${idle[@]}" | median)
s=$(printf '%s\n' "${scr[@]}" | median)
n=$(printf '%s\n' "${nscr[@]}" | median)
# a scrape's size and the event loop's rendering time, from the exporter itself
"$bin" -q --no-banner --stats-only --metrics "127.0.0.1:$port" >/dev/null 2>&1 &
pid=$!
sleep 3
for k in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 1.1; done
body=$(curl -s "http://127.0.0.1:$port/metrics")
kill -INT $pid; wait $pid 2>/dev/null
samples=$(grep -vc '^#' <<<"$body")
series=$(grep -v '^#' <<<"$body" | grep -vc '_bucket{')
rcpu=$(sed -n 's/^shrinktrace_metrics_render_cpu_seconds_total //p' <<<"$body")
rn=$(sed -n 's/^shrinktrace_metrics_renders_total //p' <<<"$body")
awk -v b="$b" -v i="$i" -v s="$s" -v n="$n" -v hz="$hz" -v T="$idle_s" -v bytes="${#body}" \
    -v samples="$samples" -v series="$series" -v rcpu="$rcpu" -v rn="$rn" 'BEGIN {
	printf "exporter cost (%d s windows, median of runs; CPU from /proc/PID/stat, %d ticks/s)\n", T, hz
	printf "  tracer --stats-only idle:                 %6.3f %% of one CPU\n", 100 * b / hz / T
	printf "  ... with --metrics, nobody scraping:      %6.3f %% of one CPU (exporter: %+.3f %%)\n", 100 * i / hz / T, 100 * (i - b) / hz / T
	printf "  ... with --metrics, a scrape a second:    %6.3f %% of one CPU (%d scrapes)\n", 100 * s / hz / T, n
	if (n > 0) printf "  CPU per scrape (whole process):           %6.2f ms\n", 1000 * (s - i) / hz / n
	if (rn > 0) printf "  rendering per scrape (event loop):        %6.2f ms (%d renderings)\n", 1000 * rcpu / rn, rn
	printf "  a scrape: %d bytes, %d samples, %d series besides histogram buckets\n", bytes, samples, series
}'
