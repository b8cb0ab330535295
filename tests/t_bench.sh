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
n=$(grep -c '^ipcctl .* exact=yes$' "$T/bench.out")
same "14 client-path rows (build/ipcctl, 7 transports x K=1,4), exact" "$n" 14
contains "rss measured with 2000 keys" "$(grep '^rss ' "$T/bench.out")" \
    "accepted=2000 rejected=0 stats_keys=2000"

# The side programs (tests/bench/side.sh) in their quick mode: Redis
# beside ipcd, and the curves; every total exact, speed not judged.
side() {
	timeout 60 "$PWD/$BUILD/bench/$1" -q "$IPCD" "$T/bench" >"$T/$1.out" \
	    2>"$T/$1.err"
	same "bench $1 quick mode exit status" "$?" 0
	sed 's/^/# /' "$T/$1.out"
	sed 's/^/#   /' "$T/$1.err" | head -10
	same "bench $1: every total exact" \
	    "$(grep -c 'exact=no' "$T/$1.out")" 0
}
side redis
if grep -q '^redis .*missing=' "$T/redis.out"; then
	echo "skip - Redis rows: redis-server not installed (make deps)"
else
	same "Redis rows: pipelined and one at a time, K=1,4, three syncs" \
	    "$(grep -c '^redis mode=.* exact=yes$' "$T/redis.out")" 12
fi
side curves
same "curves: a step per key count (1, 100, 2000) and the idle RSS" \
    "$(grep -c '^curve keys=.* exact=yes$' "$T/curves.out")" 4
same "curves: latency at K=1,4" \
    "$(grep -c '^latency k=.* exact=yes$' "$T/curves.out")" 2
