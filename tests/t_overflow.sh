#!/bin/sh
# A key whose exact sum lies beyond the double range must not take ipcd
# down wherever the total is shown: the STATUS line (each watchdog tick)
# and the "complete" log line of a parted key.
. tests/lib.sh

# alive_for N: ipcd answers ping every 0.05 s, N times in a row.
alive_for() {
	i=0
	while [ $i -lt "$1" ]; do
		"$IPCCTL" ping >/dev/null 2>&1 || return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# A watchdog of 0.2 s makes the STATUS tick come every 0.1 s.
WATCHDOG_USEC=200000 start_ipcd || exit 1
check "two submissions of 1e308 are accepted" \
    "$IPCCTL" submit --key=ov 1e308 1e308
check "ipcd still answers after 20 STATUS ticks with that key last" \
    alive_for 20

stop_ipcd
rm -f "$T"/state*

# to_fifo RECORD: one write, never blocking on a FIFO without a reader.
to_fifo() {
	timeout 5 sh -c 'echo "$1" >"$2"' sh "$1" "$T/ipcd.fifo"
}
start_ipcd || exit 1
to_fifo "x 1e308 1/2"
to_fifo "x 1e308 2/2"
eventually 2 field x count >/dev/null
check "a parted key completing beyond the range is logged, not fatal" \
    grep -q "key x: 2/2 parts, total" "$T/ipcd.log"
check "  and ipcd still answers ping" "$IPCCTL" ping
check "ipcd stops cleanly" stop_ipcd
