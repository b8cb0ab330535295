#!/bin/sh
# Command lines, configuration checks, exit statuses and signals.
. tests/lib.sh

write_conf
check "ipcd -n accepts a good file" "$IPCD" -n
out=$("$IPCD" -n)
same "ipcd -n says so" "$out" "configuration OK ($T/ipcd.conf)"
contains "ipcd -n -v prints the effective configuration" \
    "$("$IPCD" -n -v)" "name = $NAME"

printf '[unix]\npath = %s/ipcd.sock\n[fifo]\nmode = 0999\n' "$T" >"$T/bad.conf"
status "ipcd -n on a bad file exits 78" 78 "$IPCD" -n -c "$T/bad.conf"
same "and names file, line and key" "$("$IPCD" -n -c "$T/bad.conf" 2>&1)" \
    "ipcd: $T/bad.conf:4: [fifo] mode: expected an octal mode from 0 to 0777"
status "ipcd on a bad file does not start (78)" 78 "$IPCD" -c "$T/bad.conf"
status "IPCD_CONFIG is honoured" 78 env IPCD_CONFIG="$T/bad.conf" "$IPCD" -n
status "a missing file is an error" 78 "$IPCD" -n -c "$T/none.conf"
status "ipcd -x is a usage error (2)" 2 "$IPCD" -x
status "ipcd with an operand is a usage error" 2 "$IPCD" extra
contains "ipcd -h" "$("$IPCD" -h)" "usage: ipcd [-nhvV] [-c file]"
contains "ipcd -V" "$("$IPCD" -V)" "ipcd 0.1.0 (protocol 2)"

contains "ipcctl -h lists every command" "$("$IPCCTL" -h | tr '\n' ' ')" \
    "submit [--via=unix|fifo|mq|shm|tcp|sysv|spool] [--key=K] [--part=I/N] [--timeout=S] [--] VALUE... | -   result [--key=K] [--wait] [--timeout=SECONDS]   pi "
contains "ipcctl -h shows run" "$("$IPCCTL" -h)" \
    "run -n N [--via=T] [--key=K] [--channel=pipe|socketpair] [--timeout=S] [--] CMD [ARG...]"
contains "ipcctl -h shows pi over a pipe or a socketpair" "$("$IPCCTL" -h)" \
    "pi [--workers=W] [--terms=N] [--via=T|pipe|socketpair]"
contains "ipcctl -h says submit - takes records" "$("$IPCCTL" -h)" \
    'submit - reads records "[KEY] VALUE [I/N]"'
status "ipcctl with no command exits 2" 2 "$IPCCTL"
status "ipcctl frobnicate exits 2" 2 "$IPCCTL" frobnicate
status "ipcctl submit with no value exits 2" 2 "$IPCCTL" submit
status "ipcctl submit --via=pigeon exits 2" 2 "$IPCCTL" submit --via=pigeon 1
status "ipcctl submit --key='a b' exits 2" 2 "$IPCCTL" submit --key='a b' 1
status "ipcctl result --timeout=soon exits 2" 2 "$IPCCTL" result --timeout=soon
for t in 0.0005 1e300; do
	status "ipcctl result --timeout=$t exits 2" 2 "$IPCCTL" result --timeout=$t
	contains "  naming the range it is outside" "$(cat "$T/status.out")" \
	    "--timeout=$t: expected seconds, from 0.001 to 31536000"
done
status "ipcctl reset --all --key=x exits 2" 2 "$IPCCTL" reset --all --key=x
for via in unix fifo mq shm; do
	status "submit --via=$via with no ipcd exits 3" 3 "$IPCCTL" submit --via=$via 1
done
out=$("$IPCCTL" submit --via=fifo 1 2>&1)
contains "and says why" "$out" "is ipcd running?"
status "ipcctl result with no ipcd exits 3" 3 "$IPCCTL" result

# Signals: HUP reloads (totals kept; a bad file keeps the old config),
# USR1 logs the figures, TERM stops.
start_ipcd || exit 1
"$IPCCTL" submit --key=r 2.5
write_conf "[limits]
max_keys = 3"
kill -HUP $IPCD_PID
sleep 0.3
same "totals survive a reload" "$("$IPCCTL" result --key=r)" 2.5
"$IPCCTL" submit --key=r2 1
"$IPCCTL" submit --key=r3 1
out=$("$IPCCTL" submit --key=r4 1 2>&1)
contains "the reloaded limits apply" "$out" "too many keys (limits.max_keys = 3)"
cp "$T/ipcd.conf" "$T/good.conf"
cp "$T/bad.conf" "$T/ipcd.conf"
kill -HUP $IPCD_PID
sleep 0.3
check "a bad file on reload is reported" grep -q "reload: $T/ipcd.conf:4: \[fifo\] mode" "$T/ipcd.log"
check "and ipcd keeps running on the old one" \
    "$IPCCTL" -c "$T/good.conf" submit --via=fifo --key=r 1
cp "$T/good.conf" "$T/ipcd.conf"	# for ipcctl; ipcd is not told
check "  (the FIFO still works)" wait_count r 2
# A reload that moves the FIFO and turns off mq reopens just those.
cp "$T/good.conf" "$T/ipcd.conf"
sed -i "s|^path = $T/ipcd.fifo|path = $T/moved.fifo|" "$T/ipcd.conf"
printf '[mq]\nenabled = no\n' >>"$T/ipcd.conf"
kill -HUP $IPCD_PID
sleep 0.3
check "the FIFO moved on reload" test -p "$T/moved.fifo" -a ! -e "$T/ipcd.fifo"
echo "r 1" >"$T/moved.fifo"
check "and works at its new path" wait_count r 3
same "mq is closed after the reload" "$(stat_of mq.open)" 0
"$IPCCTL" submit --via=mq --key=r 1
sleep 0.2
same "a message sent meanwhile waits in the queue" "$(field r count)" 3
cp "$T/good.conf" "$T/ipcd.conf"
kill -HUP $IPCD_PID
check "mq reopened by the next reload takes the waiting message" wait_count r 4
kill -USR1 $IPCD_PID
sleep 0.2
check "USR1 logs the figures" grep -q "stats: pid=$IPCD_PID .*fifo.accepted=" "$T/ipcd.log"
stop_ipcd
same "TERM exits 0" "$?" 0
check "the stop is logged" grep -q "info: stopped" "$T/ipcd.log"

# With no file at all, "ipcd &" then "ipcctl submit 1" works for a user:
# both resolve the same per-user defaults.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	u="setpriv --reuid=65534 --regid=65534 --clear-groups env -u XDG_RUNTIME_DIR -u IPCD_CONFIG HOME=/nonexistent"
	$u "$IPCD" >"$T/user.log" 2>&1 &
	upid=$!
	wait_ready "$upid" 100 $u
	check "nobody: ipcctl submit 1 on the defaults" $u "$IPCCTL" submit 1
	check "nobody: ... over every transport" sh -c \
	    "$u $IPCCTL submit --via=fifo 1 && $u $IPCCTL submit --via=mq 1 && $u $IPCCTL submit --via=shm 1"
	sleep 0.3
	same "nobody: ipcctl result" "$($u "$IPCCTL" result)" 4
	check "nobody: the socket is in /tmp/ipcd-65534" test -S /tmp/ipcd-65534/ipcd.sock
	check "nobody: the System V queue of the key both derive" \
	    $u "$IPCCTL" submit --via=sysv 1
	check "  is read" eventually 5 $u "$IPCCTL" result
	kill -TERM $upid
	wait $upid
	"$RAWIPC" unlink /ipcd-65534
	"$RAWIPC" sysv-clean /tmp/ipcd-65534
	rm -rf /tmp/ipcd-65534
else
	echo "# not root: the per-user default test needs setpriv as root; SKIPPED"
fi
