#!/bin/sh
# The FIFO's record rule: a piece of a record (a write that does not end
# with a newline) is rejected when ipcd reads it and never joins the bytes
# of a later read, where it would become part of another writer's record;
# whole records from many writers at once all arrive.
. tests/lib.sh

start_ipcd || exit 1
f=$T/ipcd.fifo

# ipcd took a piece once it counted it as rejected (bytes it read from
# elsewhere would not say so).
rejected_reach() { wait_stat fifo.rejected "$1" >/dev/null; }

# A writer leaves "victim 1" and goes quiet; another writes "2.5".
exec 3>"$f"
printf 'victim 1' >&3
rejected_reach 1
echo 2.5 >"$f"
exec 3>&-
check "the other writer's record arrived" wait_count default 1
same "it was not glued to the piece before it" \
    "$("$IPCCTL" result --key=default)" 2.5
same "no key was made of the piece" "$("$IPCCTL" keys | cut -f1)" default
check "the piece was counted" wait_stat fifo.rejected 1
check "and named in the log" \
    grep -q "fifo: rejected input: record cut short" "$T/ipcd.log"

# Four writers holding the FIFO open at once, in turns: A writes each of
# its records in two writes, B, C and D theirs whole, between A's two.
ROUNDS=20
exec 3>"$f" 4>"$f" 5>"$f" 6>"$f"
n=0
while [ $n -lt $ROUNDS ]; do
	printf 'a 1' >&3
	rejected_reach $((2 * n + 2))	# the piece; "0 z" came before
	printf 'b 1\n' >&4
	printf 'c 1\n' >&5
	printf 'd 1\n' >&6
	printf '0 z\n' >&3
	n=$((n + 1))
done
exec 3>&- 4>&- 5>&- 6>&-
check "every whole record arrived" wait_count d $ROUNDS
same "B, C and D counted exactly" "$("$IPCCTL" result --key=b) \
$("$IPCCTL" result --key=c) $("$IPCCTL" result --key=d)" \
    "$ROUNDS $ROUNDS $ROUNDS"
check "both pieces of each of A's records were rejected" \
    wait_stat fifo.rejected $((1 + 2 * ROUNDS))
same "no value was made of A's pieces" \
    "$("$IPCCTL" keys | cut -f1 | sort | tr '\n' ' ')" "b c d default "

# A heavy load of whole records: 8 writers x 20,000 records, nothing lost.
W=8
N=20000
# The sum over the writers' keys.
total() {
	for k in $("$IPCCTL" keys | cut -f1 | grep '^w'); do
		"$IPCCTL" result --key="$k"
	done | awk '{ s += $1 } END { print s + 0 }'
}
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) print 1 }' >"$T/ones"
# W writers of N ones each, to keys w0..w(W-1); their pids in $pids.
start_writers() {
	pids=
	w=0
	while [ $w -lt $W ]; do
		"$IPCCTL" submit --via=fifo --key=w$w - <"$T/ones" >"$T/w$w" 2>&1 &
		pids="$pids $!"
		w=$((w + 1))
	done
}
"$IPCCTL" reset --all >/dev/null
before=$(stat_of fifo.rejected)
start_writers
wait_all $pids
same "$W writers all succeeded" "$failed" 0
w=0
while [ $w -lt $W ]; do
	wait_count w$w $N >/dev/null
	w=$((w + 1))
done
got=$(total)
same "all $((W * N)) records arrived, each once" "$got" $((W * N))
same "none was rejected" "$(stat_of fifo.rejected)" "$before"

# The same load with a writer of pieces among it.  A piece followed by
# another writer's record before ipcd reads is, byte for byte, one record
# written whole: no reader can tell them apart.  The guarantee is that no
# value is ever made of a piece and a record (the piece "x 1" glued to a
# record of key wN makes an invalid record), and each piece costs at most
# the one record it is glued to.
"$IPCCTL" reset --all >/dev/null
SPLITS=20
start_writers
(
	exec 3>"$f"
	n=0
	while [ $n -lt $SPLITS ]; do
		printf 'x 1' >&3
		sleep 0.01
		printf '0 z\n' >&3
		n=$((n + 1))
	done
) &
pids="$pids $!"
for p in $pids; do
	wait $p
done
echo "end 1" >"$f"	# what came before it is in when it is
check "the load with pieces among it was read" wait_count end 1
got=$(total)
keys=$("$IPCCTL" keys | cut -f1 | grep -cv '^w[0-7]$\|^end$')
same "no key was made of a piece" "$keys" 0
check "at most one record lost per piece ($((W * N - got)) of $((W * N)) lost, $SPLITS pieces)" \
    test "$got" -le $((W * N)) -a "$got" -ge $((W * N - SPLITS))
