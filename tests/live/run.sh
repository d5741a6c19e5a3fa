#!/usr/bin/env bash
# Live tests: tests/live/run.sh BINARY
# Runs the tracer on this kernel (root; the tracepoint backend on the lockdown
# hosts) and checks what it writes with tests/live/logcheck.py (python3 stdlib):
#  - churn: 20 tmpfs mount/umount cycles + drop_caches under `-q -o LOG -- WORKLOAD`;
#    the workload ends by polling LOG until every shrinker its mounts allocated has
#    its rcu_free (lazy RCU), at most CHURN_RCU_WAIT seconds. Then: format of every
#    line, no lost events and no violations, named shrink calls, shrink_end/begin
#    pairs, walk events iff the banner has a walk hook, allocations and RCU frees.
#  - -d 1, SIGINT, SIGTERM: exit 0 in time, the log whole and equal to the summary;
#  - errors: --backend fentry (refused here), unknown option, unwritable -o,
#    -o onto a symlink.
#  - -- COMMAND: one that cannot be started (not found, on PATH or by path; not
#    executable; a directory) is one line before anything is attached, 127 or 126,
#    no summary, an earlier log kept; the exit status is the command's (exit 7,
#    `false`, 128+N when killed by signal N), 0 when the tracer stopped it (-d),
#    3 when a violation was found whatever the command's.
#  - --format perfetto / csv of the built-in workload, and a SIGKILLed tracer's
#    Perfetto trace (tests/live/export.sh).
#  - filters (-p, --comm, --min-latency, --shrinker) and --stats-only (tests/live/filters.sh).
#  - --mode, a full file system, stdout's reader gone, --redact=all, and nothing
#    left attached after SIGKILL (tests/live/hardening.sh).
#  - issue 15: fresh log files, SIGKILL under load, closed descriptors, signals
#    around the command, escapes in task names, two tracers, capabilities, a
#    removed log directory (tests/live/issue15.sh).
# No tracefs is needed: the tracer attaches tp_btf programs through bpf() alone.
# Prints PASS/FAIL per case and "N passed, M failed, K skipped"; SKIP (exit 0)
# when not root, without BTF, or when bpf() is refused.
set -u
bin=${1:?usage: tests/live/run.sh BINARY}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
lc=$here/logcheck.py
NMOUNTS=20
CHURN_RCU_WAIT=${CHURN_RCU_WAIT:-20}
pass=0 fail=0 skip=0
bg_pids=()

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
skip_all() { echo "SKIP live: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
# Count the PASS/FAIL lines python printed (already echoed).
count() {
	local p f
	p=$(grep -c '^PASS ' "$1"); f=$(grep -c '^FAIL ' "$1")
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then ko "$2" "logcheck.py printed no result"; fi
}

[ "$(id -u)" -eq 0 ] || skip_all "not root"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "no /sys/kernel/btf/vmlinux (kernel without BTF)"
if ! command -v python3 >/dev/null; then
	ko live "python3 is needed for the JSON checks"
	echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi
why=$(python3 "$lc" probe-bpf) || skip_all "BPF unusable: $why"
if [ ! -x "$bin" ]; then
	ko live "no executable $bin"
	echo "$pass passed, $fail failed, $skip skipped"; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shrinktrace-live.XXXXXX") || exit 1
cleanup() {
	local p m
	for p in "${bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# a workload killed half-way may leave a mount under $tmp
	for m in $(awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/mounts); do
		umount "$m" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
t_start=$(date +%s%N)

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
alive() {	# PID is running (a zombie is not)
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}
wait_exit() {	# PID SECONDS: the exit status, or 124 after SIGKILL when still running
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || break
		sleep 0.05
	done
	if alive "$1"; then kill -KILL "$1" 2>/dev/null; wait "$1"; return 124; fi
	wait "$1"
}
wait_header() {	# LOG SECONDS: the tracer has attached and flushed its header
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -q '"type":"header"' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
tmpfs_cycles() {	# N mount/write/umount cycles of a tmpfs under $tmp
	local i d
	for ((i = 0; i < $1; i++)); do
		d=$(mktemp -d "$tmp/mnt.XXXXXX") || return 1
		mount -t tmpfs shrinktrace-live "$d" || return 1
		echo hi >"$d/f"
		umount "$d" || return 1
		rmdir "$d"
	done
}
one_line() { [ "$(grep -c . "$1")" -eq 1 ]; }
first_line() { head -1 "$1" | cut -c1-200; }

# ---- churn --------------------------------------------------------------------
cat >"$tmp/churn.sh" <<'EOF'
#!/bin/bash
# churn.sh PIDS LOG NMOUNTS WAIT LOGCHECK DIR: the traced workload.
set -u
pids=$1 log=$2 n=$3 secs=$4 lc=$5 dir=$6
sync
for i in $(seq "$n"); do
	d=$(mktemp -d "$dir/mnt.XXXXXX") || exit 10
	# record the pid of each mount(8): its shrinker_alloc must be in the log
	sh -c 'echo $$ >>"$1"; exec mount -t tmpfs shrinktrace-live "$2"' sh "$pids" "$d" || exit 11
	echo hi >"$d/f" || { umount "$d"; exit 12; }
	umount "$d" || exit 13
	rmdir "$d"
done
sync
echo 2 >/proc/sys/vm/drop_caches || exit 14
# keep the trace running until the (lazy) RCU frees are in the log
exec python3 "$lc" wait-rcu "$log" "$pids" "$n" "$secs" >"$dir/wait.txt"
EOF
log=$tmp/churn.jsonl
t0=$(date +%s%N)
timeout -s KILL $((CHURN_RCU_WAIT + 40)) "$bin" -q -o "$log" -- \
	bash "$tmp/churn.sh" "$tmp/pids" "$log" "$NMOUNTS" "$CHURN_RCU_WAIT" "$lc" "$tmp" \
	>"$tmp/churn.out" 2>"$tmp/churn.err"
rc=$?
churn_ms=$(ms_since "$t0")
echo "# churn: tracer exit $rc after ${churn_ms} ms; $(cat "$tmp/wait.txt" 2>/dev/null)"
if [ "$rc" -ne 0 ]; then
	ko churn/exit "exit $rc, want 0: $(grep -v '^ ' "$tmp/churn.err" | grep -iE 'error|cannot|fail|VIOLATION' | head -2 | tr '\n' ' ')"
elif ! grep -q 'command: bash exited with status 0$' "$tmp/churn.err"; then
	ko churn/exit "the workload failed: $(grep 'command:' "$tmp/churn.err")"
elif [ -s "$tmp/churn.out" ]; then
	ko churn/exit "-q but stdout has: $(first_line "$tmp/churn.out")"
else
	ok churn/exit
fi
if [ -s "$log" ]; then
	python3 "$lc" churn "$log" "$tmp/pids" "$NMOUNTS" "$tmp/churn.err" >"$tmp/churn.res" 2>&1
	cat "$tmp/churn.res"
	count "$tmp/churn.res" churn
else
	ko churn "no log written"
fi

# ---- --top 0.5 --cumulative, stdout not a terminal -------------------------------
# The churn workload, then 2.5 s more: timestamped tables on stdout every 0.5 s and
# no event lines; `replay` of the -o log gives the per-name calls and freed of the
# tracer's exit summary.
calls_table() {	# FILE: "NAME CALLS FREED" of the first table of shrinker calls
	awk '/^do_shrink_slab\(\) calls per shrinker/ { on = 1; next }
	     on && /^$/ { exit }
	     on && $1 == "NAME" { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
	     on && hdr { print $1, $col["CALLS"], $col["FREED"] }' "$1"
}
log=$tmp/top.jsonl
timeout -s KILL 60 "$bin" --top 0.5 --cumulative -o "$log" -- \
	sh -c "'$here/../../tools/workload/tmpfs-churn' 20 && sleep 2.5" \
	>"$tmp/top.out" 2>"$tmp/top.err"
rc=$?
frames=$(grep -c '^--- [0-9-]* [0-9:]*, [0-9.]* s: backend ' "$tmp/top.out")
tables=$(grep -c '^NAME  *GENS  *CALLS  *ZERO  *EMPTY  *SCANNED  *FREED  *FREED%  *TOTAL  *AVG  *MAX  *P50  *P99$' "$tmp/top.out")
last_rows=$(awk '/^--- / { n = 0; hdr = 0; next } /^NAME / { hdr = 1; next } hdr && NF { n++ } END { print n + 0 }' "$tmp/top.out")
if [ "$rc" -ne 0 ]; then ko top/tables "exit $rc, want 0: $(first_line "$tmp/top.err")"
elif [ "$frames" -lt 3 ] || [ "$tables" -ne "$frames" ]; then
	ko top/tables "$frames timestamp lines and $tables table headers on stdout, want >= 3 of each: $(first_line "$tmp/top.out")"
elif [ "$last_rows" -lt 1 ]; then ko top/tables "the last table has no shrinker rows after the workload's drop_caches"
elif grep -q -e 'shrink_begin' -e '^TIME' "$tmp/top.out"; then ko top/tables "--top printed event lines: $(grep -m1 -e shrink_begin -e '^TIME' "$tmp/top.out")"
else ok "top/tables ($frames tables, $last_rows rows in the last)"; fi
if [ "$rc" -eq 0 ]; then
	calls_table "$tmp/top.err" >"$tmp/top.live"
	"$bin" replay "$log" >"$tmp/top.replay" 2>"$tmp/top.replay.err"
	rrc=$?
	calls_table "$tmp/top.replay" >"$tmp/top.rep"
	if [ "$rrc" -ne 0 ]; then ko top/replay-same "replay exit $rrc: $(first_line "$tmp/top.replay.err")"
	elif [ ! -s "$tmp/top.live" ]; then ko top/replay-same "no table of shrinker calls in the exit summary"
	elif ! cmp -s "$tmp/top.live" "$tmp/top.rep"; then
		ko top/replay-same "summary and replay differ: $(diff "$tmp/top.live" "$tmp/top.rep" | grep '^[<>]' | head -4 | tr '\n' ' ')"
	else ok "top/replay-same ($(wc -l <"$tmp/top.live") shrinker names, same calls and freed)"; fi
fi
# ---- shrinktrace 0.5 4: per-interval tables, four of them, then the summary ---------
# Each table holds the calls of its interval only: summed over the tables, the calls
# of each shrinker are the summary's (the run ends right after the fourth table).
timeout -s KILL 60 "$bin" 0.5 4 -o "$tmp/topd.jsonl" >"$tmp/topd.out" 2>"$tmp/topd.err" &
tpid=$!
for _ in $(seq 100); do grep -q 'Ctrl-C to stop' "$tmp/topd.err" 2>/dev/null && break; sleep 0.1; done
"$here/../../tools/workload/tmpfs-churn" 10 >/dev/null 2>&1
wait "$tpid"
rc=$?
frames=$(grep -c '^--- [0-9-]* [0-9:]*, [0-9.]* s: backend ' "$tmp/topd.out")
awk '/^--- / { on = 0; next } /^NAME / { for (i = 1; i <= NF; i++) col[$i] = i; on = 1; next }
     on && NF && $1 != "..." { c[$1] += $col["CALLS"] } END { for (n in c) print n, c[n] }' \
	"$tmp/topd.out" | sort >"$tmp/topd.sum"
calls_table "$tmp/topd.err" | awk '{ print $1, $2 }' | sort >"$tmp/topd.live"
if [ "$rc" -ne 0 ]; then ko top/intervals "exit $rc, want 0: $(first_line "$tmp/topd.err")"
elif [ "$frames" -ne 4 ]; then ko top/intervals "$frames tables, want 4 (COUNT)"
elif ! grep -q 'shrinkers: last ' "$tmp/topd.out"; then ko top/intervals "no table says 'last N': not per interval"
elif [ ! -s "$tmp/topd.live" ]; then ko top/intervals "no shrinker calls in the summary"
elif ! cmp -s "$tmp/topd.sum" "$tmp/topd.live"; then
	ko top/intervals "the tables' calls do not sum to the summary's: $(diff "$tmp/topd.sum" "$tmp/topd.live" | grep '^[<>]' | head -4 | tr '\n' ' ')"
else ok "top/intervals (4 tables, $(wc -l <"$tmp/topd.live") shrinkers, calls sum to the summary's)"; fi

run_top_bad() { timeout -s KILL 20 "$bin" --top "$1" -d 1 >"$tmp/topbad.out" 2>"$tmp/topbad.err"; }
run_top_bad 0
rc=$?
if [ "$rc" -ne 2 ]; then ko top/bad-interval "--top 0: exit $rc, want 2"
elif ! grep -q -- "--top: '0' is not an interval" "$tmp/topbad.err"; then ko top/bad-interval "error: $(first_line "$tmp/topbad.err")"
else ok top/bad-interval; fi

# ---- -d 1 ---------------------------------------------------------------------
log=$tmp/dur.jsonl
t0=$(date +%s%N)
timeout -s KILL 20 "$bin" -q -d 1 -o "$log" >"$tmp/dur.out" 2>"$tmp/dur.err"
rc=$? ms=$(ms_since "$t0")
secs=$(sed -n 's/.*summary: \([0-9.]*\) s traced.*/\1/p' "$tmp/dur.err")
if [ "$rc" -ne 0 ]; then ko duration "exit $rc, want 0: $(first_line "$tmp/dur.err")"
elif [ "$ms" -lt 1000 ] || [ "$ms" -gt 10000 ]; then ko duration "took $ms ms, want 1-10 s (1 s traced, plus loading)"
elif ! python3 -c 'import sys; sys.exit(not 0.95 <= float(sys.argv[1]) <= 1.5)' "${secs:-0}"; then
	ko duration "summary says '${secs}' s traced, want about 1"
elif [ "$(stat -c %a "$log")" != 600 ]; then ko duration "log mode $(stat -c %a "$log"), want 600"
elif [ -s "$tmp/dur.out" ]; then ko duration "-q but stdout has: $(first_line "$tmp/dur.out")"
else
	python3 "$lc" complete "$log" "$tmp/dur.err" "duration (-d 1: ${ms} ms)" >"$tmp/dur.res"
	cat "$tmp/dur.res"; count "$tmp/dur.res" duration
fi

# ---- SIGINT / SIGTERM -----------------------------------------------------------
# SIGINT while tracing system-wide, SIGTERM while a command runs (the command gets it too).
signal_case() {	# NAME SIGNAL OPTIONS... (ending in "-- COMMAND ARG" when a command runs)
	local name=$1 sig=$2 log=$tmp/$1.jsonl pid rc ms
	shift 2
	"$bin" -q -o "$log" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	bg_pids+=("$pid")
	if ! wait_header "$log" 10; then
		kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		ko "$name" "no header in the log after 10 s: $(first_line "$tmp/$name.err")"; return
	fi
	tmpfs_cycles 3 || { ko "$name" "tmpfs mount/umount failed"; kill -KILL "$pid"; return; }
	sleep 0.3
	t0=$(date +%s%N)
	kill "-$sig" "$pid"
	wait_exit "$pid" 10
	rc=$? ms=$(ms_since "$t0")
	if [ "$rc" -ne 0 ]; then ko "$name" "exit $rc after SIG$sig, want 0 ($(first_line "$tmp/$name.err"))"; return; fi
	if [ "$ms" -gt 2000 ]; then ko "$name" "took $ms ms to stop after SIG$sig"; return; fi
	if [ "${*: -2:1}" = "--" ] && ! grep -q "command: .* killed by signal $(kill -l "$sig")$" "$tmp/$name.err"; then
		ko "$name" "the command was not ended by SIG$sig: $(grep 'command:' "$tmp/$name.err")"; return
	fi
	if ! grep -q '"type":"shrinker_alloc"' "$log"; then
		ko "$name" "the 3 tmpfs mounts before SIG$sig are not in the log"; return
	fi
	python3 "$lc" complete "$log" "$tmp/$name.err" "$name (stopped in $ms ms)" >"$tmp/$name.res"
	cat "$tmp/$name.res"; count "$tmp/$name.res" "$name"
}
signal_case sigint INT -d 60
signal_case sigterm TERM -- sleep 60

# ---- errors ---------------------------------------------------------------------
run() {	# NAME ARGS...: run the tracer, leave rc in $rc, output in $tmp/NAME.{out,err}
	local name=$1
	shift
	timeout -s KILL 20 "$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

run fentry --backend fentry -q -d 5
if [ "$rc" -ne 1 ]; then ko backend-fentry "exit $rc, want 1 (fentry is refused on this host?)"
elif ! one_line "$tmp/fentry.err"; then ko backend-fentry "stderr has $(grep -c . "$tmp/fentry.err") lines, want 1"
elif ! grep -q fentry "$tmp/fentry.err"; then ko backend-fentry "error does not say fentry: $(first_line "$tmp/fentry.err")"
else ok backend-fentry; fi

run badopt --no-such-option -d 1
if [ "$rc" -ne 2 ]; then ko unknown-option "exit $rc, want 2"
elif ! grep -q -- '--no-such-option' "$tmp/badopt.err"; then ko unknown-option "stderr does not name the option"
else ok unknown-option; fi

run nodir -q -d 1 -o /nonexistent/dir/x
if [ "$rc" -ne 1 ]; then ko output-unwritable "exit $rc, want 1"
elif ! one_line "$tmp/nodir.err"; then ko output-unwritable "stderr has $(grep -c . "$tmp/nodir.err") lines, want 1"
elif ! grep -q '/nonexistent/dir/x' "$tmp/nodir.err"; then ko output-unwritable "error does not name the path"
elif ! grep -q 'No such file or directory' "$tmp/nodir.err"; then ko output-unwritable "error does not say the directory is missing: $(cat "$tmp/nodir.err")"
else ok output-unwritable; fi

echo keep >"$tmp/target"
ln -s "$tmp/target" "$tmp/link"
run symlink -q -d 1 -o "$tmp/link"
if [ "$rc" -ne 1 ]; then ko output-symlink "exit $rc, want 1"
elif [ "$(cat "$tmp/target")" != keep ]; then ko output-symlink "the symlink's target was written"
elif ! one_line "$tmp/symlink.err"; then ko output-symlink "stderr has $(grep -c . "$tmp/symlink.err") lines, want 1"
elif ! grep -q "$tmp/link" "$tmp/symlink.err"; then ko output-symlink "error does not name the path"
else ok output-symlink; fi

# ---- -- COMMAND: refused before anything is attached; the exit status ---------------
# cmd_refused NAME STATUS PATTERN COMMAND...: one line matching PATTERN, exit STATUS,
# no banner or summary, and the earlier log (-o) left as it was
cmd_refused() {
	local name=$1 want=$2 pat=$3
	shift 3
	echo "earlier log" >"$tmp/$name.jsonl"
	run "$name" -q -o "$tmp/$name.jsonl" -- "$@"
	if [ "$rc" -ne "$want" ]; then ko "$name" "exit $rc, want $want: $(first_line "$tmp/$name.err")"
	elif ! one_line "$tmp/$name.err"; then
		ko "$name" "stderr has $(grep -c . "$tmp/$name.err") lines, want 1 (before the banner, no summary): $(tr '\n' '|' <"$tmp/$name.err" | cut -c1-200)"
	elif ! grep -qE "$pat" "$tmp/$name.err"; then ko "$name" "error: $(first_line "$tmp/$name.err"), want /$pat/"
	elif [ "$(cat "$tmp/$name.jsonl")" != "earlier log" ]; then ko "$name" "the earlier log was replaced"
	elif [ -n "$(find "$tmp" -maxdepth 1 -name ".$name.jsonl.*")" ]; then ko "$name" "a private file was left beside the log"
	else ok "$name"; fi
}
cmd_refused command-missing 127 '^shrinktrace: cannot run /no/such/cmd: No such file or directory: ' /no/such/cmd
cmd_refused command-not-on-path 127 'cannot run shrinktrace-no-such-command: not found in PATH: give its path' \
	shrinktrace-no-such-command
printf '#!/bin/sh\nexit 0\n' >"$tmp/not-executable.sh"
chmod 0644 "$tmp/not-executable.sh"
cmd_refused command-not-executable 126 'not-executable.sh: it is not executable \(Permission denied\): make it executable \(chmod \+x\)' \
	"$tmp/not-executable.sh"
cmd_refused command-directory 126 "cannot run $tmp: it is a directory: give the path of a program" "$tmp"

# cmd_status NAME STATUS SUMMARY OPTIONS... -- COMMAND...: exit STATUS, the summary's command line
cmd_status() {
	local name=$1 want=$2 line=$3
	shift 3
	run "$name" -q "$@"
	if [ "$rc" -ne "$want" ]; then ko "$name" "exit $rc, want $want: $(grep -E 'command:|cannot|error' "$tmp/$name.err" | head -2 | tr '\n' ' ')"
	elif ! grep -q "command: $line\$" "$tmp/$name.err"; then
		ko "$name" "summary: $(grep 'command:' "$tmp/$name.err" || echo 'no command line'), want '$line'"
	else ok "$name"; fi
}
cmd_status command-exit-7 7 'sh exited with status 7' -- sh -c 'exit 7'
cmd_status command-false 1 'false exited with status 1' -- false
cmd_status command-true 0 'true exited with status 0' -- true
cmd_status command-killed 138 'sh killed by signal 10' -- sh -c 'kill -USR1 $$'
# the tracer stopped it (-d): the run ended as asked
cmd_status command-stopped 0 'sleep killed by signal 15' -d 1 -- sleep 30
# a violation wins over the command's status: stuck_free at 1 ns of shrinker_free()
cmd_status command-violation-wins 3 'sh exited with status 7' --stuck-after 0.000000001 -- \
	sh -c "'$here/../../tools/workload/tmpfs-churn' 3 >/dev/null; exit 7"
if [ "$rc" -eq 3 ] && ! grep -q '^shrinktrace: VIOLATION stuck_free' "$tmp/command-violation-wins.err"; then
	ko command-violation-wins/reported "exit 3 without a stuck_free violation on stderr"
fi

# ---- --format perfetto / csv ----------------------------------------------------
. "$here/export.sh"

# ---- filters and --stats-only ---------------------------------------------------
. "$here/filters.sh"

# ---- output files, --redact, SIGKILL ----------------------------------------------
. "$here/hardening.sh"

# ---- issue 15: fresh files, kills, descriptors, signals, escapes, capabilities ----------
. "$here/issue15.sh"

# ---- the third adversarial review: rotation, standard output --------------------------
. "$here/review3.sh"

echo "# live: $(ms_since "$t_start") ms in all (churn ${churn_ms} ms)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
