# tests/replay/export.sh - sourced by tests/replay/run.sh (uses its $bin, $tmp,
# ok, ko, skip; run from the repository root).  The export formats of
# `shrinktrace replay --format csv|perfetto`:
#  - every shared scenario (beside the clone, when present: $scenarios of run.sh),
#    tests/replay/corpus/*.jsonl and
#    tests/replay/export/*.jsonl converted to CSV and to a Perfetto trace: the
#    exit status equals that of `--format jsonl` (3 with violations, else 0),
#    nothing on stdout with -o, and tests/tools/check_csv.py /
#    check_perfetto.py accept the result against the source log and its
#    violations (row for row, slice for slice);
#  - conversion to standard output, errors (several files, unwritable -o, -o
#    onto a symlink or a FIFO, malformed input) as one line, and the tracer's
#    --format without -o;
#  - the checkers themselves refuse damaged outputs (so these tests can fail).
# python3 (stdlib) is needed; without it the export cases are one SKIP.

tools=$root/tests/tools

# export_check FMT OUT SOURCE VIOLATIONS: the checker's one line, status 0 when it accepts
export_check() {
	if [ "$1" = csv ]; then
		python3 "$tools/check_csv.py" "$2" --source "$3" --violations "$4"
	else
		python3 "$tools/check_perfetto.py" "$2" --source "$3" --violations "$4"
	fi
}

export_case() {	# NAME FILE
	local name=$1 f=$2 fmt rc rcv res
	"$bin" replay --format jsonl "$f" >"$tmp/x.viol" 2>/dev/null
	rcv=$?
	for fmt in csv perfetto; do
		rm -f "$tmp/x.$fmt"
		"$bin" replay --format "$fmt" -o "$tmp/x.$fmt" "$f" >"$tmp/x.out" 2>"$tmp/x.err"
		rc=$?
		if [ "$rc" != "$rcv" ]; then
			ko "$fmt/$name" "exit $rc, --format jsonl exits $rcv ($(head -1 "$tmp/x.err"))"
		elif [ -s "$tmp/x.out" ]; then
			ko "$fmt/$name" "stdout is not empty with -o: $(head -c 100 "$tmp/x.out")"
		elif ! res=$(export_check "$fmt" "$tmp/x.$fmt" "$f" "$tmp/x.viol"); then
			ko "$fmt/$name" "$res"
		else
			ok "$fmt/$name"
		fi
	done
}

# expect_refused NAME FMT FILE SOURCE VIOLATIONS: a damaged output must fail its check
expect_refused() {
	local res
	if res=$(export_check "$2" "$3" "$4" "$5"); then
		ko "checker/$1" "accepted a damaged output: $res"
	else
		ok "checker/$1"
	fi
}

one_error_line() {	# NAME RC WANT_RC ERRFILE TEXT
	if [ "$2" != "$3" ]; then ko "$1" "exit $2, want $3"
	elif [ "$(grep -c . "$4")" != 1 ]; then ko "$1" "stderr has $(grep -c . "$4") lines, want 1: $(tr '\n' '|' <"$4")"
	elif ! grep -qF -- "$5" "$4"; then ko "$1" "error \"$(cat "$4")\" lacks \"$5\""
	else ok "$1"; fi
}

if ! command -v python3 >/dev/null; then
	echo "SKIP export: python3 is needed for tests/tools/check_*.py"
	skip=$((skip + 1))
else
	if [ -d "$scenarios" ]; then
		for f in "$scenarios"/*.jsonl; do
			[ -e "$f" ] || continue
			export_case "scenario/$(basename "$f" .jsonl)" "$f"
		done
	fi
	for f in tests/replay/corpus/*.jsonl tests/replay/export/*.jsonl; do
		[ -e "$f" ] || continue
		export_case "$(basename "$(dirname "$f")")/$(basename "$f" .jsonl)" "$f"
	done

	# to standard output (no -o, and -o -)
	src=tests/replay/corpus/stale-next.jsonl
	"$bin" replay --format jsonl "$src" >"$tmp/s.viol" 2>/dev/null
	"$bin" replay --format csv "$src" >"$tmp/s.csv" 2>"$tmp/s.err"
	rc=$?
	if [ "$rc" != 3 ]; then ko export/stdout "exit $rc, want 3 ($(head -1 "$tmp/s.err"))"
	elif ! res=$(export_check csv "$tmp/s.csv" "$src" "$tmp/s.viol"); then ko export/stdout "$res"
	else ok export/stdout; fi
	"$bin" replay --format perfetto -o - "$src" >"$tmp/s.perfetto" 2>"$tmp/s.err"
	rc=$?
	if [ "$rc" != 3 ]; then ko export/stdout-dash "exit $rc, want 3 ($(head -1 "$tmp/s.err"))"
	elif ! res=$(export_check perfetto "$tmp/s.perfetto" "$src" "$tmp/s.viol"); then ko export/stdout-dash "$res"
	else ok export/stdout-dash; fi

	# a new output file is created 0600
	rm -f "$tmp/new.csv"
	"$bin" replay --format csv -o "$tmp/new.csv" "$src" >/dev/null 2>&1
	if [ "$(stat -c %a "$tmp/new.csv" 2>/dev/null)" = 600 ]; then ok export/mode-0600
	else ko export/mode-0600 "mode $(stat -c %a "$tmp/new.csv" 2>&1), want 600"; fi

	# errors: one line, and the right exit status
	"$bin" replay --format csv "$src" "$src" >"$tmp/e.out" 2>"$tmp/e.err"
	one_error_line export/usage-two-files $? 2 "$tmp/e.err" "one log at a time"
	"$bin" replay --format perfetto -o /nonexistent/dir/x.json "$src" >"$tmp/e.out" 2>"$tmp/e.err"
	one_error_line export/unwritable $? 1 "$tmp/e.err" "/nonexistent/dir/x.json"
	echo keep >"$tmp/target"
	ln -sf "$tmp/target" "$tmp/link"
	"$bin" replay --format csv -o "$tmp/link" "$src" >"$tmp/e.out" 2>"$tmp/e.err"
	rc=$?
	if [ "$(cat "$tmp/target")" != keep ]; then ko export/symlink "the symlink's target was written"
	else one_error_line export/symlink "$rc" 1 "$tmp/e.err" "symbolic link"; fi
	# replay's report -o uses the same opener
	"$bin" replay --format jsonl -o "$tmp/link" "$src" >"$tmp/e.out" 2>"$tmp/e.err"
	rc=$?
	if [ "$(cat "$tmp/target")" != keep ]; then ko report/symlink "the symlink's target was written"
	else one_error_line report/symlink "$rc" 1 "$tmp/e.err" "symbolic link"; fi
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	timeout 10 "$bin" replay --format perfetto -o "$tmp/fifo" "$src" >"$tmp/e.out" 2>"$tmp/e.err"
	one_error_line export/fifo $? 1 "$tmp/e.err" "not a regular file"
	"$bin" replay --format perfetto -o "$tmp/bad.json" tests/replay/bad/bad-json.jsonl >"$tmp/e.out" 2>"$tmp/e.err"
	one_error_line export/malformed-input $? 1 "$tmp/e.err" "bad-json.jsonl:"
	"$bin" --format csv -d 1 >"$tmp/e.out" 2>"$tmp/e.err"
	one_error_line export/tracer-format-without-o $? 2 "$tmp/e.err" "-o FILE"
	"$bin" --format xml -o "$tmp/x" -d 1 >"$tmp/e.out" 2>"$tmp/e.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "xml" "$tmp/e.err"; then ok export/tracer-bad-format
	else ko export/tracer-bad-format "exit $rc, want 2 naming 'xml': $(head -1 "$tmp/e.err")"; fi

	# the checkers refuse damaged outputs
	"$bin" replay --format csv -o "$tmp/g.csv" "$src" >/dev/null 2>&1
	"$bin" replay --format perfetto -o "$tmp/g.json" "$src" >/dev/null 2>&1
	head -n -1 "$tmp/g.csv" >"$tmp/d.csv"
	expect_refused csv-row-missing csv "$tmp/d.csv" "$src" "$tmp/s.viol"
	sed '2s/0x\([0-9a-f]*\)/0X\1/' "$tmp/g.csv" >"$tmp/d.csv"
	expect_refused csv-pointer-case csv "$tmp/d.csv" "$src" "$tmp/s.viol"
	sed '3s/,[^,]*\r$/\r/' "$tmp/g.csv" >"$tmp/d.csv"
	expect_refused csv-cell-missing csv "$tmp/d.csv" "$src" "$tmp/s.viol"
	sed -E '2s/^([a-z_]+),([0-9]+),/\1,9\2,/' "$tmp/g.csv" >"$tmp/d.csv"
	expect_refused csv-value-changed csv "$tmp/d.csv" "$src" "$tmp/s.viol"
	grep -v '"ph":"E","cat":"walk"' "$tmp/g.json" >"$tmp/d.json"
	expect_refused perfetto-e-missing perfetto "$tmp/d.json" "$src" "$tmp/s.viol"
	sed 's/"cat":"violation"\(.*\)"s":"g"/"cat":"violation"\1"s":"t"/' "$tmp/g.json" >"$tmp/d.json"
	expect_refused perfetto-violation-scope perfetto "$tmp/d.json" "$src" "$tmp/s.viol"
	sed '0,/"ph":"E","cat":"shrink"/s/"ph":"E","cat":"shrink","name":"[^"]*"/"ph":"E","cat":"shrink","name":"other"/' \
		"$tmp/g.json" >"$tmp/d.json"
	expect_refused perfetto-e-name perfetto "$tmp/d.json" "$src" "$tmp/s.viol"
	grep -v '"ph":"M","name":"process_name"' "$tmp/g.json" | sed '1a{"ph":"M","name":"process_name","pid":1,"args":{"name":"shrinktrace"}}' >"$tmp/d.json"
	if res=$(export_check perfetto "$tmp/d.json" "$src" "$tmp/s.viol"); then ok checker/perfetto-control
	else ko checker/perfetto-control "an undamaged rewrite was refused: $res"; fi
fi
