#!/usr/bin/env bash
# tests/run-all.sh BUILD_DIR - every test of `make check`:
#   1. cmocka unit tests (BUILD_DIR/tests/test_*)
#   2. replay tests: the shared scenarios folder beside the clone (when present),
#      tests/replay/corpus, tests/replay/bad
#   2a. unit-asan, replay-asan: the same with BUILD_DIR/asan (ASan+UBSan build,
#       tests/sanitized.sh: any sanitizer report fails)
#   2b. fuzz-regressions: tests/fuzz/regressions/* through both fuzz targets
#       (fuzz_replay, fuzz_convert) and the sanitized binary; fuzz: a FUZZ_SECONDS (60)
#       libFuzzer session of each (ST_SKIP_FUZZ=1 skips them)
#   2c. man: the man page renders and documents every option of each --help
#       (tests/package/man.sh); docs: README.md within 250 lines, every docs link
#       resolves (tests/package/docs.sh); event-log-fields: every field the log writer writes
#       is in docs/event-log.md (tests/package/fields.sh); package: the Debian
#       package builds from a clean copy, passes lintian, installs into a scratch
#       root and runs there; make install/uninstall (tests/package/run.sh)
#   3. live tracing on this kernel (root; skipped with a reason otherwise)
#   3a. metrics: --metrics against a real Prometheus, hostile clients, --rotate, the
#       systemd unit (tests/live/metrics.sh; root, skipped with a reason otherwise)
#   3b. stress: build/shrinkstress workloads, cleanup, signals, one run under the
#       tracer (tests/stress/run.sh; root, skipped with a reason otherwise)
#   3c. xcheck: 2000 tmpfs shrinker generations under the tracer against a raw tracefs
#       recording of kmem:kmalloc/kfree: every lifecycle complete or its miss counted
#       (tests/live/xcheck.py; root, skipped with a reason otherwise; ~40 s)
#   3d. xdetail: each call's detail in the log (count, delta, total_scan, nr_deferred,
#       unused_scan, new_nr_deferred, scanned, freed) against `perf record` of
#       vmscan:mm_shrink_slab_start/_end in the same run, field by field, and damaged copies
#       that must fail (tests/live/xdetail.py; root, skipped with a reason otherwise; ~10 s)
#   4. the real-kernel lab: Debian 6.12 and 6.1 kernels under QEMU with the
#      test module (root; about 2 minutes warm; ST_SKIP_LAB=1 skips it), the 6.12
#      cases again with --backend kprobe, and with filters and --stats-only; lab-race-wild:
#      the unstaged race, 45 s per KASAN image, when the images are cached (~2.5 min)
# Prints each suite's own lines, then one closing line "N passed, M failed, K skipped".
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 bad_suites=()

add_counts() {   # $1 = suite name, $2 = file with the suite's output, $3 = exit status
	local p f s
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^\([0-9]*\) passed, [0-9]* failed.*/\1/p' "$2" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$2" | awk '{s+=$1} END {print s+0}')
	s=$(sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped.*/\1/p' "$2" | awk '{s+=$1} END {print s+0}')
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or failed without counting
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	[ "$f" -ne 0 ] && bad_suites+=("$1")
	return 0
}

run_suite() {    # $1 = name, rest = command
	local name=$1 out rc
	shift
	out=$(mktemp)
	echo "=== $name"
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	add_counts "$name" "$out" "$rc"
	rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit $(basename "$t")" "$t"
done
run_suite "replay" tests/replay/run.sh "$BUILD/shrinktrace"
if [ -x "$BUILD/asan/shrinktrace" ]; then
	for t in "$BUILD"/asan/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "unit-asan $(basename "$t")" tests/sanitized.sh "$t"
	done
	run_suite "replay-asan" tests/sanitized.sh tests/replay/run.sh "$BUILD/asan/shrinktrace"
else
	echo "=== unit-asan, replay-asan"; echo "FAIL: no $BUILD/asan/shrinktrace (make check builds it: make asan)"
	fail=$((fail + 1)); bad_suites+=("asan")
fi
run_suite "fuzz-regressions" tests/sanitized.sh tests/fuzz/run.sh regress "$BUILD/fuzz/fuzz_replay" "$BUILD/asan/shrinktrace"
run_suite "fuzz-regressions convert" tests/sanitized.sh tests/fuzz/run.sh regress "$BUILD/fuzz/fuzz_convert"
if [ -n "${ST_SKIP_FUZZ:-}" ]; then
	echo "=== fuzz"; echo "SKIP fuzz: ST_SKIP_FUZZ is set"; skip=$((skip + 1))
else
	run_suite "fuzz" tests/fuzz/run.sh fuzz "$BUILD/fuzz/fuzz_replay" "${FUZZ_SECONDS:-60}"
	run_suite "fuzz convert" tests/fuzz/run.sh fuzz "$BUILD/fuzz/fuzz_convert" "${FUZZ_SECONDS:-60}"
fi
run_suite "man" tests/package/man.sh "$BUILD/shrinktrace"
run_suite "docs" tests/package/docs.sh
run_suite "event-log-fields" tests/package/fields.sh "$BUILD"
run_suite "package" tests/package/run.sh "$BUILD"
run_suite "live" tests/live/run.sh "$BUILD/shrinktrace"
run_suite "metrics" tests/live/metrics.sh "$BUILD/shrinktrace"
run_suite "stress" tests/stress/run.sh "$BUILD"
run_suite "xcheck" python3 tests/live/xcheck.py "$BUILD/shrinktrace" --generations 2000
run_suite "xdetail" python3 tests/live/xdetail.py "$BUILD/shrinktrace"
if [ -n "${ST_SKIP_LAB:-}" ]; then
	echo "=== lab"; echo "SKIP lab: ST_SKIP_LAB is set"; skip=$((skip + 1))
elif [ "$(id -u)" -ne 0 ]; then
	echo "=== lab"; echo "SKIP lab: needs root (apt packages, module build, QEMU)"; skip=$((skip + 1))
else
	run_suite "lab" tools/lab/run 6.12 6.1
	# The kprobe rows of the hook table on a real kernel: each 6.12 case once with
	# --backend kprobe (6.12 has fentry, so auto never picks them there).
	run_suite "lab-kprobe" env LAB_BACKEND=kprobe LAB_OUT=build/lab-kprobe tools/lab/run 6.12
	# Filters never hide a violation: the same cases on 6.12 (fentry, where
	# held-back calls are written at shrinker_free()) with every call filtered
	# out and stats-only aggregation; only the verdicts are checked.
	run_suite "lab-filtered" env LAB_VERDICT_ONLY=1 LAB_OUT=build/lab-filtered \
		LAB_TRACER_ARGS="--stats-only --comm no-such-task" tools/lab/run 6.12
	# The race in the wild, short: 45 s of stress per KASAN image, per-event mode only, when
	# `make lab-race` has built the images (else one SKIP line); the full run is
	# `make lab-race-wild` (docs/lab.md, "The race in the wild").
	run_suite "lab-race-wild" env RACE_WILD_SECONDS=45 RACE_WILD_MODES=events \
		RACE_WILD_OUT=build/lab-race-wild-short tools/lab/race-wild --if-cached
fi

echo
[ ${#bad_suites[@]} -gt 0 ] && echo "failing suites: ${bad_suites[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
