#!/bin/sh
# ipcctl run: N children, each writing its value on its own pipe or
# socketpair; the launcher submits them as parts and prints the total.
# Every way a child can go wrong is named, and none makes it hang.
. tests/lib.sh

write_conf
status "run -n 0 is a usage error (2)" 2 "$IPCCTL" run -n 0 -- true
contains "  saying the range" "$(cat "$T/status.out")" "-n: expected 1 to 1024"
status "run -n 1025 is a usage error (2)" 2 "$IPCCTL" run -n 1025 -- true
status "run -n x is a usage error (2)" 2 "$IPCCTL" run -n x -- true
status "run without -n is a usage error (2)" 2 "$IPCCTL" run -- true
status "run without a command is a usage error (2)" 2 "$IPCCTL" run -n 2
status "run --channel=fifo is a usage error (2)" 2 "$IPCCTL" run -n 2 --channel=fifo -- true
status "run --via=pigeon is a usage error (2)" 2 "$IPCCTL" run -n 2 --via=pigeon -- true
status "run --key='a b' is a usage error (2)" 2 "$IPCCTL" run -n 2 --key='a b' -- true
status "pi --via=pigeon is a usage error (2)" 2 "$IPCCTL" pi --via=pigeon
contains "  naming the channels too" "$(cat "$T/status.out")" "pipe or socketpair"
status "run with no ipcd exits 3" 3 "$IPCCTL" run -n 2 -- sh -c "touch $T/started"
check "  and starts no child" test ! -e "$T/started"

start_ipcd || exit 1
echo10='echo $((IPCD_RANK + 1)) >&$IPCD_FD'
for ch in pipe socketpair; do
	same "run -n 10 --channel=$ch: 1 + ... + 10" \
	    "$("$IPCCTL" run -n 10 --channel=$ch -- sh -c "$echo10")" 55
done
same "the run's own key is removed afterwards" "$("$IPCCTL" keys)" ""
for via in fifo mq shm; do
	same "run --via=$via submits over $via" \
	    "$("$IPCCTL" run -n 10 --via=$via --key=v$via -- sh -c "$echo10")" 55
	same "  as 10 parts of 10" "$(field v$via parts)/$(field v$via nparts)" 10/10
done
out=$("$IPCCTL" --json run -n 3 --key=j -- sh -c 'printf 1.5 >&$IPCD_FD')
contains "a value without a newline counts; --json prints the key" "$out" \
    '{"key":"j","total":4.5,"count":3'

# The environment of each child, and its descriptors: 0-2, what the test
# shell itself passes down, and its own end of its channel, nothing else.
# (one command, no pipeline: a pipeline's pipes would be the shell's too)
sh -c 'ls /proc/$$/fd >"$0/fd.direct"; grep SigIgn /proc/$$/status >"$0/sig.direct"' \
    "$T" >/dev/null
"$IPCCTL" run -n 4 --key=env -- sh -c '
	echo "$IPCD_RANK $IPCD_SIZE $IPCD_KEY $IPCD_PART" >"$0/env.$IPCD_RANK"
	ls /proc/$$/fd >"$0/fd.$IPCD_RANK"
	echo $IPCD_FD >"$0/fdnum.$IPCD_RANK"
	readlink /proc/$$/fd/$IPCD_FD >"$0/chan.$IPCD_RANK"
	grep SigIgn /proc/$$/status >"$0/sig.$IPCD_RANK"
	echo 1 >&$IPCD_FD' "$T" >/dev/null
same "IPCD_RANK, IPCD_SIZE, IPCD_KEY and IPCD_PART" \
    "$(cat "$T"/env.0 "$T"/env.3 | tr '\n' ' ')" "0 4 env 1/4 3 4 env 4/4 "
same "a child has no descriptor of the launcher but its channel" \
    "$(grep -vx "$(cat "$T/fdnum.2")" "$T/fd.2" | sort -n | tr '\n' ' ')" \
    "$(sort -n "$T/fd.direct" | tr '\n' ' ')"
contains "  which is a pipe" "$(cat "$T/chan.1")" "pipe:"
same "  and ignores the signals a direct child would (not the launcher's SIGPIPE)" \
    "$(cat "$T/sig.1")" "$(cat "$T/sig.direct")"
same "--key keeps the key, with 4 of 4 parts" "$(field env parts)/$(field env nparts)" 4/4

# A child that submits itself writes nothing on its channel.
same "a child may submit its part itself" "$("$IPCCTL" run -n 4 -- sh -c '
	if [ $IPCD_RANK = 2 ]; then
		exec "$0" submit --key=$IPCD_KEY --part=$IPCD_PART 100
	fi
	echo 1 >&$IPCD_FD' "$IPCCTL")" 103

# Children that go wrong: named, and never a hang.
fail='[ $IPCD_RANK = 3 ] && '
status "a child exiting 7 without a value: exit 1" 1 \
    timeout 20 "$IPCCTL" run -n 5 -- sh -c "$fail exit 7; echo 1 >&\$IPCD_FD"
contains "  naming the rank" "$(cat "$T/status.out")" \
    "rank 3: exited with status 7, without a value"
contains "  and no total" "$(cat "$T/status.out")" "no total"
status "a child killed by a signal: exit 1" 1 \
    timeout 20 "$IPCCTL" run -n 5 -- sh -c "$fail kill -9 \$\$; echo 1 >&\$IPCD_FD"
contains "  naming the rank and the signal" "$(cat "$T/status.out")" \
    "rank 3: killed by signal 9, without a value"
status "a child with a bad value: exit 4" 4 \
    timeout 20 "$IPCCTL" run -n 5 -- sh -c "$fail exec echo nan >&\$IPCD_FD; echo 1 >&\$IPCD_FD"
contains "  naming the rank and the value" "$(cat "$T/status.out")" \
    'rank 3: bad value "nan": value is NaN'
status "a child exiting 0 without a value: exit 5 after --timeout" 5 \
    timeout 20 "$IPCCTL" run -n 5 --timeout=1 -- sh -c "$fail exit 0; echo 1 >&\$IPCD_FD"
contains "  ipcd names the missing part" "$(cat "$T/status.out")" \
    "1 of 5 parts missing: 4"
contains "  and ipcctl the rank" "$(cat "$T/status.out")" \
    "rank 3 exited without a value"
status "a child that writes 50 MB: exit 4" 4 timeout 20 "$IPCCTL" run -n 5 -- \
    sh -c "$fail exec head -c 50000000 /dev/zero >&\$IPCD_FD; echo 1 >&\$IPCD_FD"
contains "  the line is too long" "$(cat "$T/status.out")" \
    "rank 3: bad value: value line longer than 4096 bytes"
status "a child that writes forever: bounded by --timeout (5)" 5 timeout 20 \
    "$IPCCTL" run -n 3 --timeout=1 -- sh -c '[ $IPCD_RANK = 1 ] && exec cat /dev/zero >&$IPCD_FD; echo 1 >&$IPCD_FD'
contains "  killed and named" "$(cat "$T/status.out")" \
    "rank 1: bad value: value line longer than 4096 bytes; still running after 1 s: killed"
status "a child that never exits: bounded by --timeout (5)" 5 timeout 20 \
    "$IPCCTL" run -n 3 --timeout=1 -- sh -c "[ \$IPCD_RANK = 1 ] && exec sleep 600 9>$T/sleep.lock; echo 1 >&\$IPCD_FD"
contains "  named" "$(cat "$T/status.out")" \
    "rank 1: still running after 1 s: killed, without a value"
check "  and killed" sh -c "! fuser $T/sleep.lock"
status "a child that writes a second line: exit 4" 4 timeout 20 \
    "$IPCCTL" run -n 2 -- sh -c 'printf "1\n2\n" >&$IPCD_FD'
contains "  named" "$(cat "$T/status.out")" "rank 0: wrote more than its value line"
contains "  the first values still make the total" "$(cat "$T/status.out")" "2"
status "a command that does not exist: exit 1" 1 "$IPCCTL" run -n 2 -- "$T/none"
contains "  named, with its exit status" "$(cat "$T/status.out")" \
    "rank 1: exited with status 127, without a value"
status "a value ipcd rejects (conflicting part count): exit 4" 4 \
    sh -c "\"$IPCCTL\" submit --key=c --part=1/3 1 &&
    \"$IPCCTL\" run -n 2 --key=c -- sh -c 'echo 1 >&\$IPCD_FD'"
contains "  saying why" "$(cat "$T/status.out")" "key c takes parts of 3"

# The reference job over a pipe and a socketpair: the same launcher.
for via in pipe socketpair; do
	out=$("$IPCCTL" pi --via=$via)
	same "pi --via=$via" "$(echo "$out" | tail -n 1)" 3.14159262176
	contains "  says so" "$out" "pi over $via: 10 workers"
done
same "pi's keys are removed" "$("$IPCCTL" keys 'pi.*')" ""

# More children than the soft limit of descriptors allows: the launcher
# raises its own, and the children get the one it started with.
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 1100 ]; then
	same "run -n 300 under ulimit -Sn 256" "$(sh -c 'ulimit -Sn 256; exec "$0" run -n 300 \
	    -- sh -c "echo 1 >&\$IPCD_FD; ulimit -n >\"$1/nofile.\$IPCD_RANK\""' \
	    "$IPCCTL" "$T")" 300
	same "  each child has the limit ipcctl started with" "$(cat "$T/nofile.299")" 256
else
	echo "skip - the hard limit of descriptors is below 1100"
fi

# A launcher stopped by a signal takes its children with it, then dies
# of that signal.
for sig in 15 1; do	# TERM, HUP (a background job here ignores INT)
	rm -f "$T"/up.*
	"$IPCCTL" run -n 3 -- sh -c 'touch "$0/up.$IPCD_RANK"
		exec sleep 600 9>"$0/sig.lock"' "$T" >"$T/sig.out" 2>&1 &
	runpid=$!
	check "signal $sig: the children of a run are up" eventually yes \
	    sh -c "[ -e $T/up.0 ] && [ -e $T/up.1 ] && [ -e $T/up.2 ] && echo yes"
	kill -$sig $runpid
	command wait $runpid
	same "  the launcher dies of it" "$?" $((128 + sig))
	check "  and no child is left running" eventually yes \
	    sh -c "fuser $T/sig.lock >/dev/null 2>&1 || echo yes"
	fuser -k "$T/sig.lock" >/dev/null 2>&1
done
rm -f "$T"/up.*

# Children that compute for longer than [limits] idle_timeout: the
# launcher keeps its connections alive.
stop_ipcd
write_conf "[limits]
idle_timeout = 1"
start_ipcd || exit 1
for via in unix fifo; do
	status "children quiet for 2.5 idle timeouts, then values over $via" 0 \
	    timeout 20 "$IPCCTL" run -n 2 --via=$via -- sh -c 'sleep 2.5; echo 1 >&$IPCD_FD'
	same "  the total" "$(cat "$T/status.out")" 2
done

# ipcd goes away while the children compute: exit 3, the children do not
# outlive the run.
"$IPCCTL" run -n 3 -- sh -c 'touch "$0/up.$IPCD_RANK"
	while [ ! -e "$0/go" ]; do sleep 0.05; done
	echo 1 >&$IPCD_FD; exec sleep 600 9>"$0/child.lock"' "$T" >"$T/gone.out" 2>&1 &
runpid=$!
check "the children of a run are up" eventually yes \
    sh -c "[ -e $T/up.0 ] && [ -e $T/up.1 ] && [ -e $T/up.2 ] && echo yes"
stop_ipcd
touch "$T/go"
command wait $runpid
same "ipcd gone during a run: exit 3" "$?" 3
contains "  saying so" "$(cat "$T/gone.out")" "submit over unix failed"
check "  and no child is left running" sh -c "! fuser $T/child.lock"

# The deadline passes while a keep-alive ping waits for a stopped ipcd:
# the launcher still ends the run when ipcd answers again.
write_conf "[limits]
idle_timeout = 4"
start_ipcd || exit 1
"$IPCCTL" run -n 2 --timeout=2.5 -- sh -c 'touch "$0/dl.$IPCD_RANK"
	exec sleep 600 9>"$0/dl.lock"' "$T" >"$T/dl.out" 2>&1 &
runpid=$!
check "the children of a run with --timeout=2.5 are up" eventually yes \
    sh -c "[ -e $T/dl.0 ] && [ -e $T/dl.1 ] && echo yes"
kill -STOP "$IPCD_PID"
sleep 3.5	# past the ping at 2 s and the deadline at 2.5 s, not idle_timeout
kill -CONT "$IPCD_PID"
check "  it ends after the deadline passed during a ping" eventually yes \
    sh -c "kill -0 $runpid 2>/dev/null || echo yes"
kill $runpid 2>/dev/null
command wait $runpid
same "  exit 5" "$?" 5
fuser -k "$T/dl.lock" >/dev/null 2>&1
stop_ipcd
