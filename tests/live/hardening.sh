# tests/live/hardening.sh - sourced by tests/live/run.sh (uses its $bin, $tmp, $here,
# ok, ko, skip, bg_pids, first_line, wait_exit, wait_header, tmpfs_cycles).
# Issue 7, items 3, 4 and 6, on a live trace:
#  - --mode: an existing 0666 log becomes exactly --mode 0640; a bad --mode is a
#    one-line usage error (exit 2);
#  - a full file system (tmpfs, size=64k, mostly filled): exit 1, one error line,
#    every line of the log parses as JSON and `replay` accepts the log;
#  - stdout's reader goes away (a FIFO read by `head -1`): the tracer stops by
#    itself, exit 0, no error on stderr;
#  - --redact=all: the header says so, every pointer is a kernel-half pseudonym,
#    no task name is left, replay of the log is clean;
#  - SIGKILL: every BPF program, link and map the tracer created (bpftool, ids
#    new since before it started) is gone soon after (polled up to 10 s), and
#    its command held no BPF object (it ends by PR_SET_PDEATHSIG: issue15.sh).
hworkload=$(cd "$here/../.." && pwd)/tools/workload/tmpfs-churn

# ---- --mode ------------------------------------------------------------------------
printf 'old content\n' >"$tmp/h-mode.jsonl"
chmod 0666 "$tmp/h-mode.jsonl"
timeout -s KILL 20 "$bin" -q -d 0.5 --mode 0640 -o "$tmp/h-mode.jsonl" >/dev/null 2>"$tmp/h-mode.err"
rc=$?
m=$(stat -c %a "$tmp/h-mode.jsonl")
if [ "$rc" -ne 0 ]; then ko output-mode "exit $rc: $(first_line "$tmp/h-mode.err")"
elif [ "$m" != 640 ]; then ko output-mode "mode $m, want 640 (an existing 0666 file)"
elif ! head -1 "$tmp/h-mode.jsonl" | grep -q '"type":"header"'; then ko output-mode "the old content is still there"
else ok output-mode; fi
timeout -s KILL 20 "$bin" -q -d 1 --mode u+rw -o "$tmp/h-mode.jsonl" >/dev/null 2>"$tmp/h-mode.err"
rc=$?
if [ "$rc" -ne 2 ] || [ "$(grep -c . "$tmp/h-mode.err")" -ne 1 ]; then
	ko output-bad-mode "exit $rc (want 2), stderr: $(tr '\n' '|' <"$tmp/h-mode.err")"
else ok output-bad-mode; fi

# ---- a full file system --------------------------------------------------------------
if ! mkdir -p "$tmp/small" || ! mount -t tmpfs -o size=64k,mode=0700 shrinktrace-enospc "$tmp/small" 2>"$tmp/h-mnt.err"; then
	echo "SKIP enospc: mount -t tmpfs -o size=64k failed: $(first_line "$tmp/h-mnt.err")"
	skip=$((skip + 1))
else
	# leave about 8 KiB for the log
	dd if=/dev/zero of="$tmp/small/filler" bs=4k count=14 2>/dev/null
	log=$tmp/small/log.jsonl
	"$bin" -q --no-banner -d 60 -o "$log" >"$tmp/h-full.out" 2>"$tmp/h-full.err" &
	pid=$!
	bg_pids+=("$pid")
	if ! wait_header "$log" 10; then
		kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		ko enospc "no header in the log after 10 s: $(first_line "$tmp/h-full.err")"
	else
		for ((i = 0; i < 40; i++)); do
			alive "$pid" || break
			tmpfs_cycles 5 || break
			sync; echo 2 >/proc/sys/vm/drop_caches
		done
		wait_exit "$pid" 20
		rc=$?
		nerr=$(grep -ciE 'error|cannot|fail' "$tmp/h-full.err")
		res=$(python3 - "$log" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
if not data.endswith(b"\n"):
    print("the log ends inside a line: %r" % data[-40:]); sys.exit()
for i, l in enumerate(data.decode().splitlines(), 1):
    if not l.strip():
        continue	# padding: a reader skips blank lines (docs/event-log.md)
    try:
        json.loads(l)
    except Exception as e:
        print("line %d does not parse: %s" % (i, e)); sys.exit()
EOF
)
		"$bin" replay "$log" >/dev/null 2>"$tmp/h-full.rep"
		rrc=$?
		if [ "$rc" -ne 1 ]; then ko enospc "exit $rc, want 1 (did the log not fill up?)"
		elif [ "$nerr" -ne 1 ] || ! grep -q '^shrinktrace: writing the log .*No space left on device' "$tmp/h-full.err"; then
			ko enospc "want one error line, got $nerr: $(grep -iE 'error|cannot|fail' "$tmp/h-full.err" | head -3 | tr '\n' '|')"
		elif [ -n "$res" ]; then ko enospc "$res"
		elif [ "$rrc" -eq 1 ]; then ko enospc "replay refuses the log: $(first_line "$tmp/h-full.rep")"
		else ok "enospc ($(grep -c . "$log") whole lines, $(stat -c %s "$log") bytes)"; fi
	fi
	umount "$tmp/small" 2>/dev/null || umount -l "$tmp/small"
fi

# ---- stdout's reader goes away ---------------------------------------------------------
mkfifo "$tmp/h-fifo"
head -1 <"$tmp/h-fifo" >"$tmp/h-head.out" &
hpid=$!
"$bin" --no-banner -d 120 >"$tmp/h-fifo" 2>"$tmp/h-pipe.err" &
pid=$!
bg_pids+=("$pid" "$hpid")
for ((i = 0; i < 60; i++)); do
	alive "$pid" || break
	tmpfs_cycles 2 || break
	sleep 0.2
done
wait_exit "$pid" 20
rc=$?
wait "$hpid" 2>/dev/null
if [ "$rc" -eq 124 ]; then ko sigpipe "still running after its reader went away"
elif [ "$rc" -ne 0 ]; then ko sigpipe "exit $rc, want 0: $(first_line "$tmp/h-pipe.err")"
elif grep -qiE 'error|cannot|fail|broken pipe' "$tmp/h-pipe.err"; then
	ko sigpipe "stderr: $(grep -iE 'error|cannot|fail|broken pipe' "$tmp/h-pipe.err" | head -1)"
elif [ ! -s "$tmp/h-head.out" ]; then ko sigpipe "head read nothing"
else ok sigpipe; fi

# ---- --redact=all ------------------------------------------------------------------------
log=$tmp/h-red.jsonl
timeout -s KILL 60 "$bin" -q --redact=all -o "$log" -- "$hworkload" 5 >/dev/null 2>"$tmp/h-red.err"
rc=$?
res=$(python3 - "$log" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = []
if not lines or lines[0].get("type") != "header" or lines[0].get("redacted") != "all":
    bad.append("header: %s" % (lines[:1],))
ev = [e for e in lines[1:] if e["type"] not in ("violation",)]
if sum(1 for e in ev if e["type"] == "shrinker_alloc") < 5:
    bad.append("fewer than 5 shrinker_alloc")
for e in lines[1:]:
    for k in ("shrinker", "next", "prev", "memcg"):
        v = e.get(k)
        if v is None or v in ("0x0", "0xdead000000000100", "0xdead000000000122"):
            continue
        n = int(v, 16)
        if not 0xffff000000000000 <= n < 0xffffffffffff0000 + 0x10000:
            bad.append("%s %s is not a kernel-half pseudonym" % (k, v))
    if e.get("comm") or e.get("walker_comm"):
        bad.append("a task name is left: %s" % (e.get("comm") or e.get("walker_comm")))
print("; ".join(bad[:3]))
EOF
)
"$bin" replay "$log" >/dev/null 2>&1
rrc=$?
if [ "$rc" -ne 0 ]; then ko redact-live "exit $rc: $(grep -iE 'error|cannot|fail' "$tmp/h-red.err" | head -1)"
elif [ -n "$res" ]; then ko redact-live "$res"
elif [ "$rrc" -ne 0 ]; then ko redact-live "replay of the redacted log: exit $rrc"
elif grep -q 'tmpfs-churn exited' "$tmp/h-red.err" && grep -E '^shrinktrace: VIOLATION' "$tmp/h-red.err" | grep -qE 'mount|umount'; then
	ko redact-live "a task name in a violation on stderr"
else ok redact-live; fi

# ---- SIGKILL leaves nothing attached --------------------------------------------------------
bpftool=$(command -v bpftool || echo /usr/sbin/bpftool)
bpf_ids() {	# KIND: the ids of every BPF prog/link/map, one per line
	"$bpftool" -j "$1" show 2>/dev/null |
		python3 -c 'import json, sys; [print(o["id"]) for o in json.load(sys.stdin)]' 2>/dev/null
}
if [ ! -x "$bpftool" ] || ! "$bpftool" -j prog show >/dev/null 2>&1; then
	echo "SKIP sigkill-detach: no working bpftool"
	skip=$((skip + 1))
else
	for k in prog link map; do bpf_ids $k | sort >"$tmp/h-before.$k"; done
	log=$tmp/h-kill.jsonl
	"$bin" -q -o "$log" -- sleep 120 >/dev/null 2>"$tmp/h-kill.err" &
	pid=$!
	bg_pids+=("$pid")
	if ! wait_header "$log" 10; then
		kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		ko sigkill-detach "no header in the log after 10 s: $(first_line "$tmp/h-kill.err")"
	else
		child=$(pgrep -P "$pid" sleep | head -1)
		[ -n "$child" ] && bg_pids+=("$child")
		ours=""
		for k in prog link map; do
			bpf_ids $k | sort | comm -13 "$tmp/h-before.$k" - >"$tmp/h-ours.$k"
			ours="$ours $k=$(grep -c . "$tmp/h-ours.$k")"
		done
		# the command, while the tracer runs, holds no BPF object of it
		held=""
		if [ -n "$child" ] && [ -d "/proc/$child/fd" ]; then
			held=$(ls -l "/proc/$child/fd" 2>/dev/null | grep -c 'anon_inode:bpf')
		fi
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		left=""
		for ((i = 0; i < 50; i++)); do
			left=""
			for k in prog link map; do
				n=$(bpf_ids $k | sort | comm -12 "$tmp/h-ours.$k" - | grep -c .)
				[ "$n" -gt 0 ] && left="$left $n $k"
			done
			[ -z "$left" ] && break
			sleep 0.2
		done
		if [ ! -s "$tmp/h-ours.prog" ] || [ ! -s "$tmp/h-ours.map" ]; then
			ko sigkill-detach "no new BPF program or map seen while the tracer ran:$ours"
		elif [ -n "$left" ]; then ko sigkill-detach "still there 10 s after SIGKILL:$left (of$ours)"
		elif [ -n "$held" ] && [ "$held" -gt 0 ]; then ko sigkill-detach "its command holds $held BPF fds"
		else ok "sigkill-detach (none left of$ours)"; fi
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
	fi
fi
