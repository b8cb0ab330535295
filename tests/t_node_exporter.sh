#!/bin/sh
# A real node_exporter, its textfile collector on the directory of ipcd's
# [export] textfile: a key's total and parts, and the transports'
# counters, read back from node_exporter's /metrics, with no error from
# the collector (no family of ipcd's clashes with node_exporter's own).
. tests/lib.sh

NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
if [ ! -x "$NODE_EXPORTER" ]; then
	echo "skip - prometheus-node-exporter not installed (make deps)"
	exit 0
fi
if ! command -v curl >/dev/null; then
	echo "skip - curl not installed (make deps)"
	exit 0
fi

NE_PID=
trap '[ -n "$NE_PID" ] && kill "$NE_PID" 2>/dev/null; cleanup' EXIT

D=$T/textfile
mkdir -p "$D"
write_conf "[export]
textfile = $D/ipcd.prom
interval = 1"
start_ipcd || exit 1
"$IPCCTL" submit --key=job --part=1/3 1.25
"$IPCCTL" submit --via=fifo --key=job --part=2/3 2.5
"$IPCCTL" submit --key=sum 5000050000

port=$(free_port)
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" \
    --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$D" >"$T/ne.log" 2>&1 &
NE_PID=$!

# ne_value SAMPLE: its value in node_exporter's /metrics, as a number
# (node_exporter writes floats its own way: 5.00005e+09).
ne_value() {
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
	    awk -v s="$1" '$1 == s { printf "%.17g\n", $2 }'
}

check "node_exporter reads the key's total" eventually 3.75 \
    ne_value 'ipcd_key_total{key="job"}'
same "a large total, exact" "$(ne_value 'ipcd_key_total{key="sum"}')" \
    5000050000
same "parts received" "$(ne_value 'ipcd_key_parts_received{key="job"}')" 2
same "parts expected" "$(ne_value 'ipcd_key_parts_expected{key="job"}')" 3
same "accepted on the FIFO" \
    "$(ne_value 'ipcd_records_accepted_total{transport="fifo"}')" 1
same "the collector had no error" "$(ne_value node_textfile_scrape_error)" 0

"$IPCCTL" submit --via=mq --key=job --part=3/3 0.25
check "the next write is read: the last part" eventually 4 \
    ne_value 'ipcd_key_total{key="job"}'
same "complete: received = expected" \
    "$(ne_value 'ipcd_key_parts_received{key="job"}')" 3
check "the textfile's time is exported" eventually 1 sh -c \
    "curl -s 'http://127.0.0.1:$port/metrics' |
    grep -c '^node_textfile_mtime_seconds{file=\"$D/ipcd.prom\"}'"
same "node_exporter logged no gathering error" \
    "$(grep -c 'error gathering' "$T/ne.log")" 0
kill "$NE_PID"
command wait "$NE_PID" 2>/dev/null
NE_PID=
stop_ipcd
same "ipcd stopped cleanly" "$?" 0
