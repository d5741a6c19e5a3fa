# tests/replay/hardening.sh - sourced by tests/replay/run.sh (uses its $bin, $tmp,
# $root, ok, ko, skip; run from the repository root).  Issue 7, items 3-5, on the
# replay side:
#  - redact: every shared scenario (beside the clone, when present: $scenarios of
#    run.sh) and tests/replay/corpus/*.jsonl,
#    rewritten by `shrinktrace redact` (and --all), and replayed with
#    `replay --redact` (and =all), gives the same verdicts as the original (kind,
#    shrinker name, certain, in number), the same summary line (events,
#    generations, violations), shows no address of the original (but NULL and
#    the poisons) and, with --all, no task name; the header says "redacted";
#    violation records in a log are redacted too (their detail's addresses are
#    the record's pseudonyms); bad arguments and input;
#  - output files: --mode (exact mode; an existing world-readable file reset to
#    0600), a file with two hard links refused; reader gone (| head -1): exit 0,
#    nothing on stderr, for replay and redact; a full file system (tmpfs,
#    size=64k; root): exit 1, one error line, an earlier OUT left as it was;
#  - caps: a generated log beyond small caps (SHRINKTRACE_CAPS) gives one
#    warning per cap on stderr, "caps hit: ..." in the report, exit 0.
# python3 (stdlib) is needed; without it these cases are one SKIP.

if ! command -v python3 >/dev/null; then
	echo "SKIP hardening: python3 is needed"
	skip=$((skip + 1))
	return 0 2>/dev/null || exit 0
fi

# verdict_sig FILE: "KIND NAME CERTAIN" of each violation object, sorted
verdict_sig() {
	python3 -c '
import json, sys
rows = []
for l in open(sys.argv[1]):
    if l.strip():
        o = json.loads(l)
        rows.append("%s %s %s" % (o["kind"], o.get("name", "?"), o["certain"]))
print("\n".join(sorted(rows)))' "$1"
}
# summary_line FILE: the text report's last line without the file name
summary_line() { grep -E '^[^ ]+: [0-9]+ events over' "$1" | sed 's/^[^ ]*: //'; }

# leaks ORIG REDACTED [all]: addresses (and task names with all) of ORIG found in REDACTED
leaks() {
	python3 - "$@" <<'EOF'
import json, re, sys
orig, red = sys.argv[1], sys.argv[2]
allmode = len(sys.argv) > 3
keep = {"0x0", "0xdead000000000100", "0xdead000000000122"}
ptrs, comms = set(), set()
for l in open(orig):
    if not l.strip():
        continue
    # a pointer: a whole string "0x..." (pointer fields), or any hex run of a
    # kernel address (>= 0xffff000000000000) inside a text; an offset such as a
    # stack frame's "+0x1ab" is not one (docs/redaction.md)
    for m in re.findall(r'"(0x[0-9a-fA-F]+)"', l):
        if m.lower() not in keep:
            ptrs.add(m.lower())
    for m in re.findall(r'0x[0-9a-fA-F]+', l):
        if m.lower() not in keep and len(m) <= 18 and int(m, 16) >= 0xffff000000000000:
            ptrs.add(m.lower())
    o = json.loads(l)
    for k in ("comm", "walker_comm"):
        if o.get(k):
            comms.add(o[k])
text = open(red).read()
found = [p for p in ptrs if re.search(re.escape(p) + r'(?![0-9a-f])', text)]
if allmode:
    for l in text.splitlines():
        o = json.loads(l)
        for k in ("comm", "walker_comm"):
            if o.get(k):
                found.append("%s=%s" % (k, o[k]))
        for c in comms:
            if c in o.get("detail", ""):
                found.append("detail has %r" % c)
print(" ".join(sorted(set(found))[:4]))
EOF
}

redact_case() {	# NAME FILE
	local name=$1 f=$2 rc0 rc mode want sig0 sum0 leak
	"$bin" replay --format jsonl "$f" >"$tmp/h.v0" 2>/dev/null
	rc0=$?
	sig0=$(verdict_sig "$tmp/h.v0")
	"$bin" replay "$f" >"$tmp/h.t0" 2>/dev/null
	sum0=$(summary_line "$tmp/h.t0")
	for mode in addrs all; do
		# the rewritten log
		if [ $mode = all ]; then
			"$bin" redact --all -o "$tmp/h.red" "$f" 2>"$tmp/h.err"
		else
			"$bin" redact -o "$tmp/h.red" "$f" 2>"$tmp/h.err"
		fi
		rc=$?
		if [ "$rc" != 0 ]; then ko "redact/$mode/$name" "redact exit $rc: $(head -1 "$tmp/h.err")"; return; fi
		want='"redacted":"'$mode'"'
		if grep -q '"type":"header"' "$f" && ! head -1 "$tmp/h.red" | grep -q "$want"; then
			ko "redact/$mode/$name" "header lacks $want: $(head -1 "$tmp/h.red" | cut -c1-160)"; return
		fi
		"$bin" replay --format jsonl "$tmp/h.red" >"$tmp/h.v1" 2>/dev/null
		rc=$?
		if [ "$rc" != "$rc0" ]; then ko "redact/$mode/$name" "replay of the redacted log: exit $rc, original $rc0"; return; fi
		if [ "$(verdict_sig "$tmp/h.v1")" != "$sig0" ]; then
			ko "redact/$mode/$name" "verdicts differ: [$(verdict_sig "$tmp/h.v1" | tr '\n' ';')] vs [$(echo "$sig0" | tr '\n' ';')]"; return
		fi
		"$bin" replay "$tmp/h.red" >"$tmp/h.t1" 2>/dev/null
		if [ "$(summary_line "$tmp/h.t1")" != "$sum0" ]; then
			ko "redact/$mode/$name" "summary '$(summary_line "$tmp/h.t1")' vs '$sum0'"; return
		fi
		leak=$(leaks "$f" "$tmp/h.red" $([ $mode = all ] && echo all))
		if [ -n "$leak" ]; then ko "redact/$mode/$name" "the redacted log still has: $leak"; return; fi
		# replay --redact: the same verdicts, no address of the log in them
		"$bin" replay --format jsonl --redact=$mode "$f" >"$tmp/h.v2" 2>/dev/null
		rc=$?
		if [ "$rc" != "$rc0" ] || [ "$(verdict_sig "$tmp/h.v2")" != "$sig0" ]; then
			ko "redact/$mode/$name" "replay --redact=$mode: exit $rc, verdicts [$(verdict_sig "$tmp/h.v2" | tr '\n' ';')]"; return
		fi
		if [ -s "$tmp/h.v2" ]; then
			leak=$(leaks "$f" "$tmp/h.v2" $([ $mode = all ] && echo all))
			if [ -n "$leak" ]; then ko "redact/$mode/$name" "replay --redact=$mode output has: $leak"; return; fi
		fi
	done
	ok "redact/$name"
}

for f in "$scenarios"/*.jsonl tests/replay/corpus/*.jsonl; do
	[ -e "$f" ] || continue
	redact_case "$(basename "$f" .jsonl)" "$f"
done

# A log with the violation records the tracer writes: they are redacted too,
# consistently (the detail names the record's own pseudonyms), and with --all
# no task name is left in them.
f=tests/replay/corpus/stale-next-raw-list.jsonl
"$bin" replay --format jsonl "$f" >"$tmp/h.viol" 2>/dev/null
cat "$f" "$tmp/h.viol" >"$tmp/h.withv.jsonl"
for mode in addrs all; do
	"$bin" redact $([ $mode = all ] && echo --all) -o "$tmp/h.red" "$tmp/h.withv.jsonl" 2>"$tmp/h.err"
	rc=$?
	res=$(python3 - "$tmp/h.red" <<'EOF'
import json, re, sys
viol = [json.loads(l) for l in open(sys.argv[1]) if '"violation"' in l]
shrinkers = {json.loads(l).get("shrinker") for l in open(sys.argv[1]) if '"violation"' not in l}
bad = []
if len(viol) != 3:
    bad.append("%d violation records, want 3" % len(viol))
for v in viol:
    addrs = re.findall(r'at (0x[0-9a-f]+)', v["detail"])
    if not addrs or addrs[0] != v["shrinker"]:
        bad.append("%s: detail names %s, record %s" % (v["kind"], addrs[:1], v["shrinker"]))
    for a in addrs:
        if a not in shrinkers:
            bad.append("%s: detail address %s is no shrinker of the log" % (v["kind"], a))
    if "next" in v and v["next"] not in shrinkers:
        bad.append("next %s is no shrinker of the log" % v["next"])
print("; ".join(bad[:3]))
EOF
)
	leak=$(leaks "$tmp/h.withv.jsonl" "$tmp/h.red" $([ $mode = all ] && echo all))
	if [ "$rc" != 0 ]; then ko "redact/violations-$mode" "exit $rc: $(head -1 "$tmp/h.err")"
	elif [ -n "$res" ]; then ko "redact/violations-$mode" "$res"
	elif [ -n "$leak" ]; then ko "redact/violations-$mode" "left: $leak"
	else ok "redact/violations-$mode"; fi
done
# --all: a detail naming a task the log never showed is withheld, not leaked
sed 's/"detail":"kswapd0 (pid 100)/"detail":"secret-task (pid 100)/' "$tmp/h.withv.jsonl" >"$tmp/h.secret.jsonl"
"$bin" redact --all "$tmp/h.secret.jsonl" >"$tmp/h.red" 2>/dev/null
if grep -q secret-task "$tmp/h.red"; then ko redact/unknown-task "the unknown task name is in the output"
elif ! grep -q 'detail withheld' "$tmp/h.red"; then ko redact/unknown-task "no withheld detail"
else ok redact/unknown-task; fi

# errors: usage (2), malformed input (1, FILE:LINE: reason), stdin
"$bin" redact >/dev/null 2>&1; rc=$?
if [ "$rc" = 2 ]; then ok redact/usage-no-file; else ko redact/usage-no-file "exit $rc, want 2"; fi
"$bin" replay --redact=everything tests/replay/corpus/stale-next.jsonl >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 2 ] && grep -q -- "--redact: 'everything'" "$tmp/h.err"; then ok redact/usage-bad-mode
else ko redact/usage-bad-mode "exit $rc: $(head -1 "$tmp/h.err")"; fi
"$bin" redact tests/replay/bad/bad-json.jsonl >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c . "$tmp/h.err")" = 1 ] && grep -qE '^tests/replay/bad/bad-json.jsonl:[0-9]+: ' "$tmp/h.err"; then
	ok redact/bad-input
else ko redact/bad-input "exit $rc: $(tr '\n' '|' <"$tmp/h.err")"; fi
"$bin" redact - <tests/replay/corpus/use-after-free.jsonl >"$tmp/h.red" 2>/dev/null; rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c . "$tmp/h.red")" = "$(grep -c . tests/replay/corpus/use-after-free.jsonl)" ]; then ok redact/stdin
else ko redact/stdin "exit $rc, $(grep -c . "$tmp/h.red") lines"; fi

# ---- output files ----------------------------------------------------------------
f=tests/replay/corpus/stale-next.jsonl
"$bin" replay --mode 0640 -o "$tmp/h.mode" "$f" >/dev/null 2>&1
m=$(stat -c %a "$tmp/h.mode" 2>/dev/null)
if [ "$m" = 640 ]; then ok output/mode; else ko output/mode "--mode 0640 gave $m"; fi
printf 'old\n' >"$tmp/h.old"; chmod 0644 "$tmp/h.old"
"$bin" replay -o "$tmp/h.old" "$f" >/dev/null 2>&1
m=$(stat -c %a "$tmp/h.old")
if [ "$m" = 600 ] && ! grep -q '^old$' "$tmp/h.old"; then ok output/existing-reset
else ko output/existing-reset "mode $m after writing an existing 0644 file, want 600"; fi
"$bin" replay --mode 888 -o "$tmp/h.mode" "$f" >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 2 ] && [ "$(grep -c . "$tmp/h.err")" = 1 ] && grep -q -- "--mode: '888'" "$tmp/h.err"; then ok output/bad-mode
else ko output/bad-mode "exit $rc: $(tr '\n' '|' <"$tmp/h.err")"; fi
"$bin" replay --mode 0600 "$f" >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 2 ]; then ok output/mode-without-o; else ko output/mode-without-o "exit $rc, want 2"; fi
printf 'keep\n' >"$tmp/h.linked"; ln -f "$tmp/h.linked" "$tmp/h.link2"
"$bin" replay -o "$tmp/h.link2" "$f" >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 1 ] && [ "$(cat "$tmp/h.linked")" = keep ] && [ "$(grep -c . "$tmp/h.err")" = 1 ] &&
	grep -q 'more than one hard link' "$tmp/h.err"; then ok output/hard-link
else ko output/hard-link "exit $rc: $(tr '\n' '|' <"$tmp/h.err")"; fi

# A big generated log: 8000 shrinkers, each registered, called and freed.
python3 - "$tmp/h.big.jsonl" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"type":"header","format":"shrinktrace/1","kernel":"6.12","backend":"fentry","clock":"monotonic","start_ts":0,"list_offset":80}\n')
    ts = 1000
    for i in range(8000):
        a = 0xffff888200000000 + i * 0x400
        ts += 100; f.write('{"type":"shrinker_register","ts":%d,"cpu":0,"pid":%d,"comm":"mount","shrinker":"0x%x","name":"sb-tmpfs","flags":3,"id":-1}\n' % (ts, 1000 + i, a))
        ts += 100; f.write('{"type":"shrink_begin","ts":%d,"cpu":1,"pid":100,"comm":"kswapd0","shrinker":"0x%x","name":"sb-tmpfs","nid":0,"memcg":"0x0","priority":12,"nr_to_scan":128,"refcount":2,"next":"0x%x","prev":"0x%x"}\n' % (ts, a, a + 0x450, a - 0x3b0))
        ts += 100; f.write('{"type":"shrink_end","ts":%d,"cpu":1,"pid":100,"comm":"kswapd0","shrinker":"0x%x","freed":3,"duration_ns":90,"next":"0x%x","prev":"0x%x"}\n' % (ts, a, a + 0x450, a - 0x3b0))
        ts += 100; f.write('{"type":"free_begin","ts":%d,"cpu":0,"pid":%d,"comm":"umount","shrinker":"0x%x"}\n' % (ts, 5000 + i, a))
        ts += 100; f.write('{"type":"free_end","ts":%d,"cpu":0,"pid":%d,"comm":"umount","shrinker":"0x%x"}\n' % (ts, 5000 + i, a))
        ts += 100; f.write('{"type":"rcu_free","ts":%d,"cpu":0,"pid":0,"comm":"swapper/0","shrinker":"0x%x"}\n' % (ts, a))
EOF

# The reader goes away: exit 0 (the log is clean), nothing on stderr.
pipe_case() {	# NAME ARGS...
	local name=$1 rc
	shift
	"$bin" "$@" 2>"$tmp/h.err" | head -1 >/dev/null
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then ko "sigpipe/$name" "exit $rc, want 0 ($(head -1 "$tmp/h.err"))"
	elif [ -s "$tmp/h.err" ]; then ko "sigpipe/$name" "stderr: $(head -1 "$tmp/h.err")"
	else ok "sigpipe/$name"; fi
}
pipe_case replay-csv replay --format csv "$tmp/h.big.jsonl"
pipe_case replay-text replay "$tmp/h.big.jsonl" "$tmp/h.big.jsonl" "$tmp/h.big.jsonl"
pipe_case redact redact "$tmp/h.big.jsonl"

# A full file system: exit 1, one error line, and an earlier OUT is left as it
# was (the new file is put in its place only once it is complete), with no
# temporary file left beside it.
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP enospc: needs root to mount a small tmpfs"
	skip=$((skip + 1))
elif ! mkdir -p "$tmp/small" || ! mount -t tmpfs -o size=64k,mode=0700 shrinktrace-enospc "$tmp/small" 2>"$tmp/h.err"; then
	echo "SKIP enospc: mount -t tmpfs -o size=64k failed: $(head -1 "$tmp/h.err")"
	skip=$((skip + 1))
else
	enospc_case() {	# NAME OUT ARGS...
		local name=$1 out=$2 rc left
		shift 2
		rm -f "$tmp/small"/* "$tmp/small"/.??* 2>/dev/null
		printf 'earlier\n' >"$out"
		"$bin" "$@" >/dev/null 2>"$tmp/h.err"
		rc=$?
		left=$(ls -A "$tmp/small" | grep -vx "$(basename "$out")" | head -3 | tr '\n' ' ')
		if [ "$rc" != 1 ]; then ko "enospc/$name" "exit $rc, want 1"
		elif [ "$(grep -c . "$tmp/h.err")" != 1 ]; then ko "enospc/$name" "stderr has $(grep -c . "$tmp/h.err") lines, want 1: $(tr '\n' '|' <"$tmp/h.err" | cut -c1-200)"
		elif ! grep -q 'No space left on device' "$tmp/h.err"; then ko "enospc/$name" "error: $(head -1 "$tmp/h.err")"
		elif [ "$(cat "$out" 2>/dev/null)" != earlier ]; then ko "enospc/$name" "the earlier OUT was not left as it was: $(head -c 80 "$out" 2>&1)"
		elif [ -n "$left" ]; then ko "enospc/$name" "left beside OUT: $left"
		else ok "enospc/$name (the earlier OUT kept)"; fi
	}
	enospc_case redact "$tmp/small/red.jsonl" redact -o "$tmp/small/red.jsonl" "$tmp/h.big.jsonl"
	enospc_case replay-csv "$tmp/small/out.csv" replay --format csv -o "$tmp/small/out.csv" "$tmp/h.big.jsonl"
	# every shrinker freed twice: 8000 double_free violations
	grep -v '"free_end"' "$tmp/h.big.jsonl" | sed 's/"type":"rcu_free"/"type":"free_begin"/' >"$tmp/h.dbl.jsonl"
	enospc_case replay-jsonl "$tmp/small/viol.jsonl" replay --format jsonl -o "$tmp/small/viol.jsonl" "$tmp/h.dbl.jsonl"
	umount "$tmp/small" || umount -l "$tmp/small"
fi

# ---- caps --------------------------------------------------------------------------
# 12 shrinkers never freed, 5 tasks inside a call at once, one task 3 calls deep.
python3 - "$tmp/h.caps.jsonl" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    ts = 1000
    for i in range(12):
        ts += 10; f.write('{"type":"shrinker_register","ts":%d,"cpu":0,"pid":1,"comm":"mount","shrinker":"0x%x","name":"sb-%d","flags":3,"id":-1}\n' % (ts, 0xffff888200000000 + i * 0x400, i))
    for pid in range(100, 105):
        ts += 10; f.write('{"type":"shrink_begin","ts":%d,"cpu":0,"pid":%d,"comm":"w","shrinker":"0xffff888200000000","name":"sb-0","next":"0x0","prev":"0x0","refcount":2}\n' % (ts, pid))
    for i in (1, 2):
        ts += 10; f.write('{"type":"shrink_begin","ts":%d,"cpu":0,"pid":100,"comm":"w","shrinker":"0x%x","name":"sb-%d","next":"0x0","prev":"0x0","refcount":2}\n' % (ts, 0xffff888200000000 + i * 0x400, i))
    for pid in range(100, 105):
        ts += 10; f.write('{"type":"shrink_end","ts":%d,"cpu":0,"pid":%d,"comm":"w","shrinker":"0xffff888200000000","freed":1,"duration_ns":5}\n' % (ts, pid))
EOF
SHRINKTRACE_CAPS=generations=4,tasks=2,depth=2,held=3 "$bin" replay "$tmp/h.caps.jsonl" >"$tmp/h.out" 2>"$tmp/h.err"
rc=$?
caps=$(grep '^caps hit: ' "$tmp/h.out")
if [ "$rc" != 0 ]; then ko caps/replay "exit $rc, want 0: $(head -1 "$tmp/h.err")"
elif [ "$(grep -c 'warning: ' "$tmp/h.err")" != 4 ] || [ "$(grep -c . "$tmp/h.err")" != 4 ]; then
	ko caps/replay "want one warning per cap (4), stderr: $(tr '\n' '|' <"$tmp/h.err" | cut -c1-300)"
elif ! grep -q 'warning: more than 4 live shrinker generations' "$tmp/h.err"; then ko caps/replay "no generations warning: $(head -1 "$tmp/h.err")"
elif ! echo "$caps" | grep -q 'caps hit: 8 events on shrinker generations not tracked (cap 4 live generations)'; then
	ko caps/replay "report: '${caps:-no caps hit line}'"
elif ! echo "$caps" | grep -q 'events of tasks not tracked (cap 2 tasks in a walk or call)' ||
	! echo "$caps" | grep -q 'do_shrink_slab() calls not tracked (cap 2 nested calls per task)' ||
	! echo "$caps" | grep -q 'events released early from the reorder window (cap 3 held events)'; then
	ko caps/replay "report: '$caps'"
else ok caps/replay; fi
"$bin" replay "$tmp/h.caps.jsonl" >"$tmp/h.out" 2>"$tmp/h.err"
if grep -q 'caps hit' "$tmp/h.out" || [ -s "$tmp/h.err" ]; then ko caps/default "default caps were hit on a tiny log"
else ok caps/default; fi
SHRINKTRACE_CAPS=gens=4 "$bin" replay "$tmp/h.caps.jsonl" >/dev/null 2>"$tmp/h.err"; rc=$?
if [ "$rc" = 2 ] && [ "$(grep -c . "$tmp/h.err")" = 1 ]; then ok caps/bad-spec
else ko caps/bad-spec "exit $rc: $(tr '\n' '|' <"$tmp/h.err")"; fi
