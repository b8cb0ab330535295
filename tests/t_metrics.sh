#!/bin/sh
# The metrics, as the textfile export writes them ([export] textfile,
# the content of /metrics in the text format, less the process_*
# families that node_exporter has of its own): every family, exact
# values per key and per transport (accepted, rejected by class),
# promtool's lint silent, the file replaced atomically, 100,000 keys
# each exactly once, and file errors that never stop ipcd.
. tests/lib.sh

P=$T/prom
F=$P/ipcd.prom
mkdir -p "$P"
write_conf "[export]
textfile = $F
interval = 1
[limits]
max_record_bytes = 100
max_keys = 100003"
t0=$(date +%s)
start_ipcd || exit 1

# A parted key, a duplicate part, a conflict; an unparted key over three
# transports; a total beyond a double; rejections on the FIFO.
"$IPCCTL" submit --key=p --part=1/3 0.5
"$IPCCTL" submit --key=p --part=2/3 0.25
"$IPCCTL" submit --key=p --part=1/3 0.5 2>/dev/null
"$IPCCTL" submit --key=p --part=1/4 1 2>/dev/null
"$IPCCTL" submit --key=a 1.5
"$IPCCTL" submit --via=fifo --key=a 2
"$IPCCTL" submit --via=mq --key=a 0.25
"$IPCCTL" submit --key=big 1e308 1e308
printf 'bad@key 1\nk %s\n' "$(head -c 200 /dev/zero | tr '\0' 7)" \
    >"$T/ipcd.fifo"
reply=$(printf 'submit k 1x\n' | "$RAWIPC" unix "$T/ipcd.sock")
wait_count a 3

# sample NAME{LABELS}: the value of one sample in the latest file.
sample() {
	awk -v s="$1" '$1 == s { print $2 }' "$F" 2>/dev/null
}
# The file is rewritten every second: wait for the one that has it all.
check "the textfile shows the rejections" eventually 1 sample \
    'ipcd_records_rejected_total{transport="fifo",cause="too_long"}'
eventually 1 sample \
    'ipcd_records_rejected_total{transport="unix",cause="malformed"}' >/dev/null
cp "$F" "$T/one.prom"
F=$T/one.prom

for fam in ipcd_build_info:gauge ipcd_keys:gauge ipcd_clients:gauge ipcd_records_accepted_total:counter \
    ipcd_records_rejected_total:counter ipcd_journal_bytes:gauge \
    ipcd_snapshot_bytes:gauge ipcd_last_commit_duration_seconds:gauge \
    ipcd_key_total:untyped ipcd_key_submissions_total:counter \
    ipcd_key_min:gauge ipcd_key_max:gauge ipcd_key_parts_received:gauge \
    ipcd_key_parts_expected:gauge ipcd_key_duplicates_total:counter \
    ipcd_key_last_update_timestamp_seconds:gauge; do
	n=${fam%:*}
	same "$n: HELP and TYPE ${fam#*:}, once" \
	    "$(grep -c "^# HELP $n .\|^# TYPE $n ${fam#*:}\$" "$F")" 2
done
same "families in order, each whole" \
    "$(grep -v '^#' "$F" | sed 's/[{ ].*//' | uniq | sort | uniq -d)" ""

same "ipcd_build_info" "$(sample 'ipcd_build_info{version="0.1.0"}')" 1
same "ipcd_keys" "$(sample ipcd_keys)" 3
same "ipcd_key_total, exactly rounded" "$(sample 'ipcd_key_total{key="a"}')" \
    3.75
same "ipcd_key_total of a parted key" \
    "$(sample 'ipcd_key_total{key="p"}')" 0.75
same "ipcd_key_total beyond a double is +Inf" \
    "$(sample 'ipcd_key_total{key="big"}')" +Inf
same "ipcd_key_submissions_total" \
    "$(sample 'ipcd_key_submissions_total{key="a"}')" 3
same "ipcd_key_min" "$(sample 'ipcd_key_min{key="a"}')" 0.25
same "ipcd_key_max" "$(sample 'ipcd_key_max{key="a"}')" 2
same "ipcd_key_max of big" "$(sample 'ipcd_key_max{key="big"}')" 1e+308
same "ipcd_key_parts_received" \
    "$(sample 'ipcd_key_parts_received{key="p"}')" 2
same "ipcd_key_parts_expected" \
    "$(sample 'ipcd_key_parts_expected{key="p"}')" 3
same "ipcd_key_duplicates_total" \
    "$(sample 'ipcd_key_duplicates_total{key="p"}')" 1
same "parts only for parted keys" \
    "$(grep -c '^ipcd_key_parts_.*key="a"' "$F")" 0
same "accepted on unix" \
    "$(sample 'ipcd_records_accepted_total{transport="unix"}')" 5
same "accepted on the FIFO" \
    "$(sample 'ipcd_records_accepted_total{transport="fifo"}')" 1
same "accepted on mq" \
    "$(sample 'ipcd_records_accepted_total{transport="mq"}')" 1
same "rejected on unix: conflict" \
    "$(sample 'ipcd_records_rejected_total{transport="unix",cause="conflict"}')" 1
same "rejected on unix: malformed" \
    "$(sample 'ipcd_records_rejected_total{transport="unix",cause="malformed"}')" 1
same "rejected on the FIFO: malformed" \
    "$(sample 'ipcd_records_rejected_total{transport="fifo",cause="malformed"}')" 1
same "rejected on the FIFO: too_long" \
    "$(sample 'ipcd_records_rejected_total{transport="fifo",cause="too_long"}')" 1
same "every transport and class has its sample" \
    "$(grep -c '^ipcd_records_rejected_total{' "$F")" 77
same "no other rejection" \
    "$(grep '^ipcd_records_rejected_total{' "$F" | awk '{ n += $2 } END { print n }')" 4
same "ipcd_clients on unix, tcp" \
    "$(grep -c '^ipcd_clients{transport="\(unix\|tcp\)"}' "$F")" 2
same "no process_* families: node_exporter has its own" \
    "$(grep -c '^[^#]*process_' "$F")" 0
check "ipcd_journal_bytes is the journal's size" \
    test "$(sample ipcd_journal_bytes)" -gt 0 -a \
    "$(sample ipcd_journal_bytes)" -le "$(stat -c %s "$T/state.journal")"
check "ipcd_last_commit_duration_seconds is a time" \
    awk '$1 == "ipcd_last_commit_duration_seconds" { exit !($2 > 0 && $2 < 10) }' "$F"
upd=$(grep '^ipcd_key_last_update_timestamp_seconds{' "$F")
if [ -z "$upd" ]; then
	echo "skip - no key has its last-update time set"
else
	check "ipcd_key_last_update_timestamp_seconds: this run's seconds" \
	    awk -v s="$t0" '$1 ~ /^ipcd_key_last_update_timestamp_seconds/ &&
	    !($2 >= s - 1 && $2 < s + 600) { exit 1 }' "$F"
fi

if command -v promtool >/dev/null; then
	out=$(promtool check metrics <"$F" 2>&1)
	same "promtool check metrics is silent" "$out" ""
else
	echo "skip - promtool not installed"
fi

# --- 100,000 keys, each once; the file always whole -------------------
F=$P/ipcd.prom
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "m.%d %d\n", i, i }' |
    "$IPCCTL" submit -
check "100,000 keys held" wait_stat keys 100003
check "the textfile has them" eventually 100003 sample ipcd_keys
torn=0
i=0
while [ $i -lt 30 ]; do
	# cat reads one file: the old or the new, never a part of either.
	cat "$F" >"$T/poll.prom"
	tail -n 1 "$T/poll.prom" | grep -q \
	    '^# TYPE ipcd_key_last_update_timestamp_seconds gauge$\|^ipcd_key_last_update_timestamp_seconds{' ||
	    torn=$((torn + 1))
	[ "$(tail -c 1 "$T/poll.prom" | od -An -c | tr -d ' ')" = '\n' ] ||
	    torn=$((torn + 1))
	sleep 0.1
	i=$((i + 1))
done
same "30 reads while it is rewritten: never a partial file" "$torn" 0
cp "$F" "$T/big.prom"
same "100,000 keys: each total once" \
    "$(grep -c '^ipcd_key_total{key="m\.' "$T/big.prom")" 100000
same "no key twice in any family" \
    "$(grep -v '^#' "$T/big.prom" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)" ""
same "the totals are the values" \
    "$(awk -F'[".]' '/^ipcd_key_total\{key="m\./ { split($0, v, " "); if (v[2] != $3) bad++ } END { print bad + 0 }' "$T/big.prom")" 0
if command -v promtool >/dev/null; then
	same "promtool check metrics, 100,000 keys" \
	    "$(promtool check metrics <"$T/big.prom" 2>&1)" ""
else
	echo "skip - promtool not installed"
fi
check "the loop answers meanwhile" "$IPCCTL" ping
# ipcd frees the file it replaced a piece at a time, but never one that a
# reader still has open: it reads the old file whole.
got=$(python3 -c 'import os, sys, time
f = open(sys.argv[1], "rb")
st = os.fstat(f.fileno())
t0 = time.monotonic()
while os.stat(sys.argv[1]).st_ino == st.st_ino and time.monotonic() - t0 < 20:
    time.sleep(0.05)
time.sleep(1)
b = f.read()
print("replaced" if os.stat(sys.argv[1]).st_ino != st.st_ino else "not replaced",
    "whole" if len(b) == st.st_size and b.endswith(b"\n") else "cut")' "$F")
same "a reader of the replaced file reads it whole" "$got" "replaced whole"

# --- errors: logged with the cause, never fatal; a reload applies ------
kill -HUP "$IPCD_PID"	# unchanged: nothing to do
sed -i "s|^textfile = .*|textfile = $T/nodir/ipcd.prom|" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a missing directory is logged with its cause" eventually 1 sh -c \
    "grep -c 'export: cannot create $T/nodir/.ipcd.prom.tmp: No such file or directory' '$T/ipcd.log'"
check "ipcd goes on" "$IPCCTL" submit --key=a 1
# A full disk: 100,000 keys do not fit in 256 KiB.  One write only (a
# long interval), so that what is left after it is what the failure left.
mkdir "$T/full"
if [ "$(id -u)" -eq 0 ] &&
    mount -t tmpfs -o size=256k ipcd-test "$T/full" 2>/dev/null; then
	trap 'umount "$T/full" 2>/dev/null; cleanup' EXIT
	sed -i -e "s|^textfile = .*|textfile = $T/full/ipcd.prom|" \
	    -e "s|^interval = .*|interval = 86400|" "$T/ipcd.conf"
	kill -HUP "$IPCD_PID"
	check "a full disk is logged with its cause" eventually 1 sh -c \
	    "grep -c 'export: cannot write $T/full/.ipcd.prom.tmp: No space left on device' '$T/ipcd.log'"
	same "the failed write left nothing behind" "$(ls -A "$T/full")" ""
	check "ipcd goes on after it" "$IPCCTL" submit --key=a 1
	sed -i "s|^interval = .*|interval = 1|" "$T/ipcd.conf"
else
	echo "skip - a full disk needs root and a tmpfs mount"
fi
echo victim >"$T/victim"
ln -s "$T/victim" "$P/.other.prom.tmp"
sed -i "s|^textfile = .*|textfile = $P/other.prom|" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a reload starts the new export" eventually yes sh -c \
    "test -f '$P/other.prom' && echo yes"
same "the temporary file is never written through a link" \
    "$(cat "$T/victim")" victim
check "the new file is ipcd's" grep -q '^ipcd_keys ' "$P/other.prom"
check "failures after the start did not stop ipcd" kill -0 "$IPCD_PID"
stop_ipcd
same "stopped cleanly" "$?" 0
same "no temporary file left" "$(ls -A "$P" | grep tmp)" ""
