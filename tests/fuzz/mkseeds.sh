#!/bin/sh
# tests/fuzz/mkseeds.sh - (re)build the committed seed corpus tests/fuzz/seeds/
# from ../shared/scenarios/*.jsonl (when present), tests/replay/corpus/*.jsonl
# and tests/replay/bad/*.jsonl.  Each seed is its log cut at a line boundary to
# at most 12 KiB (the fuzzer's -max_len is 16 KiB): the long generated logs
# repeat the same few patterns, their heads carry them.  Rerun after adding
# scenarios; the build never needs ../shared.
set -eu
cd "$(dirname "$0")/../.."
out=tests/fuzz/seeds
mkdir -p "$out"
for f in ../shared/scenarios/*.jsonl tests/replay/corpus/*.jsonl tests/replay/bad/*.jsonl; do
	[ -e "$f" ] || continue
	case $f in
	../shared/*) name=scenario-$(basename "$f") ;;
	*/bad/*) name=bad-$(basename "$f") ;;
	*) name=corpus-$(basename "$f") ;;
	esac
	awk 'BEGIN { n = 0 } { n += length($0) + 1; if (n > 12288 && NR > 1) exit; print }' "$f" >"$out/$name"
done
ls "$out" | wc -l | sed 's/$/ seeds in tests\/fuzz\/seeds/'
