#!/bin/sh
# The control plane and the stream layer: what one client can make ipcd
# allocate, the keys listing in pages, the protocol version, connections
# per user, a reload under a streaming client.
. tests/lib.sh

rss() { awk '/^VmRSS/ { print $2 }' /proc/$IPCD_PID/status; }
start_ipcd || exit 1

# Part bitmaps: 40,000 keys as part 1 of 100,000 and 4,000 as part 1 of
# 1,000,000, pipelined on one connection, once made ipcd allocate 125 kB
# a key (749 MB).  Now N is capped by max_parts and the bitmaps by
# parts_memory; the rest get "err limit", and memory stays bounded.
awk 'BEGIN {
	for (i = 0; i < 40000; i++) printf "submit a%d 1 1/100000\n", i
	for (i = 0; i < 4000; i++) printf "submit b%d 1 1/1000000\n", i
}' | "$RAWIPC" unix "$T/ipcd.sock" >"$T/parts.out"
rss1=$(rss)
check "44,000 parted keys from one client: RSS stays under 256 MiB ($rss1 kB)" \
    test "$rss1" -lt 262144
same "  N above limits.max_parts is refused, naming the limit" \
    "$(grep -c 'err limit too many parts (limits.max_parts = 100000)' "$T/parts.out")" 4000
refused=$(grep -c 'err limit part bitmaps use up limits.parts_memory' "$T/parts.out")
taken=$(grep -c '^ok$' "$T/parts.out")
same "  bitmaps stop at limits.parts_memory (64 MiB / 12,500 B = 5368 keys)" \
    "$taken $refused" "5368 34632"
check "  other keys still work" "$IPCCTL" submit --key=plain 2.5
same "  and are exact" "$("$IPCCTL" result --key=plain)" 2.5
check "  a parted key with a small N still works" \
    "$IPCCTL" submit --key=small --part=1/2 1
check "  the refusals are counted" test "$(stat_of unix.rejected)" -ge 38632

# The keys listing comes in pages with a cursor: a walk sees every key
# once, whatever the page size; a glob selects.
stop_ipcd
rm -f "$T/state" "$T/state.journal"
start_ipcd || exit 1
awk 'BEGIN { for (i = 0; i < 250; i++) printf "submit page%d %d\n", i, i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
walk() {	# walk LIMIT [MATCH]: key names, one a line, following the cursor
	cursor=0
	: >"$T/walk"
	while :; do
		printf 'keys cursor=%s limit=%s%s\n' "$cursor" "$1" \
		    "${2:+ match=$2}" | "$RAWIPC" unix "$T/ipcd.sock" >"$T/page"
		sed -n 's/^key="\([^"]*\)".*/\1/p' "$T/page" >>"$T/walk"
		cursor=$(sed -n '1s/^ok count=[0-9]* cursor=//p' "$T/page")
		[ -n "$cursor" ] || { echo "# bad page: $(head -c 200 "$T/page")"; return; }
		[ "$cursor" = 0 ] && break
	done
	sort "$T/walk" | uniq | wc -l
	wc -l <"$T/walk"
}
same "keys in pages of 7: 250 keys, each once" "$(walk 7 | tr '\n' ' ')" "250 250 "
same "keys in pages of 1000: the same" "$(walk 1000 | tr '\n' ' ')" "250 250 "
same "keys match=page1*: 111 keys" "$(walk 10 'page1*' | tr '\n' ' ')" "111 111 "
first=$(printf 'keys limit=5\n' | "$RAWIPC" unix "$T/ipcd.sock")
check "a page holds about LIMIT keys, not all" \
    test "$(echo "$first" | grep -c '^key=')" -lt 20
same "limit above 1000 is refused" \
    "$(printf 'keys limit=1001\n' | "$RAWIPC" unix "$T/ipcd.sock")" \
    "err usage keys [cursor=C] [limit=1-1000] [match=GLOB] [idle=DURATION]"
same "a cursor out of any range is still safe" \
    "$(printf 'keys cursor=18446744073709551615\n' | "$RAWIPC" unix "$T/ipcd.sock" | head -n 1 | cut -d' ' -f1)" "ok"

# 100 connections each asking for 20,000 keys' pages and never reading:
# every connection's output is bounded, and a submit is still answered.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "submit many%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
rss0=$(rss)
awk 'BEGIN { for (i = 0; i < 100; i++) print "keys limit=1000" }' >"$T/keysreq"
i=0
while [ $i -lt 100 ]; do
	( cat "$T/keysreq"; sleep 8 ) | timeout 10 sh -c "'$RAWIPC' unix '$T/ipcd.sock' | sleep 10" &
	i=$((i + 1))
done
# Once all 100 are connected, give ipcd time to answer what it will.
at_least_100() { [ "$(stat_of unix.clients)" -ge 100 ] 2>/dev/null && echo yes; }
eventually yes at_least_100 >/dev/null
sleep 2
rss1=$(rss)
check "100 clients listing 20,000 keys without reading: RSS bounded (${rss0} -> ${rss1} kB)" \
    test "$rss1" -lt $((rss0 + 131072))
check "  and a submit is answered meanwhile" timeout 5 "$IPCCTL" submit --key=during 1
sleep 7

# A glob that matches nothing once made one "keys" request walk the whole
# store, and a client sending thousands of them held the loop for half a
# minute.  A page's work is bounded and a client's requests are taken a
# batch at a time: the loop never stands still for long meanwhile.
awk 'BEGIN { for (i = 0; i < 70000; i++) printf "submit more%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
same "a page that finds nothing ends after a bounded walk, with a cursor to go on" \
    "$(printf 'keys match=zzz* limit=100\n' | "$RAWIPC" unix "$T/ipcd.sock" |
    sed -n 's/^ok count=0 cursor=[1-9][0-9]*$/bounded/p')" bounded
awk 'BEGIN { for (i = 0; i < 3000; i++) print "keys match=zzz*" }' >"$T/nomatch"
( cat "$T/nomatch"; sleep 4 ) | timeout 30 "$RAWIPC" unix "$T/ipcd.sock" >"$T/nomatch.out" &
walker=$!
most=$("$PWD/$BUILD/tests/pingmax" "$T/ipcd.sock" 3 | awk '{ print int($2) }')
command wait $walker
check "3000 store walks with a glob that matches nothing: the loop never stood still 1 s (longest ping ${most} ms)" \
    test "${most:-99999}" -lt 1000
check "  and every one was answered" test "$(grep -c '^ok count=' "$T/nomatch.out")" -eq 3000

# The protocol version: a client of another version is refused by name.
same "hello with ipcd's own version" \
    "$(printf 'hello 2\n' | "$RAWIPC" unix "$T/ipcd.sock" | cut -d' ' -f1-2)" "ok proto=2"
same "hello with another version is refused" \
    "$(printf 'hello 1\n' | "$RAWIPC" unix "$T/ipcd.sock")" \
    "err version ipcd speaks protocol 2, the client 1"
# Tabs separate a request's words as they do a record's.
same "submit<TAB>k 1 is a submit" \
    "$(printf 'submit\ttabbed 1\nresult\ttabbed\n' | "$RAWIPC" unix "$T/ipcd.sock" | cut -d' ' -f1-3)" \
    "ok
ok key=\"tabbed\" total=1"
# A wait on a key of plain values can never end: said at once.
"$IPCCTL" submit --key=plainkey 1
same "wait on a key of plain values is refused at once" \
    "$(printf 'wait plainkey 60000\n' | timeout 5 "$RAWIPC" unix "$T/ipcd.sock")" \
    "err invalid key plainkey takes plain values: it has no parts to wait for"
# A total beyond the range of a double: null, never "inf".
printf 'submit ov 1e308\nsubmit ov 1e308\nresult ov\n' | "$RAWIPC" unix "$T/ipcd.sock" >"$T/ov"
contains "an overflowed total is null with overflow=true" "$(tail -n 1 "$T/ov")" "total=null"
contains "  and says so" "$(tail -n 1 "$T/ov")" "overflow=true"
check "  ipcd is fine after the status tick formats it" sh -c "sleep 6; '$IPCCTL' ping"

# Connections per user: one user cannot take them all.  nobody gets a
# quarter of max_clients = 40; root is not held to it.
stop_ipcd
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -m 0755 "$T/pub"
	chmod 0711 "$T"
	write_conf "[limits]
max_clients = 40"
	sed -i "s|^path = $T/ipcd.sock|path = $T/pub/ipcd.sock|" "$T/ipcd.conf"
	sed -i '/^\[unix\]/a mode = 0666' "$T/ipcd.conf"
	start_ipcd || exit 1
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$PWD/$BUILD/tests/holdconns" "$T/pub/ipcd.sock" 30 2 >"$T/nobody" &
	nb=$!
	eventually 1 sh -c "grep -c connected '$T/nobody'" >/dev/null
	check "while nobody holds its quarter, root is served" "$IPCCTL" ping
	command wait $nb
	same "nobody gets max_clients / 4 = 10 connections, 20 refused" \
	    "$(tail -n 1 "$T/nobody")" "held 10 refused 20 failed 0"
	check "  the refusal names the limit" \
	    grep -q "too many clients of uid 65534 (limits.max_clients_per_uid = 10)" "$T/ipcd.log"
	stop_ipcd
	chmod 0700 "$T"
else
	echo "skip - per-user cap: needs root and setpriv"
fi

# A reload storm under a streaming client: a change of the socket's mode
# alone keeps every connection, so nothing is lost or doubled.
write_conf
start_ipcd || exit 1
seq 1 40000 | while read -r v; do
	echo "$v"
	[ $((v % 2000)) -eq 0 ] && sleep 0.1
done | "$IPCCTL" submit --key=storm - >"$T/storm.out" 2>&1 &
sub=$!
i=0
while [ $i -lt 300 ]; do
	sed -i "s/^mode = .*//" "$T/ipcd.conf"
	[ $((i % 2)) -eq 0 ] && sed -i '/^\[unix\]/a mode = 0600' "$T/ipcd.conf"
	kill -HUP "$IPCD_PID"
	sleep 0.01
	i=$((i + 1))
done
command wait $sub
same "300 SIGHUPs that change the socket's mode under a streaming submit: exit 0" "$?" 0
same "  and the total is exact (1 + ... + 40000)" \
    "$("$IPCCTL" result --key=storm)" 800020000
same "  with each value counted once" "$(field storm count)" 40000
check "  the socket's mode followed the last reload" \
    test "$(stat -c %a "$T/ipcd.sock")" = 660
stop_ipcd
