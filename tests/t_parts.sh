#!/bin/sh
# Parts make submissions idempotent; result --wait waits for all of them
# and names the missing ones when it times out.
. tests/lib.sh

start_ipcd || exit 1

for via in unix fifo mq shm; do
	k=p.$via
	"$IPCCTL" submit --via=$via --key=$k --part=1/3 0.5
	"$IPCCTL" submit --via=$via --key=$k --part=1/3 0.5 2>/dev/null
	"$IPCCTL" submit --via=$via --key=$k --part=3/3 0.25
	wait_count $k 2
	same "$via: a repeated part is not counted twice" \
	    "$("$IPCCTL" result --key=$k) $(field $k duplicates)" "0.75 1"
done
same "duplicates are counted per transport in stats" \
    "$(stat_of fifo.duplicates) $(stat_of mq.duplicates) $(stat_of shm.duplicates) $(stat_of unix.duplicates)" \
    "1 1 1 1"

out=$("$IPCCTL" submit --key=p.unix --part=1/3 9 2>&1)
status "a duplicate over the socket still exits 0" 0 \
    "$IPCCTL" submit --key=p.unix --part=1/3 9
contains "and says it was not counted" "$out" "already received; not counted again"

# --wait with a timeout names the missing parts and exits 5.
out=$("$IPCCTL" result --key=p.unix --timeout=0.3 2>&1)
status "result --timeout on an incomplete key exits 5" 5 \
    "$IPCCTL" result --key=p.unix --timeout=0.2
contains "the timeout names the missing part" "$out" "1 of 3 parts missing: 2"
out=$("$IPCCTL" result --key=never --timeout=0.2 2>&1)
contains "a key with no parts times out clearly" "$out" "no parts received"

# --wait returns as soon as the last part arrives, from another transport.
"$IPCCTL" result --key=p.unix --wait >"$T/waited" 2>&1 &
waiter=$!
sleep 0.3
check "the waiter is still waiting at 2/3" kill -0 $waiter
"$IPCCTL" submit --via=mq --key=p.unix --part=2/3 0.125
wait $waiter
same "the waiter gets the total when 3/3 arrive" "$(cat "$T/waited")" 0.875
same "--wait on a complete key returns at once" \
    "$("$IPCCTL" result --key=p.unix --wait --timeout=1)" 0.875

# Pipelined requests behind a wait are answered after it, in order.
reply=$(printf 'wait late 0\nresult late\n' | "$RAWIPC" unix "$T/ipcd.sock" &
    r=$!; sleep 0.3; "$IPCCTL" submit --key=late --part=1/1 3; wait $r)
same "requests behind a wait are answered after it, in order" \
    "$(echo "$reply" | cut -d' ' -f1-3 | tr '\n' '|')" \
    'ok key="late" total=3|ok key="late" total=3|'

# Conflicts: another N, a plain value into a parted key, and back.
status "a conflicting N is rejected (exit 4)" 4 \
    "$IPCCTL" submit --key=p.unix --part=1/4 1
out=$("$IPCCTL" submit --key=p.unix --part=1/4 1 2>&1)
contains "the conflict is explained" "$out" "takes parts of 3"
status "a plain value into a parted key is rejected" 4 \
    "$IPCCTL" submit --key=p.unix 1
"$IPCCTL" submit --key=plain 1
status "a part into a plain key is rejected" 4 \
    "$IPCCTL" submit --key=plain --part=1/2 1
same "conflicts did not move the total" "$("$IPCCTL" result --key=p.unix)" 0.875
"$IPCCTL" submit --via=fifo --key=p.unix --part=1/9 1
check "a conflict over the FIFO is counted as rejected" wait_stat fifo.rejected 1

# Usage errors on --part.
status "--part=0/3 is a usage error" 2 "$IPCCTL" submit --part=0/3 1
status "--part with two values is a usage error" 2 "$IPCCTL" submit --part=1/3 1 2
