#!/bin/sh
# The spool under load: more files at once than inotify's queue holds
# (dropped while ipcd is stopped: the overflow makes it scan), and a
# 100 MB file, read and checked a slice a loop pass so that ipcd keeps
# answering meanwhile.
. tests/lib.sh

S=$T/spool
write_conf "[mq]
enabled = no"
check "ipcd starts" start_ipcd

# More files than the queue holds, while ipcd cannot read its events.
q=$(cat /proc/sys/fs/inotify/max_queued_events 2>/dev/null || echo 16384)
if [ "$q" -le 60000 ]; then
	N=$((q + 2000))
	mkdir "$T/stage"
	awk -v n=$N -v dir="$T/stage" 'BEGIN {
		for (i = 1; i <= n; i++) {
			f = dir "/f" i
			print "many 1" >f
			close(f)
		}
	}'
	kill -STOP "$IPCD_PID"
	(cd "$T/stage" && find . -name 'f*' -exec mv -t "$S" {} +)
	kill -CONT "$IPCD_PID"
	check "$N files dropped at once are all counted" eventually $N field many count
	check "  (inotify's queue overflowed, and ipcd scanned)" \
	    grep -q "queue overflowed" "$T/ipcd.log"
	check "  all removed" eventually 0 sh -c "ls \"$S\" | grep -c '^f'"
	same "  none rejected" "$(stat_of spool.rejected)" 0
else
	echo "skip - inotify overflow: max_queued_events is $q, too many files to make"
fi

# 100 MB: one million records of 100 bytes (leading zeros are a number).
awk 'BEGIN {
	z = sprintf("%093d", 0)
	for (i = 0; i < 1000000; i++)
		print "huge " z "1"
}' >"$S/.huge.tmp"
same "a 100 MB file" "$(stat -c %s "$S/.huge.tmp")" 100000000
start=$(date +%s%N)
mv "$S/.huge.tmp" "$S/huge"
pings=0
worst=0
while [ -e "$S/huge" ]; do
	t0=$(date +%s%N)
	"$IPCCTL" ping >/dev/null 2>&1 && pings=$((pings + 1))
	t1=$(date +%s%N)
	[ $((t1 - t0)) -gt $worst ] && worst=$((t1 - t0))
done
end=$(date +%s%N)
check "  is applied whole" eventually 1000000 field huge count
same "  to the right total" "$("$IPCCTL" result --key=huge)" 1000000
check "  ipcd answered pings while it read and checked the file" test $pings -gt 0
echo "# 100 MB file: taken in $(((end - start) / 1000000)) ms; $pings pings answered meanwhile, the slowest in $((worst / 1000000)) ms"
grep "records applied in" "$T/ipcd.log" | sed 's/^/# /'
check "ipcd stops cleanly" stop_ipcd

# rejected/ keeps 10000 files, each beside its .why: 5000 of them found
# at a start leave room for more.
mkdir -p "$S/rejected"
(cd "$S/rejected" && seq 1 5000 | sed 's/^/r/' | xargs touch &&
    seq 1 5000 | sed 's/^/r/; s/$/.why/' | xargs touch)
check "ipcd starts with 5000 rejected files and their .why" start_ipcd
printf 'b x\n' >"$S/.bad" && mv "$S/.bad" "$S/bad"
check "  a file rejected then leaves the spool" eventually "" sh -c \
    "test -e \"$S/bad\" && echo there"
check "  kept in rejected/" test -f "$S/rejected/bad"
check "  its .why beside it" test -f "$S/rejected/bad.why"
check "ipcd stops cleanly" stop_ipcd
rm -rf "$S/rejected"

# rejected/ full: the oldest rejected file goes, with its .why, so that a
# new rejection keeps its reason and its writer learns it.
mkdir -p "$S/rejected"
(cd "$S/rejected" && seq 1 10000 | sed 's/^/old/' | xargs touch &&
    seq 1 10000 | sed 's/^/old/; s/$/.why/' | xargs touch)
touch -d '2001-01-01' "$S/rejected/old5000" "$S/rejected/old5000.why"
check "ipcd starts with rejected/ full" start_ipcd
# (a part twice in one file: only ipcd can tell)
status "  a rejected file is reported as rejected by ipcctl" 4 sh -c \
    "printf 'full 1 1/2\nfull 1 1/2\n' | '$IPCCTL' submit --via=spool -"
contains "  with its cause" "$(cat "$T/status.out")" "line 2"
check "  its .why is kept" sh -c "cat '$S'/rejected/ipcctl.*.why | grep -q 'line 2'"
same "  the oldest rejected file went, with its .why" \
    "$(ls "$S/rejected" | grep -c '^old5000')" 0
same "  and rejected/ still keeps 10000 files and their .why" \
    "$(ls "$S/rejected" | wc -l)" 20000
check "ipcd stops cleanly" stop_ipcd
rm -rf "$S/rejected"

# More objects than the queue holds that ipcd can neither take nor move
# aside nor remove (directories, once rejected/ keeps its 10000 files):
# each pass looks at a bounded number of names and scans at most once, so
# ipcd still answers; the rejections are logged at most once a second.
mkdir -p "$S/rejected"
(cd "$S/rejected" && seq 1 10000 | sed 's/^/old/' | xargs touch &&
    seq 1 10000 | sed 's/^/old/; s/$/.why/' | xargs touch)
(cd "$S" && seq 1 65600 | sed 's/^/d/' | xargs mkdir)
: >"$T/ipcd.log"
check "ipcd starts and answers with 65600 directories in the spool" start_ipcd
check "  it went through all of them" eventually 1 sh -c \
    "test \$(\"$IPCCTL\" stats | sed -n 's/^spool.rejected=//p') -ge 65600 && echo 1"
check "  and still answers" "$IPCCTL" ping
lines=$(grep -c "spool" "$T/ipcd.log")
check "  its log stays short ($lines lines about the spool)" test "$lines" -lt 100
check "ipcd stops cleanly with them there" stop_ipcd
