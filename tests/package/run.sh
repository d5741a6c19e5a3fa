#!/usr/bin/env bash
# tests/package/run.sh BUILD_DIR - the Debian package and `make install`:
#   1. tools/build-deb BUILD_DIR/package: dpkg-buildpackage -us -uc -b in a clean copy
#      of the tree (DEB_BUILD_OPTIONS=nocheck: make check runs those tests itself);
#      afterwards `git status` there shows nothing (.gitignore covers the build);
#   2. lintian on the .changes: no error (every tag it prints is shown);
#   3. the .deb holds the binary (stripped; its debug info in the -dbgsym package under
#      its build id), the man page, the systemd unit and the docs;
#   4. unpacked into a scratch root (dpkg -x): the installed binary's --version is the
#      package's version, it replays a violation (exit 3) and a clean log (exit 0);
#      tests/package/man.sh on the installed binary and man page; the unit passes
#      `systemd-analyze verify` in that root, without a warning;
#   5. root with BPF: the installed tracer runs for a second with exactly the unit's
#      CapabilityBoundingSet (setpriv) and its flags (less --metrics while the tracer
#      has no such option);
#   6. make install / make uninstall into a DESTDIR, PREFIX=/usr/local and /usr.
# Prints PASS/FAIL/SKIP lines and "N passed, M failed, K skipped".
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
case $build in /*) ;; *) build=$root/$build ;; esac
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
sk() { echo "SKIP $1: $2"; skip=$((skip + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

need=
for t in dpkg-buildpackage dh lintian git man; do command -v "$t" >/dev/null || need="$need $t"; done
if [ -n "$need" ]; then
	sk package "missing$need (debhelper, lintian, git, man-db: sh tools/install-deps.sh)"; finish
fi

# 1. build
out=$build/package
ver=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb=$out/shrinktrace_${ver}_$arch.deb dbg=$out/shrinktrace-dbgsym_${ver}_$arch.deb
if DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" tools/build-deb "$out" >"$tmp/build.log" 2>&1; then
	ok "build: dpkg-buildpackage -us -uc -b from a clean copy; git status clean after it"
else
	ko build "tools/build-deb failed; last lines:"; tail -15 "$tmp/build.log" | sed 's/^/    /'
	finish
fi

# 2. lintian
lintian --fail-on error "$out/shrinktrace_${ver}_$arch.changes" >"$tmp/lintian" 2>&1
rc=$?
grep -v 'running with root privileges' "$tmp/lintian" | sed 's/^/    lintian: /'
if [ "$rc" -eq 0 ]; then
	ok "lintian: no error ($(grep -c '^[WI]:' "$tmp/lintian") warnings and infos)"
else
	ko lintian "exit $rc: $(grep -m1 '^E:' "$tmp/lintian")"
fi

# 3. contents
dpkg -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/files"
miss=
for f in /usr/sbin/shrinktrace /usr/share/man/man8/shrinktrace.8.gz /lib/systemd/system/shrinktrace.service \
	 /usr/share/doc/shrinktrace/README.md /usr/share/doc/shrinktrace/docs/event-log.md \
	 /usr/share/doc/shrinktrace/copyright; do
	grep -qxF "$f" "$tmp/files" || miss="$miss $f"
done
[ -z "$miss" ] && ok "contents: binary, man page, unit, docs" || ko contents "missing:$miss"
sroot=$tmp/root
mkdir -p "$sroot" && dpkg -x "$deb" "$sroot"
b=$sroot/usr/sbin/shrinktrace
id=$(readelf -n "$b" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
if readelf -S "$b" | grep -qE '\.symtab|\.debug_info'; then
	ko strip "/usr/sbin/shrinktrace still has .symtab or .debug_info"
elif [ -z "$id" ] || ! dpkg -c "$dbg" | grep "usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" >/dev/null; then
	ko strip "no /usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug in $(basename "$dbg")"
else
	ok "strip: binary stripped, debug info in $(basename "$dbg") (build id $id)"
fi

# 4. the installed files at work
v=$("$b" --version 2>&1)
[ "$v" = "shrinktrace $ver" ] && ok "installed --version: $v" || ko "installed --version" "'$v', want 'shrinktrace $ver'"
"$b" replay tests/replay/corpus/stale-next.jsonl >"$tmp/replay" 2>&1
rc=$?
if [ "$rc" -eq 3 ] && grep -q 'stale_next' "$tmp/replay"; then
	ok "installed replay: stale-next.jsonl gives stale_next, exit 3"
else
	ko "installed replay" "exit $rc (want 3), $(grep -c stale_next "$tmp/replay") stale_next lines"
fi
"$b" replay --format jsonl tests/replay/corpus/stale-next-clean.jsonl >"$tmp/replay" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$tmp/replay" ] && ok "installed replay: stale-next-clean.jsonl is clean, exit 0" ||
	ko "installed replay" "clean log: exit $rc, $(wc -l <"$tmp/replay") lines"
echo "--- tests/package/man.sh on the installed binary and man page"
if tests/package/man.sh "$b" "$sroot/usr/share/man/man8/shrinktrace.8.gz" >"$tmp/man" 2>&1; then
	ok "installed man page: $(tail -1 "$tmp/man")"
else
	grep -v '^PASS' "$tmp/man" | sed 's/^/    /'
	ko "installed man page" "tests/package/man.sh failed"
fi
unit=$sroot/lib/systemd/system/shrinktrace.service
if ! command -v systemd-analyze >/dev/null; then
	sk "systemd-analyze" "not installed (Debian systemd)"
else
	# the scratch root needs the system's own units (sysinit.target, ...) beside ours
	cp -rn /lib/systemd/system/. "$sroot/lib/systemd/system/" 2>/dev/null
	MANPATH=$sroot/usr/share/man systemd-analyze verify --root="$sroot" shrinktrace.service \
		>"$tmp/verify" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify" ]; then
		ok "systemd-analyze verify: the unit is clean ($(systemd-analyze security --offline=true \
			--root="$sroot" shrinktrace.service 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: //p'))"
	else
		ko "systemd-analyze verify" "exit $rc: $(head -3 "$tmp/verify" | tr '\n' ' ')"
	fi
fi

# 5. the unit's capabilities are enough (root, BPF)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ \+/,+/g')
args=$(sed -n 's|^ExecStart=/usr/sbin/shrinktrace ||p' "$unit")
"$b" --help | grep -q -- '--metrics' || args=$(printf '%s\n' "$args" | sed 's/--metrics [^ ]*//')
if [ "$(id -u)" -ne 0 ]; then
	sk "unit capabilities" "needs root"
elif ! command -v setpriv >/dev/null; then
	sk "unit capabilities" "no setpriv (util-linux)"
else
	# shellcheck disable=SC2086
	setpriv --bounding-set=-all,+"$caps" --inh-caps=-all -- "$b" $args -d 1 >"$tmp/caps.out" 2>"$tmp/caps.err"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q 'summary:' "$tmp/caps.err"; then
		ok "unit capabilities: 'shrinktrace $args -d 1' runs with only ${caps//+/}"
	elif grep -q 'not permitted to load BPF\|no shrinker hook' "$tmp/caps.err" &&
	     ! "$b" $args -d 1 >/dev/null 2>&1; then
		sk "unit capabilities" "the tracer cannot run on this kernel even with every capability"
	else
		ko "unit capabilities" "exit $rc with the bounding set ${caps//+/}: $(grep -m1 shrinktrace: "$tmp/caps.err")"
	fi
fi

# 6. make install / uninstall
for prefix in /usr/local /usr; do
	d=$tmp/destdir${prefix//\//_}
	if ! make -s --no-print-directory BUILD="$build" PREFIX="$prefix" DESTDIR="$d" install >"$tmp/inst" 2>&1; then
		ko "make install PREFIX=$prefix" "$(tail -2 "$tmp/inst" | tr '\n' ' ')"; continue
	fi
	case $prefix in /usr) ud=/lib/systemd/system ;; *) ud=$prefix/lib/systemd/system ;; esac
	miss=
	for f in "$prefix/sbin/shrinktrace" "$prefix/share/man/man8/shrinktrace.8" "$ud/shrinktrace.service" \
		 "$prefix/share/doc/shrinktrace/README.md" "$prefix/share/doc/shrinktrace/docs/event-log.md"; do
		[ -f "$d$f" ] || miss="$miss $f"
	done
	exec_line=$(grep '^ExecStart=' "$d$ud/shrinktrace.service" 2>/dev/null)
	if [ -n "$miss" ]; then ko "make install PREFIX=$prefix" "missing:$miss"
	elif [ "${exec_line#ExecStart=$prefix/sbin/shrinktrace }" = "$exec_line" ]; then
		ko "make install PREFIX=$prefix" "the unit's $exec_line does not name $prefix/sbin/shrinktrace"
	else ok "make install PREFIX=$prefix: binary, man page, unit ($ud), docs"; fi
	make -s --no-print-directory BUILD="$build" PREFIX="$prefix" DESTDIR="$d" uninstall >/dev/null 2>&1
	left=$(find "$d" -type f | sed "s|^$d||")
	[ -z "$left" ] && ok "make uninstall PREFIX=$prefix: nothing left" ||
		ko "make uninstall PREFIX=$prefix" "left:$(printf ' %s' $left)"
done
finish
