# tests/live/filters.sh - sourced by tests/live/run.sh (uses its $bin, $tmp, $here, ok,
# ko).  Filters and stats-only mode on this kernel, each on the built-in workload
# (tools/workload/tmpfs-churn: tmpfs mount cycles, then drop_caches):
#  - --comm/-p naming nobody: lifecycle events still all there, no call is written
#    except a deferred one (a call that mattered to a violation);
#  - --comm naming the workload: every written call is the workload's;
#  - --min-latency: every written call took at least that long, and was deferred;
#  - --shrinker GLOB: every written call's shrinker matches;
#  - --stats-only: the summary counts more calls than the log holds, at most one
#    written call per shrinker that is not deferred;
#  - bad filter arguments (an empty --shrinker too): exit 2 with the option named.
fworkload=$(cd "$here/../.." && pwd)/tools/workload/tmpfs-churn

# filter_run NAME ARGS...: trace 5 workload cycles with ARGS into $tmp/f-NAME.jsonl
filter_run() {
	local name=$1
	shift
	timeout -s KILL 60 "$bin" -q --no-banner "$@" -o "$tmp/f-$name.jsonl" -- "$fworkload" 5 \
		>"$tmp/f-$name.out" 2>"$tmp/f-$name.err"
}

# filter_check NAME PYTHON-EXPR: evaluate EXPR over the log's events (list `ev`,
# `calls` = shrink_begin records, `errtxt` = the tracer's stderr); FAIL with the
# expression's message when it returns a string
filter_check() {
	local name=$1 expr=$2 msg
	msg=$(python3 - "$tmp/f-$name.jsonl" "$tmp/f-$name.err" <<EOF
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [e for e in ev if e.get("type") not in ("header", "violation")]
calls = [e for e in ev if e["type"] == "shrink_begin"]
errtxt = open(sys.argv[2]).read()
def types(t): return sum(1 for e in ev if e["type"] == t)
r = ($expr)
print("" if r is True else r)
EOF
)
	if [ $? -ne 0 ]; then ko "filter-$name" "checker crashed"; return; fi
	if [ -n "$msg" ]; then ko "filter-$name" "$msg"; else ok "filter-$name"; fi
}

lifecycle_ok='types("shrinker_alloc") >= 5 and types("free_end") >= 5 or "lifecycle events missing: %d alloc, %d free_end" % (types("shrinker_alloc"), types("free_end"))'

filter_run nobody --comm no-such-task
if [ $? -ne 0 ]; then
	ko filter-nobody "exit $?: $(head -2 "$tmp/f-nobody.err" | tr '\n' ' ')"
else
	filter_check nobody "($lifecycle_ok) is True and (all(c.get('deferred') for c in calls) or '%d calls written that the filter excludes' % sum(1 for c in calls if not c.get('deferred')))"
fi

sleep 300 & idle=$!
filter_run pid -p "$idle"
kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null
filter_check pid "($lifecycle_ok) is True and (all(c.get('deferred') for c in calls) or '%d calls of other processes written' % sum(1 for c in calls if not c.get('deferred')))"

filter_run comm --comm tmpfs-churn
filter_check comm "(len(calls) > 0 or 'no call written (drop_caches runs as tmpfs-churn)') is True and (all(c['comm'] == 'tmpfs-churn' or c.get('deferred') for c in calls) or 'calls of %s written' % sorted({c['comm'] for c in calls if c['comm'] != 'tmpfs-churn'}))"

filter_run latency --min-latency 20
filter_check latency "all(e.get('duration_ns', 0) >= 20000 for e in ev if e['type'] == 'shrink_end') and all(c.get('deferred') for c in calls) or 'a call under 20 us, or not deferred, was written'"

filter_run glob --shrinker 'sb-*'
filter_check glob "(len(calls) > 0 or 'no sb-* call written') is True and (all(c.get('name', '').startswith('sb-') for c in calls) or 'calls of %s written' % sorted({c.get('name') for c in calls if not c.get('name', '').startswith('sb-')}))"

filter_run stats --stats-only
filter_check stats "(lambda m: (m is not None or 'no calls line in the summary') is True and (int(m.group(1)) > len(calls) or 'summary counts %s calls, the log has %d' % (m.group(1), len(calls))) is True and (len([c for c in calls if not c.get('deferred')]) <= len({c['shrinker'] for c in calls}) or 'more than one written call per shrinker'))(re.search(r'shrinkers: .*?, (\\d+) calls,', errtxt))"

# bad arguments: exit 2 and the option named on the first line
for bad in "--comm 0123456789abcdefgh" "--memcg /tmp" "--memcg nonsense" "--pid 0" "--min-latency -3" "--shrinker="; do
	# shellcheck disable=SC2086
	timeout -s KILL 10 "$bin" $bad -d 1 >"$tmp/fbad.out" 2>"$tmp/fbad.err"
	rc=$?
	opt=${bad%% *}
	opt=${opt%=}
	if [ "$rc" -eq 2 ] && head -1 "$tmp/fbad.err" | grep -q -- "${opt#-}"; then
		ok "filter-bad $bad"
	else
		ko "filter-bad $bad" "exit $rc, first line: $(head -1 "$tmp/fbad.err")"
	fi
done
