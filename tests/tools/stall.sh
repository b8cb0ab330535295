#!/bin/sh
# The longest pause of ipcd's loop while a snapshot of KEYS keys is
# written: load KEYS keys over the socket (pipelined), restart with the smallest
# compact_bytes, ping the socket in a tight loop (pingmax) and force one
# compaction.  Prints pingmax's figure.
#
# usage: sh tests/tools/stall.sh BUILD_DIR KEYS
BUILD=${1:-build}
KEYS=${2:-100000}
. tests/lib.sh
conf() {
	write_conf "compact_bytes = $1
[limits]
max_keys = $((KEYS + 1000))"
}
conf 1099511627776
start_ipcd || exit 1
awk -v n=$KEYS 'BEGIN { for (i = 1; i <= n; i++) printf "submit k%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
eventually $KEYS stat_of keys >/dev/null || exit 1
stop_ipcd
echo "# snapshot of $KEYS keys: $(stat -c %s "$T/state") bytes"
conf 4096
start_ipcd || exit 1
"$PWD/$BUILD/tests/pingmax" "$T/ipcd.sock" 4 >"$T/ping" &
pm=$!
sleep 0.5
# About 6 KiB of journal entries: one compaction.
awk 'BEGIN { for (i = 1; i <= 120; i++) printf "submit k%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
command wait $pm
echo "# $KEYS keys: $(cat "$T/ping")"
stop_ipcd
