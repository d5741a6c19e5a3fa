# tests/live/export.sh - sourced by tests/live/run.sh (uses its $bin, $tmp, $here,
# ok, ko, bg_pids, first_line, wait_exit, tmpfs_cycles).  The export formats
# of a live trace:
#  - the built-in workload tools/workload/tmpfs-churn under `-q --format
#    perfetto -o` and `-q --format csv -o`: exit 0, and
#    tests/tools/check_perfetto.py / check_csv.py accept the file with the
#    numbers of the tracer's own summary (events of each type, violations);
#  - a tracer killed with SIGKILL leaves a Perfetto trace that still loads
#    (no closing "]", the slices so far).
tools=$(cd "$here/../tools" && pwd)
workload=$(cd "$here/../.." && pwd)/tools/workload/tmpfs-churn

# summary_counts ERRFILE: "--count TYPE=N" for every event type of the summary's
# "events:" line, then "--nviolations N" (the sum of its "violations:" line)
# the summary's head lines wrap at 80 columns, continued 6 spaces in: one line each
unwrap() { sed -e ':a' -e 'N' -e '$!ba' -e 's/\n      / /g' "$1"; }
summary_counts() {
	local ev vi
	ev=$(unwrap "$1" | sed -n 's/^  events: //p' | head -1)
	vi=$(unwrap "$1" | sed -n 's/^  violations: //p' | head -1)
	[ -n "$ev" ] && [ -n "$vi" ] || return 1
	for kv in $ev; do printf -- '--count %s ' "$kv"; done
	echo "$vi" | tr ' ' '\n' | sed -n 's/^[a-z_]*=\([0-9]*\)$/\1/p' |
		awk '{s += $1} END {printf "--nviolations %d\n", s}'
}

export_live() {	# FMT FILE
	local fmt=$1 out=$2 rc counts res shrinks
	timeout -s KILL 60 "$bin" -q --format "$fmt" -o "$out" -- "$workload" 20 \
		>"$tmp/x-$fmt.out" 2>"$tmp/x-$fmt.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ko "export-$fmt" "exit $rc, want 0: $(grep -iE 'error|cannot|fail|VIOLATION' "$tmp/x-$fmt.err" | head -2 | tr '\n' ' ')"
		return
	fi
	if ! grep -q 'exited with status 0$' "$tmp/x-$fmt.err"; then
		ko "export-$fmt" "the workload failed: $(grep 'command:' "$tmp/x-$fmt.err")"
		return
	fi
	if [ "$(stat -c %a "$out" 2>/dev/null)" != 600 ]; then
		ko "export-$fmt" "file mode $(stat -c %a "$out" 2>&1), want 600"
		return
	fi
	if ! counts=$(summary_counts "$tmp/x-$fmt.err"); then
		ko "export-$fmt" "no events:/violations: lines in the summary"
		return
	fi
	shrinks=$(unwrap "$tmp/x-$fmt.err" | sed -n 's/^  events: .*shrink_end=\([0-9]*\).*/\1/p')
	if [ "${shrinks:-0}" -eq 0 ]; then
		ko "export-$fmt" "the trace has no shrink_end: drop_caches made no visible call"
		return
	fi
	# shellcheck disable=SC2086
	if [ "$fmt" = csv ]; then
		res=$(python3 "$tools/check_csv.py" "$out" $counts)
	else
		res=$(python3 "$tools/check_perfetto.py" "$out" $counts)
	fi
	if [ $? -ne 0 ]; then ko "export-$fmt" "$res"
	else echo "# export-$fmt: $res"; ok "export-$fmt"; fi
}

export_live perfetto "$tmp/churn.json"
export_live csv "$tmp/churn.csv"

# SIGKILL: the trace written so far loads without its closing "]"
out=$tmp/killed.json
"$bin" -q --format perfetto -o "$out" -d 60 >"$tmp/killed.out" 2>"$tmp/killed.err" &
pid=$!
bg_pids+=("$pid")
for ((i = 0; i < 200; i++)); do
	grep -q '"process_name"' "$out" 2>/dev/null && break
	sleep 0.05
done
if ! grep -q '"process_name"' "$out" 2>/dev/null; then
	kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	ko export-killed "no trace beginning in the file after 10 s: $(first_line "$tmp/killed.err")"
else
	tmpfs_cycles 3 || ko export-killed "tmpfs mount/umount failed"
	sync; echo 2 >/proc/sys/vm/drop_caches
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	if tail -c 3 "$out" | grep -q ']'; then
		ko export-killed "the killed tracer's trace ends in ']'?"
	elif ! res=$(python3 "$tools/check_perfetto.py" --truncated "$out"); then
		ko export-killed "$res"
	elif ! grep -q '"cat":"lifecycle"' "$out"; then
		ko export-killed "the 3 tmpfs mounts before SIGKILL are not in the trace"
	else
		echo "# export-killed: $res"
		ok export-killed
	fi
fi
