#!/bin/sh
# Staleness: every key keeps the time of its last update, durable across a
# clean stop, a kill -9 (journal replay) and a compaction (snapshot);
# "keys" filters by idleness and glob in ipcd, page by page; expire_after
# and "reset --idle" drop idle keys, journaled; bad durations are refused;
# a state written before times were kept still loads.
. tests/lib.sh

# epoch seconds, and KEY's last update as "ipcctl --json result" gives it.
now() { date +%s; }
upd() { field "$1" updated; }
# keys_n ARGS...: how many keys "ipcctl keys ARGS" lists.
keys_n() { "$IPCCTL" keys "$@" | wc -l; }
# same_times DESCRIPTION ACTUAL EXPECTED: same, and no time missing from
# EXPECTED (which would compare nothing).
same_times() {
	case " $3 " in
	*"  "*) notok "$1 (a time is missing: \"$3\")" ;;
	*) same "$@" ;;
	esac
}
# snap_version: the version word of the snapshot (statefmt.h).
snap_version() { od -An -tu4 -j8 -N4 "$T/state" | tr -d ' '; }

# --- times set and shown ----------------------------------------------------
write_conf "compact_bytes = 4096"
start_ipcd || exit 1
t0=$(now)
"$IPCCTL" submit --key=a 1
"$IPCCTL" submit --key=p --part=1/2 2
t1=$(now)
ua=$(upd a)
check "result gives the last update in epoch seconds ($ua)" \
    awk -v u="$ua" -v a="$t0" -v b="$t1" 'BEGIN { exit !(u >= a && u < b + 1) }'
line=$("$IPCCTL" keys 'a')
same "keys shows the time in ISO 8601 UTC and the age" \
    "$(echo "$line" | cut -f4 | grep -c '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z$')" 1
same "  of the same second as the update" "$(echo "$line" | cut -f4)" \
    "$(date -u -d "@${ua%.*}" +%Y-%m-%dT%H:%M:%SZ)"
contains "  and its age in the fifth column" "$(echo "$line" | cut -f5)" "s"
contains "keys --json has updated and idle" "$("$IPCCTL" --json keys 'a')" \
    "\"updated\":$ua,\"idle\":"
up=$(upd p)
sleep 0.02	# the next update must be a later pass
"$IPCCTL" submit --key=a 1
check "a new submission moves the time on" \
    awk -v a="$(upd a)" -v b="$ua" 'BEGIN { exit !(a > b) }'
ua=$(upd a)
"$IPCCTL" submit --key=p --part=1/2 5 2>/dev/null
same_times "a duplicate part is no update" "$(upd p)" "$up"

# --- durable: clean stop, kill -9, compaction -------------------------------
stop_ipcd
start_ipcd || exit 1
same_times "the times survive a clean restart (snapshot)" "$(upd a) $(upd p)" "$ua $up"
same "  written as snapshot version 4" "$(snap_version)" 4
"$IPCCTL" submit --key=b 3
"$IPCCTL" submit --key=p --part=2/2 4
ub=$(upd b)
up=$(upd p)
kill9
start_ipcd || exit 1
same_times "the times survive a kill -9 (journal replay)" \
    "$(upd a) $(upd b) $(upd p)" "$ua $ub $up"
# Past compact_bytes the journal is rotated and a snapshot written.
i=0
while [ $i -lt 120 ]; do echo "c$i 1"; i=$((i + 1)); done | "$IPCCTL" submit -
check "a compaction runs" eventually yes sh -c \
    "test ! -e '$T/state.journal.old' && test \$(stat -c %s '$T/state.journal') -lt 4096 && echo yes"
uc=$(upd c7)
kill9
start_ipcd || exit 1
same_times "the times survive a compaction and a kill -9" \
    "$(upd a) $(upd b) $(upd c7)" "$ua $ub $uc"

# --- filters: --idle and GLOB, with paging ----------------------------------
"$IPCCTL" reset --all >/dev/null
i=0
while [ $i -lt 30 ]; do echo "g$i 1"; i=$((i + 1)); done | "$IPCCTL" submit -
check "30 old keys become idle for more than 2 s" eventually 30 keys_n --idle=2 'g*'
i=0
while [ $i -lt 5 ]; do echo "h$i 1"; echo "g.fresh$i 1"; i=$((i + 1)); done |
    "$IPCCTL" submit -
same "keys --idle=2 --limit=3 lists the 30 idle keys, not the fresh ones" \
    "$("$IPCCTL" keys --idle=2 --limit=3 | cut -f1 | sort | tr -d '\n')" \
    "$(i=0; while [ $i -lt 30 ]; do echo "g$i"; i=$((i + 1)); done | sort | tr -d '\n')"
same "keys --limit=2 'g.*' (glob, paged) lists the 5 fresh g keys" \
    "$(keys_n --limit=2 'g.*')" 5
same "keys --idle=2 'h*' lists none" "$(keys_n --idle=2 'h*')" 0
same "keys --idle=1h lists none" "$(keys_n --idle=1h)" 0
reply=$(printf 'keys limit=2 idle=2\n' | "$RAWIPC" unix "$T/ipcd.sock" | head -1)
n=$(echo "$reply" | sed -n 's/^ok count=\([0-9]*\) cursor=[0-9]*$/\1/p')
check "a filtered page is bounded too ($reply)" test -n "$n" -a "${n:-99}" -le 10
contains "  and names a cursor to go on" "$(echo "$reply" | grep -c ' cursor=[1-9]')" 1

# --- reset --idle -------------------------------------------------------------
out=$("$IPCCTL" reset --idle=2)
same "reset --idle=2 drops the idle keys and says how many" "$out" "30 keys removed"
same "  and keeps the fresh ones" "$(keys_n)" 10
check "  logged" grep -q "reset of the keys idle longer than 2s: 30 keys removed" "$T/ipcd.log"
kill9
start_ipcd || exit 1
same "  journaled: still gone after a kill -9" "$(keys_n 'g[0-9]*')" 0
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0777 "$T/ipcd.sock"
	chmod o+x "$T"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$IPCCTL" reset --idle=0 2>&1)
	same "reset --idle by another user is refused (exit 4)" "$?" 4
	contains "  and says why" "$out" "reset is for root and uid 0"
	same "  and nothing was removed" "$(keys_n)" 10
else
	echo "skip - reset --idle by another user: needs root and setpriv"
fi
stop_ipcd

# --- expire_after -------------------------------------------------------------
rm -f "$T/ipcd.conf"
write_conf "[limits]
expire_after = 2s"
start_ipcd || exit 1
"$IPCCTL" submit --key=old 1
"$IPCCTL" submit --key=w --part=1/2 1
"$IPCCTL" result --wait --key=w >"$T/waiter.out" 2>&1 &
waiter=$!
# A key kept fresh while the others go idle.
(while :; do "$IPCCTL" submit --key=fresh 1 || exit; sleep 0.3; done) &
fresher=$!
check "expire_after drops the idle keys" eventually "" "$IPCCTL" keys 'old'
command wait $waiter
same "  a waiter on an expired key is answered: unknown key (exit 4)" "$?" 4
contains "  saying why" "$(cat "$T/waiter.out")" \
    "key w expired: idle longer than limits.expire_after (2s)"
same "  and not the fresh key" "$(keys_n fresh)" 1
check "  logged" grep -q "expired [0-9]* keys\? idle longer than 2s (limits.expire_after)" "$T/ipcd.log"
kill $fresher
command wait $fresher 2>/dev/null
sed -i 's/^expire_after = .*/expire_after = 0/' "$T/ipcd.conf"
kill9
start_ipcd || exit 1
same "  journaled: still gone after a kill -9, with expiry off" \
    "$(keys_n old) $(keys_n w) $(keys_n fresh)" "0 0 1"
stop_ipcd

# --- bad durations --------------------------------------------------------------
for bad in 7x -5 1.5h "7 d" 1d1h 0x10 "" 999999999999d; do
	printf '[limits]\n# a comment\nexpire_after = %s\n' "$bad" >"$T/bad.conf"
	out=$("$IPCD" -n -c "$T/bad.conf" 2>&1)
	contains "expire_after = \"$bad\" is refused, naming file, line and key" \
	    "$out" "$T/bad.conf:3: [limits] expire_after: "
done
contains "  saying what a duration is" "$("$IPCD" -n -c "$T/bad.conf" 2>&1)$(printf '[limits]\nexpire_after = 7x\n' >"$T/bad.conf"; "$IPCD" -n -c "$T/bad.conf" 2>&1)" \
    "expected a duration: a whole number of seconds, or with s, m, h or d"
printf '[limits]\nexpire_after = 604800\n' >"$T/good.conf"
out=$("$IPCD" -n -v -c "$T/good.conf" | grep '^expire_after')
same "ipcd -n -v prints expire_after as a duration" "$out" "expire_after = 7d"
"$IPCD" -n -v -c "$T/good.conf" | grep -v '^configuration OK' >"$T/printed.conf"
check "  which reads back" "$IPCD" -n -c "$T/printed.conf"
start_ipcd || exit 1
for bad in abc -1 1w 1.5 "1 h"; do
	status "keys --idle=\"$bad\" is refused (2)" 2 "$IPCCTL" keys --idle="$bad"
	status "reset --idle=\"$bad\" is refused (2)" 2 "$IPCCTL" reset --idle="$bad"
done
contains "  saying what a duration is" "$("$IPCCTL" keys --idle=x 2>&1)" \
    "--idle=x: expected a duration"
status "reset --idle with --all is a usage error (2)" 2 "$IPCCTL" reset --idle=1 --all
out=$(printf 'keys idle=1y\nreset idle=\nreset idle=99999999999999999999\nping\n' |
    "$RAWIPC" unix "$T/ipcd.sock")
contains "raw: keys idle=1y is answered err usage" "$out" \
    "err usage keys [cursor=C] [limit=1-1000] [match=GLOB] [idle=DURATION]"
contains "raw: reset idle= is answered err usage" "$out" \
    "err usage reset idle=DURATION: expected a duration"
contains "raw: a huge duration is refused" "$out" \
    "err usage reset idle=DURATION: longer than a century"
contains "  and ipcd goes on" "$out" "ok proto="
# Clients that ask for a reset of idle keys and leave before the answer.
python3 - "$T/ipcd.sock" <<'EOP'
import socket, sys
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b"reset idle=100d\n" if i % 2 else b"reset idle=0\n")
    s.close()
EOP
check "  clients that leave during a reset --idle leave ipcd serving" "$IPCCTL" ping
stop_ipcd

# --- a state written before times were kept ---------------------------------
# tests/old/v3.*: a snapshot (version 3) and a journal (entries with no
# J_TIME) left by a kill -9 of ipcd 0.1.0 as it was before this change.
rm -f "$T/state" "$T/state.journal" "$T/state.journal.old"
cp tests/old/v3.state "$T/state"
cp tests/old/v3.journal "$T/state.journal"
t0=$(now)
start_ipcd || exit 1
t1=$(now)
same "an old snapshot and journal load with their totals" \
    "$("$IPCCTL" result --key=old.a) $("$IPCCTL" result --key=old.b) $("$IPCCTL" result --key=old.p) $("$IPCCTL" result --key=old.s)" \
    "4 7 30 6"
uo=$(upd old.a)
check "  their keys take the load time as their last update ($uo)" \
    awk -v u="$uo" -v a="$t0" -v b="$t1" 'BEGIN { exit !(u >= a && u < b + 1) }'
same_times "  journal keys too" "$(upd old.s)" "$uo"
stop_ipcd
start_ipcd || exit 1
same_times "  rewritten as version 4, keeping that time" "$(snap_version) $(upd old.a)" "4 $uo"
stop_ipcd
