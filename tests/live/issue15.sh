# tests/live/issue15.sh - sourced by tests/live/run.sh (uses its $bin, $tmp, $here,
# ok, ko, skip, bg_pids, alive, first_line, wait_exit, wait_header, tmpfs_cycles).
# Issue 15 (hardening, round two) on a live trace; each case names its item:
#  15.1  an earlier log owned by another user and held open by them: the tracer
#        makes a new file (another inode, root's, 0600); their descriptor still
#        reads the old content only;
#  15.2  --backend fentry (refused here) on an earlier log: exit 1, the log as it
#        was, no temporary file left beside it;
#  15.3  30 SIGKILLs at random moments of a busy trace: every log ends in '\n',
#        every line that is not blank parses, replay reads it without warning;
#  15.4  stdout or stderr closed (>&-, 2>&-): the log holds JSON lines only;
#  15.9  the command starts with the signal dispositions and mask it would have
#        without the tracer (SIGPIPE not ignored, nohup's SIGHUP still ignored); SIGKILL of the
#        tracer ends its command (PR_SET_PDEATHSIG); ^C on a terminal (a pty) at
#        random moments of the start of `-- shrinkstress`: never a command started
#        after the stop, never its directory or mounts left behind, exit 0 (or
#        killed by that SIGINT when it came before the tracer set its handlers,
#        with nothing started);
#  15.10 a task named with escape sequences (ESC, BEL, CSI, C1) doing reclaim:
#        no control byte on stdout or stderr, its cleaned name in the task table;
#  15.11 a second tracer on the same -o (later, and started at the same moment):
#        refused with one line, exit 1; the log replays;
#  15.12 setpriv: uid nobody with CAP_BPF+CAP_PERFMON only is refused naming
#        CAP_SYSLOG (when kptr_restrict/perf_event_paranoid require it) and
#        leaves no log; with CAP_SYSLOG too it traces; root without CAP_SYSLOG
#        is refused and an earlier log stays;
#  15.13 the log's directory removed during the trace: exit 1, one line saying
#        so, no "log:" in the summary; --memcg -1 and --stuck-after 1e-10: exit 2.
hworkload=$(cd "$here/../.." && pwd)/tools/workload/tmpfs-churn
stress=$(dirname "$bin")/shrinkstress
i15=$tmp/i15
mkdir -p "$i15"
chmod 0711 "$tmp"	# other users reach $i15/nobody below

# no_control FILE...: prints where a control byte (not \n or \t) is, else nothing
no_control() {
	python3 -c '
import re, sys
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    m = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)
    if m:
        print("%s: %r" % (f.rsplit("/", 1)[-1], b[max(0, m.start() - 30):m.end() + 10]))
        break' "$@"
}
# whole_log LOG: prints what is wrong with a log cut by SIGKILL, else nothing
whole_log() {
	python3 - "$1" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
if data and not data.endswith(b"\n"):
    print("ends inside a line at byte %d (%d mod 4096): %r" % (len(data), len(data) % 4096, data[-30:]))
    sys.exit()
for i, l in enumerate(data.decode().split("\n"), 1):
    if l.strip():
        try:
            json.loads(l)
        except ValueError as e:
            print("line %d does not parse: %s" % (i, e)); sys.exit()
EOF
}

# ---- 15.1 a fresh file ----------------------------------------------------------------------
printf 'earlier log\n' >"$i15/theirs.jsonl"
chown 65534:65534 "$i15/theirs.jsonl"
chmod 0644 "$i15/theirs.jsonl"
ino0=$(stat -c %i "$i15/theirs.jsonl")
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec 3<"$1"; exec sleep 60' sh "$i15/theirs.jsonl" 2>/dev/null &
holder=$!
bg_pids+=("$holder")
sleep 0.3
timeout -s KILL 30 "$bin" -q -d 0.5 -o "$i15/theirs.jsonl" >/dev/null 2>"$i15/err"
rc=$?
seen=$(cat "/proc/$holder/fd/3" 2>/dev/null | head -c 40)
if [ "$rc" != 0 ]; then ko 15.1/fresh-inode "exit $rc: $(first_line "$i15/err")"
elif [ "$seen" != "earlier log" ]; then ko 15.1/fresh-inode "the other user's descriptor now reads: $seen"
elif [ "$(stat -c %i "$i15/theirs.jsonl")" = "$ino0" ]; then ko 15.1/fresh-inode "the log is the same inode as before"
elif [ "$(stat -c %U:%a "$i15/theirs.jsonl")" != root:600 ]; then ko 15.1/fresh-inode "the log is $(stat -c %U:%a "$i15/theirs.jsonl")"
elif ! head -1 "$i15/theirs.jsonl" | grep -q '"type":"header"'; then ko 15.1/fresh-inode "no header in the new log"
else ok 15.1/fresh-inode; fi
{ kill -KILL "$holder"; wait "$holder"; } 2>/dev/null

# ---- 15.2 a refused run keeps an earlier log --------------------------------------------------
printf 'keep me\n' >"$i15/keep.jsonl"
timeout -s KILL 30 "$bin" -b fentry -q -d 1 -o "$i15/keep.jsonl" >/dev/null 2>"$i15/err"
rc=$?
if [ "$rc" != 1 ]; then ko 15.2/refused-keeps-log "exit $rc, want 1 (fentry is refused on this host?)"
elif [ "$(cat "$i15/keep.jsonl")" != "keep me" ]; then ko 15.2/refused-keeps-log "the earlier log is now $(wc -c <"$i15/keep.jsonl") bytes"
elif [ -n "$(ls -A "$i15" | grep '^\.')" ]; then ko 15.2/refused-keeps-log "left: $(ls -A "$i15" | grep '^\.' | head -2)"
else ok 15.2/refused-keeps-log; fi

# ---- 15.3 whole lines under SIGKILL --------------------------------------------------------------
load() {	# reclaim and shrinker churn until killed
	while :; do
		tmpfs_cycles 3 2>/dev/null
		echo 2 >/proc/sys/vm/drop_caches
	done
}
load &
loadpid=$!
bg_pids+=("$loadpid")
cut=0 bad="" nkill=30 sizes=0
for ((k = 0; k < nkill; k++)); do
	log=$i15/kill-$k.jsonl
	"$bin" --no-banner -o "$log" >/dev/null 2>&1 &
	pid=$!
	bg_pids+=("$pid")
	wait_header "$log" 20 || { bad="no header after 20 s (kill $k)"; kill -KILL "$pid"; wait "$pid" 2>/dev/null; break; }
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	{ kill -KILL "$pid"; wait "$pid"; } 2>/dev/null
	res=$(whole_log "$log")
	if [ -n "$res" ]; then cut=$((cut + 1)); bad="kill $k: $res"; fi
	"$bin" replay "$log" >/dev/null 2>"$i15/rerr.all"; rrc=$?
	grep -v ": note: " "$i15/rerr.all" >"$i15/rerr"
	if [ -s "$i15/rerr" ]; then cut=$((cut + 1)); bad="kill $k: replay: $(first_line "$i15/rerr")"; fi
	sizes=$((sizes + $(stat -c %s "$log")))
	rm -f "$log"
done
{ kill -KILL "$loadpid"; wait "$loadpid"; } 2>/dev/null
if [ -n "$bad" ]; then ko 15.3/sigkill-whole-lines "$cut of $k logs: $bad"
else ok "15.3/sigkill-whole-lines ($nkill kills, $((sizes / nkill)) bytes a log on average)"; fi

# ---- 15.4 closed standard descriptors ---------------------------------------------------------------
for how in stdout stderr; do
	log=$i15/closed-$how.jsonl
	if [ $how = stdout ]; then
		timeout -s KILL 30 "$bin" -d 1 -o "$log" -- sh -c 'sync; echo 2 >/proc/sys/vm/drop_caches' >&- 2>/dev/null
	else
		timeout -s KILL 30 "$bin" -d 1 -o "$log" -- sh -c 'sync; echo 2 >/proc/sys/vm/drop_caches' 2>&- >/dev/null
	fi
	rc=$?
	other=$(grep -v '^ *$' "$log" 2>/dev/null | grep -cv '^{')
	if [ "$rc" != 0 ]; then ko "15.4/closed-$how" "exit $rc"
	elif [ "$other" != 0 ]; then ko "15.4/closed-$how" "$other lines of the log are not JSON: $(grep -v '^ *$' "$log" | grep -v '^{' | head -1 | cut -c1-80)"
	elif [ -n "$(whole_log "$log")" ]; then ko "15.4/closed-$how" "$(whole_log "$log")"
	else ok "15.4/closed-$how"; fi
done

# ---- 15.9 signals ---------------------------------------------------------------------------------------
# the command's dispositions and mask are those it gets without the tracer in between
timeout -s KILL 30 sh -c 'grep -E "^Sig(Ign|Blk):" /proc/self/status' >"$i15/sig.want"
timeout -s KILL 30 "$bin" -q -o "$i15/sig.jsonl" -- sh -c 'grep -E "^Sig(Ign|Blk):" /proc/self/status' >"$i15/sig.out" 2>"$i15/err"
if ! cmp -s "$i15/sig.want" "$i15/sig.out"; then
	ko 15.9/command-inherited-signals "the command starts with $(tr '\n' ' ' <"$i15/sig.out"), without the tracer $(tr '\n' ' ' <"$i15/sig.want")"
else ok "15.9/command-inherited-signals ($(tr '\n' ' ' <"$i15/sig.out" | tr -s ' \t' ' '))"; fi
# nohup's SIGHUP and a background job's SIGINT stay ignored in the command
( trap '' HUP INT; exec timeout -s KILL 30 sh -c 'grep -E "^SigIgn:" /proc/self/status' ) >"$i15/sig.want"
( trap '' HUP INT; exec timeout -s KILL 30 "$bin" -q -o "$i15/sig.jsonl" -- sh -c 'grep -E "^SigIgn:" /proc/self/status' ) >"$i15/sig.out" 2>"$i15/err"
if ! cmp -s "$i15/sig.want" "$i15/sig.out"; then
	ko 15.9/command-keeps-ignored "with SIGHUP and SIGINT ignored: $(cat "$i15/sig.out"), want $(cat "$i15/sig.want")"
else ok 15.9/command-keeps-ignored; fi
"$bin" -q -o "$i15/pdeath.jsonl" -- sleep 120 >/dev/null 2>&1 &
pid=$!
bg_pids+=("$pid")
if ! wait_header "$i15/pdeath.jsonl" 20; then ko 15.9/sigkill-ends-command "no header after 20 s"; kill -KILL "$pid"
else
	child=""
	for ((i = 0; i < 40; i++)); do
		child=$(pgrep -P "$pid" sleep | head -1)
		[ -n "$child" ] && break
		sleep 0.05
	done
	{ kill -KILL "$pid"; wait "$pid"; } 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		[ -n "$child" ] && alive "$child" || break
		sleep 0.05
	done
	if [ -z "$child" ]; then ko 15.9/sigkill-ends-command "no command seen"
	elif alive "$child"; then ko 15.9/sigkill-ends-command "its command $child still runs 2 s after"; kill -KILL "$child"
	else ok 15.9/sigkill-ends-command; fi
fi
if [ ! -x "$stress" ]; then
	echo "SKIP 15.9/ctrl-c-at-start: no $stress"
	skip=$((skip + 1))
else
	mkdir -p "$i15/ss"
	res=$(python3 - "$bin" "$stress" "$i15/ss" <<'EOF'
import glob, os, pty, random, select, sys, time
tracer, stress, d = sys.argv[1:4]
def run(delay):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(tracer, [tracer, "-q", "--no-banner", "-o", d + "/log.jsonl", "--", stress, "-d", d,
                          "-s", "30", "-w", "tmpfs,ramfs,disk"])
    # the delay counts from the tracer's exec: a ^C that reached this Python child
    # before it exec'd was swallowed by Python (KeyboardInterrupt in its after-fork
    # hooks) and the tracer never saw it: the command then ran to its end
    want = os.path.realpath(tracer)
    for _ in range(2000):
        try:
            if os.readlink("/proc/%d/exe" % pid) == want:
                break
        except OSError:
            pass
        time.sleep(0.001)
    out, t0 = b"", time.time()
    def read(t):
        nonlocal out
        r, _, _ = select.select([fd], [], [], t)
        if not r:
            return False
        try:
            b = os.read(fd, 4096)
        except OSError:
            return False
        out += b
        return bool(b)
    while time.time() - t0 < delay:
        read(0.01)
    os.write(fd, b"\x03")		# the terminal's ^C: SIGINT to the foreground group
    t1 = time.time()
    while time.time() - t1 < 15 and read(15 - (time.time() - t1)):
        pass
    _, st = os.waitpid(pid, 0)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(st), time.time() - t1
import subprocess
random.seed(15)
# how long the tracer takes to start here, then ^C around that moment
t0 = time.time()
subprocess.run([tracer, "-q", "--no-banner", "-d", "0.01"], stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
start = max(0.3, min(3.0, time.time() - t0))
problems = []
for i in range(10):
    delay = random.uniform(0, 1.6 * start)
    txt, rc, took = run(delay)
    time.sleep(0.2)
    left = glob.glob(d + "/shrinkstress.*")
    mounts = [l.split()[1] for l in open("/proc/mounts") if (" " + d + "/") in l]
    before = "before tracing started" in txt
    if left or mounts:
        problems.append("^C at %.2f s: left %s, %d mounts" % (delay, [os.path.basename(x) for x in left], len(mounts)))
        os.system("for m in $(awk -v d=%s/ 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l $m; done; rm -rf %s/shrinkstress.*" % (d, d))
    # killed by the SIGINT itself is fine only before anything was started
    if rc != 0 and not (rc == -2 and "tracing while" not in txt):
        problems.append("^C at %.2f s: exit %d" % (delay, rc))
    if before and "working in" in txt:
        problems.append("^C at %.2f s: the command ran after the stop" % delay)
    if took > 10:
        problems.append("^C at %.2f s: %.1f s to exit" % (delay, took))
print("; ".join(problems[:3]) if problems else "ok: start %.2f s" % start)
EOF
)
	case $res in
	ok*) ok "15.9/ctrl-c-at-start (10 ^C on a pty, ${res#ok: })" ;;
	*) ko 15.9/ctrl-c-at-start "$res" ;;
	esac
fi

# ---- 15.10 no terminal escapes from task names --------------------------------------------------------------
timeout -s KILL 60 "$bin" -d 3 -o "$i15/esc.jsonl" -- bash -c \
	'printf "\033]0;owned\007\033[2J\302\233X" >/proc/$$/comm; sleep 0.3; for i in 1 2 3; do sync; echo 2 >/proc/sys/vm/drop_caches; done; sleep 0.3' \
	>"$i15/esc.out" 2>"$i15/esc.err"
rc=$?
res=$(no_control "$i15/esc.out" "$i15/esc.err")
if [ "$rc" != 0 ]; then ko 15.10/live-no-escapes "exit $rc: $(first_line "$i15/esc.err")"
elif [ -n "$res" ]; then ko 15.10/live-no-escapes "$res"
elif ! grep -q '\\u001b]0;owned' "$i15/esc.jsonl"; then ko 15.10/live-no-escapes "the task did no reclaim under its name (not in the log)"
elif ! grep -q '?]0;owned??' "$i15/esc.err"; then ko 15.10/live-no-escapes "the cleaned name is not in the summary's task table"
else ok 15.10/live-no-escapes; fi

# ---- 15.11 two tracers, one file ------------------------------------------------------------------------------
log=$i15/two.jsonl
"$bin" -q --no-banner -d 6 -o "$log" >/dev/null 2>"$i15/first.err" &
first=$!
bg_pids+=("$first")
if ! wait_header "$log" 20; then ko 15.11/second-refused "no header after 20 s"
else
	timeout -s KILL 30 "$bin" -q --no-banner -d 1 -o "$log" >/dev/null 2>"$i15/err"
	rc=$?
	wait "$first"
	frc=$?
	"$bin" replay "$log" >/dev/null 2>"$i15/rerr.all"; rrc=$?
	grep -v ": note: " "$i15/rerr.all" >"$i15/rerr"
	if [ "$rc" != 1 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q 'another process is writing it' "$i15/err"; then
		ko 15.11/second-refused "second: exit $rc: $(tr '\n' '|' <"$i15/err")"
	elif [ "$frc" != 0 ]; then ko 15.11/second-refused "first: exit $frc: $(first_line "$i15/first.err")"
	elif [ "$rrc" != 0 ] || [ -s "$i15/rerr" ]; then ko 15.11/second-refused "replay: exit $rrc: $(first_line "$i15/rerr")"
	else ok 15.11/second-refused; fi
fi
rm -f "$log"
"$bin" -q --no-banner -d 3 -o "$log" >/dev/null 2>"$i15/a.err" &
pa=$!
"$bin" -q --no-banner -d 3 -o "$log" >/dev/null 2>"$i15/b.err" &
pb=$!
bg_pids+=("$pa" "$pb")
wait "$pa"; ra=$?
wait "$pb"; rb=$?
"$bin" replay "$log" >/dev/null 2>"$i15/rerr.all"; rrc=$?
grep -v ": note: " "$i15/rerr.all" >"$i15/rerr"
if [ "$(echo "$ra $rb" | tr ' ' '\n' | sort | tr '\n' ' ')" != "0 1 " ]; then
	ko 15.11/race-one-refused "exits $ra and $rb, want one 0 and one 1: $(cat "$i15/a.err" "$i15/b.err" | grep -i cannot | head -1)"
elif [ "$rrc" != 0 ] || [ -s "$i15/rerr" ]; then ko 15.11/race-one-refused "replay: exit $rrc: $(first_line "$i15/rerr")"
else ok 15.11/race-one-refused; fi

# ---- 15.12 capabilities -------------------------------------------------------------------------------------------
kptr=$(cat /proc/sys/kernel/kptr_restrict) paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if ! command -v setpriv >/dev/null; then
	echo "SKIP 15.12/capabilities: no setpriv (util-linux)"
	skip=$((skip + 1))
else
	nd=$i15/nobody
	mkdir -p "$nd"
	chown 65534:65534 "$nd"
	asnobody() {	# CAPS ARGS...
		local caps=$1
		shift
		timeout -s KILL 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps="$caps" --ambient-caps="$caps" "$bin" "$@"
	}
	if [ "$kptr" = 0 ] && [ "$paranoid" -le 1 ]; then
		echo "SKIP 15.12/nobody-without-syslog: kptr_restrict=0 and perf_event_paranoid<=1 need no CAP_SYSLOG"
		skip=$((skip + 1))
	else
		asnobody +bpf,+perfmon -q -d 1 -o "$nd/log.jsonl" >/dev/null 2>"$i15/err"
		rc=$?
		if [ "$rc" != 1 ] || [ "$(grep -c . "$i15/err")" != 1 ] || ! grep -q 'CAP_SYSLOG missing' "$i15/err"; then
			ko 15.12/nobody-without-syslog "exit $rc: $(tr '\n' '|' <"$i15/err" | cut -c1-240)"
		elif [ -n "$(ls -A "$nd")" ]; then ko 15.12/nobody-without-syslog "left in the log's directory: $(ls -A "$nd" | head -2 | tr '\n' ' ')"
		else ok 15.12/nobody-without-syslog; fi
	fi
	asnobody +bpf,+perfmon,+syslog -q -d 1 -o "$nd/log.jsonl" >/dev/null 2>"$i15/err"
	rc=$?
	if [ "$rc" != 0 ]; then ko 15.12/nobody-with-the-set "exit $rc: $(first_line "$i15/err")"
	elif ! head -1 "$nd/log.jsonl" | grep -q '"type":"header"' || [ "$(stat -c %u "$nd/log.jsonl")" != 65534 ]; then
		ko 15.12/nobody-with-the-set "the log: $(stat -c '%U %s' "$nd/log.jsonl" 2>&1)"
	else ok "15.12/nobody-with-the-set (CAP_BPF, CAP_PERFMON, CAP_SYSLOG)"; fi
	asnobody +bpf -q -d 1 >/dev/null 2>"$i15/err"
	if ! grep -Eq 'not permitted to trace: CAP_PERFMON(, CAP_SYSLOG)? missing' "$i15/err"; then
		ko 15.12/nobody-names-missing "stderr: $(first_line "$i15/err")"
	else ok 15.12/nobody-names-missing; fi
	if [ "$kptr" != 0 ] || [ "$paranoid" -gt 1 ]; then
		printf 'keep me\n' >"$i15/keep2.jsonl"
		timeout -s KILL 30 setpriv --inh-caps=-syslog --bounding-set=-syslog "$bin" -q -d 1 -o "$i15/keep2.jsonl" >/dev/null 2>"$i15/err"
		rc=$?
		if [ "$rc" != 1 ] || ! grep -q 'CAP_SYSLOG missing' "$i15/err"; then ko 15.12/root-without-syslog "exit $rc: $(first_line "$i15/err")"
		elif [ "$(cat "$i15/keep2.jsonl")" != "keep me" ]; then ko 15.12/root-without-syslog "the earlier log was changed"
		else ok 15.12/root-without-syslog; fi
	fi
fi

# ---- 15.13 numbers, a directory removed -----------------------------------------------------------------------
mkdir -p "$i15/gone"
"$bin" -q --no-banner -d 60 -o "$i15/gone/log.jsonl" >/dev/null 2>"$i15/gone.err" &
pid=$!
bg_pids+=("$pid")
if ! wait_header "$i15/gone/log.jsonl" 20; then ko 15.13/log-dir-removed "no header after 20 s"; kill -KILL "$pid"
else
	rm -rf "$i15/gone"
	wait_exit "$pid" 10
	rc=$?
	if [ "$rc" != 1 ]; then ko 15.13/log-dir-removed "exit $rc, want 1: $(grep -v '^ ' "$i15/gone.err" | head -2 | tr '\n' '|')"
	elif ! grep -q 'was removed while it was written' "$i15/gone.err"; then ko 15.13/log-dir-removed "stderr: $(grep -v '^ ' "$i15/gone.err" | head -2 | tr '\n' '|')"
	elif grep -q '^  log: ' "$i15/gone.err"; then ko 15.13/log-dir-removed "the summary names the removed log"
	else ok 15.13/log-dir-removed; fi
fi
for arg in "--memcg -1" "--stuck-after 1e-10" "--window 1e-7"; do
	# shellcheck disable=SC2086
	timeout -s KILL 20 "$bin" -q -d 0.5 $arg >/dev/null 2>"$i15/err"
	rc=$?
	n=$(echo "$arg" | tr -d -- '-' | tr ' ' '=')
	if [ "$rc" != 2 ] || [ "$(grep -c . "$i15/err")" -gt 3 ]; then ko "15.13/tracer-$n-refused" "exit $rc: $(first_line "$i15/err")"
	else ok "15.13/tracer-$n-refused"; fi
done
