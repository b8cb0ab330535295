#!/bin/sh
# The state files cannot be turned against ipcd or its totals: a read
# error, a symlink, a foreign file, a damaged last entry or a directory
# others may write in stop ipcd (status 65) and leave the files as they
# were; duplicates survive kill -9; kill -9 during compactions loses
# nothing acknowledged.
. tests/lib.sh

# A run of ipcd that must stop by itself (timeout: the old behaviour was
# to start on a damaged state).
run_ipcd() {
	timeout 10 "$IPCD" "$@"
}
SHIM=$PWD/$BUILD/tests/failread.so
# Under ASan the shim is loaded before the runtime: allowed here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# 1. A read error is never the end of the file.
start_ipcd || exit 1
awk 'BEGIN { for (i = 1; i <= 100; i++) printf "submit rd 1 %d/100\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >"$T/acks"
same "100 parts acknowledged" "$(grep -c '^ok$' "$T/acks")" 100
kill9
cp "$T/state.journal" "$T/journal.before"
size=$(stat -c %s "$T/state.journal")
FAILREAD_PATH=$T/state.journal FAILREAD_AFTER=$((size / 2)) LD_PRELOAD=$SHIM \
    status "a read error on the journal stops ipcd with status 65" 65 run_ipcd
contains "  naming the file and the error" "$(cat "$T/status.out")" \
    "cannot read $T/state.journal: Input/output error"
check "  and the journal is untouched" cmp "$T/journal.before" "$T/state.journal"
start_ipcd || exit 1
same "without the error, all 100 parts are there" "$(field rd parts)" 100
stop_ipcd

# 2. Symlinks and files that are not ours.
mv "$T/state.journal" "$T/journal.saved"
echo precious >"$T/target"
ln -s "$T/target" "$T/state.journal"
status "a symlink at the journal's path is refused (65)" 65 run_ipcd
contains "  saying so" "$(cat "$T/status.out")" "is a symbolic link"
same "  and its target is untouched" "$(cat "$T/target")" precious
rm "$T/state.journal"
echo "precious data" >"$T/state.journal"
status "a file that is not a journal is refused (65)" 65 run_ipcd
contains "  saying so" "$(cat "$T/status.out")" "not an ipcd journal"
same "  and it is untouched" "$(cat "$T/state.journal")" "precious data"
mv "$T/journal.saved" "$T/state.journal"
ln -s "$T/target" "$T/state.tmp"
start_ipcd || exit 1
stop_ipcd
same "a symlink at the temporary file's path is removed, its target untouched" \
    "$(test -L "$T/state.tmp" && echo link) $(cat "$T/target")" " precious"

# 3. A whole last entry that fails its checksum is damage, not a tear.
rm -f "$T/state" "$T/state.journal"
start_ipcd || exit 1
"$IPCCTL" submit --key=j 1
"$IPCCTL" submit --key=j 1
kill9
size=$(stat -c %s "$T/state.journal")
off=$((size - 10))
byte=$(od -An -tu1 -j $off -N1 "$T/state.journal" | tr -d ' ')
printf "\\$(printf %o $((byte ^ 1)))" |
    dd of="$T/state.journal" bs=1 seek=$off conv=notrunc 2>/dev/null
cp "$T/state.journal" "$T/journal.before"
status "a bit flipped in the last entry stops ipcd with status 65" 65 run_ipcd
# Each submission was a pass of its own: J_TIME (28 bytes), then J_SET.
contains "  naming the offset" "$(cat "$T/status.out")" \
    "journal is corrupt at offset $((size / 2 + 28)): checksum mismatch"
check "  and the journal is untouched" cmp "$T/journal.before" "$T/state.journal"
rm -f "$T/state.journal"

# 4. The state directory: made 0750, refused if others may write in it or
# it is not ours.
write_conf
sed -i "s|^file = .*|file = $T/sdir/state|" "$T/ipcd.conf"
start_ipcd || exit 1
stop_ipcd
same "a missing state directory is made with mode 750" "$(stat -c %a "$T/sdir")" 750
chmod 770 "$T/sdir"
status "a group-writable state directory is refused (65)" 65 run_ipcd
contains "  naming it and the fix" "$(cat "$T/status.out")" \
    "state directory $T/sdir (uid $(id -u), mode 770)"
contains "  with the fix" "$(cat "$T/status.out")" "chmod go-w $T/sdir"
chmod 700 "$T/sdir"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$T/sdir"
	status "a state directory of another user is refused (65)" 65 run_ipcd
	contains "  with the fix" "$(cat "$T/status.out")" "chown 0 $T/sdir"
	chown 0 "$T/sdir"
else
	echo "skip - a state directory of another user: needs root to chown"
fi

# 5. The duplicates counter survives kill -9.
start_ipcd || exit 1
"$IPCCTL" submit --key=d --part=1/3 1
"$IPCCTL" submit --key=d --part=1/3 1 2>/dev/null
same "a duplicate part is counted" "$(field d duplicates)" 1
kill9
start_ipcd || exit 1
same "the duplicate count survives kill -9" "$(field d duplicates) $(field d count)" "1 1"
stop_ipcd

# 6. kill -9 at random moments while snapshots are written over and over
# (compact_bytes at its minimum) under load: every acknowledged
# submission is there exactly once after the restart.
write_conf "compact_bytes = 4096"
CYCLES=${STATE_CYCLES:-6}
N=300000
yes 1 | head -n $N >"$T/ones"
acked=0 sent=0 bad=0 cycle=1
while [ $cycle -le $CYCLES ]; do
	start_ipcd || exit 1
	"$IPCCTL" --json submit --key=c - <"$T/ones" >"$T/c.json" 2>/dev/null &
	pc=$!
	# Many keys, so that each snapshot takes a while.
	awk -v c=$cycle -v n=20000 'BEGIN { for (i = 1; i <= n; i++)
	    printf "submit p%d 1 %d/%d\nsubmit k%d.%d 1\n", c, i, n, c, i }' |
	    "$RAWIPC" unix "$T/ipcd.sock" >"$T/p" 2>/dev/null &
	pp=$!
	sleep "$(awk -v s=$cycle 'BEGIN { srand(s * 104729); printf "%.3f", 0.02 + rand() * 0.3 }')"
	kill9
	command wait $pc $pp 2>/dev/null
	n=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$T/c.json")
	acked=$((acked + ${n:-0}))
	sent=$((sent + N))
	# Replies come in order: the acknowledged parts are 1..k.
	k=$(awk '/^ok$/ && NR % 2 == 1 { n++ } END { print n + 0 }' "$T/p")
	start_ipcd || exit 1
	got=$(field c count)
	if [ "${got:-0}" -lt "$acked" ] || [ "${got:-0}" -gt "$sent" ] ||
	    [ "$("$IPCCTL" result --key=c)" != "$got" ]; then
		echo "# cycle $cycle: key c has $got; acknowledged $acked, sent $sent"
		bad=$((bad + 1))
	fi
	parts=$(field p$cycle parts)
	miss=$("$IPCCTL" result --key=p$cycle --timeout=0.001 2>&1 |
	    sed -n 's/.*parts missing: \([0-9]*\).*/\1/p')
	if [ "$k" -gt 0 ] && { [ "${parts:-0}" -lt "$k" ] ||
	    { [ -n "$miss" ] && [ "$miss" -le "$k" ]; } ||
	    [ "$("$IPCCTL" result --key=p$cycle)" != "$parts" ]; }; then
		echo "# cycle $cycle: $k parts acknowledged, $parts received, first missing $miss"
		bad=$((bad + 1))
	fi
	stop_ipcd
	cycle=$((cycle + 1))
done
echo "# key c: $acked acknowledged of $sent sent; $(grep -c 'snapshot written' "$T/ipcd.log") snapshots written by a child"
same "every acknowledged submission survived $CYCLES kill -9 during compactions, once" "$bad" 0
check "the kills landed mid-stream" test "$acked" -gt 0 -a "$acked" -lt "$sent"
check "snapshots were written off the loop meanwhile" grep -q "snapshot written" "$T/ipcd.log"
