#!/bin/sh
# The System V message queue: records in, hostile messages rejected and
# counted without blocking the good ones, messages sent while ipcd is down
# taken at the next start, a flood summed exactly, a queue of another
# user refused, one ipcd per key, a reload that moves the key, a queue
# removed under ipcd made again, and a full queue that makes "submit"
# wait, then give up clearly.
. tests/lib.sh

sub() { "$IPCCTL" submit --via=sysv "$@"; }
raw() { "$RAWIPC" sysv "$T" "$@"; }
# queued: messages waiting in the queue of key $T.
queued() { "$RAWIPC" sysv-count "$T"; }
# qkey: the key ipcd last said it reads (a debug line).
qkey() { sed -n 's/.*sysv: queue \(0x[0-9a-f]*\), id.*/\1/p' "$T/ipcd.log" |
    tail -n 1; }
# perms KEY: the mode of that queue, as ipcs shows it.
perms() { ipcs -q | awk -v k="$1" '$1 == k { print $4 }'; }
# reloaded N: until the log shows N reloads.
reloaded() { eventually "$1" grep -c 'configuration reloaded' "$T/ipcd.log"; }

# --- the configuration --------------------------------------------------
for k in 0 0x0 -1 +5 12ab 0x 0x1g 4294967296 relative/path; do
	write_conf "[sysv]
key = $k"
	status "key = \"$k\" is refused by ipcd -n" 78 "$IPCD" -n
done
check "  naming the file, the line and the key" grep -q \
    "ipcd.conf:.*key.*expected a number from 1 to 0xffffffff" "$T/status.out"
for k in 1 4294967295 0x7fffABCD "$T" ""; do
	write_conf "[sysv]
key = $k"
	status "key = \"$k\" is accepted" 0 "$IPCD" -n
done

# --- records, stats, the mode, the reference job ------------------------
write_conf
start_ipcd || exit 1
check "submit --via=sysv" sub --key=s 1 2 0.5
check "  is summed" wait_count s 3
same "  exactly" "$("$IPCCTL" result --key=s)" 3.5
same "stats: sysv.accepted" "$(stat_of sysv.accepted)" 3
same "stats: sysv.open" "$(stat_of sysv.open)" 1
key=$(qkey)
same "the queue has the configured mode, 0620" "$(perms "$key")" 620
same "pi --via=sysv" "$("$IPCCTL" pi --via=sysv | tail -n 1)" 3.14159262176

# --- hostile messages -----------------------------------------------------
printf 'h 100\n' | raw 2
printf 'h 100\n' | raw 1234567
printf '' | raw $((0x69706364))	# the type of ipcd's own wake-up
head -c 5000 /dev/zero | tr '\0' 1 | raw 1
head -c 4097 /dev/zero | tr '\0' 1 | raw 1
printf 'h 1\000x\n' | raw 1
printf '' | raw 1
printf '\377\376 garbage' | raw 1
printf 'h nan\n' | raw 1
printf 'h 1\n' | raw 1
printf 'h 2' | raw 1
check "good messages after hostile ones are taken" wait_count h 2
same "  and only they" "$("$IPCCTL" result --key=h)" 3
same "  the other nine are rejected and counted" "$(stat_of sysv.rejected)" 9
check "  the type is named in the log" grep -q \
    "rejected input: message of type 2, not 1" "$T/ipcd.log"
check "  and the log is kept short (once a second)" test \
    "$(grep -c 'sysv.*rejected input' "$T/ipcd.log")" -le 4
check "  ipcd lives" "$IPCCTL" ping
same "  nothing is left in the queue" "$(queued)" 0

# A limit below the kernel's: the same cut, at the configured size.
write_conf "[limits]
max_record_bytes = 64"
kill -HUP "$IPCD_PID"
reloaded 1
{ printf 'h '; head -c 70 /dev/zero | tr '\0' 1; } | raw 1
printf 'h 4\n' | raw 1
check "a message above limits.max_record_bytes is rejected" wait_stat \
    sysv.rejected 10
check "  and the next one taken" wait_count h 3
write_conf

# --- a flood of senders ---------------------------------------------------
pids=
for i in 1 2 3 4 5 6 7 8; do
	seq 1 500 | sub --key=flood - &
	pids="$pids $!"
done
wait_all $pids
same "eight senders of 500 records each: none failed" "$failed" 0
check "  every record counted" wait_count flood 4000
same "  and summed exactly" "$("$IPCCTL" result --key=flood)" 1002000

# --- one ipcd per key -----------------------------------------------------
transports_off sysv >"$T/2.conf"
cat >>"$T/2.conf" <<EOC
[unix]
path = $T/2.sock
[sysv]
key = $T
[state]
file = $T/2.state
EOC
status "a second ipcd on the same key refuses to start" 1 \
    "$IPCD" -c "$T/2.conf"
contains "  naming the holder" "$(cat "$T/status.out")" \
    "sysv: System V message queue $key is in use by another ipcd (pid $IPCD_PID)"

# --- while ipcd is down ---------------------------------------------------
stop_ipcd
same "the queue outlives ipcd" "$(queued)" 0
check "a record sent while ipcd is down is queued" sub --key=down 1 2 3
same "  and waits in the kernel" "$(queued)" 3
start_ipcd || exit 1
check "  and is taken at the next start" wait_count down 3
same "  exactly" "$("$IPCCTL" result --key=down)" 6

# A crash leaves the lock (the kernel undoes it) and the queue.
kill9
check "after a crash, a record sent is queued" sub --key=crash 4
start_ipcd || exit 1
check "  and the next ipcd takes the key and the record" wait_count crash 1

# --- a full queue ---------------------------------------------------------
kill -STOP "$IPCD_PID"
seq 1 5000 | sed 's/.*/1/' >"$T/ones"
"$IPCCTL" submit --via=sysv --key=full --timeout=1 - <"$T/ones" \
    >"$T/full.out" 2>&1
rc=$?
kill -CONT "$IPCD_PID"
same "a full queue: submit gives up after the timeout (exit 3)" "$rc" 3
check "  saying why" grep -q "gave up after 1 s waiting for room in System V message queue $key (is ipcd stopped or stuck?)" \
    "$T/full.out"
taken=$(sed -n 's/.*; \([0-9]*\) of [0-9]* values sent were taken/\1/p' \
    "$T/full.out")
check "  having sent some" test "${taken:-0}" -gt 0
check "  and those are all counted once ipcd goes on" wait_count full "$taken"
same "  exactly" "$("$IPCCTL" result --key=full)" "$taken"

# --- removed under ipcd ---------------------------------------------------
"$RAWIPC" sysv-rm "$T"
check "a queue removed under ipcd is made again" eventually 1 sh -c \
    "grep -c 'sysv: queue $key: .*removed by its owner or root.*; made it again' '$T/ipcd.log'"
check "  and used" sub --key=again 7
check "  and read" wait_count again 1
check "  once: ipcd does not spin" test \
    "$(grep -c 'made it again' "$T/ipcd.log")" -eq 1

# --- reload moves the key; the old queue stays --------------------------
mkdir "$T/k2"
write_conf "[sysv]
key = $T/k2
mode = 0640"
kill -HUP "$IPCD_PID"
reloaded 2
check "after a reload with a new key, submit goes to the new queue" \
    sub --key=moved 1
check "  and is read" wait_count moved 1
k2=$(qkey)
check "  a queue of another key" test "$k2" != "$key"
same "  with the new mode" "$(perms "$k2")" 640
check "  the old queue is still there" "$RAWIPC" sysv-count "$T"
stop_ipcd
"$RAWIPC" sysv-clean "$T/k2"

# --- a queue made first by another user -----------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	k=$(printf '0x7e%06x' $(($$ % 0x1000000)))
	"$RAWIPC" sysv-clean "$k" 2>/dev/null
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$RAWIPC" sysv-create "$k"
	write_conf "[sysv]
key = $k"
	status "a queue made first by another user is refused" 1 "$IPCD"
	contains "  saying whose it is" "$(cat "$T/status.out")" \
	    "System V message queue $k belongs to uid 65534 (made by uid 65534); refusing to use it"
	"$RAWIPC" sysv-clean "$k"
else
	echo "skip - a queue of another user: needs root and setpriv"
fi
