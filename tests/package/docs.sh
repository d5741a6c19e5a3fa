#!/usr/bin/env bash
# tests/package/docs.sh - the front door stays one: README.md at most 250 lines with the
# two quick-start commands as they are, and every relative link of README.md, docs/*.md
# and tools/lab/README.md names a file that exists and, with #anchor, a heading in it
# (GitHub's anchors: lower case, punctuation dropped, spaces to '-'); every file the tree
# of docs/layout.md names exists; no file points outside the repository (EVENTS.md,
# ../shared); no placeholder ("to be filled", TODO, TBD, FIXME, XXX, "comes with a later
# version") in README.md, docs/*.md or the man page.
# Prints PASS/FAIL lines and "N passed, M failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

n=$(wc -l <README.md)
[ "$n" -le 250 ] && ok "README.md: $n lines (at most 250)" ||
	ko README.md "$n lines: move text into docs/ (one topic per page)"
for c in 'sh tools/install-deps.sh && make demo' 'sh tools/install-deps.sh && make check'; do
	grep -qxF "$c" README.md && ok "README.md: quick start '$c'" || ko README.md "no line '$c'"
done
# no placeholder left in the front door, the docs or the man page
ph=$(grep -nE '[Tt]o be filled|\bTODO\b|\bTBD\b|\bFIXME\b|\bXXX\b|comes with a later version' \
	README.md docs/*.md man/shrinktrace.8 | grep -v 'shrinkstress\.XXXXXX')
[ -z "$ph" ] && ok "placeholders: none in README.md, docs/*.md, man/shrinktrace.8" ||
	ko placeholders "$(echo "$ph" | head -5 | tr '\n' ' ')"
if command -v python3 >/dev/null; then
	out=$(python3 - README.md docs/*.md tools/lab/README.md <<'PY'
import os, re, sys
def slug(h):
    h = re.sub(r'[`*_]', lambda m: '_' if m.group() == '_' else '', h.strip().lower())
    return re.sub(r'[^\w\- ]', '', h).replace(' ', '-')
def anchors(path):
    text = open(path, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r'^#+\s+(.*)$', text, re.M)}
bad = 0
for src in sys.argv[1:]:
    text = re.sub(r'```.*?```', '', open(src, encoding='utf-8').read(), flags=re.S)
    for m in re.finditer(r'\]\(([^)\s]+)\)', text):
        link = m.group(1)
        if re.match(r'[a-z]+:', link):
            continue
        path, _, frag = link.partition('#')
        target = os.path.normpath(os.path.join(os.path.dirname(src), path)) if path else src
        if not os.path.exists(target):
            print(f"{src}: link {link}: no file {target}"); bad += 1
        elif frag and target.endswith('.md') and frag not in anchors(target):
            print(f"{src}: link {link}: no heading #{frag} in {target}"); bad += 1
sys.exit(1 if bad else 0)
PY
)
	[ $? -eq 0 ] && ok "links: every relative link and anchor resolves" || ko links "$out"
else
	echo "SKIP links: python3 is not installed"
fi
# docs/layout.md's tree names files that exist (a file moved or removed is not left in
# it): each entry of its "## The tree" block, relative to the folders above it.
if command -v python3 >/dev/null; then
	out=$(python3 - docs/layout.md <<'PY'
import glob, re, sys
text = open(sys.argv[1], encoding='utf-8').read()
m = re.search(r'^## The tree\n.*?```\n(.*?)```', text, re.S | re.M)
if not m:
    print("no '## The tree' block"); sys.exit(1)
stack, bad, n = [], [], 0
for line in m.group(1).splitlines():
    if not line.strip() or line.startswith(' ' * 20):
        continue	# a description's second line
    level = (len(line) - len(line.lstrip(' '))) // 2
    names = re.split(r'\s{2,}', line.strip(), 1)[0]
    stack = stack[:level]
    base = ''.join(stack)
    prev = base
    for name in names.split(', '):
        path = (prev if '/' not in name and prev != base else base) + name
        if not glob.glob(path.rstrip('/')):
            bad.append(path)
        n += 1
        if '/' in name.rstrip('/') and not name.endswith('/'):
            prev = path[:path.rindex('/') + 1]
        if name.endswith('/') and len(names.split(', ')) == 1:
            stack.append(name)
print("%d entries" % n if not bad else "not found: " + ", ".join(bad[:5]))
sys.exit(1 if bad else 0)
PY
)
	[ $? -eq 0 ] && ok "layout: docs/layout.md names files that exist ($out)" || ko layout "$out"
else
	echo "SKIP layout: python3 is not installed"
fi
# Nothing in the repository points outside it (issue 12.6): no EVENTS.md (the format is
# docs/event-log.md) and no ../shared but where a script names the shared scenarios
# folder it reads when present (`scenarios=../shared/scenarios`).
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	out=$(git -C "$root" grep -n -I -e 'EVENTS\.md' -e '\.\./shared' -- . ':!tests/package/docs.sh' |
		grep -v ':scenarios=\.\./shared/scenarios\(\s\|$\)' | head -3)
	[ -z "$out" ] && ok "outside: no file points outside the repository" ||
		ko outside "$(echo "$out" | tr '\n' ' ' | cut -c1-300): point at docs/event-log.md, or say \"the shared scenarios folder beside the clone\""
else
	echo "SKIP outside: not a git clone"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
