#!/bin/sh
# make bench: run the benchmark, print the table, draw the plot.
#
# usage: tests/bench/run.sh [BUILD_DIR] [bench options...]
#   BENCH_QUICK=1   tiny runs (a second or so), exactness only, no plot
#   BENCH_REPLOT=1  no run: table and plot from the last bench.txt
# Writes BUILD/bench/bench.txt (the raw lines), BUILD/bench/table.txt,
# BUILD/bench/bench.dat and BUILD/bench/bench.png (gnuplot, when installed).

BUILD=${1:-build}
[ $# -gt 0 ] && shift
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
OUT=$BUILD/bench
mkdir -p "$OUT"
W=$(mktemp -d /tmp/ipcd-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM

[ "${BENCH_QUICK:-0}" = 1 ] && set -- -q "$@"
start=$(date +%s)
rc=0
# BENCH_REPLOT=1: table and plot again from the last BUILD/bench/bench.txt.
if [ "${BENCH_REPLOT:-0}" != 1 ]; then
	"$BUILD/bench/bench" "$@" "$PWD/$BUILD/ipcd" "$W" | tee "$OUT/bench.txt"
fi
# tee hides bench's status; a missing line or exact=no is the failure.
grep -q 'exact=no' "$OUT/bench.txt" && rc=1
grep -q '^bench ' "$OUT/bench.txt" || rc=1
end=$(date +%s)

# The human table.
awk '
function f(x) { return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : sprintf("%.1fk", x / 1e3) }
/^bench / {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (!hdr++) printf "%-6s %3s %-6s %9s %17s %9s %17s %6s %8s %s\n",
	    "trans", "K", "sync", "raw/s", "(min-max)", "ipcd/s", "(min-max)",
	    "ratio", "ns/rec", "exact"
	printf "%-6s %3s %-6s %9s %17s %9s %17s %6.2f %8s %s\n", v["transport"],
	    v["k"], v["sync"], f(v["raw_median"]), f(v["raw_min"]) "-" f(v["raw_max"]),
	    f(v["ipcd_median"]), f(v["ipcd_min"]) "-" f(v["ipcd_max"]), v["ratio"],
	    v["cpu_ns_per_rec"], v["exact"]
}
/^rss / { print "# ipcd " $0 }
' "$OUT/bench.txt" | tee "$OUT/table.txt"
echo "# bench took $((end - start)) s"

# The plot: one group of bars per transport/K, RAW beside IPCD at each sync.
awk '/^bench / {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	c = v["transport"] "/" v["k"]
	if (!(c in seen)) { seen[c] = ++n; name[n] = c }
	raw[c, v["sync"]] = v["raw_median"]; ip[c, v["sync"]] = v["ipcd_median"]
}
END {
	print "# cell raw ipcd_batch ipcd_never"
	for (j = 1; j <= n; j++) {
		c = name[j]
		r = raw[c, "batch"] != "" ? raw[c, "batch"] : raw[c, "never"]
		printf "%s %s %s %s\n", c, r, ip[c, "batch"] == "" ? "NaN" : ip[c, "batch"],
		    ip[c, "never"] == "" ? "NaN" : ip[c, "never"]
	}
}' "$OUT/bench.txt" >"$OUT/bench.dat"
if [ "${BENCH_QUICK:-0}" != 1 ] && command -v gnuplot >/dev/null; then
	gnuplot <<EOG && echo "# plot: $OUT/bench.png"
set terminal pngcairo size 1400,600 noenhanced
set output "$OUT/bench.png"
set title "ipcd against a bare consumer of the same load (records/s, log scale; this machine)"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [1000:*]
set grid ytics
set xtics rotate by -45
set key top right
plot "$OUT/bench.dat" using 2:xtic(1) title "RAW", \
     "" using 3 title "IPCD sync=batch", \
     "" using 4 title "IPCD sync=never"
EOG
elif [ "${BENCH_QUICK:-0}" != 1 ]; then
	echo "# gnuplot not installed (make deps): no plot"
fi
# The loop's longest pause during scrapes of /metrics (tests/bench/scrape.sh).
[ "${BENCH_REPLOT:-0}" = 1 ] || sh tests/bench/scrape.sh "$BUILD" $([ "${BENCH_QUICK:-0}" = 1 ] && echo 10000 1) | tee "$OUT/scrape.txt"
exit $rc
