#!/usr/bin/env bash
# Replay tests: tests/replay/run.sh BINARY
#  - every scenario (*.jsonl) of the shared scenarios folder beside the clone, when
#    present ($scenarios), and every
#    tests/replay/corpus/*.jsonl through `BINARY replay --format jsonl`: the sorted
#    "KIND SHRINKER" lines must equal NAME.expect, the exit status must be 3 with
#    violations and 0 without, and when NAME.uncertain exists exactly those
#    verdicts must carry "certain":false;
#  - every tests/replay/bad/*.jsonl must exit 1 with one "FILE:LINE: reason"
#    line on stderr containing the text of NAME.err.
# Prints PASS/FAIL per case and "N passed, M failed[, K skipped]".
set -u
bin=${1:?usage: tests/replay/run.sh BINARY}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
# the project's shared scenarios: a folder beside the clone, when present (CI has it);
# also read by tests/replay/export.sh and hardening.sh, which this script sources
scenarios=../shared/scenarios
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# "KIND SHRINKER" of each violation object; fields before "detail" are ours
verdicts() { sed -n 's/.*"kind":"\([a-z_]*\)".*"shrinker":"\(0x[0-9a-f]*\)".*/\1 \2/p' "$1" | LC_ALL=C sort; }
uncertain() { grep '"certain":false' "$1" | sed -n 's/.*"kind":"\([a-z_]*\)".*"shrinker":"\(0x[0-9a-f]*\)".*/\1 \2/p' | LC_ALL=C sort; }

run_case() {	# name file
	local name=$1 f=$2 exp=${2%.jsonl}.expect unc=${2%.jsonl}.uncertain rc want
	if [ ! -f "$exp" ]; then ko "$name" "no ${exp#"$root"/}"; return; fi
	"$bin" replay --format jsonl "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	verdicts "$tmp/out" >"$tmp/got"
	LC_ALL=C sort "$exp" | sed '/^$/d' >"$tmp/want"
	if [ "$(grep -c . "$tmp/out")" != "$(grep -c . "$tmp/got")" ]; then
		ko "$name" "output has lines that are not violation objects"; return
	fi
	if ! cmp -s "$tmp/got" "$tmp/want"; then
		ko "$name" "verdicts differ: $(diff "$tmp/want" "$tmp/got" | grep '^[<>]' | tr '\n' ' ')"
		return
	fi
	if [ -s "$tmp/want" ]; then want=3; else want=0; fi
	if [ "$rc" != "$want" ]; then ko "$name" "exit $rc, want $want ($(head -1 "$tmp/err"))"; return; fi
	if [ -f "$unc" ]; then
		uncertain "$tmp/out" >"$tmp/gotu"
		if ! LC_ALL=C sort "$unc" | cmp -s - "$tmp/gotu"; then
			ko "$name" "certain:false on [$(tr '\n' ';' <"$tmp/gotu")], want [$(tr '\n' ';' <"$unc")]"
			return
		fi
	fi
	ok "$name"
}

if [ -d "$scenarios" ]; then
	for f in "$scenarios"/*.jsonl; do
		[ -e "$f" ] || continue
		run_case "scenario/$(basename "$f" .jsonl)" "$f"
	done
else
	echo "SKIP: no shared scenarios folder beside the clone ($scenarios)"
	skip=$((skip + 1))
fi

for f in tests/replay/corpus/*.jsonl; do
	[ -e "$f" ] || continue
	run_case "corpus/$(basename "$f" .jsonl)" "$f"
done

for f in tests/replay/bad/*.jsonl; do
	[ -e "$f" ] || continue
	name="bad/$(basename "$f" .jsonl)"
	"$bin" replay --format jsonl "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	want=$(head -1 "${f%.jsonl}.err" 2>/dev/null)
	if [ "$rc" != 1 ]; then ko "$name" "exit $rc, want 1"; continue; fi
	if [ -z "$want" ]; then ko "$name" "no ${f%.jsonl}.err"; continue; fi
	if [ "$(grep -c . "$tmp/err")" != 1 ]; then ko "$name" "want one error line, got: $(tr '\n' '|' <"$tmp/err")"; continue; fi
	if ! grep -qF -- "$want" "$tmp/err"; then ko "$name" "error \"$(cat "$tmp/err")\" lacks \"$want\""; continue; fi
	if ! grep -qE "^[^:]+:[0-9]+: " "$tmp/err"; then ko "$name" "error is not FILE:LINE: reason"; continue; fi
	ok "$name"
done

# statistics: the text report of hand-written logs, byte for byte
# (tests/replay/stats/cases: "EXPECTED LOG [OPTIONS...]" per line)
while read -r exp log args; do
	case $exp in '' | '#'*) continue ;; esac
	name="stats/${exp%.expect}"
	# shellcheck disable=SC2086 # the options are words
	"$bin" replay $args "tests/replay/stats/$log" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" != 0 ]; then ko "$name" "exit $rc, want 0 ($(head -1 "$tmp/err"))"; continue; fi
	if ! cmp -s "tests/replay/stats/$exp" "$tmp/out"; then
		ko "$name" "output differs: $(diff "tests/replay/stats/$exp" "$tmp/out" | grep '^[<>]' | head -4 | tr '\n' ' ')"
		continue
	fi
	ok "$name"
done <tests/replay/stats/cases
"$bin" replay --sort nope tests/replay/stats/known.jsonl >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ]; then ok "usage/bad-sort"; else ko "usage/bad-sort" "exit $rc, want 2"; fi

# usage errors and stdin
"$bin" replay --format nope x >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ]; then ok "usage/bad-format"; else ko "usage/bad-format" "exit $rc, want 2"; fi
"$bin" replay >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ]; then ok "usage/no-file"; else ko "usage/no-file" "exit $rc, want 2"; fi
"$bin" replay --format jsonl - <tests/replay/corpus/use-after-free.jsonl >"$tmp/out" 2>/dev/null
rc=$?
if [ "$rc" = 3 ] && [ "$(verdicts "$tmp/out")" = "use_after_free 0xffff888104a1c400" ]; then
	ok "stdin"
else
	ko "stdin" "exit $rc, verdicts: $(verdicts "$tmp/out" | tr '\n' ';')"
fi
# an empty file is not a log: a warning (a header alone is a quiet trace: none)
: >"$tmp/empty.jsonl"
"$bin" replay "$tmp/empty.jsonl" >/dev/null 2>"$tmp/empty.err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'warning: no header and no events' "$tmp/empty.err"; then
	grep -m1 '"type":"header"' tests/replay/corpus/ignored-records.jsonl >"$tmp/hdr.jsonl"
	if grep -q '"header"' "$tmp/hdr.jsonl" && "$bin" replay "$tmp/hdr.jsonl" >/dev/null 2>"$tmp/hdr.err" &&
		[ ! -s "$tmp/hdr.err" ]; then
		ok "empty-log-warns"
	else
		ko "empty-log-warns" "a header-only log: $(head -c 200 "$tmp/hdr.err")"
	fi
else
	ko "empty-log-warns" "exit $rc, stderr: $(head -c 200 "$tmp/empty.err")"
fi

# --format csv / perfetto conversions of the same logs, and their checkers
. tests/replay/export.sh

# redact, output files (--mode, reader gone, full disk), caps
. tests/replay/hardening.sh

# issue 15: outputs that are inputs, bounded memory, redaction, runs, escapes, numbers
. tests/replay/issue15.sh

# the third adversarial review: folded, pipes, rotated logs out of order, redact --all
. tests/replay/review3.sh

summary="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && summary="$summary, $skip skipped"
echo "$summary"
[ "$fail" -eq 0 ]
