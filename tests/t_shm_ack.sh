#!/bin/sh
# What an exit status of "ipcctl submit --via=shm" means: 0 only once
# ipcd has committed every record to its state file (as a socket reply
# does), and an error naming how many records may be lost when ipcd dies
# or leaves the segment first.  Slots and liveness go by file locks, so
# they hold across pid namespaces.
. tests/lib.sh

# 32 slots, so that 32 holders fill them below (after the name, which
# the reload below rewrites).
write_conf
sed -i '/^\[shm\]/{n;s/$/\nslots = 32/}' "$T/ipcd.conf"
start_ipcd || exit 1

# running PID: is the process still there (and not a zombie)?
shm_ok() {
	eventually 0 sh -c '"$1" submit --via=shm --key=ok 1 >/dev/null 2>&1; echo $?' - "$IPCCTL"
}
running() {
	[ -d /proc/"$1" ] && ! grep -q '^State:.*Z' /proc/"$1"/status 2>/dev/null
}

# While ipcd is stopped, a submission waits for it.
kill -STOP "$IPCD_PID"
"$IPCCTL" submit --via=shm --key=a 1 2 3 >"$T/a.out" 2>&1 &
sub=$!
sleep 1
check "with ipcd stopped, submit --via=shm does not return" running $sub
kill -CONT "$IPCD_PID"
command wait $sub
same "  once ipcd runs again it returns 0" "$?" 0
same "  and the records are counted" "$("$IPCCTL" result --key=a)" 6

# ipcd stops cleanly while a submitter waits: it takes the records,
# commits them, then leaves; the submitter succeeds.
kill -STOP "$IPCD_PID"
"$IPCCTL" submit --via=shm --key=b 5 >"$T/b.out" 2>&1 &
sub=$!
sleep 0.5
kill -TERM "$IPCD_PID"
kill -CONT "$IPCD_PID"
command wait $sub
same "a submission pending at a clean stop succeeds" "$?" 0
wait "$IPCD_PID"
IPCD_PID=
start_ipcd || exit 1
same "  and is in the total after a restart" "$("$IPCCTL" result --key=b)" 5

# ipcd dies (kill -9) with the records read or not: the submitter fails
# and says how many may be lost.
kill -STOP "$IPCD_PID"
"$IPCCTL" submit --via=shm --key=c 1 2 >"$T/c.out" 2>&1 &
sub=$!
sleep 0.5
kill -KILL "$IPCD_PID"
command wait $sub
rc=$?
wait "$IPCD_PID" 2>/dev/null
IPCD_PID=
same "when ipcd is killed first, submit --via=shm fails (exit 3)" "$rc" 3
contains "  and says why" "$(cat "$T/c.out")" \
    "2 records may be lost: ipcd stopped before committing them"
start_ipcd || exit 1

# A reload that moves the segment: a waiting submitter is told or
# succeeds, never left hanging.  (Here it succeeds: the records are taken
# and committed before the old segment is left.)
kill -STOP "$IPCD_PID"
"$IPCCTL" submit --via=shm --key=d 7 >"$T/d.out" 2>&1 &
sub=$!
sleep 0.5
sed -i "/^\[shm\]/{n;s|.*|name = $NAME.2|}" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
kill -CONT "$IPCD_PID"
command wait $sub
same "a submission pending at a reload that renames the segment succeeds" \
    "$?" 0
same "  and is counted" "$("$IPCCTL" result --key=d)" 7
stop_ipcd
"$RAWIPC" unlink "$NAME.2" 2>/dev/null
sed -i "/^\[shm\]/{n;s|.*|name = $NAME|}" "$T/ipcd.conf"
start_ipcd || exit 1

# In a pid namespace of its own a submitter's pid means nothing to ipcd;
# the slot and the wait for the commit still work.
if unshare -p -f true 2>/dev/null; then
	check "submit --via=shm from another pid namespace" \
	    unshare -p -f "$IPCCTL" submit --via=shm --key=ns 4
	same "  is counted" "$("$IPCCTL" result --key=ns)" 4
	"$RAWIPC" shm-hold "$NAME" >"$T/hold.out" &
	hold=$!
	eventually holding cat "$T/hold.out" >/dev/null
	sleep 2.5	# two polls of the slots
	i=0
	while [ $i -lt 31 ]; do
		unshare -p -f "$RAWIPC" shm-hold "$NAME" >/dev/null 2>&1 &
		i=$((i + 1))
	done
	sleep 2.5
	contains "with 32 live holders (31 in other pid namespaces), no slot is freed" \
	    "$("$IPCCTL" submit --via=shm --key=full 1 2>&1)" \
	    "no shared-memory slot came free"
	pkill -KILL -f "rawipc shm-hold $NAME" 2>/dev/null
	command wait $hold 2>/dev/null
	check "  once they die, their slots are freed" shm_ok
else
	echo "skip - pid namespaces: unshare -p is not permitted here"
fi
stop_ipcd
