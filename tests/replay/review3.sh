# tests/replay/review3.sh - sourced by tests/replay/run.sh (uses its $bin, $tmp, ok,
# ko, skip; run from the repository root).  The third adversarial review (issue 15's
# review run again with new inputs), the cases that need no tracing:
#  r3/folded-no-stacks     --format folded of a log without stacks: no row, exit 0
#                          (qsort(NULL, 0): UBSan in the sanitizer run);
#  r3/folded-no-escapes    frames and names holding ESC, BEL, C1 (U+009B) and bytes
#                          that are not UTF-8: folded output has no control byte and
#                          is UTF-8;
#  r3/pipe-input           `replay <(cat LOG)` and a FIFO: the whole log is read (the
#                          rotated-log check used to eat the first 4 KiB of a pipe:
#                          a stale_next log replayed as "0 walks", exit 0);
#  r3/rotated-any-order    a rotated log's files given newest first (the order of
#                          `replay LOG*`) or shuffled: one run, the verdicts of the
#                          files in order; csv takes them as one log; a missing
#                          middle part: one warning, separate runs;
#  r3/redact-all-header    redact --all leaves no task name or id in the header's
#                          filters and no memcg path (what --redact=all writes);
#  r3/folded-memory        the folded sink holds at most 32 MiB of stack frames: 8000
#                          and 16000 distinct stacks of 5.7 KB, the same peak RSS.
# python3 (stdlib) is needed; without it these cases are one SKIP.

if ! command -v python3 >/dev/null; then
	echo "SKIP review3: python3 is needed"
	skip=$((skip + 1))
	return 0 2>/dev/null || exit 0
fi
r3=$tmp/r3
mkdir -p "$r3"
sn=tests/replay/corpus/stale-next.jsonl
vkinds() { sed -n 's/.*"kind":"\([a-z_]*\)".*"shrinker":"\(0x[0-9a-f]*\)".*/\1 \2/p' "$@"; }

# ---- folded ------------------------------------------------------------------------------
"$bin" replay --format folded "$sn" >"$r3/out" 2>"$r3/err"
rc=$?
if [ "$rc" != 3 ] || [ -s "$r3/out" ] || ! grep -q 'no call in a walk with a recorded stack' "$r3/err"; then
	ko "r3/folded-no-stacks" "exit $rc, $(wc -c <"$r3/out") bytes out: $(head -c 200 "$r3/err")"
else ok "r3/folded-no-stacks"; fi

python3 - "$r3/esc.jsonl" <<'EOF'
import json, sys
evil = "\x1b]0;owned\x07\x1b[2J\u009b31m\x7f"
out = []
for l in open("tests/replay/corpus/walk-detail.jsonl"):
    o = json.loads(l)
    if o["type"] == "stack":
        o["frames"] = [evil + f for f in o["frames"]] + ["\u0085x", "a b\tc"]
    if "name" in o:
        o["name"] = evil + o["name"]
    out.append(json.dumps(o))
# a byte that is not UTF-8, written as the reader refuses it raw: \u00ff is
# valid JSON, so the frame carries U+00FF; raw 0xff goes through the name
with open(sys.argv[1], "w") as f:
    f.write("\n".join(out) + "\n")
EOF
"$bin" replay --format folded "$r3/esc.jsonl" >"$r3/out" 2>"$r3/err"
rc=$?
bad=$(python3 -c '
import re, sys
b = open(sys.argv[1], "rb").read()
m = re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)
if m: print(repr(b[max(0, m.start() - 20):m.end() + 10]))
try: b.decode("utf-8")
except UnicodeDecodeError as e: print("not UTF-8:", e)
' "$r3/out")
if [ "$rc" != 0 ] || [ ! -s "$r3/out" ]; then ko "r3/folded-no-escapes" "exit $rc: $(head -c 200 "$r3/err")"
elif [ -n "$bad" ]; then ko "r3/folded-no-escapes" "$bad"
else ok "r3/folded-no-escapes"; fi

# ---- pipes and FIFOs ---------------------------------------------------------------------
# the whole log within the 4 KiB a look at its first line used to read away
{
	echo '{"type":"header","format":"shrinktrace/1","kernel":"6.12","backend":"fentry","clock":"monotonic","start_ts":1}'
	cat "$sn"
} >"$r3/big.jsonl"
"$bin" replay --format jsonl "$r3/big.jsonl" >"$r3/want" 2>/dev/null
"$bin" replay --format jsonl <(cat "$r3/big.jsonl") >"$r3/got" 2>"$r3/err"
rc=$?
rm -f "$r3/fifo"
mkfifo "$r3/fifo"
cat "$r3/big.jsonl" >"$r3/fifo" &
timeout 20 "$bin" replay --format jsonl "$r3/fifo" >"$r3/got2" 2>"$r3/err2"
rc2=$?
wait
if [ "$rc" != 3 ] || [ "$(vkinds "$r3/got")" != "$(vkinds "$r3/want")" ] || [ ! -s "$r3/want" ]; then
	ko "r3/pipe-input" "<(cat LOG): exit $rc, verdicts [$(vkinds "$r3/got" | tr '\n' ';')]: $(head -1 "$r3/err")"
elif [ "$rc2" != 3 ] || [ "$(vkinds "$r3/got2")" != "$(vkinds "$r3/want")" ]; then
	ko "r3/pipe-input" "FIFO: exit $rc2, verdicts [$(vkinds "$r3/got2" | tr '\n' ';')]: $(head -1 "$r3/err2")"
else ok "r3/pipe-input"; fi

# ---- rotated logs given out of order -----------------------------------------------------
python3 - "$r3/rot.jsonl" tests/replay/corpus/use-after-free.jsonl <<'EOF'
import json, sys
base, src = sys.argv[1], sys.argv[2]
H = {"type": "header", "format": "shrinktrace/1", "kernel": "6.12", "backend": "fentry",
     "clock": "monotonic", "start_ts": 1, "run": "ab" * 16}
ev = [l for l in open(src) if '"header"' not in l]
# the free in the first parts, the use after it in the last
parts = [ev[0:3], ev[3:6], ev[6:8], ev[8:]]
# FILE.3 (part 1, the oldest) .. FILE.1, FILE (part 4)
for i, p in enumerate(parts):
    name = base if i == 3 else "%s.%d" % (base, 3 - i)
    with open(name, "w") as f:
        f.write(json.dumps(dict(H, part=i + 1)) + "\n")
        f.writelines(p)
EOF
R=$r3/rot.jsonl
"$bin" replay --format jsonl "$R.3" "$R.2" "$R.1" "$R" >"$r3/want" 2>/dev/null
res=
for order in "$R $R.1 $R.2 $R.3" "$R.2 $R $R.3 $R.1" "$R.1 $R.3 $R $R.2"; do
	# shellcheck disable=SC2086
	"$bin" replay --format jsonl $order >"$r3/got" 2>"$r3/err"
	rc=$?
	if [ "$rc" != 3 ] || ! cmp -s "$r3/got" "$r3/want" || [ -s "$r3/err" ]; then
		res="$order: exit $rc, [$(vkinds "$r3/got" | tr '\n' ';')] want [$(vkinds "$r3/want" | tr '\n' ';')] $(head -1 "$r3/err")"
		break
	fi
done
"$bin" replay --format csv "$R" "$R.1" "$R.2" "$R.3" >"$r3/csv" 2>"$r3/err"
rc=$?
"$bin" replay --format jsonl "$R.3" "$R.1" "$R" >"$r3/gap" 2>"$r3/err2"
if [ -n "$res" ]; then ko "r3/rotated-any-order" "$res"
elif [ ! -s "$r3/want" ]; then ko "r3/rotated-any-order" "the files in order give no verdict"
elif [ "$rc" != 3 ] || [ "$(grep -c '^shrink_begin,' "$r3/csv")" = 0 ]; then ko "r3/rotated-any-order" "csv: exit $rc: $(head -1 "$r3/err")"
elif [ "$(grep -c 'parts between are missing' "$r3/err2")" != 1 ]; then ko "r3/rotated-any-order" "gap: $(head -2 "$r3/err2" | tr '\n' '|')"
else ok "r3/rotated-any-order"; fi

# ---- redact --all: the header's filters and memcg paths ----------------------------------
python3 - "$r3/leak.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for o in [{"type": "header", "format": "shrinktrace/1", "kernel": "6.12", "backend": "fentry", "clock": "monotonic",
               "start_ts": 1, "filters": {"pid": 4242, "comm": "secretjob"}},
              {"type": "memcg", "memcg": "0xffff888100242300", "memcg_id": 5, "path": "/user.slice/secretjob.scope"},
              {"type": "walk_begin", "ts": 5, "cpu": 0, "pid": 4242, "comm": "secretjob", "nid": 0,
               "memcg": "0xffff888100242300", "priority": 1}]:
        f.write(json.dumps(o) + "\n")
EOF
"$bin" redact --all "$r3/leak.jsonl" >"$r3/out" 2>"$r3/err"
rc=$?
if [ "$rc" != 0 ]; then ko "r3/redact-all-header" "exit $rc: $(head -1 "$r3/err")"
elif grep -q -e secretjob -e 4242 "$r3/out"; then ko "r3/redact-all-header" "left: $(grep -o -e '.\{20\}secretjob.\{5\}' -e '.\{20\}4242' "$r3/out" | head -2 | tr '\n' '|')"
elif ! grep -q '"comm":"(redacted)"' "$r3/out" || ! grep -q '"path":""' "$r3/out"; then ko "r3/redact-all-header" "$(head -2 "$r3/out" | tr '\n' '|')"
else ok "r3/redact-all-header"; fi

# ---- the folded sink's memory: 8000 and 16000 stacks of 48 frames of 119 bytes --------------
# (46 and 92 MB of frames, every id distinct): the same peak RSS within 16 MiB, the
# cap said on stderr; without the cap on the frames' bytes the second took 50 MB more
for n in 8000 16000; do
	python3 - "$r3/stacks$n.jsonl" "$n" <<'EOF'
import json, sys
n = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write('{"type":"header","format":"shrinktrace/1","kernel":"6.12","backend":"fentry","clock":"monotonic","start_ts":1}\n')
    fr = "f" * 113
    for i in range(n):
        f.write(json.dumps({"type": "stack", "stack_id": i, "frames": [fr + "%06d" % i] * 48}) + "\n")
EOF
	# (under ASan: no quarantine of freed memory, which would grow with any input)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 python3 -c '
import resource, subprocess, sys
with open(sys.argv[3], "wb") as err:
    subprocess.run([sys.argv[1], "replay", "--format", "folded", sys.argv[2]], stdout=subprocess.DEVNULL, stderr=err)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$bin" "$r3/stacks$n.jsonl" "$r3/err$n" >"$r3/rss$n"
	rm -f "$r3/stacks$n.jsonl"
done
a=$(tail -1 "$r3/rss8000") b=$(tail -1 "$r3/rss16000")
if [ $((b - a)) -gt 16384 ]; then ko "r3/folded-memory" "peak RSS $a KiB for 8000 stacks, $b KiB for 16000"
elif ! grep -q 'left out: more than 65536 stacks, 32 MiB of frames' "$r3/err16000"; then ko "r3/folded-memory" "stderr: $(tail -1 "$r3/err16000")"
else ok "r3/folded-memory"; fi
