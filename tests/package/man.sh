#!/usr/bin/env bash
# tests/package/man.sh BINARY [MANPAGE] - the man page and the built-in help agree.
#   - MANPAGE (default man/shrinktrace.8; .gz allowed) renders with `man -l` without a
#     warning, has the sections of BCC's man pages, and its .TH version is BINARY's;
#   - every option of `BINARY --help`, `BINARY replay --help` and `BINARY redact
#     --help` (long and short) is in the OPTIONS subsection for that command ("Options
#     of the tracer" + "Filters of the tracer", "Options of shrinktrace replay", "...
#     redact"; argp's own -?, -h, --help, --usage, -V, --version in "Options of every
#     command"), and every option those subsections list still exists;
#   - -h prints exactly --help, `BINARY help [replay|redact]` too, exit 0, and each
#     --help ends with an EXAMPLES: section whose lines fit 79 columns.
# Prints PASS/FAIL lines and "N passed, M failed".
set -u
bin=${1:?usage: tests/package/man.sh BINARY [MANPAGE]}
root=$(cd "$(dirname "$0")/../.." && pwd)
page=${2:-$root/man/shrinktrace.8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; exit; }

if ! command -v man >/dev/null; then
	ko man "man is not installed (Debian man-db; tools/install-deps.sh installs it)"; finish
fi
# rendered as a reader sees it; wide, so that no option is broken across lines
LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings -E UTF-8 -l "$page" >"$tmp/page.raw" 2>"$tmp/page.err"
rc=$?
# plain text: no overstrike, hyphen and minus forms as ASCII '-'
sed 's/.\x08//g; s/\xe2\x80\x90/-/g; s/\xe2\x88\x92/-/g' "$tmp/page.raw" >"$tmp/page"
if [ "$rc" -ne 0 ] || [ -s "$tmp/page.err" ]; then
	ko render "man -l $page: exit $rc: $(head -3 "$tmp/page.err" | tr '\n' ' ')"
else
	ok "render: $(basename "$page") renders without warnings ($(wc -l <"$tmp/page") lines)"
fi
miss=
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES OVERHEAD CAVEATS "SEE ALSO"; do
	grep -qx "$s" "$tmp/page" || miss="$miss [$s]"
done
[ -z "$miss" ] && ok "sections: BCC's sections are there" || ko sections "missing:$miss"
ver=$("$bin" --version | awk '{print $NF; exit}')
if grep -q "shrinktrace $ver " "$tmp/page" || tail -1 "$tmp/page" | grep -q "shrinktrace $ver"; then
	ok "version: the page is of shrinktrace $ver"
else
	ko version "'$bin --version' says $ver, the page's footer: $(tail -1 "$tmp/page" | tr -s ' ')"
fi

# the text of one subsection of OPTIONS: from its title line to the next title
subsection() {	# title
	awk -v t="   $1" '
		/^[A-Z]/ { if (in_opt && $0 != "OPTIONS") exit; in_opt = ($0 == "OPTIONS"); next }
		in_opt && /^   [^ ]/ { on = ($0 == t); next }
		in_opt && on { print }' "$tmp/page"
}
# the options a --help lists: "  -x, --name..." / "      --name..." at line start
help_opts() {	# help file (argp: "  -x, --name" at column 2, "      --name" at column 6)
	sed -n 's/^  \(-[a-zA-Z?]\)\(, \(--[a-z][a-z0-9-]*\)\)\?.*/\1 \3/p
		s/^      \(--[a-z][a-z0-9-]*\).*/\1/p' "$1" | tr ' ' '\n' | sed '/^$/d'
}
# the options a subsection documents: the tags of its paragraphs (7 spaces, then -)
page_opts() {	# subsection text file
	grep -E '^       -' "$1" | grep -oE '(^|[ ,])-(-[a-z][a-z0-9-]*|[a-zA-Z?])' | sed 's/^[ ,]*//'
}
has_opt() {	# option file: the option as a word (--stats is not --stats-only)
	grep -qE -- "(^|[^a-z0-9-])$(printf '%s' "$1" | sed 's/[?]/[?]/')([^a-z0-9-]|$)" "$2"
}
argp_own="-? -h --help --usage -V --version"
subsection "Options of every command" >"$tmp/common"

check_cmd() {	# name title... (the help is in $tmp/help)
	local name=$1 o miss= extra=
	shift
	: >"$tmp/sect"
	for t in "$@"; do subsection "$t" >>"$tmp/sect"; done
	if [ ! -s "$tmp/sect" ]; then ko "$name" "no subsection '$*' under OPTIONS"; return; fi
	for o in $(help_opts "$tmp/help"); do
		case " $argp_own " in *" $o "*) has_opt "$o" "$tmp/common" || miss="$miss $o(common)"; continue ;; esac
		has_opt "$o" "$tmp/sect" || miss="$miss $o"
	done
	help_opts "$tmp/help" >"$tmp/helpopts"
	for o in $(page_opts "$tmp/sect"); do
		[ "$o" = "--" ] && continue
		grep -qxF -- "$o" "$tmp/helpopts" || extra="$extra $o"
	done
	if [ -n "$miss" ]; then ko "$name" "in --help but not in the man page's '$1':$miss"
	elif [ -n "$extra" ]; then ko "$name" "in the man page's '$1' but not in --help:$extra"
	else ok "$name: $(help_opts "$tmp/help" | wc -l) options of --help are in '$1', and no other"; fi
}
"$bin" --help >"$tmp/help"; check_cmd "tracer options" "Options of the tracer" "Filters of the tracer"
"$bin" replay --help >"$tmp/help"; check_cmd "replay options" "Options of shrinktrace replay"
"$bin" redact --help >"$tmp/help"; check_cmd "redact options" "Options of shrinktrace redact"
has_opt -h "$tmp/common" && ok "-h: documented" || ko "-h" "not in 'Options of every command'"

for c in "" replay redact; do
	name="${c:-tracer}"
	"$bin" $c --help >"$tmp/h1" 2>&1; r1=$?
	"$bin" $c -h >"$tmp/h2" 2>&1; r2=$?
	"$bin" help $c >"$tmp/h3" 2>&1; r3=$?
	if [ "$r1$r2$r3" != 000 ]; then ko "$name -h" "exit --help $r1, -h $r2, help $r3 (want 0)"
	elif ! cmp -s "$tmp/h1" "$tmp/h2"; then ko "$name -h" "-h differs from --help"
	elif ! cmp -s "$tmp/h1" "$tmp/h3"; then ko "$name -h" "'help $c' differs from --help"
	else ok "$name: -h, --help and 'help $c' print the same help, exit 0"; fi
	ex=$(sed -n '/^EXAMPLES:$/,$p' "$tmp/h1")
	if [ -z "$ex" ]; then ko "$name examples" "--help has no EXAMPLES: section"
	elif [ "$(printf '%s\n' "$ex" | grep -vc '^    \|^EXAMPLES:$')" -ne 0 ]; then
		ko "$name examples" "EXAMPLES: is not the last section, or a line wrapped: $(printf '%s\n' "$ex" | grep -v '^    \|^EXAMPLES:$' | head -1)"
	else ok "$name: --help ends with EXAMPLES ($(($(printf '%s\n' "$ex" | wc -l) - 1)) lines)"; fi
done
"$bin" help nosuch >/dev/null 2>"$tmp/err"; r=$?
[ "$r" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && ok "help nosuch: one line, usage error" ||
	ko "help nosuch" "exit $r, $(wc -l <"$tmp/err") lines (want 2, one line)"
finish
