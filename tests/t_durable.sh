#!/bin/sh
# Totals survive restarts and kill -9; a damaged state is refused with a
# clear message, never turned into wrong totals.
. tests/lib.sh


start_ipcd || exit 1
# Exact accumulators persist, not rounded totals: 1e16 + 1 is stored
# exactly, so -1e16 after the restart leaves 1.
"$IPCCTL" submit --key=x 1e16
"$IPCCTL" submit --via=fifo --key=x 1
wait_count x 2
for via in unix fifo mq shm; do
	"$IPCCTL" submit --via=$via --key=p --part=$(echo "unix 1 fifo 2 mq 3 shm 4" |
	    tr ' ' '\n' | grep -A1 -x $via | tail -1)/5 0.5
done
wait_count p 4
"$IPCCTL" submit --key=gone 1
"$IPCCTL" reset --key=gone >/dev/null
stop_ipcd
check "a clean stop leaves a snapshot and an empty journal" \
    test -s "$T/state" -a ! -s "$T/state.journal"
start_ipcd || exit 1
"$IPCCTL" submit --via=mq --key=x -- -1e16
wait_count x 3
same "exact sums survive a restart: 1e16 + 1, restart, - 1e16 = 1" \
    "$("$IPCCTL" result --key=x)" 1
same "parts survive a restart" "$(field p parts)/$(field p nparts)" 4/5
"$IPCCTL" submit --key=p --part=2/5 9 2>/dev/null
same "a part received before the restart is a duplicate after it" \
    "$(field p count) $(field p duplicates)" "4 1"
status "a reset key stays gone" 4 "$IPCCTL" result --key=gone

# kill -9: what was acknowledged is there.
"$IPCCTL" submit --key=k9 1 2 3
"$IPCCTL" reset --key=x >/dev/null
"$IPCCTL" submit --key=p --part=5/5 0.5
kill9
check "after kill -9 the journal holds the changes" test -s "$T/state.journal"
start_ipcd || exit 1
same "acknowledged submissions survive kill -9" "$("$IPCCTL" result --key=k9)" 6
status "a reset survives kill -9" 4 "$IPCCTL" result --key=x
same "a completed part set survives kill -9" \
    "$("$IPCCTL" result --key=p --timeout=1)" 2.5

# Every acknowledgement follows the fdatasync that covers it: a process
# crash cannot show a missing fsync (the page cache survives), the order
# of system calls can.
if command -v strace >/dev/null; then
	for mode in batch never; do
		stop_ipcd
		write_conf "sync = $mode"
		strace -f -qq -s 256 -e trace=fdatasync,write,writev -o "$T/strace" \
		    "$IPCD" >>"$T/ipcd.log" 2>&1 &
		IPCD_PID=$!
		wait_ready "$IPCD_PID" 200
		"$IPCCTL" submit --key=order 42
		kill -TERM $(pgrep -P $IPCD_PID)	# ipcd, the child of strace
		wait $IPCD_PID
		IPCD_PID=
		# J: the journal entry is written; S: fdatasync; R: the reply.
		order=$(awk '/fdatasync\(/ { print "S"; next }
			/writev?\(.*ok\\n"/ { print "R"; next }
			/write\(.*order/ { print "J" }' "$T/strace" | tr -d '\n')
		echo "# sync = $mode: $order"
		case $mode in
		batch)	contains "sync = batch: the entry is synced before the reply" \
			    "$order" "JSR" ;;
		never)	contains "sync = never: no sync (the check above can fail)" \
			    "$order" "JR" ;;
		esac
	done
	write_conf
	start_ipcd || exit 1
else
	echo "skip - syscall order: strace is not installed"
fi

# A stream killed in mid-flight: every acknowledged value is there once.
seq 1 50000 | sed 's/.*/1/' >"$T/ones"
"$IPCCTL" --json submit --key=flight - <"$T/ones" >"$T/flight.json" 2>/dev/null &
cl=$!
sleep 0.15
kill9
wait $cl
acked=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$T/flight.json")
start_ipcd || exit 1
got=$(field flight count)
check "acknowledged ($acked) <= recovered ($got) <= sent (50000)" \
    test "${acked:-0}" -le "${got:-0}" -a "${got:-0}" -le 50000
same "the recovered total is the count of whole submissions" \
    "$("$IPCCTL" result --key=flight)" "$got"

# Compaction: with a tiny compact_bytes the snapshot is rewritten often;
# a kill -9 right after still finds everything.
stop_ipcd
write_conf "sync = batch
compact_bytes = 4096"
start_ipcd || exit 1
seq 1 3000 | "$IPCCTL" submit --key=compact -
check "the journal was compacted below 4096 bytes" \
    test "$(stat -c %s "$T/state.journal")" -lt 4096
kill9
start_ipcd || exit 1
same "totals are whole after compactions and kill -9" \
    "$("$IPCCTL" result --key=compact) $(field flight count)" "4501500 $got"
stop_ipcd

# Damage.
cp "$T/state" "$T/state.good"
printf '\001' | dd of="$T/state" bs=1 seek=100 conv=notrunc 2>/dev/null
status "a corrupt snapshot stops ipcd with status 65" 65 "$IPCD"
contains "and says what and where" "$(cat "$T/status.out")" \
    "state file $T/state is corrupt: checksum mismatch; move it aside"
head -c 50 "$T/state.good" >"$T/state"
status "a truncated snapshot is refused" 65 "$IPCD"
cp "$T/state.good" "$T/state"

start_ipcd || exit 1
# Three acknowledged submissions, three commits: the key's state is
# journaled three times (1, 3, 6).
for v in 1 2 3; do
	"$IPCCTL" submit --key=j $v
done
kill9
size=$(stat -c %s "$T/state.journal")
cp "$T/state.journal" "$T/journal.good"
# A torn tail: the last entry cut short, as by a crash in mid-write.
head -c $((size - 7)) "$T/journal.good" >"$T/state.journal"
start_ipcd || exit 1
same "a torn final entry is dropped, the rest kept" "$("$IPCCTL" result --key=j)" 3
check "and the drop is logged" grep -q "dropped .* bytes of an entry cut short" "$T/ipcd.log"
stop_ipcd
# Damage in the middle, with valid entries after it.
cp "$T/state.good" "$T/state"
cp "$T/journal.good" "$T/state.journal"
# (byte 20: in the first entry, the J_TIME of 28 bytes before the J_SET)
printf 'X' | dd of="$T/state.journal" bs=1 seek=20 conv=notrunc 2>/dev/null
status "a journal damaged in the middle stops ipcd with status 65" 65 "$IPCD"
contains "and names the offset" "$(cat "$T/status.out")" "journal is corrupt at offset 0"
cp "$T/journal.good" "$T/state.journal"

# Two daemons never share a state.
start_ipcd || exit 1
sed "s|$T/ipcd.sock|$T/other.sock|; s|$T/ipcd.fifo|$T/other.fifo|; s|= $NAME|= $NAME-2|" \
    "$T/ipcd.conf" >"$T/other.conf"
status "a second ipcd on the same state is refused" 65 "$IPCD" -c "$T/other.conf"
contains "  clearly" "$(cat "$T/status.out")" "in use by another ipcd"
stop_ipcd

# A full disk: a clear error, nothing acknowledged lost, nothing corrupt.
if [ "$(id -u)" = 0 ] && mkdir "$T/full" && mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/full" 2>/dev/null; then
	write_conf
	sed -i "s|^file = .*|file = $T/full/state|" "$T/ipcd.conf"
	start_ipcd || exit 1
	# Leave about 8 KiB free, then one key per acknowledged submission
	# (one journal entry each) until ipcd stops.
	dd if=/dev/zero of="$T/full/filler" bs=1k count=52 2>/dev/null
	acked=0
	while [ $acked -lt 5000 ] &&
	    "$IPCCTL" submit --key=d$((acked + 1)) 1 2>/dev/null; do
		acked=$((acked + 1))
	done
	wait "$IPCD_PID"
	same "ipcd stops when the state disk is full (status 1)" "$?" 1
	IPCD_PID=
	check "and says why" grep -q "state journal .* write failed.*No space left on device" "$T/ipcd.log"
	# The files of the full disk, moved to a roomy one.
	mkdir -p "$T/roomy"
	cp "$T/full/"state "$T/full/"state.journal "$T/roomy/" 2>/dev/null
	umount "$T/full"
	sed -i "s|^file = .*|file = $T/roomy/state|" "$T/ipcd.conf"
	start_ipcd || exit 1
	"$IPCCTL" keys >"$T/disk.keys"
	got=$(grep -c '^d[0-9]' "$T/disk.keys")
	check "after the full disk, the state loads and holds every acknowledged key ($acked <= $got)" \
	    test "${acked:-0}" -gt 0 -a "${acked:-0}" -le "${got:-0}"
	missing=0
	for i in 1 $((acked / 2)) $acked; do
		[ "$("$IPCCTL" result --key=d$i 2>/dev/null)" = 1 ] || missing=$((missing + 1))
	done
	same "  the first, middle and last acknowledged keys hold 1" "$missing" 0
	same "  and every loaded key holds exactly 1" \
	    "$(grep '^d[0-9]' "$T/disk.keys" | awk '$2 != 1 || $3 != 1' | wc -l)" 0
else
	echo "skip - disk-full test: needs root to mount a small tmpfs"
fi
