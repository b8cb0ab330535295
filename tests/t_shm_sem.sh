#!/bin/sh
# The shared-memory doorbell is a System V semaphore (common/shm.h): one
# per segment, with the segment's owner and mode, removed at a clean stop
# and after a crash by the next start (never one that is not ipcd's); it
# wakes ipcd; a hostile submitter that overwrites its id, floods it, steals
# its posts, clears the sleeping flag or removes it costs at most a
# delay, never a record.
. tests/lib.sh

start_ipcd || exit 1
off() { "$RAWIPC" shm-offset "$@"; }
semid() { "$RAWIPC" shm-semid "$NAME"; }
sem() { "$RAWIPC" sem "$@"; }
# ipcs's line for semaphore $1: owner, perms, nsems (ipcs -i exits 0
# for an id it does not find)
row() {
	case $1 in
	''|*[!0-9]*) return ;;
	esac
	ipcs -s | awk -v id="$1" '$2 == id { print $3, $4, $5 }'
}
exists() { [ -n "$(row "$1")" ]; }
gone() { [ -z "$(row "$1")" ]; }
LOG=$T/ipcd.log

# --- one semaphore, the segment's owner and mode -------------------------
sid=$(semid)
check "the header names a semaphore ($sid)" exists "$sid"
same "ipcs -s: owned by ipcd's user, the segment's mode, one semaphore" \
    "$(row "$sid")" "$(stat -c '%U %a' "/dev/shm$NAME") 1"
same "  and exactly one semaphore has that id" \
    "$(ipcs -s | awk -v id="$sid" '$2 == id' | wc -l)" 1
check "the doorbell thread waits on it" eventually 1 sem ncnt "$sid"

# --- it wakes ipcd -------------------------------------------------------
# Each submitter returns once its record is committed.  Rung, that takes
# milliseconds; left to ipcd's look once a second it would take about
# 20 x 0.5 s.  (A bound ten times the rung time on a loaded machine.)
t0=$(date +%s)
i=0
while [ $i -lt 20 ]; do
	"$IPCCTL" submit --via=shm --key=rung 1 || break
	i=$((i + 1))
done
t1=$(date +%s)
same "20 single-record shm submissions all committed" "$i" 20
check "  in well under the 10 s the once-a-second look would take ($((t1 - t0)) s)" \
    test $((t1 - t0)) -le 4
check "the value is taken back to 0 (bounded)" eventually 0 sem val "$sid"

# --- the id overwritten in the header ------------------------------------
rej=$(stat_of shm.rejected)
"$RAWIPC" shm-semid "$NAME" 2147483000
check "an id overwritten in the header is written back" eventually "$sid" semid
check "  counted in shm.rejected" test "$(stat_of shm.rejected)" -gt "$rej"
check "  logged" grep -q "had its semaphore id overwritten by another process; restored" "$LOG"
check "  and the segment is kept" test "$(semid)" = "$sid"

# A semaphore of ipcd's user with another mode, and (as root) one of
# another user, written into the header before each of a few submitters:
# they do not post it (its value stays 0), and their records arrive all
# the same (ipcd's look once a second).
decoys=$(sem new 0600)
if [ "$(id -u)" = 0 ]; then
	decoys="$decoys $(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$RAWIPC" sem new 0666)"
else
	echo "skip - a decoy semaphore of another user: needs root"
fi
for d in $decoys; do
	n=0
	while [ $n -lt 3 ]; do
		"$RAWIPC" shm-semid "$NAME" "$d"
		timeout 10 "$IPCCTL" submit --via=shm --key=decoy 1 || break
		n=$((n + 1))
	done
	same "decoy $d ($(row "$d")) in the header: 3 submissions committed" "$n" 3
	same "  the decoy was never posted" "$(sem val "$d")" 0
	sem rm "$d"
done
check "every decoy submission counted" wait_count decoy $((3 * $(echo $decoys | wc -w)))

# --- flooded, drained, the flag cleared ----------------------------------
out=$(sem post "$sid" 1000000)
check "a million posts ($out): ipcd still answers" "$IPCCTL" ping
check "  a submission gets through" timeout 10 "$IPCCTL" submit --via=shm --key=flood 1
check "  the value comes back to 0" eventually 0 sem val "$sid"
check "  and the thread waits again, not spinning" eventually 1 sem ncnt "$sid"

sem take "$sid" 4000 >"$T/took" &
thief=$!
n=0
while [ $n -lt 3 ]; do
	timeout 10 "$IPCCTL" submit --via=shm --key=stolen 1 || break
	n=$((n + 1))
done
command wait $thief
same "with every post stolen ($(cat "$T/took")), 3 submissions committed" "$n" 3

"$RAWIPC" shm-scribble "$NAME" $(off sleeping) 00000000
check "the sleeping flag cleared: a submission still gets through" \
    timeout 10 "$IPCCTL" submit --via=shm --key=flag 1

# --- removed under ipcd ----------------------------------------------------
# ipcd makes another; the segment, and a submitter attached to it with the
# old id (paused on its input meanwhile), go on.
rm -f "$T/in"
mkfifo "$T/in"
"$IPCCTL" submit --via=shm --key=paused - <"$T/in" >"$T/paused.out" 2>&1 &
sub=$!
exec 3>"$T/in"
seq 1 100 >&3
wait_count paused 100
ino=$(stat -c %i "/dev/shm$NAME")
rej=$(stat_of shm.rejected)
ipcrm -s "$sid"
check "removed under ipcd: counted and logged" eventually 1 \
    sh -c "grep -c 'had its semaphore removed by another process; made another' '$LOG'"
# fresh_bell: until the header names another semaphore that exists (10 s).
fresh_bell() {
	i=0
	while [ $i -lt 200 ]; do
		s=$(semid) && [ "$s" != "$sid" ] && exists "$s" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
check "  the header names a fresh semaphore" fresh_bell
same "  with the segment's owner and mode" "$(row "$(semid)")" \
    "$(stat -c '%U %a' "/dev/shm$NAME") 1"
same "  in the same segment" "$(stat -c %i "/dev/shm$NAME")" "$ino"
seq 101 200 >&3
exec 3>&-
command wait $sub
same "  the submitter attached before succeeds" "$?" 0
same "  with all its records" "$(field paused count) $("$IPCCTL" result --key=paused)" \
    "200 20100"
check "  a new submitter gets through" timeout 10 "$IPCCTL" submit --via=shm --key=fresh 1
check "  and the thread waits on the new one" eventually 1 sem ncnt "$(semid)"

# --- crashes do not pile up semaphores -----------------------------------
leaked=0
i=0
while [ $i -lt 5 ]; do
	old=$(semid)
	kill9
	check "crash $i: its semaphore outlives ipcd" exists "$old"
	start_ipcd || exit 1
	gone "$old" || leaked=$((leaked + 1))
	i=$((i + 1))
done
same "after 5 kill -9 and restarts, no old semaphore is left" "$leaked" 0
check "  the restart says so" grep -q "removed semaphore .* left by a crash" "$LOG"
check "  and shm works" timeout 10 "$IPCCTL" submit --via=shm --key=crash 1

# Never one that is not ours: a crashed segment whose header names a
# semaphore of another user, or one of ipcd's user that somebody waits on.
old=$(semid)
kill9
mine=$(sem new "$(stat -c %a "/dev/shm$NAME")")
sem take "$mine" 8000 >/dev/null &
waiter=$!
eventually 1 sem ncnt "$mine" >/dev/null
"$RAWIPC" shm-semid "$NAME" "$mine"
start_ipcd || exit 1
check "a left-over header naming a semaphore somebody waits on: kept" exists "$mine"
kill $waiter
command wait $waiter 2>/dev/null
sem rm "$mine"
sem rm "$old"	# left behind by the test itself
if [ "$(id -u)" = 0 ]; then
	old=$(semid)
	kill9
	theirs=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$RAWIPC" sem new 0660)
	"$RAWIPC" shm-semid "$NAME" "$theirs"
	start_ipcd || exit 1
	check "a left-over header naming another user's semaphore: kept" exists "$theirs"
	sem rm "$theirs"
	sem rm "$old"
else
	echo "skip - another user's semaphore: needs root"
fi

same "every record counted once" "$(for k in rung flood stolen flag fresh \
    crash; do "$IPCCTL" result --key=$k; done | tr '\n' ' ')" "20 1 3 1 1 1 "

# --- a clean stop removes it ----------------------------------------------
sid=$(semid)
stop_ipcd
same "a clean stop exits 0" "$?" 0
check "and removes the semaphore" gone "$sid"
