#!/bin/sh
# Under journald, ipcd logs structured entries that journalctl can filter
# by transport and key; with a dead journal it falls back to stderr.
# Runs a real systemd-journald in a private mount namespace (root and
# unshare needed; otherwise the checks are reported as skipped).
if [ -z "$IPCD_JOURNAL_NS" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
	    [ ! -x /lib/systemd/systemd-journald ] ||
	    ! unshare -m true 2>/dev/null; then
		echo "skip - journald test: needs root, unshare and systemd-journald"
		exit 0
	fi
	IPCD_JOURNAL_NS=1 exec unshare -m sh "$0"
fi
. tests/lib.sh

# A private /run/systemd and /run/log: the host's journal is untouched.
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
mkdir -p /run/systemd/journal /run/log/journal
/lib/systemd/systemd-journald &
JPID=$!
i=0
until [ -S /run/systemd/journal/stdout ] || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
trap 'cleanup; kill $JPID 2>/dev/null' EXIT

# As systemd does for a service: stderr is a journal stream, and
# JOURNAL_STREAM names its device and inode.
write_conf
systemd-cat -t ipcd sh -c \
    'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" -v' "$IPCD" &
CAT=$!
wait_ready "$CAT"
"$IPCCTL" pi --via=fifo --workers=4 --terms=1000 --key=jpi >/dev/null
echo "jk nan" >"$T/ipcd.fifo"
printf 'submit jk 1 0/0\n' | "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
sleep 0.3
pkill -TERM -f "^$IPCD -v" 2>/dev/null || kill -TERM $CAT
wait $CAT
journalctl --sync 2>/dev/null
J="journalctl --no-pager -q"

out=$($J IPCD_TRANSPORT=fifo -o cat)
contains "journalctl IPCD_TRANSPORT=fifo shows the rejected record" "$out" \
    "rejected input: value is NaN"
contains "and the completed part set" "$out" "key jpi: 4/4 parts, total"
out=$($J IPCD_KEY=jpi -o json)
contains "journalctl IPCD_KEY=jpi -o json has the transport field" "$out" \
    '"IPCD_TRANSPORT":"fifo"'
contains "  and the event field" "$out" '"IPCD_EVENT":"complete"'
out=$($J IPCD_TRANSPORT=unix IPCD_EVENT=reject -o json)
contains "a socket rejection carries the peer's pid" "$out" '"IPCD_PEER_PID":"'
contains "  and uid" "$out" '"IPCD_PEER_UID":"0"'
same "start and stop are entries" \
    "$($J IPCD_EVENT=start -o cat | wc -l) $($J IPCD_EVENT=stop -o cat | wc -l)" "1 1"
contains "entries have the identifier and priority" \
    "$($J IPCD_EVENT=reject -o json | head -n 1)" '"SYSLOG_IDENTIFIER":"ipcd"'
same "no submission is logged one by one at info level" \
    "$($J -t ipcd -p info -o cat | grep -c 'accepted\|submission')" 0

# A journal that went away: ipcd must still say what happens, on stderr.
kill $JPID
wait $JPID 2>/dev/null
exec 3>"$T/stderr"
JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/3) "$IPCD" 2>&3 &
P=$!
wait_ready "$P"
kill -TERM $P
wait $P
contains "with the journal gone, messages fall back to stderr" \
    "$(cat "$T/stderr")" "ipcd: info: started"
