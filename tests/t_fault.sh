#!/bin/sh
# kill -9 of ipcd at random moments under a mixed load on all four
# transports, many times over: after each restart every acknowledged
# submission is there exactly once, and every total is a sum of whole
# submissions.
. tests/lib.sh

CYCLES=${FAULT_CYCLES:-25}
N=20000
yes 1 | head -n $N >"$T/ones"
acked_a=0 sent_a=0 acked_parts=0 lost=0 bad=0 checked=0
fire_sent=0

cycle=1
while [ $cycle -le $CYCLES ]; do
	start_ipcd || exit 1
	# Acknowledged: two pipelined streams of ones, and a parted key whose
	# replies come in order, so the acknowledged parts are 1..K.
	"$IPCCTL" --json submit --key=a - <"$T/ones" >"$T/a1" 2>/dev/null &
	p1=$!
	"$IPCCTL" --json submit --key=a - <"$T/ones" >"$T/a2" 2>/dev/null &
	p2=$!
	awk -v c=$cycle -v n=$N 'BEGIN { for (i = 1; i <= n; i++)
	    printf "submit b%d 1 %d/%d\n", c, i, n }' |
	    "$RAWIPC" unix "$T/ipcd.sock" >"$T/b" 2>/dev/null &
	p3=$!
	# Fire and forget, alongside.
	for via in fifo mq shm; do
		head -n 2000 "$T/ones" | "$IPCCTL" submit --via=$via --key=$via - \
		    >/dev/null 2>&1 &
		eval "f_$via=\$!"
	done
	fire_sent=$((fire_sent + 2000))
	# 20 to 400 ms into the load.
	sleep "$(awk -v s=$cycle 'BEGIN { srand(s * 7919); printf "%.3f", 0.02 + rand() * 0.38 }')"
	kill9
	command wait $p1 $p2 $p3 2>/dev/null
	kill -KILL $f_fifo $f_mq $f_shm 2>/dev/null
	command wait $f_fifo $f_mq $f_shm 2>/dev/null

	n1=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$T/a1")
	n2=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$T/a2")
	acked_a=$((acked_a + ${n1:-0} + ${n2:-0}))
	sent_a=$((sent_a + 2 * N))
	k=$(grep -c '^ok$' "$T/b")
	acked_parts=$((acked_parts + k))

	start_ipcd || exit 1
	got=$(field a count)
	tot=$("$IPCCTL" result --key=a)
	if [ "${got:-0}" -lt "$acked_a" ] || [ "${got:-0}" -gt "$sent_a" ] ||
	    [ "$tot" != "$got" ]; then
		echo "# cycle $cycle: key a has $got (total $tot); acknowledged $acked_a, sent $sent_a"
		bad=$((bad + 1))
	fi
	# Parts 1..k were acknowledged: the first missing part, if any,
	# must come after k; received parts count once.
	if [ "$k" -gt 0 ]; then
		miss=$("$IPCCTL" result --key=b$cycle --timeout=0.001 2>&1 |
		    sed -n 's/.*parts missing: \([0-9]*\).*/\1/p')
		parts=$(field b$cycle parts)
		if { [ -n "$miss" ] && [ "$miss" -le "$k" ]; } ||
		    [ "$("$IPCCTL" result --key=b$cycle)" != "$parts" ] ||
		    [ "$parts" -lt "$k" ]; then
			echo "# cycle $cycle: $k parts acknowledged, first missing $miss, received $parts"
			bad=$((bad + 1))
		fi
	fi
	for via in fifo mq shm; do
		c=$(field $via count)
		[ -z "$c" ] && continue
		if [ "$("$IPCCTL" result --key=$via)" != "$c" ] || [ "$c" -gt "$fire_sent" ]; then
			echo "# cycle $cycle: $via has $c submissions, total $("$IPCCTL" result --key=$via)"
			bad=$((bad + 1))
		fi
	done
	checked=$((checked + ${n1:-0} + ${n2:-0} + k))
	stop_ipcd
	cycle=$((cycle + 1))
done
echo "# $CYCLES kill -9 cycles; $checked acknowledged submissions checked"
echo "# key a: $acked_a acknowledged of $sent_a sent, $(start_ipcd >/dev/null; field a count; stop_ipcd) recovered"
same "every acknowledged submission survived $CYCLES kill -9, exactly once" "$bad" 0
check "the kills landed mid-stream (not all before or after the load)" \
    test "$acked_a" -gt 0 -a "$acked_a" -lt "$sent_a"
