#!/bin/sh
# make demo: ipcd on its embedded defaults (no configuration file), a
# submission over each transport, and the reference pi job over each.
BUILD=${1:-build}
IPCD=$BUILD/ipcd
IPCCTL=$BUILD/ipcctl
export IPCD_CONFIG=/dev/null	# an empty file: the embedded defaults, even
				# if /etc/ipcd/ipcd.conf exists
pid=
if "$IPCCTL" ping >/dev/null 2>&1; then
	echo "== an ipcd is already running on the defaults; using it"
else
	echo "== starting $IPCD on its embedded defaults"
	"$IPCD" &
	pid=$!
	trap 'kill $pid 2>/dev/null' EXIT
	i=0
	until "$IPCCTL" ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $pid 2>/dev/null; then
			echo "demo: ipcd did not start" >&2
			exit 1
		fi
		sleep 0.05
	done
fi
set -e
echo "== ipcctl ping"
"$IPCCTL" ping
echo "== 1e16 over unix, 1 over fifo, -1e16 over mq, 0.5 over shm"
"$IPCCTL" reset --key=demo >/dev/null
"$IPCCTL" submit --via=unix --key=demo 1e16
"$IPCCTL" submit --via=fifo --key=demo 1
"$IPCCTL" submit --via=mq --key=demo -- -1e16
"$IPCCTL" submit --via=shm --key=demo 0.5
sleep 0.2
printf 'ipcctl result --key=demo: '
"$IPCCTL" result --key=demo
echo "== the reference job: pi from 10 workers, 10^7 terms"
for via in unix fifo mq shm; do
	"$IPCCTL" pi --workers=10 --terms=10000000 --via=$via
done
"$IPCCTL" reset --key=demo >/dev/null
if [ -n "$pid" ]; then
	echo "== stopping ipcd"
	kill -TERM $pid
	wait $pid
	trap - EXIT
fi
