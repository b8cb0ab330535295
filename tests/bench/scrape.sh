#!/bin/sh
# The cost of a scrape of /metrics to the event loop: ipcd with KEYS keys
# (100,000), a client pinging it over the Unix socket back to back for
# SECONDS (5) and recording the worst round trip, first with nothing else
# going on, then while curl scrapes /metrics back to back; and how long a
# scrape takes.  The worst round trip is the longest the loop stood still.
#
# usage: tests/bench/scrape.sh [BUILD_DIR] [KEYS] [SECONDS]
# One line: scrape keys= bytes= scrapes= scrape_s_median= scrape_s_max=
# cpu_ms_per_scrape= cpu_ms_per_piece= pause_ms_idle= pause_ms_scraping=
# load= (the pauses are the worst round trip and the 99th percentile, in
# ms, over thousands of pings; the CPU time of a piece
# is what the loop spends on one chunk of about 64 KiB, the pause a scrape
# can cause on an idle machine)

BUILD=${1:-build}
KEYS=${2:-100000}
SECS=${3:-5}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
for f in ipcd tests/rawipc; do
	[ -x "$BUILD/$f" ] || { echo "scrape: $BUILD/$f is not built" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "scrape: skipped, no curl"; exit 0; }
W=$(mktemp -d /tmp/ipcd-scrape.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null && wait $PID; rm -rf "$W"' EXIT
trap 'exit 1' INT TERM
. tests/conf.sh
PORT=$(free_port)
transports_off >"$W/ipcd.conf"
cat >>"$W/ipcd.conf" <<EOC
[unix]
path = $W/ipcd.sock
[state]
file = $W/state
sync = never
[http]
enabled = yes
listen = 127.0.0.1:$PORT
[limits]
max_keys = $((KEYS + 10))
EOC
IPCD_CONFIG=$W/ipcd.conf "$BUILD/ipcd" 2>"$W/ipcd.log" &
PID=$!
i=0
until IPCD_CONFIG=$W/ipcd.conf "$BUILD/ipcctl" ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 200 ] || { cat "$W/ipcd.log" >&2; exit 1; }
	sleep 0.05
done
awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "submit bench.k%d 1.5\n", i }' |
    "$BUILD/tests/rawipc" unix "$W/ipcd.sock" >/dev/null

# pause: ping back to back for SECS; the worst round trip and the 99th
# percentile, in ms ("MAX/P99").
cat >"$W/ping.py" <<'EOP'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
rtt, end = [], time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    t = time.perf_counter()
    s.sendall(b"ping\n")
    f.readline()
    rtt.append(time.perf_counter() - t)
rtt.sort()
print("%.1f/%.1f" % (rtt[-1] * 1e3, rtt[int(len(rtt) * 0.99)] * 1e3))
EOP
pause() {
	python3 "$W/ping.py" "$W/ipcd.sock" "$SECS"
}
idle=$(pause)
# ipcd's CPU time (user + system, in clock ticks) for 10 scrapes alone:
# a bound on what one 64 KiB piece can hold the loop, whatever the load.
cpu() {
	awk '{ print $14 + $15 }' /proc/$PID/stat
}
c0=$(cpu)
for i in 1 2 3 4 5 6 7 8 9 10; do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/metrics"
done
cpu_ms=$(( ($(cpu) - c0) * 1000 / $(getconf CLK_TCK) / 10 ))
# Scrapes back to back, each timed, until the flag is gone.
: >"$W/scraping"
(
	while [ -e "$W/scraping" ]; do
		curl -s -o "$W/body" -w '%{time_total}\n' \
		    "http://127.0.0.1:$PORT/metrics" >>"$W/times"
	done
) &
loop=$!
busy=$(pause)
rm -f "$W/scraping"
command wait $loop
bytes=$(wc -c <"$W/body")
sort -n "$W/times" | awk -v keys="$KEYS" -v bytes="$bytes" -v idle="$idle" \
    -v busy="$busy" -v cpu="$cpu_ms" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" '
{ t[NR] = $1 }
END {
	pieces = int((bytes + 65535) / 65536)
	printf "scrape keys=%d bytes=%d scrapes=%d scrape_s_median=%.3f " \
	    "scrape_s_max=%.3f cpu_ms_per_scrape=%d cpu_ms_per_piece=%.2f " \
	    "pause_ms_idle=%s pause_ms_scraping=%s load=%s\n",
	    keys, bytes, NR, t[int((NR + 1) / 2)], t[NR], cpu, cpu / pieces,
	    idle, busy, load
}'
