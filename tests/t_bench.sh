#!/bin/sh
# The benchmark harness keeps working: its quick mode (a second or so)
# runs every transport at K=1 and K=4 against a bare sink and against a
# private ipcd at sync=batch and sync=never, and every ipcd total must be
# exact.  Speed is never judged here (see tests/bench/README.md).
. tests/lib.sh

BENCH=$PWD/$BUILD/bench/bench
if [ ! -x "$BENCH" ]; then
	notok "bench binary $BENCH not built (make $BUILD/bench/bench)"
	exit 1
fi
mkdir -p "$T/bench"
timeout 60 "$BENCH" -q -r 2000 "$IPCD" "$T/bench" >"$T/bench.out" 2>"$T/bench.err"
rc=$?
sed 's/^/# /' "$T/bench.out"
if [ "$rc" -eq 0 ]; then
	ok "bench quick mode ran (exit 0)"
else
	notok "bench quick mode exit status $rc"
	sed 's/^/#   /' "$T/bench.err" | head -20
fi
n=$(grep -c '^bench ' "$T/bench.out")
same "bench printed 36 cells (9 transports x K=1,4 x 2 syncs)" "$n" 36
bad=$(grep '^bench ' "$T/bench.out" | grep -vc ' exact=yes$')
same "every ipcd count and total exact" "$bad" 0
for tr in fifo mq mqdeep unix unix1 shm tcp sysv spool; do
	contains "transport $tr measured" "$(cat "$T/bench.out")" \
	    "transport=$tr k=4 sync=never"
done
contains "rss measured with 2000 keys" "$(grep '^rss ' "$T/bench.out")" \
    "accepted=2000 rejected=0 stats_keys=2000"
