#!/bin/sh
# Every transport submits into one ipcd, and totals are exact whatever the
# transport and the order.
. tests/lib.sh

start_ipcd || exit 1

check "ping answers" "$IPCCTL" ping

# The contract's example: 1e16, 1, -1e16 over three transports is 1.
"$IPCCTL" submit --via=unix --key=x 1e16
"$IPCCTL" submit --via=fifo --key=x 1
"$IPCCTL" submit --via=mq --key=x -- -1e16
wait_count x 3
same "1e16 (unix) + 1 (fifo) - 1e16 (mq) = 1" "$("$IPCCTL" result --key=x)" 1
"$IPCCTL" submit --via=shm --key=y -- -1e16
"$IPCCTL" submit --via=mq --key=y 1e16
"$IPCCTL" submit --via=unix --key=y 1
wait_count y 3
same "-1e16 (shm) + 1e16 (mq) + 1 (unix) = 1" "$("$IPCCTL" result --key=y)" 1

# Ten 0.1, spread over all four transports.
for via in unix fifo mq shm unix fifo mq shm unix fifo; do
	"$IPCCTL" submit --via=$via --key=tenth 0.1
done
wait_count tenth 10
same "ten 0.1 over four transports = 1" "$("$IPCCTL" result --key=tenth)" 1

# Several values in one call, on each transport.
for via in unix fifo mq shm; do
	status "four values in one call over $via: exit 0" 0 \
	    "$IPCCTL" submit --via=$via --key=many.$via -- 0.5 0.25 0.125 -2
	wait_count many.$via 4
	same "four values in one call over $via" \
	    "$("$IPCCTL" result --key=many.$via)" -1.125
done

# Count, min, max and JSON.
json=$("$IPCCTL" --json result --key=x)
# The last update is the clock's: checked for its form, then set aside.
contains "result --json has the last update and the idle time" "$json" \
    '"duplicates":0,"updated":1'
same "result --json" "$(echo "$json" |
    sed 's/,"updated":[0-9.]*,"idle":[0-9]*}$/}/')" \
    '{"key":"x","total":1,"count":3,"min":-1e+16,"max":1e+16,"parts":0,"nparts":0,"duplicates":0}'

# The FIFO and the socket take records typed by hand.
echo "hand 2.5" >"$T/ipcd.fifo"
echo "@1 hand 0.5" >"$T/ipcd.fifo"
printf 'hand 1\nhand 1\n' >"$T/ipcd.fifo"
wait_count hand 4
same "records typed into the FIFO" "$("$IPCCTL" result --key=hand)" 5
same "a bare value goes to the default key" \
    "$(echo 7 >"$T/ipcd.fifo"; wait_count default 1; "$IPCCTL" result)" 7
reply=$(printf 'submit sock 4\nresult sock\nping\n' | "$RAWIPC" unix "$T/ipcd.sock")
same "requests typed into the socket get one reply each, in order" \
    "$(echo "$reply" | cut -d' ' -f1-2 | tr '\n' ' ')" "ok ok key=\"sock\" ok proto=2 "

# submit - streams stdin: pipelined on the socket, one value a line.
seq 1 100000 | "$IPCCTL" submit --key=stream -
same "100,000 values streamed over the socket" \
    "$(field stream count) $("$IPCCTL" result --key=stream)" "100000 5000050000"
for via in fifo mq shm; do
	seq 1 20000 | "$IPCCTL" submit --via=$via --key=stream.$via -
	wait_count stream.$via 20000
	same "20,000 values streamed over $via" \
	    "$("$IPCCTL" result --key=stream.$via)" 200010000
done

# A slow stream (a value, then nothing for a while, as from tail -f): the
# value is counted while the input is quiet, not when a buffer fills or
# the input ends.
for via in unix fifo mq shm; do
	(echo 7; sleep 3; echo 1) |
	    "$IPCCTL" submit --via=$via --key=slow.$via - >/dev/null 2>&1 &
	slow=$!
	check "a slow stream over $via: the first value is counted" \
	    eventually 7 sh -c "\"$IPCCTL\" result --key=slow.$via 2>/dev/null"
	check "  while the input is still open" kill -0 $slow
	command wait $slow
	check "  and the second after it" eventually 8 sh -c "\"$IPCCTL\" result --key=slow.$via 2>/dev/null"
done
# A line longer than the reader's 64 KiB buffer is named and skipped.
out=$( (echo 1; head -c 70000 /dev/zero | tr '\0' 2; echo; echo 3) |
    "$IPCCTL" submit --key=longline - 2>&1)
contains "an overlong line on stdin is named" "$out" \
    "line 2 of standard input is longer than 65536 bytes"
same "  and the lines around it are submitted" "$("$IPCCTL" result --key=longline)" 4
out=$( (printf '%0200000d\n' 5; echo 1) | "$IPCCTL" submit --key=longer - 2>&1)
same "  a 200,000-byte line is named once" "$(echo "$out" | grep -c 'longer than')" 1
status "a line of exactly 65536 bytes is taken" 0 \
    sh -c "printf '%065536d\n' 1 | \"$IPCCTL\" submit --key=edge -"
same "  as the value it spells" "$("$IPCCTL" result --key=edge)" 1
status "standard input that cannot be read: exit 1" 1 "$IPCCTL" submit --key=dir - </
contains "  saying why" "$(cat "$T/status.out")" "standard input: Is a directory"

# A record written to the FIFO in pieces: t_fifo.sh.

# keys lists every key; reset removes one, then all.
n=$("$IPCCTL" keys | wc -l)
same "keys lists every key" "$n" "$("$IPCCTL" --json keys | grep -o '"key":' | wc -l)"
check "reset removes one key" "$IPCCTL" reset --key=x
status "the reset key is gone" 4 "$IPCCTL" result --key=x
same "reset --all" "$("$IPCCTL" reset --all)" "$((n - 1)) keys removed"
same "no keys left" "$("$IPCCTL" keys)" ""

stop_ipcd
same "SIGTERM stops ipcd with status 0" "$?" 0
check "the socket is removed on exit" test ! -e "$T/ipcd.sock"
check "the FIFO is removed on exit" test ! -e "$T/ipcd.fifo"
check "the shm segment is removed on exit" test ! -e "/dev/shm$NAME"
