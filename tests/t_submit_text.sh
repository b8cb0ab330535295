#!/bin/sh
# ipcctl submit - checks each record once and sends it as written where
# the transport carries text.  What ipcd would not read as the record the
# client checked goes formatted instead: white space strtod skips but a
# record does not separate by, a line longer than the queue's messages or
# than [limits] max_record_bytes.  Every total comes out as the client
# read the values, on every transport.
. tests/lib.sh

port=$(free_port)
write_conf "[mq]
message_size = 128
[tcp]
enabled = yes
listen = 127.0.0.1:$port"
start_ipcd || exit 1

zeros=$(printf '%0200d' 0)	# a line longer than a message of the queue
VIAS="unix fifo mq shm tcp sysv spool"

# exact SUM...: the values' exact sum rounded once, as ipcd prints it.
exact() {
	python3 -c 'import sys; from fractions import Fraction as F
print(repr(float(sum(F(float.fromhex(a) if "x" in a else a) for a in sys.argv[1:]))))' "$@"
}

# With --key: leading blanks of both kinds, a form feed, a CR before the
# newline, a hex float, a long value; no newline at the end.
for via in $VIAS; do
	printf '0.1\n  0.2\n\f0.3\r\n\t1.%s\n0x1p-2' "$zeros" |
	    "$IPCCTL" submit --via="$via" --key="v$via" - 2>"$T/err"
	check "--key over $via: all five counted" wait_count "v$via" 5
	same "--key over $via: the total read" "$(field "v$via" total)" \
	    "$(exact 0.1 0.2 0.3 1 0x1p-2)"
done

# Records: CRLF, a tab and a trailing blank, the version, a long value.
for via in $VIAS; do
	k=r$via
	printf '%s 0.1\r\n%s\t0.2 \n@1 %s 0.3 \n%s 1.%s\n' "$k" "$k" "$k" \
	    "$k" "$zeros" | "$IPCCTL" submit --via="$via" - 2>"$T/err"
	check "records over $via: all four counted" wait_count "$k" 4
	same "records over $via: the total read" "$(field "$k" total)" \
	    "$(exact 0.1 0.2 0.3 1)"
done

# A line the client would send longer than ipcd takes: formatted anew.
stop_ipcd
write_conf "[limits]
max_record_bytes = 40
[tcp]
enabled = yes
listen = 127.0.0.1:$port"
start_ipcd || exit 1
for via in $VIAS; do
	printf 'm%s 2.000000000000000000000000000000000000000000000000\n' \
	    "$via" | "$IPCCTL" submit --via="$via" - 2>"$T/err"
	check "beyond max_record_bytes over $via: counted" wait_count "m$via" 1
	same "beyond max_record_bytes over $via: the total" \
	    "$(field "m$via" total)" 2
done
same "nothing was rejected" \
    "$("$IPCCTL" stats | grep '\.rejected=' | grep -v '=0$')" ""

# What the client refuses it still names, line by line, and sends the rest.
printf '1\n1 2\n\v\n3\n' | "$IPCCTL" submit --key=bad - 2>"$T/err"
same "bad lines refused, the others counted" "$(field bad total)" 4
contains "the refusal names the line" "$(cat "$T/err")" \
    'line 2 of standard input: "1 2": value is not a number'
stop_ipcd
