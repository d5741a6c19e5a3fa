#!/usr/bin/env bash
# tests/package/fields.sh BUILD_DIR - every field name and event type the tracer can
# write in a shrinktrace/1 log is documented in docs/event-log.md (as `name`).
# The names come from what the log writer (user/log/writer.c) really writes:
#   - BUILD/relog (tests/package/relog.c): the reader + writer over the replay corpus
#     (tests/replay/corpus, and the shared scenarios folder beside the clone, when present);
#   - BUILD/genlog: the benchmark's generator, which writes with the writer;
#   - `shrinktrace replay --format jsonl` of the corpus: the violation records;
#   - a live trace of tools/workload/tmpfs-churn (root, BPF; skipped otherwise);
# and, so that a field no log exercises is not missed, every key the writer's source
# names (jw_key/jw_kstr calls and literal "KEY": pieces in user/log/writer.c, and the
# rows of the field table ST_FIELDS in user/log/event.h once it is there).
# Prints PASS/FAIL/SKIP lines and "N passed, M failed, K skipped".
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/shrinktrace doc=docs/event-log.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
sk() { echo "SKIP $1: $2"; skip=$((skip + 1)); }

if ! command -v python3 >/dev/null; then
	sk fields "python3 is needed to read the logs"; echo "$pass passed, $fail failed, $skip skipped"; exit 0
fi
for t in "$bin" "$build/relog" "$build/genlog"; do
	[ -x "$t" ] || { ko fields "no $t (make check builds it)"; echo "$pass passed, $fail failed, $skip skipped"; exit 1; }
done

logs=(tests/replay/corpus/*.jsonl)
scenarios=../shared/scenarios	# the shared scenarios folder beside the clone, when present
[ -d "$scenarios" ] && logs+=("$scenarios"/*.jsonl)

# "SOURCE TYPE FIELD" for every key of every object in the given JSONL files
keys() {	# source file...
	python3 - "$@" <<'PY'
import json, sys
src = sys.argv[1]
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
            except ValueError as e:
                print(f"BAD {path}:{n}: {e}")
                continue
            t = o.get("type", "?")
            print(f"{src} type {t}")
            for k in o:
                print(f"{src} {t} {k}")
PY
}

if "$build/relog" "${logs[@]}" >"$tmp/relog.jsonl" 2>"$tmp/err"; then
	keys relog "$tmp/relog.jsonl" >>"$tmp/keys"
	ok "relog: the writer re-wrote ${#logs[@]} logs ($(wc -l <"$tmp/relog.jsonl") lines)"
else
	ko relog "$(head -1 "$tmp/err")"
fi
"$build/genlog" 20000 "$tmp/genlog.jsonl" >/dev/null 2>&1 && keys genlog "$tmp/genlog.jsonl" >>"$tmp/keys" ||
	ko genlog "genlog 20000 failed"
: >"$tmp/viol.jsonl"
for f in "${logs[@]}"; do "$bin" replay --format jsonl "$f" >>"$tmp/viol.jsonl" 2>/dev/null; done
if [ -s "$tmp/viol.jsonl" ]; then
	keys violations "$tmp/viol.jsonl" >>"$tmp/keys"
	ok "violations: $(wc -l <"$tmp/viol.jsonl") violation records from replay"
else
	ko violations "replay of the corpus wrote no violation record"
fi

# live: root and a kernel that lets BPF tracing programs load
if [ "$(id -u)" -ne 0 ]; then
	sk live "needs root (BPF)"
elif "$bin" -q --no-banner -o "$tmp/live.jsonl" -- tools/workload/tmpfs-churn 5 >/dev/null 2>"$tmp/live.err" ||
     [ $? -eq 3 ]; then
	keys live "$tmp/live.jsonl" >>"$tmp/keys"
	ok "live: $(wc -l <"$tmp/live.jsonl") lines traced on $(uname -r)"
else
	sk live "the tracer could not run here: $(grep -m1 shrinktrace: "$tmp/live.err")"
fi

# the source: jw_key(&w, "k"), jw_kstr(&w, "k", ...), ",\"k\":..." pieces of the writer,
# and the keys of the event record's field table (F/FK rows: "key", ST_FT_...) where
# user/log/event.h has one
grep -o 'jw_k\(ey\|str\)(&w, "[a-z_]*"' user/log/writer.c | sed 's/.*"\([a-z_]*\)"/source - \1/' >"$tmp/src"
grep -o '\\"[a-z_]*\\":' user/log/writer.c | sed 's/\\"\([a-z_]*\)\\":/source - \1/' >>"$tmp/src"
grep -o '"[a-z_]*", ST_FT_' user/log/event.h | sed 's/"\([a-z_]*\)".*/source - \1/' >>"$tmp/src"
if [ "$(sort -u "$tmp/src" | wc -l)" -lt 20 ]; then
	ko source "found only $(sort -u "$tmp/src" | wc -l) keys in user/log/writer.c and event.h: has the field list moved? update tests/package/fields.sh"
else
	cat "$tmp/src" >>"$tmp/keys"
	ok "source: $(sort -u "$tmp/src" | wc -l) keys named in user/log/writer.c and event.h"
fi

if grep -q '^BAD ' "$tmp/keys"; then
	ko json "$(grep -m1 '^BAD ' "$tmp/keys")"
fi
# every field and every type value, in backquotes, in docs/event-log.md
missing=
for name in $(awk '$1 != "BAD" {print $3}' "$tmp/keys" | LC_ALL=C sort -u); do
	grep -qF "\`$name\`" "$doc" || missing="$missing $name($(awk -v n="$name" '$3 == n {print $1 "/" $2; exit}' "$tmp/keys"))"
done
n=$(awk '$1 != "BAD" {print $3}' "$tmp/keys" | sort -u | wc -l)
if [ -z "$missing" ]; then
	ok "docs/event-log.md names all $n fields and types the writer wrote"
else
	ko "docs/event-log.md" "not documented:$missing"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
