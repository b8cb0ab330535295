#!/bin/sh
# Floods and slow clients: every limit holds, each refusal says which, and
# memory stays bounded.
. tests/lib.sh

start_ipcd "[limits]
max_clients = 40
max_keys = 500
max_record_bytes = 64
idle_timeout = 1" || exit 1
rss() { awk '/^VmRSS/ { print $2 }' /proc/$IPCD_PID/status; }
rss0=$(rss)

# One byte an hour: the client is told and let go after idle_timeout.
(printf 'sub'; sleep 4) | "$RAWIPC" unix "$T/ipcd.sock" >"$T/slow" &
sleep 2.5
check "a client that never finishes a request is let go after idle_timeout" \
    grep -q "unix: rejected input: client idle too long" "$T/ipcd.log"
wait $!
same "  and told so" "$(cat "$T/slow")" "err limit idle for 1 s; disconnected"
reply=$( (sleep 3) | "$RAWIPC" unix "$T/ipcd.sock")
same "so is a client that sends nothing" "$reply" "err limit idle for 1 s; disconnected"
"$IPCCTL" submit --key=w --part=1/2 1
( "$IPCCTL" result --key=w --timeout=3 >"$T/w.out" 2>&1; echo $? >"$T/w.rc" ) &
sleep 2
"$IPCCTL" submit --key=w --part=2/2 1
sleep 0.5
same "a client in a wait is not idle" "$(cat "$T/w.out") $(cat "$T/w.rc")" "2 0"
(echo 1; sleep 3; echo 2) | "$IPCCTL" submit --key=keep - >"$T/keep.out" 2>&1
same "submit - with input quiet for 3 idle timeouts keeps its connection" \
    "$? $("$IPCCTL" result --key=keep)" "0 3"
"$IPCCTL" reset --key=keep >/dev/null	# max_keys is counted below

# More clients than max_clients: the extra ones are refused, the rest and
# later ones are served.  Without an idle timeout here, so that nothing
# but the limit decides who is held.
stop_ipcd
write_conf "[limits]
max_clients = 40"
start_ipcd || exit 1
ping_status() { "$IPCCTL" ping >/dev/null 2>&1; echo $?; }
# Only the stats request itself connected: nothing left from above.
eventually 1 stat_of unix.clients >/dev/null
"$PWD/$BUILD/tests/holdconns" "$T/ipcd.sock" 60 3 >"$T/held" &
held=$!
# Ping only once the 60 are queued: a ping before would take a place.
connected() { grep -c connected "$T/held"; }
eventually 1 connected
same "while 40 are connected, the next client is refused (exit 4)" \
    "$(ping_status)" 4
command wait $held
same "60 idle connections against max_clients = 40: 20 refused" \
    "$(tail -n 1 "$T/held")" "held 40 refused 20 failed 0"
check "after they go, clients are served again" eventually 0 ping_status

# A client that leaves in the middle of a wait without a timeout is let
# go within a second or so, and no longer counts against max_clients.
n0=$("$IPCCTL" stats | sed -n 's/^unix.clients=//p')
i=0
while [ $i -lt 5 ]; do
	timeout 0.5 "$IPCCTL" result --key=never --wait >/dev/null 2>&1
	i=$((i + 1))
done
clients() { "$IPCCTL" stats | sed -n 's/^unix.clients=//p'; }
check "5 clients that hung up in a wait are freed" eventually "$n0" clients

# Thousands of idle connections against the default max_clients = 1024:
# exactly 1024 are held (ipcd raised its descriptor limit for them), the
# rest are refused with a reply, memory stays bounded, and once they go a
# client is served at once.
stop_ipcd
write_conf
start_ipcd || exit 1
rss0=$(rss)
out=$("$PWD/$BUILD/tests/holdconns" "$T/ipcd.sock" 2000 2 | tail -n 1)
same "2000 idle connections: 1024 held, 976 refused" "$out" "held 1024 refused 976 failed 0"
rss1=$(rss)
check "  with bounded memory (RSS ${rss0} -> ${rss1} kB)" test "$rss1" -lt $((rss0 + 65536))
check "  and then a client is served" "$IPCCTL" ping
stop_ipcd
write_conf "[limits]
max_clients = 40
max_keys = 500
max_record_bytes = 64
idle_timeout = 1"
start_ipcd || exit 1

# Overlong records on every transport, against max_record_bytes = 64.
long=$(head -c 100 /dev/zero | tr '\0' 1)
reply=$(printf 'submit k %s\n' "$long" | "$RAWIPC" unix "$T/ipcd.sock")
same "unix: a 102-byte record in a request" "$reply" "err invalid record longer than 64 bytes (limits.max_record_bytes)"
printf 'k %s\n' "$long" >"$T/ipcd.fifo"
printf 'k %s' "$long" | "$RAWIPC" mq "$NAME"
check "fifo: refused" wait_stat fifo.rejected 1
check "mq: refused" wait_stat mq.rejected 1
check "the FIFO cause names the limit" grep -q "fifo: rejected input: record longer than 64 bytes" "$T/ipcd.log"

# Half a record, then its writer goes: rejected once read, and the next
# writer's record is whole.  (The sleep lets the once-a-second limit on
# reject log lines pass.)
sleep 1.5
printf 'k 12' >"$T/ipcd.fifo"
check "a partial FIFO record is rejected once read" wait_stat fifo.rejected 2
echo "k 3" >"$T/ipcd.fifo"
check "  and the next record arrives whole" wait_count k 1
same "  with its own value" "$("$IPCCTL" result --key=k)" 3
check "the drop is logged with its reason" grep -q "record cut short" "$T/ipcd.log"

# A flood of distinct keys stops at max_keys; memory stays bounded.
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "submit flood%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >"$T/flood"
same "5000 distinct keys against max_keys = 500: the rest refused" \
    "$(grep -c '^ok$' "$T/flood") $(grep -c 'too many keys' "$T/flood")" "498 4502"
# A stream that never reads its replies is throttled, not buffered.
awk 'BEGIN { for (i = 0; i < 400000; i++) print "result k" }' >"$T/noread"
( cat "$T/noread"; sleep 3 ) | timeout 5 sh -c "'$RAWIPC' unix '$T/ipcd.sock' | sleep 5" &
noread=$!
sleep 2
rss1=$(rss)
check "a client that never reads its replies costs bounded memory (RSS ${rss0} -> ${rss1} kB)" \
    test "$rss1" -lt $((rss0 + 16384))
check "  and blocks nobody" "$IPCCTL" ping
wait $noread
same "totals of the other keys did not move" "$("$IPCCTL" result --key=k)" 3
