#!/bin/sh
# A real Prometheus (Debian's prometheus, on loopback, its own storage in
# the test's directory, scrape and rule evaluation every second) scrapes
# three ipcds standing for nodes, each on private paths and its own HTTP
# port.  The ten parts of the pi job are spread over them (part I to node
# I mod 3), and Prometheus's HTTP API must give pi's sum, "complete", the
# recorded series of the shipped rules (conf/prometheus/), a value that
# is the very double a node exposes, and a stale-key alert firing for a
# key left idle (the shipped alert with its hour cut to 2 s, in a copy).
# The shipped rules are also checked by promtool, and tested on made-up
# series by promtool test rules (tests/prometheus/rules_test.yml).
. tests/lib.sh

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	echo "skip - prometheus not installed (Debian package prometheus; make deps)"
	exit 0
fi
QUERY="python3 $PWD/tests/prometheus/query.py"
RULES="$PWD/conf/prometheus/ipcd.rules.yml $PWD/conf/prometheus/ipcd.alerts.yml"
NODES="1 2 3"
PROM_PID=
NODE_PIDS=

prom_cleanup() {
	for p in $PROM_PID $NODE_PIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap prom_cleanup EXIT

check "promtool check rules passes the shipped rules" promtool check rules $RULES
check "promtool test rules: the shipped rules on made-up series" \
    sh -c 'cd tests/prometheus && promtool test rules rules_test.yml'

# node I: its directory, configuration (the socket and HTTP alone), port.
node_dir() { echo "$T/n$1"; }
node_port() { cat "$T/n$1/port"; }
node_ctl() {
	nc_i=$1
	shift
	IPCD_CONFIG=$T/n$nc_i/ipcd.conf "$IPCCTL" "$@"
}

start_node() {
	d=$(node_dir "$1")
	mkdir -p "$d"
	free_port >"$d/port"
	{
		transports_off
		cat <<EOC
[unix]
path = $d/ipcd.sock
[state]
file = $d/state
[http]
enabled = yes
listen = 127.0.0.1:$(cat "$d/port")
EOC
	} >"$d/ipcd.conf"
	IPCD_CONFIG=$d/ipcd.conf "$IPCD" -v >>"$d/ipcd.log" 2>&1 &
	NODE_PIDS="$NODE_PIDS $!"
	if ! wait_ready $! 100 env IPCD_CONFIG="$d/ipcd.conf"; then
		echo "# node $1 did not start:"
		sed 's/^/#   /' "$d/ipcd.log"
		return 1
	fi
}

# poll SECONDS EXPECTED COMMAND...: until the command prints EXPECTED.
poll() {
	p_end=$(($(date +%s) + $1))
	p_want=$2
	shift 2
	while :; do
		p_got=$("$@" 2>&1)
		[ "$p_got" = "$p_want" ] && return 0
		if [ "$(date +%s)" -ge "$p_end" ]; then
			echo "# \"$*\" gives \"$p_got\", expected \"$p_want\""
			return 1
		fi
		sleep 0.2
	done
}

for i in $NODES; do
	start_node "$i" || exit 1
done
check "each node serves /metrics" sh -c "for i in $NODES; do
	$QUERY metric http://127.0.0.1:\$(cat $T/n\$i/port)/metrics ipcd_keys >/dev/null ||
	    exit 1; done"

# The shipped rules, and a copy of the alerts whose stale threshold is
# 2 s held for 1 s (a group of another name).
sed -e 's/name: ipcd.alerts/name: ipcd.alerts.test/' -e 's/> 3600$/> 2/' \
    -e 's/for: 5m$/for: 1s/' conf/prometheus/ipcd.alerts.yml >"$T/stale.yml"
check "the test copy has the short stale threshold" \
    grep -q 'ipcd_key_last_update_timestamp_seconds) > 2$' "$T/stale.yml"
PROM_PORT=$(free_port)
PROM=http://127.0.0.1:$PROM_PORT
{
	echo "global:"
	echo "  scrape_interval: 1s"
	echo "  evaluation_interval: 1s"
	echo "rule_files:"
	for f in $RULES "$T/stale.yml"; do
		echo "  - $f"
	done
	echo "scrape_configs:"
	echo "  - job_name: ipcd"
	echo "    static_configs:"
	echo "      - targets: ['127.0.0.1:$(node_port 1)', '127.0.0.1:$(node_port 2)']"
	echo "    file_sd_configs:"
	echo "      - files: ['$T/nodes/*.yml']"
} >"$T/prometheus.yml"
# Node 3 from a file, as ipcd-prometheus(7) shows.
mkdir "$T/nodes"
echo "- targets: ['127.0.0.1:$(node_port 3)']" >"$T/nodes/n3.yml"
check "promtool check config passes the generated configuration" \
    promtool check config "$T/prometheus.yml"
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
    >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
if ! poll 30 "- 3.0" $QUERY query "$PROM" 'count(up{job="ipcd"} == 1)'; then
	notok "Prometheus scrapes the three nodes"
	sed 's/^/#   /' "$T/prometheus.log" | tail -20
	exit 1
fi
ok "Prometheus scrapes the three nodes"

# A key that will go stale, then nine of pi's ten parts.
node_ctl 2 submit --key=idle 1 >/dev/null
pi_part() {
	awk -v w="$1" 'BEGIN {
		lo = 1000000 * (w - 1); hi = 1000000 * w; s = 0
		for (k = lo; k < hi; k++) { d = 2 * k + 1; s += 1 / (d * d) }
		printf "%.17g\n", s }'
}
for i in 1 2 3 4 5 6 7 8 9; do
	node_ctl $((i % 3 + 1)) submit --key=pi --part="$i/10" -- "$(pi_part "$i")" \
	    >/dev/null || notok "part $i submitted"
done
check "Prometheus sees 9 parts of pi across the nodes" \
    poll 20 "key=pi 9.0" $QUERY query "$PROM" 'key:ipcd_key_parts_received:sum{key="pi"}'
same "9 of 10 parts: not complete" \
    "$($QUERY query "$PROM" 'key:ipcd_key_complete:bool{key="pi"}')" "key=pi 0.0"
same "the keys waiting for parts (ipcd-prometheus(7)): pi, 9" \
    "$($QUERY query "$PROM" 'key:ipcd_key_parts_received:sum
	unless on (key) (key:ipcd_key_complete:bool == 1)')" "key=pi 9.0"
node_ctl 1 submit --key=pi --part=10/10 -- "$(pi_part 10)" >/dev/null
check "the completeness expression gives pi, 10 parts" \
    poll 20 "key=pi 10.0" $QUERY query "$PROM" \
    'sum by (key) (ipcd_key_parts_received)
	== on (key) max by (key) (ipcd_key_parts_expected > 0)'
check "the recorded key:ipcd_key_complete:bool is 1" \
    poll 20 "key=pi 1.0" $QUERY query "$PROM" 'key:ipcd_key_complete:bool{key="pi"}'

# The fleet's total: pi to 11 decimals, and the same double whether the
# expression is asked directly or recorded.
check "sum by key over the nodes is recorded" \
    poll 20 "$($QUERY query "$PROM" 'sum by (key) (ipcd_key_total{key="pi"})')" \
    $QUERY query "$PROM" 'key:ipcd_key_total:sum{key="pi"}'
sum=$($QUERY query "$PROM" 'key:ipcd_key_total:sum{key="pi"}' | sed -n 's/^key=pi //p')
same "a complete key's total (ipcd-prometheus(7))" \
    "$($QUERY query "$PROM" 'key:ipcd_key_total:sum
	and on (key) (key:ipcd_key_complete:bool == 1)')" "key=pi $sum"
same "sqrt(8 * the fleet's sum) is pi to 11 decimals" \
    "$(awk -v s="$sum" 'BEGIN { printf "%.11f\n", sqrt(8 * s) }')" 3.14159262176
# One ipcd with all ten parts (the real job): its exact total is the
# same double (for these parts the three float64 additions happen to
# lose nothing, in any order: ipcd-prometheus(7)).
out=$(node_ctl 3 pi --workers=10 --terms=10000000 --key=pi1)
same "ipcctl pi on one node prints pi" "$(echo "$out" | tail -n 1)" 3.14159262176
check "the one node's pi1 reaches Prometheus" \
    poll 20 "key=pi1 1.0" $QUERY query "$PROM" 'key:ipcd_key_complete:bool{key="pi1"}'
same "the fleet's sum of pi is the one node's exact total of pi1" \
    "$($QUERY query "$PROM" 'key:ipcd_key_total:sum{key="pi"}' | cut -d' ' -f2)" \
    "$($QUERY query "$PROM" 'key:ipcd_key_total:sum{key="pi1"}' | cut -d' ' -f2)"

# Through the text format and back: what Prometheus holds of each node
# is the double that node exposes.
for i in $NODES; do
	p=$(node_port "$i")
	same "node $i's ipcd_key_total of pi reaches Prometheus unchanged" \
	    "$($QUERY query "$PROM" "ipcd_key_total{key=\"pi\",instance=\"127.0.0.1:$p\"}" |
	    sed 's/.* //')" \
	    "$($QUERY metric "http://127.0.0.1:$p/metrics" 'ipcd_key_total{key="pi"}')"
done

# The stale alert fires for the idle key (the copy's 2 s), the shipped
# one (an hour) does not, and every shipped rule has been evaluated
# without error.
check "IpcdKeyStale fires for the idle key" \
    poll 30 "IpcdKeyStale idle firing" sh -c "$QUERY alerts '$PROM' | grep 'IpcdKeyStale idle'"
rules=$($QUERY rules "$PROM")
same "the shipped rules are loaded (9 rules, 2 groups)" \
    "$(echo "$rules" | grep -c ' ipcd\.\(rules\|alerts\) ')" 9
same "every shipped rule evaluates with health ok" \
    "$(echo "$rules" | grep ' ipcd\.\(rules\|alerts\) ' | grep -vc ' ok yes$')" 0
check "the recorded idle seconds of the idle key are over 2" \
    sh -c "$QUERY query '$PROM' 'key:ipcd_key_idle_seconds:min{key=\"idle\"} > 2' |
    grep -q '^key=idle '"

# A node that goes away: up == 0, and pi is no longer complete.
kill -TERM $(echo $NODE_PIDS | cut -d' ' -f1)
check "a node stopped: its up is 0" \
    poll 20 "instance=127.0.0.1:$(node_port 1),job=ipcd 0.0" \
    $QUERY query "$PROM" 'up{job="ipcd"} == 0'
check "a node stopped: pi is no longer complete" \
    poll 20 "key=pi 0.0" $QUERY query "$PROM" 'key:ipcd_key_complete:bool{key="pi"}'
same "the nodes logged no error" \
    "$(cat "$T"/n*/ipcd.log | grep -ci 'error\|fatal')" 0
same "Prometheus logged no error" "$(grep -c 'level=error' "$T/prometheus.log")" 0
