#!/bin/sh
# Every way in at once, many concurrent workers each, and an exact total at
# the end.  Each worker streams "1e16, 1, -1e16" triples: in any
# interleaving the exact total is the number of triples, where naive
# floating-point addition would lose most of the ones.
. tests/lib.sh

start_ipcd "[tcp]
enabled = yes
listen = 127.0.0.1:$(free_port)" || exit 1
VIAS="unix fifo mq shm tcp sysv spool"
NV=$(echo $VIAS | wc -w)
WORKERS=6
TRIPLES=2000
awk -v n=$TRIPLES 'BEGIN { for (i = 0; i < n; i++) print "1e16\n1\n-1e16" }' \
    >"$T/triples"

# Launched ranks over a pipe and a socketpair, alongside: each of 3W
# ranks writes 1e16, 1 or -1e16 as its part of a key of its own.
rank_value='case $((IPCD_RANK % 3)) in 0) v=1e16 ;; 1) v=1 ;; *) v=-1e16 ;; esac
echo $v >&$IPCD_FD'
pids=
for ch in pipe socketpair; do
	"$IPCCTL" run -n $((3 * WORKERS)) --channel=$ch --key=c_$ch -- \
	    sh -c "$rank_value" >"$T/run.$ch" 2>&1 &
	pids="$pids $!"
done
for via in $VIAS; do
	w=0
	while [ $w -lt $WORKERS ]; do
		"$IPCCTL" submit --via=$via --key=c - <"$T/triples" \
		    >"$T/w.$via.$w" 2>&1 &
		pids="$pids $!"
		w=$((w + 1))
	done
done
wait_all $pids
same "$((NV * WORKERS)) concurrent workers over $NV transports and 2 launches all succeeded" \
    "$failed" 0
n=$((NV * WORKERS * TRIPLES * 3))
check "all $n submissions arrived" wait_count c $n
same "the total is exact: one per triple" "$("$IPCCTL" result --key=c)" \
    $((NV * WORKERS * TRIPLES))
for via in $VIAS; do
	# The launches hand their ranks' values to ipcd over unix.
	extra=0
	[ $via = unix ] && extra=$((2 * 3 * WORKERS))
	same "$via carried its share" "$(stat_of $via.accepted)" \
	    $((WORKERS * TRIPLES * 3 + extra))
	same "$via rejected nothing" "$(stat_of $via.rejected)" 0
done
for ch in pipe socketpair; do
	same "run over a $ch printed the exact total of its ranks" \
	    "$(cat "$T/run.$ch")" $WORKERS
done

# The pi job over all four transports at the same time.
pids=
for via in $VIAS pipe socketpair; do
	"$IPCCTL" pi --via=$via >"$T/pi.$via" 2>&1 &
	pids="$pids $!"
done
wait $pids
for via in $VIAS pipe socketpair; do
	same "pi over $via, run alongside the others" \
	    "$(tail -n 1 "$T/pi.$via")" 3.14159262176
done
