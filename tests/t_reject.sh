#!/bin/sh
# Malformed, oversized and hostile input on every transport: each is
# rejected with a message that names the problem (a reply on the socket, a
# counter and a log line elsewhere), and no total moves.
. tests/lib.sh

start_ipcd || exit 1
for via in unix fifo mq shm; do
	"$IPCCTL" submit --via=$via --key=k 1
done
"$IPCCTL" submit --key=pk --part=1/3 1
wait_count k 4

long=$(head -c 5000 /dev/zero | tr '\0' 7)
key65=$(head -c 65 /dev/zero | tr '\0' a)

# --- the socket: one specific reply per bad request -------------------
while IFS='|' read -r req want; do
	reply=$(printf '%s\n' "$req" | "$RAWIPC" unix "$T/ipcd.sock")
	same "unix: \"$(printf '%.30s' "$req")\" -> $want" "$reply" "$want"
done <<EOF2
submit k nan|err invalid value is NaN
submit k -inf|err invalid value is infinite
submit k 1e999|err invalid value is out of range
submit k 12abc|err invalid value is not a number
submit|err invalid empty record
submit k 1 0/3|err invalid part is not I/N with 1 <= I <= N <= 1000000
submit pk 1 1/4|err conflict key pk takes parts of 3, not a different count
submit $key65 1|err invalid key longer than 64 characters
submit k@x 1|err invalid key has a character outside [A-Za-z0-9_.:-]
submit @9 k 1|err invalid unsupported record version
frobnicate|err usage unknown request "frobnicate"
result|err usage key must be 1-64 characters of [A-Za-z0-9_.:-]
result nosuchkey|err nokey no submissions for key nosuchkey
wait k x|err usage wait KEY [TIMEOUT_MS], at most 31536000000 ms
EOF2
reply=$(printf 'submit k 1\0\n' | "$RAWIPC" unix "$T/ipcd.sock")
same "unix: an embedded NUL" "$reply" "err usage request contains a NUL byte"
reply=$(printf 'submit k \001\377\n' | "$RAWIPC" unix "$T/ipcd.sock")
same "unix: binary bytes" "$reply" "err invalid record contains a control or non-ASCII byte"
reply=$(printf 'submit k %s\nping\n' "$long" | "$RAWIPC" unix "$T/ipcd.sock" | cut -d' ' -f1-2)
same "unix: a 5000-byte request, then a good one on the same connection" \
    "$(echo "$reply" | tr '\n' '|')" "err usage|ok proto=2|"
reply=$(printf 'submit k 5' | "$RAWIPC" unix "$T/ipcd.sock")
same "unix: a request cut off by end of file gets no reply" "$reply" ""
unix_rejected=$(stat_of unix.rejected)
same "unix: every bad request was counted" "$unix_rejected" 17

# --- the FIFO: counted and logged ------------------------------------
f=$T/ipcd.fifo
printf 'k nan\nk inf\nk 1e999\n' >"$f"
printf 'k 1 2 3 4\n\n@2 k 1\n' >"$f"
printf '%s k 1\n' "$key65" >"$f"
printf 'k \001\n' >"$f"
printf 'k 1\0\n' >"$f"
printf '%s\n' "$long" >"$f"
printf 'pk 1 1/4\n' >"$f"
printf 'k 0\n' >"$f"		# a good record after all that
check "fifo: every bad record was counted" wait_stat fifo.rejected 11
wait_count k 5

# --- the message queue ---------------------------------------------
for m in 'k nan' 'k 1 1/0' "$key65 1" 'k 1 2 3 4 5' '' 'k 1.2.3'; do
	printf '%s' "$m" | "$RAWIPC" mq "$NAME"
done
printf 'k 1\0garbage' | "$RAWIPC" mq "$NAME"
head -c 4096 /dev/zero | tr '\0' 1 | "$RAWIPC" mq "$NAME"
check "mq: every bad message was counted" wait_stat mq.rejected 8

# --- shared memory: records with impossible fields, a wild head ------
"$RAWIPC" shm "$NAME" 200 k 1 0 0
"$RAWIPC" shm "$NAME" 0 k 1 0 0
"$RAWIPC" shm "$NAME" 1 k nan 0 0
"$RAWIPC" shm "$NAME" 1 k inf 0 0
"$RAWIPC" shm "$NAME" 1 k 1 5 3
"$RAWIPC" shm "$NAME" 3 'k k' 1 0 0
"$RAWIPC" shm-head "$NAME" 0xffffffffffff
check "shm: every bad record and the wild head were counted" \
    wait_stat shm.rejected 7
check "shm: the slot works again after the wild head" \
    "$IPCCTL" submit --via=shm --key=k 0
wait_count k 6

same "no total moved" "$("$IPCCTL" result --key=k) $("$IPCCTL" result --key=pk)" "4 1"
same "no bad key was created" "$("$IPCCTL" keys | cut -f1 | sort | tr '\n' ' ')" "k pk "
for via in unix fifo mq shm; do
	check "$via: the rejection is in the log with its cause" \
	    grep -q "warning: $via: rejected input: " "$T/ipcd.log"
done
check "fifo: the first cause is named" grep -q "fifo: rejected input: value is NaN" "$T/ipcd.log"
n=$(grep -c "fifo: rejected input" "$T/ipcd.log")
check "fifo: rejections are rate-limited in the log ($n lines for 11)" test "$n" -lt 11

# ipcctl checks values itself before sending.
for via in unix fifo mq shm; do
	status "ipcctl submit --via=$via nan exits 4" 4 "$IPCCTL" submit --via=$via -- nan
done
out=$(printf '1\nbad\n2\n' | "$IPCCTL" submit --key=s - 2>&1)
contains "a bad line on stdin is named by its number" "$out" "line 2 of standard input"
same "and the good lines are still submitted" "$("$IPCCTL" result --key=s)" 3
check "ipcd is still alive" "$IPCCTL" ping
