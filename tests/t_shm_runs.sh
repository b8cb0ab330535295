#!/bin/sh
# Records taken from shared memory in one batch, in runs of one key and
# out of them -- a run broken by another key, by a parted record, by
# invalid ones, a key field with bytes past its length, a run past
# limits.max_keys -- give exactly what they give one at a time: the same
# totals, counts, duplicates and rejections.
. tests/lib.sh

write_conf "[limits]
max_keys = 5"
start_ipcd || exit 1

{
	echo "1 a 1 0 0"
	echo "1 a 1 0 0"
	echo "1 a 1 0 0"
	echo "1 a nan 0 0"		# malformed, inside a run
	echo "1 a 2 0 0"
	echo "1 b 1 0 0"
	echo "1 a 1 0 0"
	echo "1 a 1 1 2"		# a part into a plain key: conflict
	echo "1 p 0.5 1 2"
	echo "1 p 0.25 1 2"		# duplicate
	echo "1 p 1 0 0"		# a plain value into a parted key
	echo "1 p 0.25 2 2"		# completes p
	echo "0 - 1 0 0"		# empty key
	echo "1 a 1 0 0 zzz"		# key a, other bytes past it
	echo "1 a 1 0 0 zzz"
	echo "2 a! 5 0 0"		# a bad character
	echo "1 c 1e16 0 0"
	echo "1 c 1 0 0"
	echo "1 c -1e16 0 0"
	i=0
	while [ $i -lt 100 ]; do
		echo "1 t 0.1 0 0"
		i=$((i + 1))
	done
	echo "1 d 1 0 0"		# a sixth key: over max_keys
	echo "1 d 1 0 0"
	echo "1 d 1 0 0"
} >"$T/records"
check "the batch is taken" "$RAWIPC" shm-batch "$NAME" <"$T/records"
check "all of it is counted" eventually 113 stat_of shm.accepted

same "a: its runs, broken and resumed" "$("$IPCCTL" result --key=a)" 8
same "a: 7 records" "$(field a count)" 7
same "b" "$("$IPCCTL" result --key=b)" 1
same "p: parts 1 and 2 of 2" "$("$IPCCTL" result --key=p)" 0.75
same "p: one duplicate" "$(field p duplicates)" 1
same "c: 1e16 + 1 - 1e16, exactly" "$("$IPCCTL" result --key=c)" 1
same "t: 100 x 0.1 is exactly 10" "$("$IPCCTL" result --key=t)" 10
same "d: over max_keys, not made" "$(field d count)" ""
same "one duplicate counted" "$(stat_of shm.duplicates)" 1
same "8 rejected: NaN, 2 conflicts, 2 bad keys, 3 over max_keys" \
    "$(stat_of shm.rejected)" 8
stop_ipcd
