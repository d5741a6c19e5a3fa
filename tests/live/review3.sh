# tests/live/review3.sh - sourced by tests/live/run.sh (uses its $bin, $tmp, $here, ok,
# ko, bg_pids, wait_exit, wait_header, first_line, tmpfs_cycles).  The third
# adversarial review, on a live trace:
#  r3/rotate-dir-replaced  -o in a directory that uid nobody owns, --rotate 4K: nobody
#                          moves the directory away and puts a symlink to a directory
#                          of root's in its place; root's file of the log's name there
#                          is untouched (the rotation used to rename it to FILE.1 and
#                          put a log in its place), the tracer stops, exit 1, one line;
#  r3/stdout-full-*        event lines or --top into /dev/full: exit 1 and one line
#                          "writing standard output failed" (it stopped at once with
#                          exit 0, as if a reader had gone);
#  r3/output-dash-refused  -o - is a usage error (it made a file named "-").
r3=$tmp/r3
mkdir -p "$r3"
chmod 0711 "$tmp"

# ---- a rotated log's directory replaced by a symlink -------------------------------------
mkdir -p "$r3/base" "$r3/vict"
chmod 0777 "$r3/base"
chmod 0700 "$r3/vict"
printf "root's config\n" >"$r3/vict/cfg"
setpriv --reuid=65534 --regid=65534 --clear-groups mkdir "$r3/base/ud"
"$bin" -q --no-banner -d 60 -o "$r3/base/ud/cfg" --rotate 4K,2 >/dev/null 2>"$r3/rot.err" &
pid=$!
bg_pids+=("$pid")
if ! wait_header "$r3/base/ud/cfg" 20; then ko r3/rotate-dir-replaced "no header after 20 s"; kill -KILL "$pid"
else
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
		'mv "$0/ud" "$0/ud.old" && ln -s "$1" "$0/ud"' "$r3/base" "$r3/vict"
	tmpfs_cycles 20	# events enough for a few rotations
	echo 2 >/proc/sys/vm/drop_caches
	wait_exit "$pid" 20
	rc=$?
	if [ "$(cat "$r3/vict/cfg")" != "root's config" ] || [ -e "$r3/vict/cfg.1" ]; then
		ko r3/rotate-dir-replaced "root's file was replaced: $(ls "$r3/vict" | tr '\n' ' ') $(head -c 80 "$r3/vict/cfg")"
	elif [ "$rc" != 1 ] || ! grep -q 'was removed while it was written' "$r3/rot.err"; then
		ko r3/rotate-dir-replaced "exit $rc: $(grep -v '^ ' "$r3/rot.err" | tail -2 | tr '\n' '|')"
	else ok r3/rotate-dir-replaced; fi
fi

# ---- standard output that fails, -o - ------------------------------------------------------
# a full standard output (ENOSPC, not a reader gone): an error, exit 1, not a quiet exit 0
for how in lines top; do
	args=(-d 3)
	[ $how = top ] && args=(--top 0.2 -d 3)
	( sleep 0.5; echo 2 >/proc/sys/vm/drop_caches ) &
	timeout -s KILL 30 "$bin" --no-banner "${args[@]}" >/dev/full 2>"$r3/full.err"
	rc=$?
	wait
	if [ "$rc" != 1 ] || ! grep -q '^shrinktrace: writing standard output failed: No space left on device' "$r3/full.err"; then
		ko "r3/stdout-full-$how" "exit $rc: $(grep -v '^ ' "$r3/full.err" | tail -1)"
	else ok "r3/stdout-full-$how"; fi
done
# -o - would have been a file named "-" in the current directory
( cd "$r3" && timeout -s KILL 20 "$bin" -q -d 1 -o - >/dev/null 2>"$r3/dash.err" )
rc=$?
if [ "$rc" != 2 ] || [ -e "$r3/-" ] || ! grep -q -- '-o -: ' "$r3/dash.err"; then
	ko r3/output-dash-refused "exit $rc, file '-' $( [ -e "$r3/-" ] && echo made || echo not made): $(first_line "$r3/dash.err")"
else ok r3/output-dash-refused; fi
