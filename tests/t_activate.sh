#!/bin/sh
# Socket activation without a manager: systemd-socket-activate passes a
# listening socket named "unix"; ipcd adopts it, checks it, and leaves it
# to its owner.  (tests/t_systemd.sh does all transports under a real
# systemd.)
. tests/lib.sh

if ! command -v systemd-socket-activate >/dev/null; then
	echo "skip - systemd-socket-activate is not installed"
	exit 0
fi
write_conf
systemd-socket-activate -E IPCD_CONFIG="$T/ipcd.conf" -l "$T/ipcd.sock" \
    --fdname=unix "$IPCD" -v >>"$T/ipcd.log" 2>&1 &
IPCD_PID=$!
i=0
until [ -S "$T/ipcd.sock" ] || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
check "the first client starts ipcd on the passed socket" "$IPCCTL" submit 5
same "  and is answered" "$("$IPCCTL" result)" 5
check "ipcd says it adopted the descriptor" grep -q "adopting descriptors passed by systemd" "$T/ipcd.log"
check "the other transports were opened by ipcd itself" "$IPCCTL" submit --via=fifo 1
stop_ipcd
check "after a stop the passed socket's node is left to its owner" test -S "$T/ipcd.sock"
rm -f "$T/ipcd.sock"

# A passed socket that is not the configured one is refused.
systemd-socket-activate -E IPCD_CONFIG="$T/ipcd.conf" -l "$T/other.sock" \
    --fdname=unix "$IPCD" >"$T/wrong.log" 2>&1 &
IPCD_PID=$!
i=0
until [ -S "$T/other.sock" ] || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
printf 'ping\n' | "$RAWIPC" unix "$T/other.sock" >/dev/null 2>&1
i=0
while kill -0 $IPCD_PID 2>/dev/null && [ $i -lt 40 ]; do
	grep -q "not the listening socket" "$T/wrong.log" && break
	sleep 0.05
	i=$((i + 1))
done
check "a passed socket at another path is refused, by name and path" grep -q \
    "the descriptor systemd passed as \"unix\" is not the listening socket $T/ipcd.sock" \
    "$T/wrong.log"
kill $IPCD_PID 2>/dev/null
IPCD_PID=
