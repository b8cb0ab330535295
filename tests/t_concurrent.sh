#!/bin/sh
# All four transports at once, many concurrent workers each, and an exact
# total at the end.  Each worker streams "1e16, 1, -1e16" triples: in any
# interleaving the exact total is the number of triples, where naive
# floating-point addition would lose most of the ones.
. tests/lib.sh

start_ipcd || exit 1
WORKERS=6
TRIPLES=2000
awk -v n=$TRIPLES 'BEGIN { for (i = 0; i < n; i++) print "1e16\n1\n-1e16" }' \
    >"$T/triples"

pids=
for via in unix fifo mq shm; do
	w=0
	while [ $w -lt $WORKERS ]; do
		"$IPCCTL" submit --via=$via --key=c - <"$T/triples" \
		    >"$T/w.$via.$w" 2>&1 &
		pids="$pids $!"
		w=$((w + 1))
	done
done
wait_all $pids
same "24 concurrent workers over 4 transports all succeeded" "$failed" 0
n=$((4 * WORKERS * TRIPLES * 3))
check "all $n submissions arrived" wait_count c $n
same "the total is exact: one per triple" "$("$IPCCTL" result --key=c)" \
    $((4 * WORKERS * TRIPLES))
for via in unix fifo mq shm; do
	same "$via carried its share" "$(stat_of $via.accepted)" \
	    $((WORKERS * TRIPLES * 3))
done
same "nothing was rejected" \
    "$(stat_of unix.rejected)$(stat_of fifo.rejected)$(stat_of mq.rejected)$(stat_of shm.rejected)" \
    0000

# The pi job over all four transports at the same time.
pids=
for via in unix fifo mq shm; do
	"$IPCCTL" pi --via=$via >"$T/pi.$via" 2>&1 &
	pids="$pids $!"
done
wait $pids
for via in unix fifo mq shm; do
	same "pi over $via, run alongside the others" \
	    "$(tail -n 1 "$T/pi.$via")" 3.14159262176
done
