#!/usr/bin/env bash
# tests/fuzz/run.sh - the fuzz suites of `make check` and `make fuzz`.
#
#   tests/fuzz/run.sh fuzz BIN SECONDS
#       a libFuzzer session of BIN (build/fuzz/fuzz_replay, build/fuzz/fuzz_convert)
#       for SECONDS over the seeds (tests/fuzz/seeds) and the growing corpus next
#       to BIN (BIN.corpus), with the format's dictionary, at nice 19 (FUZZ_NICE).
#       A crash, leak, sanitizer report or timeout fails; the input is kept in
#       BIN.artifacts/.  The full log is BIN.log.
#   tests/fuzz/run.sh regress BIN [SHRINKTRACE]
#       every tests/fuzz/regressions/* through BIN (one process each, then all
#       in one process in name order: NAME-1-..., NAME-2-... pairs reproduce
#       state left from one input to the next), and through
#       `SHRINKTRACE replay` (a sanitizer build, see tests/sanitized.sh) when
#       given: exit 0, 1 (with one FILE:LINE: reason line) or 3, never a crash.
# Prints PASS/FAIL lines and "N passed, M failed".
set -u
mode=${1:?usage: tests/fuzz/run.sh fuzz BIN SECONDS | regress BIN [SHRINKTRACE]}
bin=${2:?usage: tests/fuzz/run.sh fuzz BIN SECONDS | regress BIN [SHRINKTRACE]}
root=$(cd "$(dirname "$0")/../.." && pwd)
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
cd "$root" || exit 2
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

if [ ! -x "$bin" ]; then
	ko "fuzz $mode" "no fuzz binary $bin (make $bin; needs clang's libFuzzer: libclang-rt-14-dev)"
	summary
fi
dir=$(dirname "$bin")
name=$(basename "$bin")

case $mode in
fuzz)
	secs=${3:-60}
	corpus=$dir/$name.corpus arts=$dir/$name.artifacts
	mkdir -p "$corpus" "$arts"
	log=$dir/$name.log
	echo "fuzz: $secs s of $bin, log in ${log#"$root"/}"
	tmplog=$(mktemp "$dir/$name.log.XXXXXX")	# sessions may run side by side
	# shellcheck disable=SC2086
	${FUZZ_NICE-nice -n 19} "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -dict=tests/fuzz/shrinktrace.dict -print_final_stats=1 \
		-artifact_prefix="$arts/" "$corpus" tests/fuzz/seeds >"$tmplog" 2>&1
	rc=$?
	grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^Done [0-9]+ runs|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)' "$tmplog" |
		sed 's/^/  /'
	echo "  corpus: $(find "$corpus" -type f | wc -l) inputs in ${corpus#"$root"/}"
	if [ "$rc" -eq 0 ]; then
		ok "fuzz session $name ($secs s)"
	else
		grep -E '^==[0-9]+==ERROR|SUMMARY:|runtime error|^fuzz_[a-z]*:|Test unit written to|ALARM|timeout' "$tmplog" | head -20 | sed 's/^/  /'
		ko "fuzz session $name" "libFuzzer exit $rc: fix the code, then keep the input above in tests/fuzz/regressions/ (see ${log#"$root"/})"
	fi
	mv -f "$tmplog" "$log"
	;;
regress)
	st=${3:-}
	[ -n "$st" ] && case $st in /*) ;; *) st=$root/$st ;; esac
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for f in tests/fuzz/regressions/*; do
		[ -f "$f" ] || continue
		tname=regress/$name/$(basename "$f")
		if ! "$bin" "$f" >"$tmp/log" 2>&1; then
			ko "$tname" "fuzz target: $(grep -E 'ERROR|SUMMARY|runtime error|^fuzz_[a-z]*:' "$tmp/log" | head -3 | tr '\n' ' ')"
			continue
		fi
		if [ -n "$st" ]; then
			"$st" replay --format jsonl "$f" >/dev/null 2>"$tmp/err"
			rc=$?
			case $rc in
			0 | 3) ;;
			1)	if [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qE '^[^:]+:[0-9]+: ' "$tmp/err"; then
					ko "$tname" "replay error is not one FILE:LINE: reason line: $(head -c 300 "$tmp/err" | tr '\n' '|')"
					continue
				fi ;;
			*)	ko "$tname" "replay exit $rc: $(head -3 "$tmp/err" | tr '\n' ' ')"; continue ;;
			esac
		fi
		ok "$tname"
	done
	# all in one process, in name order: state one input leaves behind (the
	# parser's, the engine's statics) must not change how the next one reads
	set -- tests/fuzz/regressions/*
	if [ -f "$1" ]; then
		if "$bin" "$@" >"$tmp/log" 2>&1; then
			ok "regress/$name/all-in-one-process"
		else
			ko "regress/$name/all-in-one-process" "fuzz target: $(grep -E 'ERROR|SUMMARY|runtime error|^fuzz_[a-z]*:' "$tmp/log" | head -3 | tr '\n' ' ')"
		fi
	else
		echo "(no regression inputs in tests/fuzz/regressions)"
	fi
	;;
*)
	ko "fuzz" "unknown mode $mode"
	;;
esac
summary
