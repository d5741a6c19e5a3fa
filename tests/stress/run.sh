#!/usr/bin/env bash
# Stress tests: tests/stress/run.sh BUILD_DIR
# Runs BUILD_DIR/shrinkstress (root) on this machine and checks:
#  - each workload alone for ~2 s (tmpfs, ramfs, procfs, disk, memcg): exit 0, its counters
#    nonzero, mounts == unmounts, no error, and nothing left behind: no mount under the
#    working directory, the directory empty, no cgroup, no process. When the memory
#    controller is not on cgroup v2 here, memcg must refuse in one line with exit 1
#    (PASS memcg/refuse) and the memcg run is a SKIP;
#  - all workloads with --jobs 2 for ~2 s;
#  - --pair (tmpfs and procfs workers in pairs): both of a pair mount and unmount as often,
#    nothing left; --pair with an odd --jobs refused (usage, exit 2, one line naming it);
#  - --disk-files 0: the disk workload is a drop_caches loop alone (no file); with --idle its
#    worker runs in SCHED_IDLE (policy 5 in /proc/PID/sched);
#  - SIGINT and SIGTERM mid-run: stops within 25 s, exit 0, says so, cleans up;
#  - refusals: not root (run as nobody), an unknown workload (usage, exit 2);
#  - tmpfs + disk under BUILD_DIR/shrinktrace (-q -o LOG): the log has shrinker_alloc,
#    shrinker_register, free_end, rcu_free and shrink_begin events (traced), and no
#    violation (traced/no-violation: on a correct kernel any is the tracer's own error).
# Prints PASS/FAIL/SKIP per case and "N passed, M failed, K skipped"; SKIP (exit 0)
# when not root. STRESS_SECONDS (default 2) sets each run's length. The disk workload
# gets --disk-files 200 (default 2000) so that a slow or busy disk still completes its
# drop_caches iterations within that time.
set -u
build=${1:?usage: tests/stress/run.sh BUILD_DIR}
case $build in /*) ;; *) build=$PWD/$build ;; esac
ss=$build/shrinkstress
st=$build/shrinktrace
secs=${STRESS_SECONDS:-2}
pass=0 fail=0 skip=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
sk() { echo "SKIP $1: $2"; skip=$((skip + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit; }

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP stress: not root (mounts, drop_caches and cgroups need root)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ ! -x "$ss" ]; then
	ko stress "no executable $ss (make $build/shrinkstress)"
	finish
fi

tmp=$(mktemp -d /var/tmp/shrinkstress-test.XXXXXX) || exit 1
wd=$tmp/wd
mkdir "$wd"
bg=
cleanup() {
	local m
	[ -n "$bg" ] && kill -KILL "$bg" 2>/dev/null
	for m in $(awk -v t="$tmp/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)

# What a run left behind, one line per kind ("" when nothing).
leftovers() {
	local m c p
	m=$(awk -v t="$wd/" 'index($2, t) == 1 {print $2}' /proc/mounts | head -3 | tr '\n' ' ')
	[ -n "$m" ] && echo "mounts left: $m"
	c=$(find "$wd" -mindepth 1 -maxdepth 2 2>/dev/null | head -3 | tr '\n' ' ')
	[ -n "$c" ] && echo "files left: $c"
	if [ -n "$cg2" ]; then
		c=$(find "$cg2" -maxdepth 3 -type d -name 'shrinkstress.*' 2>/dev/null | head -3 | tr '\n' ' ')
		[ -n "$c" ] && echo "cgroups left: $c"
	fi
	# workers and memcg children carry "-d $wd" in their command line
	p=$(pgrep -f -- "$wd" | head -3 | tr "\n" " ")
	[ -n "$p" ] && echo "processes left: $p"
	return 0
}

# counter WORKLOAD NAME FILE: the value of NAME=... on the WORKLOAD line of the counts.
counter() {
	sed -n "s/^  $1 .* $2=\([0-9]*\).*/\1/p" "$3" | head -1
}

# check_counts NAME WORKLOAD OUT COUNTER...: every COUNTER of WORKLOAD is > 0.
check_counts() {
	local name=$1 w=$2 out=$3 c v bad=
	shift 3
	for c in "$@"; do
		v=$(counter "$w" "$c" "$out")
		if [ -z "$v" ]; then bad="$bad no $c on the $w line;"
		elif [ "$v" -eq 0 ]; then bad="$bad $w $c=0;"; fi
	done
	v=$(counter "$w" errors "$out")
	[ "${v:-x}" = 0 ] || bad="$bad $w errors=${v:-?};"
	if [ -n "$bad" ]; then ko "$name" "${bad%;} ($(grep "^  $w " "$out"))"; return 1; fi
	return 0
}

memcg_reason=
# ---- each workload alone ---------------------------------------------------------
for w in tmpfs ramfs procfs disk memcg; do
	out=$tmp/$w.out err=$tmp/$w.err
	timeout -s KILL $((secs + 40)) "$ss" -q -w "$w" -s "$secs" --disk-files 200 -d "$wd" >"$out" 2>"$err"
	rc=$?
	if [ "$w" = memcg ] && [ "$rc" -eq 1 ] && grep -q '^shrinkstress: memcg: ' "$err"; then
		# the memory controller is not usable on cgroup v2 here: a clean refusal is a pass
		memcg_reason=$(sed 's/^shrinkstress: memcg: //' "$err" | head -1)
		if [ "$(grep -c . "$err")" -ne 1 ]; then ko memcg/refuse "stderr has $(grep -c . "$err") lines, want 1"
		elif ! grep -q -- '--workload' "$err"; then ko memcg/refuse "the error gives no way out: $(head -1 "$err")"
		elif [ -s "$out" ]; then ko memcg/refuse "counts printed although nothing ran"
		else ok memcg/refuse; fi
		l=$(leftovers)
		if [ -n "$l" ]; then ko memcg/cleanup "$l"; else ok memcg/cleanup; fi
		sk memcg "$memcg_reason"
		continue
	fi
	if [ "$rc" -ne 0 ]; then
		ko "$w" "exit $rc, want 0: $(head -2 "$err" | tr '\n' ' ')"
	else
		case $w in
		tmpfs|ramfs) set -- mounts unmounts files ;;
		procfs) set -- mounts unmounts dentries ;;
		disk) set -- files negative_dentries drop_caches ;;
		memcg) set -- cgroups children files negative_dentries memory.reclaim ;;
		esac
		if check_counts "$w" "$w" "$out" "$@"; then
			m=$(counter "$w" mounts "$out") u=$(counter "$w" unmounts "$out")
			if [ "$m" != "$u" ]; then ko "$w" "mounts=$m but unmounts=$u"
			else ok "$w ($(grep "^  $w " "$out" | sed 's/^  [a-z]* *//'))"; fi
		fi
	fi
	l=$(leftovers)
	if [ -n "$l" ]; then ko "$w/cleanup" "$l"; else ok "$w/cleanup"; fi
done

# ---- all together, 2 jobs each -------------------------------------------------------
out=$tmp/all.out err=$tmp/all.err
timeout -s KILL $((secs + 40)) "$ss" -q -w all -j 2 -s "$secs" --disk-files 200 -d "$wd" >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko all "exit $rc, want 0: $(grep -v '^shrinkstress: memcg: ' "$err" | head -2 | tr '\n' ' ')"
elif ! grep -q ', 2 jobs each' "$out"; then
	ko all "no '2 jobs each' in: $(head -1 "$out")"
elif check_counts all total "$out" mounts unmounts files drop_caches; then
	ok "all -j 2 ($(grep '^  total ' "$out" | sed 's/^  total *//'))"
fi
l=$(leftovers)
if [ -n "$l" ]; then ko all/cleanup "$l"; else ok all/cleanup; fi

# ---- pairs, drop_caches alone ---------------------------------------------------------
out=$tmp/pair.out err=$tmp/pair.err
timeout -s KILL $((secs + 40)) "$ss" -q -w tmpfs,procfs -j 2 --pair --proc-entries 200 --hold 5 \
	-s "$secs" -d "$wd" >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko pair "exit $rc, want 0: $(head -2 "$err" | tr '\n' ' ')"
elif check_counts pair tmpfs "$out" mounts unmounts files && check_counts pair procfs "$out" mounts unmounts dentries; then
	m=$(counter total mounts "$out") u=$(counter total unmounts "$out")
	if [ "$m" != "$u" ]; then ko pair "mounts=$m but unmounts=$u"
	else ok "pair ($(grep '^  procfs ' "$out" | sed 's/^  procfs *//'))"; fi
fi
l=$(leftovers)
if [ -n "$l" ]; then ko pair/cleanup "$l"; else ok pair/cleanup; fi
"$ss" -q -w tmpfs -j 3 --pair -s 1 -d "$wd" >"$tmp/odd.out" 2>"$tmp/odd.err"
rc=$?
if [ "$rc" -ne 2 ]; then ko pair/odd-jobs "exit $rc, want 2"
elif ! head -1 "$tmp/odd.err" | grep -q -- '--pair.*--jobs 3'; then ko pair/odd-jobs "the error does not name --pair and --jobs: $(head -1 "$tmp/odd.err")"
elif [ -s "$tmp/odd.out" ]; then ko pair/odd-jobs "counts printed although nothing ran"
else ok pair/odd-jobs; fi
out=$tmp/drop.out
timeout -s KILL $((secs + 40)) "$ss" -q -w disk --disk-files 0 -s "$secs" -d "$wd" >"$out" 2>"$tmp/drop.err"
rc=$?
if [ "$rc" -ne 0 ]; then ko drop-only "exit $rc, want 0: $(head -2 "$tmp/drop.err" | tr '\n' ' ')"
elif check_counts drop-only disk "$out" drop_caches; then
	if [ "$(counter disk files "$out")" != 0 ]; then ko drop-only "files=$(counter disk files "$out") with --disk-files 0"
	else ok "drop-only ($(grep '^  disk ' "$out" | sed 's/^  disk *//'))"; fi
fi
l=$(leftovers)
if [ -n "$l" ]; then ko drop-only/cleanup "$l"; else ok drop-only/cleanup; fi
out=$tmp/idle.out
"$ss" -q -w disk --disk-files 0 --idle -s "$secs" -d "$wd" >"$out" 2>"$tmp/idle.err" &
bg=$!
pol=
for ((i = 0; i < 40; i++)); do
	[ -n "$pol" ] && break
	sleep 0.05
	for c in $(cat /proc/$bg/task/$bg/children 2>/dev/null); do
		pol=$(sed -n 's/^policy *: *//p' /proc/$c/sched 2>/dev/null)
	done
done
wait "$bg"
rc=$? bg=
if [ "$rc" -ne 0 ]; then ko idle "exit $rc, want 0: $(head -2 "$tmp/idle.err" | tr '\n' ' ')"
elif [ "$pol" != 5 ]; then ko idle "the worker's scheduling policy is '${pol:-unknown}', want 5 (SCHED_IDLE)"
elif check_counts idle disk "$out" drop_caches; then ok "idle (SCHED_IDLE worker; $(grep '^  disk ' "$out" | sed 's/^  disk *//'))"; fi

# ---- signals mid-run ---------------------------------------------------------------
alive() {
	local s
	s=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$s" ] && [ "${s%% *}" != Z ]
}
signal_case() {	# SIGNAL
	local sig=$1 name=sig${1,,} out=$tmp/sig.out err=$tmp/sig.err i rc t0 ms
	"$ss" -q -w all -j 2 -s 120 -d "$wd" >"$out" 2>"$err" &
	bg=$!
	# until something is mounted or a second has passed: mid-run for sure
	for ((i = 0; i < 20; i++)); do
		grep -q " $wd/" /proc/mounts && break
		sleep 0.05
	done
	sleep 1
	t0=$(date +%s%N)
	kill "-$sig" "$bg"
	for ((i = 0; i < 500; i++)); do
		alive "$bg" || break
		sleep 0.05
	done
	if alive "$bg"; then
		kill -KILL "$bg"; wait "$bg" 2>/dev/null; bg=
		ko "$name" "still running 25 s after SIG$sig"
		return
	fi
	wait "$bg"
	rc=$? bg=
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" -ne 0 ]; then ko "$name" "exit $rc after SIG$sig, want 0: $(grep -v '^shrinkstress: memcg: ' "$err" | head -2 | tr '\n' ' ')"
	elif ! grep -q "stopped by SIG$sig" "$out"; then ko "$name" "the counts do not say 'stopped by SIG$sig': $(head -1 "$out")"
	elif [ "$(counter total mounts "$out")" != "$(counter total unmounts "$out")" ]; then
		ko "$name" "mounts != unmounts: $(grep '^  total' "$out")"
	else ok "$name (stopped in $ms ms)"; fi
	l=$(leftovers)
	if [ -n "$l" ]; then ko "$name/cleanup" "$l"; else ok "$name/cleanup"; fi
}
signal_case INT
signal_case TERM

# ---- refusals ----------------------------------------------------------------------
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$ss" -q -w tmpfs -s 1 -d /tmp \
		>"$tmp/user.out" 2>"$tmp/user.err"
	rc=$?
	if [ "$rc" -ne 1 ]; then ko not-root "exit $rc, want 1"
	elif [ "$(grep -c . "$tmp/user.err")" -ne 1 ]; then ko not-root "stderr has $(grep -c . "$tmp/user.err") lines, want 1"
	elif ! grep -q 'root' "$tmp/user.err"; then ko not-root "the error does not say root: $(head -1 "$tmp/user.err")"
	else ok not-root; fi
else
	sk not-root "no setpriv (util-linux) to drop privileges"
fi
"$ss" -w nosuch -s 1 -d "$wd" >"$tmp/usage.out" 2>"$tmp/usage.err"
rc=$?
if [ "$rc" -ne 2 ]; then ko unknown-workload "exit $rc, want 2"
elif ! grep -q "nosuch" "$tmp/usage.err"; then ko unknown-workload "stderr does not name it"
else ok unknown-workload; fi

# ---- under the tracer ----------------------------------------------------------------
# tmpfs gives shrinker_alloc .. rcu_free, disk's drop_caches the shrink calls (the
# tracepoint backend sees only calls whose count_objects() found objects).
if [ ! -x "$st" ]; then
	ko traced "no executable $st"
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	sk traced "no /sys/kernel/btf/vmlinux (kernel without BTF)"
else
	log=$tmp/traced.jsonl
	timeout -s KILL $((secs + 60)) "$st" -q -o "$log" -- \
		"$ss" -q -w tmpfs,disk -s "$secs" --disk-files 200 -d "$wd" >"$tmp/traced.out" 2>"$tmp/traced.err"
	rc=$?
	# exit 3 (violations) is judged by traced/no-violation below
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
		ko traced "shrinktrace exit $rc, want 0: $(grep -iE 'error|cannot|not permitted' "$tmp/traced.err" | head -2 | tr '\n' ' ')"
	elif ! grep -q 'command: .*shrinkstress exited with status 0$' "$tmp/traced.err"; then
		ko traced "shrinkstress failed: $(grep 'command:' "$tmp/traced.err")"
	else
		miss=
		for t in shrinker_alloc shrinker_register free_end rcu_free shrink_begin; do
			n=$(grep -c "\"type\":\"$t\"" "$log")
			[ "$n" -gt 0 ] || miss="$miss $t"
			eval "n_$t=$n"
		done
		# shellcheck disable=SC2154
		if [ -n "$miss" ]; then ko traced "no$miss events in the log"
		else ok "traced (shrinker_alloc=$n_shrinker_alloc shrinker_register=$n_shrinker_register free_end=$n_free_end rcu_free=$n_rcu_free shrink_begin=$n_shrink_begin)"; fi
		# a correct kernel gives none: any violation here is a tracer false positive
		# (the summary's head lines wrap at 80 columns, continued 6 spaces in)
		if [ "$rc" -eq 0 ] && sed -e ':a' -e 'N' -e '$!ba' -e 's/\n      / /g' "$tmp/traced.err" |
			grep -q 'violations: .*(none)'; then
			ok traced/no-violation
		else
			v=$(grep -m1 '"type":"violation"' "$log" | cut -c1-400)
			ko traced/no-violation "exit $rc, $(grep 'violations:' "$tmp/traced.err" | sed 's/^ *//'); first: ${v:-none in the log}"
		fi
	fi
	l=$(leftovers)
	if [ -n "$l" ]; then ko traced/cleanup "$l"; else ok traced/cleanup; fi
fi

finish
