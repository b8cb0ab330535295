#!/bin/sh
# Shared-memory slots are many and leased: 36 submitters at once all get
# one; neither N stopped submitters nor one process holding a lock on
# every byte of the segment keeps others out past [limits] idle_timeout;
# and a reclaimed submitter that wakes up is told (exit status), its late
# records never applied, torn or whole.
. tests/lib.sh

start_ipcd || exit 1

# --- 36 concurrent submitters, each holding its slot for a while ----------
i=0
while [ $i -lt 36 ]; do
	# A record, then 6 s more of open input: every slot is held at once.
	{ echo 1; sleep 6; echo 1; } | "$IPCCTL" submit --via=shm --key=c - \
	    >"$T/c$i.out" 2>&1 &
	eval "p$i=\$!"
	i=$((i + 1))
done
bad=0
i=0
while [ $i -lt 36 ]; do
	eval "command wait \$p$i" || { bad=$((bad + 1)); cat "$T/c$i.out"; }
	i=$((i + 1))
done
same "36 concurrent shm submitters: none fails" "$bad" 0
same "  and all 72 records are counted" "$("$IPCCTL" result --key=c)" 72
stop_ipcd

# --- holders that never go -------------------------------------------------
# Four slots, a 2 s idle_timeout.  (lib.sh's helpers use $i: not here.)
write_conf
sed -i '/^\[shm\]/{n;s/$/\nslots = 4/}' "$T/ipcd.conf"
printf '[limits]\nidle_timeout = 2\n' >>"$T/ipcd.conf"
start_ipcd || exit 1
: >"$T/lock.out"
"$RAWIPC" shm-lockall "$NAME" >"$T/lock.out" &
locker=$!
check "one process holds every byte of the segment but ipcd's" \
    eventually locked cat "$T/lock.out"
n=0
while [ $n -lt 4 ]; do
	"$RAWIPC" shm-hold "$NAME" >"$T/h$n.out" 2>&1 &
	eval "h$n=\$!"
	eventually holding cat "$T/h$n.out" >/dev/null
	eval "kill -STOP \$h$n"
	n=$((n + 1))
done
check "every slot held by a stopped submitter, every byte locked: a new submitter gets in" \
    timeout 20 "$IPCCTL" submit --via=shm --key=new 1
same "  and is counted" "$("$IPCCTL" result --key=new)" 1
check "  the stopped holders' slots were all reclaimed" \
    eventually 4 grep -c "reclaimed slot" "$T/ipcd.log"
same "  their records published before were taken" \
    "$("$IPCCTL" result --key=held)" 4
n=0
while [ $n -lt 4 ]; do
	eval "kill -CONT \$h$n"
	eval "command wait \$h$n"
	rc=$?
	same "reclaimed holder $n, woken: told by its exit status" "$rc" 3
	contains "  and why" "$(cat "$T/h$n.out")" "reclaimed this submitter's slot"
	n=$((n + 1))
done
same "their late records were not applied" \
    "$("$IPCCTL" result --key=late 2>&1 | grep -c '^[0-9]')" 0
kill $locker
command wait $locker 2>/dev/null

# --- a reclaimed stream: the late records never reach the new owner's ring
# One slot: the next submitter gets the same slot on its other ring.
stop_ipcd
write_conf
sed -i '/^\[shm\]/{n;s/$/\nslots = 1/}' "$T/ipcd.conf"
printf '[limits]\nidle_timeout = 2\n' >>"$T/ipcd.conf"
start_ipcd || exit 1
rm -f "$T/in"
mkfifo "$T/in"
"$IPCCTL" submit --via=shm --key=old - <"$T/in" >"$T/old.out" 2>&1 &
old=$!
exec 3>"$T/in"
seq 1 1000 >&3
wait_count old 1000
kill -STOP $old
seq 1001 3000 >&3	# buffered in the pipe while it is stopped
check "a stopped stream's slot is taken by the next submitter" \
    timeout 20 sh -c "seq 1 5000 | '$IPCCTL' submit --via=shm --key=new2 -"
kill -CONT $old
exec 3>&-
command wait $old
rc=$?
same "the reclaimed stream, woken, exits 3" "$rc" 3
contains "  saying why" "$(cat "$T/old.out")" "reclaimed this submitter's slot"
c=$(field old count)
same "its records are a whole prefix: $c taken, exactly 1..$c" \
    "$("$IPCCTL" result --key=old)" $((c * (c + 1) / 2))
same "the new owner's records are all there, untouched" \
    "$(field new2 count) $("$IPCCTL" result --key=new2)" "5000 12502500"
same "nothing was rejected" "$(stat_of shm.rejected)" 0
stop_ipcd
