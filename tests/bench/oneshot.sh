#!/bin/sh
# One-shot cost: one value per process, the cron-job and shell-script
# case.  N calls in a row of each, against private daemons:
#
#   ipcctl     ipcctl -c CONF submit --key=K 1      (a private ipcd, sync=never)
#   redis-cli  redis-cli -s SOCK INCRBYFLOAT K 1    (a private redis-server,
#              Unix socket only, no persistence)
#   fifo       sh -c 'echo "K 1" > FIFO'            (the same ipcd's FIFO; a
#              shell started per call, as a script calling a program would)
#
# usage: tests/bench/oneshot.sh [BUILD_DIR [N]]
# One "oneshot" line per command (median, fastest and 90th percentile of
# the wall time of one call, median CPU time of the process, in µs), then
# the ratio of the medians ipcctl/redis-cli.

BUILD=${1:-build}
N=${2:-300}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
BENCH=$PWD/$BUILD/bench/bench
W=$(mktemp -d /tmp/ipcd-oneshot.XXXXXX)
IPCD_PID=
REDIS_PID=
cleanup() {
	[ -n "$IPCD_PID" ] && kill "$IPCD_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
	[ -n "$IPCD_PID" ] && command wait "$IPCD_PID" 2>/dev/null
	[ -n "$REDIS_PID" ] && command wait "$REDIS_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. tests/conf.sh
transports_off fifo >"$W/ipcd.conf"
cat >>"$W/ipcd.conf" <<EOF
[unix]
path = $W/ipcd.sock
[fifo]
path = $W/ipcd.fifo
[state]
file = $W/state
sync = never
EOF
"$PWD/$BUILD/ipcd" -c "$W/ipcd.conf" >"$W/ipcd.log" 2>&1 &
IPCD_PID=$!
i=0
until "$PWD/$BUILD/ipcctl" -c "$W/ipcd.conf" ping >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$IPCD_PID" 2>/dev/null; then
		echo "oneshot: ipcd did not start:" >&2
		cat "$W/ipcd.log" >&2
		exit 1
	fi
	sleep 0.05
done

# row NAME CMD...: one line, NAME first.
row() {
	name=$1
	shift
	printf '%s ' "$name"
	"$BENCH" -O "$N" "$@" || echo "# $name: a call failed"
}

out=$(row ipcctl "$PWD/$BUILD/ipcctl" -c "$W/ipcd.conf" submit --key=one 1)
echo "$out"
ipcctl_us=$(echo "$out" | sed -n 's/.* median_us=\([0-9]*\).*/\1/p')

redis_us=
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
	redis-server --port 0 --unixsocket "$W/redis.sock" --save '' \
	    --appendonly no --dir "$W" >"$W/redis.log" 2>&1 &
	REDIS_PID=$!
	i=0
	until redis-cli -s "$W/redis.sock" ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "# redis-cli: redis-server did not start"
			break
		fi
		sleep 0.05
	done
	out=$(row redis-cli redis-cli -s "$W/redis.sock" INCRBYFLOAT one 1)
	echo "$out"
	redis_us=$(echo "$out" | sed -n 's/.* median_us=\([0-9]*\).*/\1/p')
else
	echo "# redis-cli: redis-server or redis-cli not installed (make deps)"
fi

row fifo sh -c "echo 'one 1' > '$W/ipcd.fifo'"

got=$("$PWD/$BUILD/ipcctl" -c "$W/ipcd.conf" --json result --key=one |
    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
i=0
while [ "${got:-0}" -lt $((N * 2)) ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
	got=$("$PWD/$BUILD/ipcctl" -c "$W/ipcd.conf" --json result --key=one |
	    sed -n 's/.*"count":\([0-9]*\).*/\1/p')
done
[ "$got" = $((N * 2)) ] || echo "# oneshot: ipcd counted $got of $((N * 2)) values"
if [ -n "$redis_us" ] && [ -n "$ipcctl_us" ]; then
	awk -v a="$ipcctl_us" -v b="$redis_us" 'BEGIN {
	    printf "oneshot_ratio ipcctl_us=%d redis_cli_us=%d ratio=%.2f\n",
	    a, b, a / b }'
fi
exit 0
