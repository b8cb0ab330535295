#!/bin/sh
# The libFuzzer targets of tests/fuzz/ (record parser, configuration
# loader, state loaders, number formatter), each run for FUZZ_SECONDS (10
# here, `make fuzz` asks for more) under ASan + UBSan, from the seeds of
# tests/fuzz/corpus/.
# A crash, an invariant that fails, a leak or a hang is "not ok"; without
# clang and libFuzzer the targets are skipped, never passed.
#
# usage: sh tests/t_fuzz.sh   (from the top directory; BUILD, FUZZ_SECONDS,
#        FUZZ_DIR as `make fuzz` sets them; by default build, 10, build/fuzz)
BUILD=${BUILD:-build}
SECS=${FUZZ_SECONDS:-10}
DIR=${FUZZ_DIR:-$BUILD/fuzz}
TARGETS="fuzz_record fuzz_conf fuzz_state fuzz_format"

skip_all() {
	for t in $TARGETS; do
		echo "skip - $t: $*"
	done
	exit 0
}

command -v clang >/dev/null || skip_all "clang is not installed (make deps)"
probe=$(mktemp -d /tmp/ipcd-fuzzprobe.XXXXXX)
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' \
    >"$probe/p.c"
clang -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1
rc=$?
rm -rf "$probe"
[ $rc -eq 0 ] || skip_all "clang cannot link libFuzzer (libclang-rt-14-dev: make deps)"

# Build (nothing to do when `make fuzz` just did).  The make that runs
# this test must not lend it its job server.
if ! env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory BUILD="$BUILD" \
    fuzz-build >"$BUILD/fuzz-build.log" 2>&1; then
	for t in $TARGETS; do
		echo "not ok - $t: the fuzz target does not build"
	done
	sed 's/^/#   /' "$BUILD/fuzz-build.log" | tail -20
	exit 1
fi

failed=0
for t in $TARGETS; do
	mkdir -p "$DIR/corpus/$t"
	log=$DIR/$t.log
	start=$(date +%s)
	# The first corpus directory receives what the run finds new; the
	# checked-in seeds stay as they are.
	"$DIR/$t" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix="$DIR/$t-" \
	    "$DIR/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corpus=$(ls "$DIR/corpus/$t" | wc -l)
	if [ $rc -eq 0 ] && [ -n "$n" ] && ! grep -q "ERROR: \(AddressSanitizer\|LeakSanitizer\|libFuzzer\)\|runtime error" "$log"; then
		echo "ok - $t: $n executions in $secs s, no crash (coverage $cov, corpus $corpus)"
	else
		echo "not ok - $t: failed after ${n:-?} executions (status $rc); log $log"
		grep -E "invariant failed|ERROR:|SUMMARY:|runtime error|Test unit written| in [A-Za-z_]+ [^ ]*/(common|daemon|tests)/" \
		    "$log" | head -25 | sed 's/^/#   /'
		failed=1
	fi
done
exit $failed
