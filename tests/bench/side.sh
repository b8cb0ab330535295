#!/bin/sh
# make bench, its side rows (run.sh calls this after the main table):
# Redis INCRBYFLOAT beside ipcd (build/bench/redis) and how ipcd's costs
# grow with keys and clients (build/bench/curves).
#
# usage: tests/bench/side.sh BUILD_DIR WORKDIR
#   BENCH_QUICK=1   tiny runs, exactness only, no plot
#   BENCH_REPLOT=1  no run: tables and plot from the last redis.txt and
#                   curves.txt
# Writes BUILD/bench/redis.txt, curves.txt (the raw lines), side.txt (the
# tables), curves-keys.dat, curves-lat.dat and curves.png (gnuplot).

BUILD=${1:-build}
W=${2:-$(mktemp -d /tmp/ipcd-side.XXXXXX)}
OUT=$BUILD/bench
q=
[ "${BENCH_QUICK:-0}" = 1 ] && q=-q
rc=0
if [ "${BENCH_REPLOT:-0}" != 1 ]; then
	mkdir -p "$W/side"
	"$BUILD/bench/redis" $q "$PWD/$BUILD/ipcd" "$W/side" >"$OUT/redis.txt" ||
	    rc=1
	"$BUILD/bench/curves" $q "$PWD/$BUILD/ipcd" "$W/side" \
	    >"$OUT/curves.txt" || rc=1
fi
grep -q 'exact=no' "$OUT/redis.txt" "$OUT/curves.txt" && rc=1
grep -q '^redis ' "$OUT/redis.txt" || rc=1
grep -q '^curve ' "$OUT/curves.txt" || rc=1

awk '
function f(x) { return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : sprintf("%.1fk", x / 1e3) }
function kv(   i, a) { delete v; for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } }
/^redis .*missing=/ { print "# Redis: " $0; next }
/^redis / {
	kv()
	if (!rh++) printf "%-9s %3s %-6s %9s %17s %9s %17s %10s %6s %s\n",
	    "redis", "K", "sync", "redis/s", "(min-max)", "ipcd/s", "(min-max)",
	    "ipcd/redis", "target", "exact"
	printf "%-9s %3s %-6s %9s %17s %9s %17s %10.2f %6s %s\n", v["mode"],
	    v["k"], v["sync"], f(v["redis_median"]), f(v["redis_min"]) "-" \
	    f(v["redis_max"]), f(v["ipcd_median"]), f(v["ipcd_min"]) "-" \
	    f(v["ipcd_max"]), v["ratio"], ">=" v["target"], v["exact"]
}
/^curve / {
	kv()
	if (!ch++) printf "%-8s %9s %17s %8s %7s %8s %9s %s\n", "keys", "ipcd/s",
	    "(min-max)", "vs 1 key", "ns/rec", "RSS MB", "B/key", "exact"
	if (v["keys"] == 0) { idle = v["rss_kb"]; next }
	if (v["keys"] == 1) one = v["rate_median"]
	printf "%-8s %9s %17s %8.2f %7s %8.1f %9.0f %s\n", v["keys"],
	    f(v["rate_median"]), f(v["rate_min"]) "-" f(v["rate_max"]),
	    (one ? v["rate_median"] / one : 0), v["cpu_ns_per_rec"],
	    v["rss_kb"] / 1024, (v["keys"] >= 1000 ? \
	    (v["rss_kb"] - idle) * 1024 / v["keys"] : 0), v["exact"]
	last = v["keys"]; lastrate = v["rate_median"]; lastrss = v["rss_kb"]
}
/^latency / {
	kv()
	lat[++nl] = sprintf("%-8s %9s %9s %9s %9s %9s %s", "K=" v["k"], v["requests"],
	    v["p50_us"], v["p99_us"], v["p999_us"], v["max_us"], v["exact"])
	if (v["k"] == 4) p99 = v["p99_us"]
}
END {
	if (nl) printf "%-8s %9s %9s %9s %9s %9s %s\n", "latency", "requests",
	    "p50 us", "p99 us", "p99.9 us", "max us", "exact"
	for (i = 1; i <= nl; i++) print lat[i]
	if (one && last) printf "# %d keys: %.2f of the rate at 1 key (target >= 0.7); RSS %.1f MB (target <= 200 at 1M keys)\n",
	    last, lastrate / one, lastrss / 1024
	if (p99 != "") printf "# p99 at K=4, one request at a time: %s us (target <= 1000)\n", p99
}' "$OUT/redis.txt" "$OUT/curves.txt" | tee "$OUT/side.txt"

# The plot: rate and RSS against keys, latency against K.
awk '/^curve / && !/keys=0 / { for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	print v["keys"], v["rate_median"], v["rss_kb"] / 1024 }' \
    "$OUT/curves.txt" >"$OUT/curves-keys.dat"
awk '/^latency / { for (i = 2; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	print v["k"], v["p50_us"], v["p99_us"], v["p999_us"] }' \
    "$OUT/curves.txt" >"$OUT/curves-lat.dat"
if [ -z "$q" ] && command -v gnuplot >/dev/null; then
	gnuplot <<EOG && echo "# plot: $OUT/curves.png"
set terminal pngcairo size 1500,500 noenhanced
set output "$OUT/curves.png"
set multiplot layout 1,3 title "ipcd at sync=never on the Unix socket (this machine)"
set grid
set logscale x
set format x "%.0s%c"
set xlabel "distinct keys"
set ylabel "records/s"
set format y "%.1s%c"
set title "pipelined rate against keys"
set yrange [0:*]
plot "$OUT/curves-keys.dat" using 1:2 with linespoints lw 2 title "ipcd"
set ylabel "MB"
set format y "%g"
set yrange [0:250]
set title "RSS against keys"
plot "$OUT/curves-keys.dat" using 1:3 with linespoints lw 2 title "VmRSS", \
     200 with lines dt 2 title "target 200 MB"
set logscale xy
set format x "%g"
set xtics (1, 4, 16)
set xrange [0.8:20]
set xlabel "clients, one request at a time"
set ylabel "microseconds"
set yrange [*:*]
set title "submit -> reply latency"
plot "$OUT/curves-lat.dat" using 1:2 with linespoints lw 2 title "p50", \
     "" using 1:3 with linespoints lw 2 title "p99", \
     "" using 1:4 with linespoints lw 2 title "p99.9"
unset multiplot
EOG
fi
exit $rc
