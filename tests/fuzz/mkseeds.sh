#!/bin/sh
# tests/fuzz/mkseeds.sh - (re)build the committed seed corpus tests/fuzz/seeds/
# from the shared scenarios folder beside the clone, when present (its *.jsonl),
# tests/replay/corpus/*.jsonl and tests/replay/bad/*.jsonl.  Each seed is its log cut at a line boundary to
# at most 12 KiB (the fuzzer's -max_len is 16 KiB): the long generated logs
# repeat the same few patterns, their heads carry them.  Rerun after adding
# scenarios; the build never needs that folder.
set -eu
cd "$(dirname "$0")/../.."
out=tests/fuzz/seeds
mkdir -p "$out"
scenarios=../shared/scenarios	# the shared scenarios folder beside the clone, when present
for f in "$scenarios"/*.jsonl tests/replay/corpus/*.jsonl tests/replay/bad/*.jsonl; do
	[ -e "$f" ] || continue
	case $f in
	"$scenarios"/*) name=scenario-$(basename "$f") ;;
	*/bad/*) name=bad-$(basename "$f") ;;
	*) name=corpus-$(basename "$f") ;;
	esac
	awk 'BEGIN { n = 0 } { n += length($0) + 1; if (n > 12288 && NR > 1) exit; print }' "$f" >"$out/$name"
done
ls "$out" | wc -l | sed 's/$/ seeds in tests\/fuzz\/seeds/'
