#!/usr/bin/env bash
# Replay benchmark (not a test): tools/bench/replay_bench.sh BINARY [EVENTS...]
# Generates realistic clean logs (tools/bench/genlog.c, default 1M and 10M
# events) into the binary's directory if missing, replays each with
# `BINARY replay --format jsonl`, and prints events/s and peak RSS.  Peak RSS
# must stay flat as the log grows: the correlator keeps live state only.
set -eu
bin=${1:?usage: tools/bench/replay_bench.sh BINARY [EVENTS...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
dir=$(dirname "$bin")
root=$(cd "$(dirname "$0")/../.." && pwd)
gen=$dir/genlog
if [ ! -x "$gen" ]; then
	${CC:-cc} -O2 -std=gnu11 -I"$root/user" -o "$gen" "$root/tools/bench/genlog.c" \
		"$root/user/log/writer.c" "$root/user/lib/jsonw.c" "$root/user/log/event.c"
fi
for n in "${sizes[@]}"; do
	log=$dir/bench-$n.jsonl
	if [ ! -s "$log" ]; then
		echo "generating $log ($n events)..."
		"$gen" "$n" "$log.tmp" && mv "$log.tmp" "$log"
	fi
	tv=$(mktemp)
	start=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$tv" "$bin" replay --format jsonl "$log" >/dev/null
		rc=$?
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tv")
	else
		"$bin" replay --stats --format jsonl "$log" >/dev/null 2>"$tv"
		rc=$?
		rss=$(sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' "$tv")
	fi
	end=$(date +%s.%N)
	rm -f "$tv"
	[ "$rc" = 0 ] || { echo "replay of $log exited $rc (the generated log should be clean)"; exit 1; }
	events=$(grep -vc '"type":"header"' "$log")
	awk -v n="$events" -v t0="$start" -v t1="$end" -v rss="$rss" -v f="$log" 'BEGIN {
		printf "%s: %d events in %.2f s: %.0f events/s, peak RSS %.1f MiB\n",
			f, n, t1 - t0, n / (t1 - t0), rss / 1024 }'
done
