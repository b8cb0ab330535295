#!/bin/sh
# The message queue belongs to one ipcd: a second one configured with the
# same name refuses to start, naming the holder (two readers would split
# the records), also when the first was passed the queue by systemd.
# (mq_open's failures: t_mq_limits.sh.)
. tests/lib.sh

# conf2 FILE: a second ipcd's configuration, all its own but the queue.
conf2() {
	cat >"$1" <<EOC
[unix]
path = $T/2.sock
[fifo]
path = $T/2.fifo
[mq]
name = $NAME
[shm]
enabled = no
[spool]
dir = $T/2.spool
[state]
file = $T/2.state
EOC
}
conf2 "$T/2.conf"

# second: start a second ipcd; its exit status and messages.
second() {
	"$IPCD" -c "$T/2.conf" >"$T/2.log" 2>&1 &
	p=$!
	i=0
	while kill -0 $p 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -TERM $p 2>/dev/null
	command wait $p
}

start_ipcd || exit 1
"$IPCCTL" submit --via=mq --key=q 1
status "a second ipcd on the same queue name refuses to start" 1 second
check "  naming the queue and the holder's pid" grep -q \
    "mq: message queue $NAME is in use by another ipcd (pid $IPCD_PID)" \
    "$T/2.log"
"$IPCCTL" submit --via=mq --key=q 2
check "the first one goes on reading the queue" wait_count q 2
same "  all of it" "$("$IPCCTL" result --key=q)" 3
stop_ipcd

# The queue passed as systemd passes it: adopted, and claimed the same.
# Telling a passed queue by name needs /dev/mqueue (sd_is_mq(3)), which
# may be missing: then mount one in a mount namespace of ipcd's own, over
# a /dev of its own if need be.
if unshare -m true 2>/dev/null; then
	mkdir "$T/dev"
	unshare -m sh -c '
		if ! [ -d /dev/mqueue ]; then
			mount --bind /dev "$1/dev" && mount -t tmpfs none /dev &&
			    mkdir /dev/mqueue /dev/shm &&
			    for n in null zero urandom; do
				touch /dev/$n && mount --bind "$1/dev/$n" /dev/$n
			    done && mount --bind "$1/dev/shm" /dev/shm
		fi && mount -t mqueue none /dev/mqueue && shift && exec "$@"' \
	    sh "$T" "$RAWIPC" mq-pass "$NAME" "$IPCD" -v >>"$T/ipcd.log" 2>&1 &
	IPCD_PID=$!
	check "ipcd starts with a passed queue" eventually pong \
	    sh -c '"$0" ping >/dev/null 2>&1 && echo pong' "$IPCCTL"
	check "  and adopts it" grep -q "adopting descriptors passed by systemd" \
	    "$T/ipcd.log"
	"$IPCCTL" submit --via=mq --key=q 4
	check "  reads it" wait_count q 3
	status "a second ipcd on a passed queue's name refuses to start" 1 second
	check "  naming the holder's pid" grep -q \
	    "message queue $NAME is in use by another ipcd (pid $IPCD_PID)" "$T/2.log"
	stop_ipcd
else
	echo "skip - a passed queue (no mount namespace here)"
fi
"$RAWIPC" unlink "$NAME"

