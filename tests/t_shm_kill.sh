#!/bin/sh
# Shared memory survives its submitters: SIGKILLed at random moments many
# times, or SIGSTOPped while holding a slot, they never wedge ipcd or the
# submitters after them, and the total is always a sum of whole records.
. tests/lib.sh

start_ipcd || exit 1
CYCLES=${SHM_KILL_CYCLES:-60}
yes 1 | head -n 2000000 >"$T/ones"

i=0
while [ $i -lt $CYCLES ]; do
	"$IPCCTL" submit --via=shm --key=kill - <"$T/ones" 2>/dev/null &
	pid=$!
	# 0 to 30 ms into the stream: anywhere in attach, publish or ring.
	sleep "0.0$(awk -v s=$i 'BEGIN { srand(s); printf "%02d", int(rand() * 30) }')"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	i=$((i + 1))
done
check "ipcd answers after $CYCLES SIGKILLed submitters" "$IPCCTL" ping
# ipcd frees dead submitters' slots within a second or so; after that
# a fresh submitter must get through.
check "a later shm submitter gets through" \
    timeout 10 "$IPCCTL" submit --via=shm --key=after 1
sleep 1.5
c=$(field kill count)
t=$("$IPCCTL" result --key=kill)
same "the total is the count of whole records ($c), all ones" "$t" "$c"
same "no torn record was rejected" "$(stat_of shm.rejected)" 0
same "no stray key appeared" "$("$IPCCTL" keys | cut -f1 | sort | tr '\n' ' ')" "after kill "
check "dead submitters' slots were freed" grep -q "freed slot" "$T/ipcd.log"

# A submitter stopped while it holds a slot blocks nobody.
"$RAWIPC" shm-hold "$NAME" >"$T/hold" &
holder=$!
i=0
until grep -q holding "$T/hold" || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -STOP $holder
check "with a SIGSTOPped slot holder, others still submit" \
    timeout 10 sh -c "seq 1 10000 | '$IPCCTL' submit --via=shm --key=stopped -"
check "and their records arrive" wait_count stopped 10000
same "the stopped holder's published record was taken" "$("$IPCCTL" result --key=held)" 1
kill -KILL $holder
kill -CONT $holder 2>/dev/null
wait $holder 2>/dev/null
check "ipcd is still alive" "$IPCCTL" ping
