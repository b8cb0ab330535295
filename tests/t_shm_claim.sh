#!/bin/sh
# Two ipcds configured with the same [shm] name (different sockets): the
# second refuses to start, naming the first's pid, instead of replacing
# the first's segment under it (which then replaced it back, each second).
. tests/lib.sh

start_ipcd || exit 1
sed -e "s|$T/ipcd.sock|$T/two.sock|" -e "s|$T/ipcd.fifo|$T/two.fifo|" \
    -e "s|^file = .*|file = $T/two.state|" -e "/^\[mq\]/{n;s|.*|name = $NAME.two|}" \
    "$T/ipcd.conf" >"$T/two.conf"
timeout 10 "$IPCD" -c "$T/two.conf" >"$T/two.log" 2>&1 &
two=$!
command wait $two
rc=$?
check "a second ipcd on the same shm name refuses to start (status $rc)" \
    test "$rc" -ne 0 -a "$rc" -ne 124
contains "  naming the first one's pid" "$(cat "$T/two.log")" \
    "shared-memory segment $NAME is in use by another ipcd (pid $IPCD_PID)"
sleep 2.2	# two polls of the first ipcd: its segment must be untouched
check "  the first ipcd's segment was left alone" \
    sh -c "! grep -q 'shm: segment' '$T/ipcd.log'"
check "  and still takes submissions" \
    timeout 10 "$IPCCTL" submit --via=shm --key=one 1
same "  counted" "$("$IPCCTL" result --key=one)" 1
stop_ipcd
"$RAWIPC" unlink "$NAME.two" 2>/dev/null
timeout 10 "$IPCD" -c "$T/two.conf" >"$T/two.log" 2>&1 &
two=$!
check "once the first has stopped, the second starts" \
    eventually 0 sh -c "IPCD_CONFIG='$T/two.conf' '$IPCCTL' ping >/dev/null 2>&1; echo \$?"
kill -TERM $two
command wait $two
"$RAWIPC" unlink "$NAME.two" 2>/dev/null
