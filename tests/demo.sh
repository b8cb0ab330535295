#!/bin/sh
# make demo: ipcd on its embedded defaults with the TCP transport and the
# HTTP endpoint turned on (the two things the configuration file says), a
# submission over each transport, the reference pi job over every
# mechanism, timed, and what /metrics then shows.
# DEMO_VIA="unix pipe" runs the pi job over those alone.
BUILD=${1:-build}
IPCD=$BUILD/ipcd
IPCCTL=$BUILD/ipcctl
VIA=${DEMO_VIA:-unix fifo mq shm tcp sysv spool pipe socketpair}
conf=$(mktemp /tmp/ipcd-demo.XXXXXX) || exit 1
printf '[tcp]\nenabled = yes\n[http]\nenabled = yes\n' >"$conf"
export IPCD_CONFIG="$conf"	# even if /etc/ipcd/ipcd.conf exists
pid=
metrics=$conf.metrics
trap 'rm -f "$conf" "$metrics"; [ -n "$pid" ] && kill $pid 2>/dev/null' EXIT
if "$IPCCTL" ping >/dev/null 2>&1; then
	echo "== an ipcd is already running on the defaults; using it"
else
	echo "== starting $IPCD on its embedded defaults, with [tcp] and" \
	    "[http] enabled = yes"
	"$IPCD" &
	pid=$!
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
echo "== the reference job: pi from 10 workers, 10^7 terms, over each mechanism"
times=
bad=
for via in $VIA; do
	t0=$(date +%s.%N)
	out=$("$IPCCTL" pi --workers=10 --terms=10000000 --via=$via) || :
	t1=$(date +%s.%N)
	if [ -n "$out" ]; then
		echo "$out"
	fi
	if [ "$(echo "$out" | tail -n 1)" != 3.14159262176 ]; then
		bad="$bad $via"
		times="$times  $via failed"
	else
		times="$times  $(awk -v a="$t0" -v b="$t1" -v v="$via" \
		    'BEGIN { printf "%s %.3fs", v, b - a }')"
	fi
done
echo "== seconds per mechanism (pi, 10 workers, 10^7 terms)"
echo "${times#  }"
echo "== curl -s http://127.0.0.1:9473/metrics (the key demo, records by transport)"
if ! command -v curl >/dev/null; then
	echo "curl is not installed (make deps): no look at /metrics"
elif ! curl -sf http://127.0.0.1:9473/metrics >"$metrics"; then
	echo "no /metrics at 127.0.0.1:9473 (an ipcd without [http] enabled = yes?)"
else
	grep -E '^ipcd_key_total|^ipcd_records_accepted_total' "$metrics"
	if command -v promtool >/dev/null; then
		printf 'promtool check metrics: '
		promtool check metrics <"$metrics" && echo "no problem found"
	fi
fi
"$IPCCTL" reset --key=demo >/dev/null
if [ -n "$pid" ]; then
	echo "== stopping ipcd"
	kill -TERM $pid
	wait $pid
	pid=
fi
if [ -n "$bad" ]; then
	echo "demo: pi did not print 3.14159262176 over:$bad" >&2
	exit 1
fi
