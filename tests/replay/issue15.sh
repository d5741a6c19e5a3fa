# tests/replay/issue15.sh - sourced by tests/replay/run.sh (uses its $bin, $tmp, ok,
# ko, skip; run from the repository root).  Issue 15 (hardening, round two), the
# cases that need no tracing; each names its item:
#  15.2  the output is never an input: replay -o L L, redact -o L L, by name, by a
#        hard link, through - and through standard output (>> L): refused (exit 2),
#        L unchanged; a replay or redact that fails leaves an earlier OUT as it was;
#  15.5  bounded memory: 64 MiB and 4 MiB of zeros through redact and replay use the
#        same peak RSS (within 16 MiB), with "line longer than 1048576 bytes"; a 2 GiB
#        sparse file fails at once; a 2 MiB line in a regular file is one
#        FILE:LINE: error; a cut last line is one warning and the events before it
#        are used (replay and redact);
#  15.7  redact removes every kernel address, from names too (0x with leading
#        zeros, inside a word, upper case, %px's bare 16 digits, an overlong run),
#        and replay --redact as well; the detail rewriter of --all on "(pid
#        -2147483648)" (UBSan in the sanitizer run), an absurdly long pid and a
#        cut "(pid 12": no task name left;
#  15.8  two logs in one stream (cat a b | replay -): the verdicts of each log
#        replayed alone, "(run 2)" and "== FILE, run 2" in the text report;
#        --format csv/perfetto refuse it (one line, exit 1); a rotated log's next
#        part (same "run", "part" + 1) continues the run, another "run" does not;
#  15.10 no control byte (C0 but \n, DEL, C1) from a log's comm, names and
#        details, nor from a file's name, reaches replay's stdout or stderr;
#  15.13 sums that would pass 2^64 saturate (freed, time, lost); integers
#        >= 2^64 are an error on both reader paths; --stuck-after and --window
#        below 1 ns are refused.
# python3 (stdlib) is needed; without it these cases are one SKIP.

if ! command -v python3 >/dev/null; then
	echo "SKIP issue15: python3 is needed"
	skip=$((skip + 1))
	return 0 2>/dev/null || exit 0
fi
i15=$tmp/i15
mkdir -p "$i15"
f=tests/replay/corpus/stale-next.jsonl

# ---- 15.2 the output is never an input --------------------------------------------
same_case() {	# NAME CMD...: refused with exit 2 and one line; $i15/L unchanged
	local name=$1 rc
	shift
	cp "$f" "$i15/L"
	ln -f "$i15/L" "$i15/L.hard"
	( cd "$i15" && "$@" ) >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 2 ]; then ko "15.2/$name" "exit $rc, want 2: $(head -1 "$i15/err")"
	elif [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q 'is the input' "$i15/err"; then
		ko "15.2/$name" "stderr: $(tr '\n' '|' <"$i15/err" | cut -c1-200)"
	elif ! cmp -s "$f" "$i15/L"; then ko "15.2/$name" "the input was changed: $(wc -c <"$i15/L") bytes"
	else ok "15.2/$name"; fi
	rm -f "$i15/L.hard"
}
same_case replay-o-same "$bin" replay -o L L
same_case replay-o-hardlink "$bin" replay -o L.hard L
same_case replay-o-stdin sh -c '"$0" replay -o L - <L' "$bin"
same_case replay-stdout-append sh -c '"$0" replay L >>L' "$bin"
same_case redact-o-same "$bin" redact -o L L
same_case redact-o-stdin sh -c '"$0" redact -o L - <L' "$bin"
same_case redact-stdout-append sh -c '"$0" redact L >>L' "$bin"
# a failed run keeps the earlier OUT
for cmd in replay redact; do
	printf 'earlier\n' >"$i15/out"
	"$bin" $cmd -o "$i15/out" tests/replay/bad/bad-json.jsonl >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 1 ]; then ko "15.2/$cmd-error-keeps-out" "exit $rc, want 1"
	elif [ "$(cat "$i15/out")" != earlier ]; then ko "15.2/$cmd-error-keeps-out" "OUT is now: $(head -c 60 "$i15/out")"
	elif [ -n "$(ls -A "$i15" | grep '^\.')" ]; then ko "15.2/$cmd-error-keeps-out" "left: $(ls -A "$i15" | grep '^\.')"
	else ok "15.2/$cmd-error-keeps-out"; fi
done

# ---- 15.5 bounded memory --------------------------------------------------------------
# peak RSS (KiB) of "$@" reading $1 bytes of zeros on stdin; its stderr in $i15/err
peak_rss() {
	python3 - "$@" <<'EOF'
import os, subprocess, sys
n = int(sys.argv[1])
with open(os.environ["I15"] + "/err", "wb") as err:
    p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
    chunk = b"\0" * (1 << 20)
    try:
        while n > 0:
            p.stdin.write(chunk[:min(n, len(chunk))]); n -= len(chunk)
    except BrokenPipeError:
        pass
    try:
        p.stdin.close()
    except BrokenPipeError:
        pass
    _, status, ru = os.wait4(p.pid, 0)
print(ru.ru_maxrss, os.waitstatus_to_exitcode(status))
EOF
}
export I15=$i15
for cmd in replay redact; do
	read -r small rcs < <(peak_rss $((4 << 20)) "$bin" $cmd -)
	read -r big rcb < <(peak_rss $((64 << 20)) "$bin" $cmd -)
	if [ "$rcb" != 1 ] || [ "$rcs" != 1 ]; then ko "15.5/$cmd-zeros" "exit $rcs and $rcb, want 1"
	elif ! grep -q '^<stdin>:1: line longer than 1048576 bytes' "$i15/err"; then ko "15.5/$cmd-zeros" "stderr: $(head -1 "$i15/err")"
	elif [ $((big - small)) -gt 16384 ]; then ko "15.5/$cmd-zeros" "peak RSS $small KiB with 4 MiB, $big KiB with 64 MiB: it grows with the line"
	else ok "15.5/$cmd-zeros (peak RSS $small KiB / $big KiB)"; fi
done
truncate -s 2G "$i15/sparse"
for cmd in replay redact; do
	timeout -s KILL 20 "$bin" $cmd "$i15/sparse" >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 1 ] || ! grep -q "sparse:1: line longer than 1048576 bytes" "$i15/err" || [ "$(grep -c . "$i15/err")" != 1 ]; then
		ko "15.5/$cmd-sparse-2g" "exit $rc: $(head -1 "$i15/err")"
	else ok "15.5/$cmd-sparse-2g"; fi
done
rm -f "$i15/sparse"
python3 -c '
import sys
head = open(sys.argv[1]).read()
sys.stdout.write(head)
sys.stdout.write("{\"type\":\"lost\",\"ts\":99999999,\"cpu\":0,\"pid\":0,\"comm\":\"" + "x" * (2 << 20) + "\",\"count\":1}\n")' "$f" >"$i15/long.jsonl"
for cmd in replay redact; do
	"$bin" $cmd "$i15/long.jsonl" >/dev/null 2>"$i15/err"
	rc=$?
	n=$(($(grep -c . "$f") + 1))
	if [ "$rc" != 1 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q "long.jsonl:$n: line longer than 1048576 bytes" "$i15/err"; then
		ko "15.5/$cmd-long-line" "exit $rc: $(head -1 "$i15/err" | cut -c1-200)"
	else ok "15.5/$cmd-long-line"; fi
done
# a cut last line: one warning naming the file, the events before it used
{ cat "$f"; printf '{"type":"rcu_free","ts":32000000,"cpu":1,"pid":0,"comm":"swap'; } >"$i15/cut.jsonl"
"$bin" replay --format jsonl "$i15/cut.jsonl" >"$i15/out" 2>"$i15/err"
rc=$?
if [ "$rc" != 3 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q 'cut.jsonl:14: warning: the last line is cut short' "$i15/err" ||
	[ "$(grep -c '"kind":"stale_next"' "$i15/out")" != 1 ]; then
	ko "15.5/replay-cut-tail" "exit $rc: $(tr '\n' '|' <"$i15/err")"
else ok "15.5/replay-cut-tail"; fi
"$bin" redact "$i15/cut.jsonl" >"$i15/out" 2>"$i15/err"
rc=$?
if [ "$rc" != 0 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q 'cut.jsonl:14: warning' "$i15/err" ||
	[ "$(grep -c . "$i15/out")" != 13 ] || [ "$(tail -c 1 "$i15/out" | od -An -c | tr -d ' ')" != '\n' ]; then
	ko "15.5/redact-cut-tail" "exit $rc, $(grep -c . "$i15/out") lines: $(tr '\n' '|' <"$i15/err")"
else ok "15.5/redact-cut-tail"; fi

# ---- 15.7 redact removes every address ----------------------------------------------
python3 - "$i15/names.jsonl" <<'EOF'
import sys
names = ["scan@0xffffffffc0a01234", "x_0xffffffffc0a01235", "p-0x0000ffffffffc0a01236",
         "up@0XFFFFFFFFC0A01237", "px-ffffffffc0a01238", "long-ffffffffc0a0123900", "ok+0x1a"]
with open(sys.argv[1], "w") as f:
    f.write('{"type":"header","format":"shrinktrace/1","kernel":"6.12","backend":"fentry","clock":"monotonic","start_ts":0}\n')
    ts = 1000
    for i, n in enumerate(names):
        a = 0xffff888104a1c000 + i * 0x400
        ts += 100; f.write('{"type":"shrinker_register","ts":%d,"cpu":0,"pid":1,"comm":"mount","shrinker":"0x%x","name":"%s","flags":3,"id":-1}\n' % (ts, a, n))
        ts += 100; f.write('{"type":"free_begin","ts":%d,"cpu":0,"pid":2,"comm":"umount","shrinker":"0x%x"}\n' % (ts, a))
        ts += 100; f.write('{"type":"free_begin","ts":%d,"cpu":0,"pid":2,"comm":"umount","shrinker":"0x%x"}\n' % (ts, a))
EOF
secret='c0a0123[0-9]|C0A0123'
"$bin" redact "$i15/names.jsonl" >"$i15/red" 2>"$i15/err"
rc=$?
if [ "$rc" != 0 ]; then ko "15.7/redact-names" "exit $rc: $(head -1 "$i15/err")"
elif grep -Eq "$secret" "$i15/red"; then ko "15.7/redact-names" "left: $(grep -Eo "\"name\":\"[^\"]*($secret)[^\"]*\"" "$i15/red" | head -3 | tr '\n' ' ')"
elif ! grep -q '"name":"ok+0x1a"' "$i15/red"; then ko "15.7/redact-names" "an offset was changed: $(grep -o '"name":"ok[^"]*"' "$i15/red")"
else ok "15.7/redact-names"; fi
"$bin" replay --redact "$i15/names.jsonl" >"$i15/rep" 2>&1
"$bin" replay --redact --format jsonl "$i15/names.jsonl" >>"$i15/rep" 2>&1
if grep -Eq "$secret" "$i15/rep"; then ko "15.7/replay-redact-names" "left: $(grep -Eo ".{20}($secret).{4}" "$i15/rep" | head -2 | tr '\n' ' ')"
elif [ "$(grep -c '"kind":"double_free"' "$i15/rep")" != 7 ]; then ko "15.7/replay-redact-names" "want 7 double_free, got $(grep -c '"kind":"double_free"' "$i15/rep")"
else ok "15.7/replay-redact-names"; fi
"$bin" replay --format jsonl "$i15/red" >"$i15/v1" 2>/dev/null
if [ "$(grep -c '"kind":"double_free"' "$i15/v1")" != 7 ]; then ko "15.7/redact-names-verdicts" "the redacted log gives $(grep -c . "$i15/v1") violations, want 7"
else ok "15.7/redact-names-verdicts"; fi
# --all's detail rewriter: extreme and malformed pids
{
	cat "$f"
	printf '%s\n' '{"type":"violation","ts":2000400,"cpu":0,"pid":100,"comm":"kswapd0","kind":"stale_next","shrinker":"0xffff888104a1c000","walker_pid":100,"walker_comm":"kswapd0","certain":true,"detail":"kswapd0 (pid -2147483648) left do_shrink_slab() on shrinker sb-tmpfs at 0xffff888104a1c000"}'
	printf '%s\n' '{"type":"violation","ts":2000401,"cpu":0,"pid":100,"comm":"kswapd0","kind":"stale_next","shrinker":"0xffff888104a1c000","walker_pid":100,"walker_comm":"kswapd0","certain":true,"detail":"kswapd0 (pid 2147483647) and umount (pid 99999999999999999999999999) at 0xffff888104a1c000"}'
	printf '%s\n' '{"type":"violation","ts":2000402,"cpu":0,"pid":100,"comm":"kswapd0","kind":"stale_next","shrinker":"0xffff888104a1c000","walker_pid":100,"walker_comm":"kswapd0","certain":true,"detail":"kswapd0 (pid 100) waited for umount (pid 12"}'
	printf '%s\n' '{"type":"violation","ts":2000403,"cpu":0,"pid":100,"comm":"kswapd0","kind":"stale_next","shrinker":"0xffff888104a1c000","walker_pid":100,"walker_comm":"kswapd0","certain":true,"detail":"umount (pid 2147483648) was here"}'
} >"$i15/pids.jsonl"
"$bin" redact --all "$i15/pids.jsonl" >"$i15/red" 2>"$i15/err"
rc=$?
details=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["type"] == "violation":
        print(o["detail"])' "$i15/red")
if [ "$rc" != 0 ]; then ko "15.7/redact-all-pids" "exit $rc: $(head -3 "$i15/err" | tr '\n' '|')"
elif [ -s "$i15/err" ]; then ko "15.7/redact-all-pids" "stderr: $(head -3 "$i15/err" | tr '\n' '|')"
elif echo "$details" | grep -Eq 'kswapd0|umount'; then ko "15.7/redact-all-pids" "a task name is left: $(echo "$details" | grep -E 'kswapd0|umount' | head -2 | tr '\n' '|')"
elif ! echo "$details" | head -1 | grep -q '^ (pid -2147483648) left'; then ko "15.7/redact-all-pids" "first detail: $(echo "$details" | head -1)"
elif [ "$(echo "$details" | grep -c 'detail withheld')" != 3 ]; then ko "15.7/redact-all-pids" "want 3 withheld details: $(echo "$details" | tr '\n' '|')"
else ok "15.7/redact-all-pids"; fi

# ---- 15.8 one log, one stream -----------------------------------------------------------
hdr='{"type":"header","format":"shrinktrace/1","kernel":"6.12","backend":"fentry","clock":"monotonic","start_ts":0'
{
	echo "$hdr}"
	for a in c000 c400 c800; do
		printf '{"type":"shrinker_register","ts":1000,"cpu":0,"pid":1,"comm":"mount","shrinker":"0xffff888104a1%s","name":"sb-x","flags":3,"id":-1}\n' $a
		printf '{"type":"free_begin","ts":1100,"cpu":0,"pid":2,"comm":"umount","shrinker":"0xffff888104a1%s"}\n' $a
		printf '{"type":"free_end","ts":1200,"cpu":0,"pid":2,"comm":"umount","shrinker":"0xffff888104a1%s"}\n' $a
		printf '{"type":"rcu_free","ts":1300,"cpu":0,"pid":0,"comm":"swapper/0","shrinker":"0xffff888104a1%s"}\n' $a
	done
} >"$i15/a.jsonl"
{ echo "$hdr}"; cat "$f"; } >"$i15/b.jsonl"
"$bin" replay --format jsonl "$i15/a.jsonl" >"$i15/va" 2>/dev/null
"$bin" replay --format jsonl "$i15/b.jsonl" >"$i15/vb" 2>/dev/null
cat "$i15/a.jsonl" "$i15/b.jsonl" | "$bin" replay --format jsonl - >"$i15/vab" 2>"$i15/err"
rc=$?
kinds() { sed -n 's/.*"kind":"\([a-z_]*\)".*"shrinker":"\(0x[0-9a-f]*\)".*/\1 \2/p' "$@"; }
if [ "$rc" != 3 ]; then ko "15.8/two-logs-verdicts" "exit $rc, want 3: $(head -1 "$i15/err")"
elif [ "$(kinds "$i15/vab")" != "$(kinds "$i15/va" "$i15/vb")" ]; then
	ko "15.8/two-logs-verdicts" "[$(kinds "$i15/vab" | tr '\n' ';')], each alone [$(kinds "$i15/va" "$i15/vb" | tr '\n' ';')]"
elif [ "$(kinds "$i15/vab")" != "stale_next 0xffff888104a1c000" ]; then ko "15.8/two-logs-verdicts" "verdicts: $(kinds "$i15/vab" | tr '\n' ';')"
else ok "15.8/two-logs-verdicts"; fi
cat "$i15/a.jsonl" "$i15/b.jsonl" | "$bin" replay - >"$i15/text" 2>&1
if ! grep -q '^== <stdin>, run 2 ' "$i15/text" || ! grep -q '^<stdin> (run 2): 13 events' "$i15/text" ||
	! grep -q '^<stdin>: 12 events' "$i15/text"; then
	ko "15.8/two-logs-report" "$(grep -E '^(== |<stdin>)' "$i15/text" | tr '\n' '|')"
else ok "15.8/two-logs-report"; fi
for fmt in csv perfetto; do
	cat "$i15/a.jsonl" "$i15/b.jsonl" | "$bin" replay --format $fmt - >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 1 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q "^<stdin>:14: a second log starts here: --format $fmt" "$i15/err"; then
		ko "15.8/two-logs-$fmt-refused" "exit $rc: $(tr '\n' '|' <"$i15/err")"
	else ok "15.8/two-logs-$fmt-refused"; fi
done
# a rotated log: the next part of the same run continues it (a walk onto a
# shrinker the first part saw freed), another run's part does not
d=tests/replay/corpus/use-after-free.jsonl
{ echo "$hdr,\"run\":\"r1\",\"part\":1}"; head -6 "$d"; echo "$hdr,\"run\":\"r1\",\"part\":2}"; tail -n +7 "$d"; } >"$i15/rot.jsonl"
"$bin" replay --format jsonl "$i15/rot.jsonl" >"$i15/v" 2>"$i15/err"
rc=$?
if [ "$rc" != 3 ] || [ "$(kinds "$i15/v")" != "use_after_free 0xffff888104a1c400" ]; then
	ko "15.8/rotated-continues" "exit $rc, verdicts [$(kinds "$i15/v" | tr '\n' ';')]: $(head -1 "$i15/err")"
else ok "15.8/rotated-continues"; fi
sed 's/"run":"r1","part":2/"run":"r2","part":1/' "$i15/rot.jsonl" >"$i15/rot2.jsonl"
"$bin" replay --format jsonl "$i15/rot2.jsonl" >"$i15/v" 2>"$i15/err"
rc=$?
if [ "$rc" != 0 ] || [ -s "$i15/v" ]; then
	ko "15.8/other-run-separate" "exit $rc: a part of another run was read as a continuation: $(kinds "$i15/v")"
else ok "15.8/other-run-separate"; fi

# ---- 15.10 no terminal escapes -------------------------------------------------------------
no_control() {	# FILE...: empty output when no control byte but \n (and \t) is in them
	python3 -c '
import re, sys
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)
    if m:
        print("%s: %r" % (f.rsplit("/", 1)[-1], b[max(0, m.start() - 30):m.end() + 10]))
        break' "$@"
}
python3 - "$i15/esc.jsonl" <<'EOF'
import json, sys
evil = "\x1b]0;owned\x07\x1b[2J\u009b31m\x7f"
lines = [l for l in open("tests/replay/corpus/stale-next.jsonl")]
with open(sys.argv[1], "w") as f:
    for l in lines:
        o = json.loads(l)
        o["comm"] = (evil + o["comm"])[:15]
        if "name" in o:
            o["name"] = evil + o["name"]
        f.write(json.dumps(o) + "\n")
    f.write(json.dumps({"type": "violation", "ts": 1, "cpu": 0, "pid": 1, "comm": evil, "kind": "stale_next",
                        "shrinker": "0x1", "walker_pid": 1, "walker_comm": evil, "certain": True,
                        "detail": evil}) + "\n")
EOF
evilname=$i15/$'e\033]0;owned\007\033[2J.jsonl'
cp "$i15/esc.jsonl" "$evilname"
printf '{"type":"lost"}\n' >"$evilname.bad"
"$bin" replay "$i15/esc.jsonl" >"$i15/o1" 2>"$i15/e1"
"$bin" replay --stats "$evilname" "$evilname" >"$i15/o2" 2>"$i15/e2"
"$bin" replay "$evilname.bad" >"$i15/o3" 2>"$i15/e3"
"$bin" redact "$evilname.bad" >"$i15/o4" 2>"$i15/e4"
"$bin" replay -o "$i15/nodir/$(basename "$evilname")" "$i15/esc.jsonl" >"$i15/o5" 2>"$i15/e5"
res=$(no_control "$i15"/o[1-5] "$i15"/e[1-5])
if [ -n "$res" ]; then ko "15.10/replay-no-escapes" "$res"
elif ! grep -q 'VIOLATION stale_next' "$i15/o1" || ! grep -q '?]0;owned' "$i15/o1"; then
	ko "15.10/replay-no-escapes" "the report lacks the violation or the cleaned name: $(head -3 "$i15/o1" | tr '\n' '|')"
elif [ ! -s "$i15/e3" ] || [ ! -s "$i15/e5" ]; then ko "15.10/replay-no-escapes" "no error line for the bad file or the bad -o"
else ok "15.10/replay-no-escapes"; fi

# ---- 15.13 numbers ---------------------------------------------------------------------------
big=9223372036854775808	# 2^63
{
	echo "$hdr}"
	printf '{"type":"shrinker_register","ts":1000,"cpu":0,"pid":1,"comm":"mount","shrinker":"0xffff888104a1c000","name":"sb-big","flags":3,"id":-1}\n'
	for t in 2000 3000 4000; do
		printf '{"type":"shrink_begin","ts":%d,"cpu":0,"pid":100,"comm":"kswapd0","shrinker":"0xffff888104a1c000","name":"sb-big","nid":0,"memcg":"0x0","priority":12,"nr_to_scan":128,"refcount":2}\n' $t
		printf '{"type":"shrink_end","ts":%d,"cpu":0,"pid":100,"comm":"kswapd0","shrinker":"0xffff888104a1c000","freed":%s,"duration_ns":%s}\n' $((t + 10)) $big $big
	done
	printf '{"type":"lost","ts":5000,"cpu":0,"pid":0,"comm":"x","count":%s}\n' $big
	printf '{"type":"lost","ts":5001,"cpu":0,"pid":0,"comm":"x","count":%s}\n' $big
} >"$i15/big.jsonl"
"$bin" replay "$i15/big.jsonl" >"$i15/out" 2>"$i15/err"
rc=$?
if [ "$rc" != 0 ]; then ko "15.13/saturating-sums" "exit $rc: $(head -1 "$i15/err")"
elif ! grep -q '18446744073709551615 objects freed' "$i15/out"; then
	ko "15.13/saturating-sums" "freed: $(grep -o '[0-9]* objects freed' "$i15/out")"
elif ! grep -q '18446744073709551615 events lost by the kernel side' "$i15/out"; then
	ko "15.13/saturating-sums" "lost: $(grep -o '[0-9]* events lost[a-z ]*' "$i15/out" | head -1)"
elif ! grep -Eq '^sb-big +1 +3 ' "$i15/out" || grep -Eq ' 0 objects freed| 0 ns in shrinkers' "$i15/out"; then
	ko "15.13/saturating-sums" "$(grep -E '^sb-big|objects freed' "$i15/out" | tr '\n' '|')"
else ok "15.13/saturating-sums"; fi
for how in fast escaped; do
	c='"comm":"kswapd0"'
	[ $how = escaped ] && c='"comm":"kswap\u0064"'
	printf '{"type":"shrink_end","ts":1,"cpu":0,"pid":1,%s,"shrinker":"0xffff888104a1c000","freed":18446744073709551616}\n' "$c" >"$i15/2e64.jsonl"
	"$bin" replay "$i15/2e64.jsonl" >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 1 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q '2e64.jsonl:1: integer out of range' "$i15/err"; then
		ko "15.13/2e64-$how" "exit $rc: $(head -1 "$i15/err")"
	else ok "15.13/2e64-$how"; fi
done
for arg in "--stuck-after 1e-10" "--window 0.0000001" "--stuck-after -1"; do
	# shellcheck disable=SC2086
	"$bin" replay $arg "$f" >/dev/null 2>"$i15/err"
	rc=$?
	n=$(echo "$arg" | tr -d -- '-' | tr ' ' '=')
	if [ "$rc" != 2 ]; then ko "15.13/replay-$n-refused" "$arg: exit $rc, want 2"
	else ok "15.13/replay-$n-refused"; fi
done
