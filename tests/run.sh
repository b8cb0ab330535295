#!/bin/sh
# Run every test: the unit test binaries, then the black-box scripts that
# start the real ipcd.  Each prints "ok - ..." / "not ok - ..." lines; a
# test that dies without saying so counts as one failure, and so does one
# that checks nothing.  A check that cannot run here prints "skip - WHY":
# it is counted as skipped, never as passed.  The last line is
# "N passed, N failed" (", N skipped" when any were).
#
# usage: tests/run.sh BUILD_DIR [TEST...]   (TEST: a t_*.sh name or unit name)

BUILD=${1:-build}
shift
export BUILD
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
TIMEOUT=${IPCD_TEST_TIMEOUT:-300}

if [ $# -eq 0 ]; then
	set -- $(cd tests/unit && ls test_*.c | sed 's/\.c$//') \
	    $(cd tests && ls t_*.sh)
fi

pass=0
fail=0
skip=0
failed_tests=""
for t in "$@"; do
	case $t in
	t_*.sh)	cmd="sh tests/$t" ;;
	*)	cmd="$BUILD/tests/$t" ;;
	esac
	echo "# $t"
	out=$(timeout "$TIMEOUT" $cmd 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	s=$(printf '%s\n' "$out" | grep -c '^skip - ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		echo "not ok - $t ran no check"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	[ "$f" -gt 0 ] && failed_tests="$failed_tests $t"
done
[ -n "$failed_tests" ] && echo "# failed:$failed_tests"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
