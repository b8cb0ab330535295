#!/bin/sh
# A reload that changes only the FIFO's mode or group, or the queue's mode,
# applies it in place: the same FIFO and queue, under writers that keep
# writing, and nothing is lost.  Queue sizes are kept, and said so.
. tests/lib.sh

f=$T/ipcd.fifo
GROUP=$(getent group 1 | cut -d: -f1)	# "daemon" on Debian
conf() {
	write_conf "[fifo]
mode = $1
group = $2
[mq]
mode = $1
max_messages = $3"
}
# reload: SIGHUP, then until the log shows the reload done.
reload() {
	n=$(grep -c 'configuration reloaded' "$T/ipcd.log")
	kill -HUP "$IPCD_PID"
	eventually $((n + 1)) grep -c 'configuration reloaded' "$T/ipcd.log"
}
# mq_stat FORMAT: stat(1) of the queue, in a mount namespace of its own.
mq_stat() {
	mkdir -p "$T/mqueue"
	unshare -m sh -c "mount -t mqueue none '$T/mqueue' &&
	    stat -c '$1' '$T/mqueue$NAME'" 2>/dev/null
}

conf 0620 "" 10
start_ipcd || exit 1
ino=$(stat -c %i "$f")
mqino=$(mq_stat %i)

# Steady writers: one holding the FIFO open, one sending messages, until
# told to stop; each says how many records it wrote.
(
	exec 3>"$f"
	n=0
	while [ -d "$T" ] && [ ! -e "$T/stop" ]; do
		printf 'r 1\n' >&3 || break
		n=$((n + 1))
	done
	echo $n >"$T/wrote.fifo"
) &
fw=$!
(
	n=0
	while [ -d "$T" ] && [ ! -e "$T/stop" ]; do
		echo 'q 1' | "$RAWIPC" mq "$NAME" || break
		n=$((n + 1))
	done
	echo $n >"$T/wrote.mq"
) &
mw=$!

round=0
while [ $round -lt 10 ]; do
	conf 0600 "$GROUP" 8
	reload
	conf 0620 "" 10
	reload
	round=$((round + 1))
done
conf 0600 "$GROUP" 10
reload
touch "$T/stop"
wait $fw
same "the FIFO writer saw no error" "$?" 0
wait $mw
same "the queue writer saw no error" "$?" 0

same "the FIFO is the same node" "$(stat -c %i "$f")" "$ino"
same "it has the new mode and group" "$(stat -c '%a %G' "$f")" "600 $GROUP"
if [ -n "$mqino" ]; then
	same "the queue is the same, with the new mode" "$(mq_stat '%i %a')" \
	    "$mqino 600"
else
	echo "skip - the queue's mode (cannot mount mqueue in a namespace)"
fi
check "a change of queue sizes is said to need a new queue" grep -q \
    "mq: max_messages and message_size apply when a queue is created; $NAME keeps 10 messages" \
    "$T/ipcd.log"
check "no transport was reopened" test "$(grep -c 'kept the previous' "$T/ipcd.log")" -eq 0
wrote=$(cat "$T/wrote.fifo" 2>/dev/null)
check "all $wrote FIFO records arrived" wait_count r "$wrote"
wrote=$(cat "$T/wrote.mq" 2>/dev/null)
check "all $wrote messages arrived" wait_count q "$wrote"
same "nothing was rejected" "$(stat_of fifo.rejected) $(stat_of mq.rejected)" "0 0"
