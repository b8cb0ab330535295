#!/bin/sh
# The reference job: 10 workers, 10^7 terms, over each transport (and a
# pipe and a socketpair to the launcher), prints
# 3.14159262176; the workers really submit parts of one key.
. tests/lib.sh

start_ipcd || exit 1
for via in unix fifo mq shm pipe socketpair; do
	out=$("$IPCCTL" pi --workers=10 --terms=10000000 --via=$via)
	same "pi over $via" "$(echo "$out" | tail -n 1)" 3.14159262176
done
"$IPCCTL" pi --via=fifo --key=mine >/dev/null
same "pi --key keeps its key, with 10 of 10 parts" \
    "$(field mine parts)/$(field mine nparts)" 10/10
same "the other runs removed their keys" "$("$IPCCTL" keys | cut -f1)" mine
check "the completed part set is logged" \
    grep -q "fifo: key mine: 10/10 parts, total 1.2337005251362" "$T/ipcd.log"
out=$("$IPCCTL" --json pi --workers=3 --terms=1000 --via=mq)
contains "pi --json" "$out" '"workers":3,"terms":1000,"via":"mq"'
status "pi with no ipcd exits 3" 3 "$IPCCTL" -c /dev/null pi 2>/dev/null ||:
