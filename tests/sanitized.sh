#!/usr/bin/env bash
# tests/sanitized.sh COMMAND [ARG...] - run a test suite whose binaries are built
# with ASan+UBSan (make check's BUILD/asan) so that any sanitizer report fails it.
#   ASan/LSan: halt and abort on the first error, leaks checked at every exit,
#     reports written to files: a report fails the suite even where the test
#     would not notice (an expected exit status, stderr not checked); each is
#     printed after the suite with a "0 passed, 1 failed" line for run-all.sh.
#   UBSan: the binaries are built with -fno-sanitize-recover=all, so the first
#     report (on stderr: GCC's libubsan ignores log_path) aborts the process.
set -u
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1:log_path=$dir/report${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
"$@"
rc=$?
if [ -n "$(ls -A "$dir")" ]; then
	for f in "$dir"/report*; do
		echo "FAIL sanitizer report from pid ${f##*.}:"
		sed 's/^/  /' "$f" | head -60
	done
	echo "0 passed, 1 failed"
	[ "$rc" -eq 0 ] && rc=1
fi
exit "$rc"
