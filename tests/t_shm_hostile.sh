#!/bin/sh
# A hostile local writer of the shared-memory segment -- one that shrinks
# it, or writes over its header, doorbell, owners, heads and tails, idle or
# while others submit -- never crashes or wedges ipcd: the damage is
# counted and logged, totals already applied never move, only whole valid
# records are applied, a submitter caught in it stops with an error (no
# signal, no hang), and a fresh segment under the same name takes
# submissions again.
. tests/lib.sh

start_ipcd || exit 1
off() { "$RAWIPC" shm-offset "$@"; }
LOG=$T/ipcd.log

# Totals that must never move, one part over each transport.
"$IPCCTL" submit --via=unix --key=base 1e16
"$IPCCTL" submit --via=fifo --key=base 1
"$IPCCTL" submit --via=mq --key=base -- -1e16
"$IPCCTL" submit --via=shm --key=base 0.5
wait_count base 4 || exit 1

# more_rejected N: until shm.rejected exceeds N (at most 10 s).
more_rejected() {
	i=0
	while :; do
		r=$(stat_of shm.rejected)
		[ -n "$r" ] || return 1		# ipcd is gone
		[ "$r" -gt "$1" ] && return 0
		i=$((i + 1))
		[ $i -ge 200 ] && return 1
		sleep 0.05
	done
}

# shm_works KEY: a new shm submitter gets through once ipcd has made the
# fresh segment (until then it is refused or finds none: at most 10 s).
shm_works() {
	i=0
	until "$IPCCTL" submit --via=shm --key="$1" 1 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 100 ] && return 1
		sleep 0.1
	done
	wait_count "$1" 1
}

# wait_gone PID: until the process has exited (at most 20 s), then its
# status.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; echo "# $1 hung"; }
	command wait "$1"
}

# after DESC LOG-TEXT KEY: what must hold after each hostile act.
after() {
	check "$1: ipcd still answers" "$IPCCTL" ping
	check "$1: counted in shm.rejected" more_rejected "$rej"
	check "$1: logged (\"$2\")" grep -q -- "$2" "$LOG"
	same "$1: the other totals did not move" \
	    "$("$IPCCTL" result --key=base)" 1.5
	check "$1: a fresh shm submission gets through" shm_works "$3"
}

# One log line a second: keep the acts apart.
act() {
	sleep 1.1
	rej=$(stat_of shm.rejected)
}

# --- shrunk while idle ----------------------------------------------------
act
"$RAWIPC" shm-truncate "$NAME" 0
after "truncated to 0 while idle" \
    "shm: segment $NAME was truncated by another process; recreating it" ok1
act
"$RAWIPC" shm-truncate "$NAME" $(($(off end) / 2))
after "truncated to half while idle" "was truncated by another process" ok2

# --- shrunk under a submitter, between two batches ----------------------
# The submitter has published 1000 records and waits for more input when
# the segment shrinks; when the input resumes it must stop with an error.
n=0
for size in 0 $(($(off end) / 2)); do
	n=$((n + 1))
	rm -f "$T/in"
	mkfifo "$T/in"
	"$IPCCTL" submit --via=shm --key=paused$n - <"$T/in" >"$T/paused.out" 2>&1 &
	sub=$!
	exec 3>"$T/in"
	seq 1 1000 >&3
	wait_count paused$n 1000
	act
	"$RAWIPC" shm-truncate "$NAME" "$size"
	check "truncated to $size under a paused submitter: noticed" \
	    more_rejected "$rej"
	seq 1001 2000 >&3
	exec 3>&-
	wait_gone $sub
	rc=$?
	check "  the submitter stopped with an error, not a signal (status $rc)" \
	    test "$rc" -ge 1 -a "$rc" -lt 128
	check "  and said why" grep -q -e "ipcd has left" -e "truncated" "$T/paused.out"
	same "  its first 1000 records counted, no more" \
	    "$(field paused$n count) $("$IPCCTL" result --key=paused$n)" "1000 500500"
	after "truncated to $size under a paused submitter" "was truncated" okp$n
done

# --- shrunk at random moments under a streaming submitter ---------------
# Whatever was taken is a prefix 1..c of the stream: no record torn, none
# made up, none applied twice.
for cycle in 1 2 3 4 5 6; do
	key=stream$cycle
	seq 1 100000 | "$IPCCTL" submit --via=shm --key=$key - 2>"$T/stream.out" &
	sub=$!
	sleep "0.0$(awk -v s=$cycle 'BEGIN { srand(s); printf "%02d", int(rand() * 90) }')"
	rej=$(stat_of shm.rejected)
	case $cycle in
	[135])	"$RAWIPC" shm-truncate "$NAME" 0 ;;
	*)	"$RAWIPC" shm-truncate "$NAME" $(($(off end) / 2)) ;;
	esac
	wait_gone $sub
	rc=$?
	check "stream $cycle: the submitter ended by itself (status $rc)" \
	    test "$rc" -lt 128
	more_rejected "$rej"
	sleep 1.1	# ipcd's poll takes what a finished stream left
	c=$(field $key count)
	c=${c:-0}
	t=$("$IPCCTL" result --key=$key 2>/dev/null)
	same "stream $cycle: $c records taken, exactly 1..$c" "${t:-0}" $((c * (c + 1) / 2))
	check "stream $cycle: a fresh shm submission gets through" shm_works okr$cycle
done
check "ipcd answers after the shrinking streams" "$IPCCTL" ping

# --- the header and the doorbell ------------------------------------------
act
"$RAWIPC" shm-scribble "$NAME" $(off magic) 0102030405060708
after "magic overwritten" "had its header overwritten by another process" okm
act
"$RAWIPC" shm-scribble "$NAME" $(off version) 63000000
after "version overwritten" "had its header overwritten" okv
act
"$RAWIPC" shm-scribble "$NAME" $(off doorbell) ffffffffffffffffffffffffffffffff
after "doorbell overwritten" "had its doorbell overwritten by another process" okd
# Any value of the doorbell word itself is only a ring.
"$RAWIPC" shm-scribble "$NAME" $(off doorbell) 78563412
"$RAWIPC" shm-ring "$NAME"
check "a wild doorbell value only wakes ipcd" shm_works okw

# --- owners, heads and tails: one slot at a time -------------------------
act
for s in 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 \
    25 26 27 28 29 30 31; do
	"$RAWIPC" shm-scribble "$NAME" $(off owner $s) ffffffff
done
# Nobody holds those slots' locks, so ipcd frees them as it would a dead
# submitter's: no slot is lost for good.
check "every owner scribbled: ipcd still answers" "$IPCCTL" ping
check "  the slots are freed and a submission gets through" shm_works oko
same "  the other totals did not move" "$("$IPCCTL" result --key=base)" 1.5
act
for s in 0 5 31; do
	"$RAWIPC" shm-scribble "$NAME" $(off head $s) 00000000deadbeef
done
"$RAWIPC" shm-ring "$NAME"
after "wild heads" "slot head out of range" okh
act
"$RAWIPC" shm-scribble "$NAME" $(off tail 3) 0000000000000080
after "a wild tail" "slot tail overwritten by another process" okt

# --- removed, and the name squatted by another user --------------------
if [ "$(id -u)" = 0 ]; then
	act
	rm -f "/dev/shm$NAME"
	touch "/dev/shm$NAME"
	chown 65534 "/dev/shm$NAME"
	chmod 0666 "/dev/shm$NAME"
	check "removed and squatted: counted" more_rejected "$rej"
	check "  ipcd refuses the squatter's segment" eventually 1 \
	    sh -c "grep -c 'belongs to uid 65534; refusing' '$LOG'"
	check "  and still answers" "$IPCCTL" ping
	same "  the squatter's file is left alone" "$(stat -c %u "/dev/shm$NAME")" 65534
	rm -f "/dev/shm$NAME"
	check "  once it is gone, a fresh segment takes submissions" shm_works oks
	check "  and that is logged" grep -q "segment $NAME created again" "$LOG"
else
	echo "skip - shm squatting: needs root to make a file of another user"
fi

# --- nothing but the submitted keys -------------------------------------
same "no stray key appeared" \
    "$("$IPCCTL" keys | cut -f1 | grep -v -E '^(base|ok[a-z0-9]*|paused[12]|stream[1-6])$')" ""

# --- stopping with a damaged segment never hangs ------------------------
act
"$RAWIPC" shm-scribble "$NAME" $(off doorbell) ffffffffffffffffffffffffffffffff
"$RAWIPC" shm-truncate "$NAME" 0
kill -TERM "$IPCD_PID"
wait_gone "$IPCD_PID"
rc=$?
IPCD_PID=
same "SIGTERM just after shrinking and scribbling: a clean stop" "$rc" 0
start_ipcd || exit 1
same "the totals survived" "$("$IPCCTL" result --key=base)" 1.5
check "shm works after the restart" shm_works okz
