#!/bin/sh
# An mq_open that fails says why and what to change.  EMFILE ("Too many
# open files") means that the queue does not fit in the user's
# RLIMIT_MSGQUEUE: the message names the limit, the bytes the queue needs
# (max_messages x (message_size + 96)) and the fixes.  EINVAL means a size
# above what a process without CAP_SYS_RESOURCE may ask: the message names
# the file under /proc/sys/fs/mqueue that sets it.
. tests/lib.sh

# mq_conf MAX SIZE: a configuration of the queue alone.
mq_conf() {
	transports_off mq >"$T/m.conf"
	cat >>"$T/m.conf" <<EOC
[unix]
path = $T/m.sock
[mq]
name = $NAME
max_messages = $1
message_size = $2
[state]
file = $T/m.state
EOC
}

mq_conf 10 4096
status "ipcd does not start when the queue does not fit in RLIMIT_MSGQUEUE" 1 \
    prlimit --msgqueue=1000 "$IPCD" -c "$T/m.conf"
contains "  naming the limit and the bytes the queue needs" "$(cat "$T/status.out")" \
    "mq_open $NAME: a queue of 10 messages of 4096 bytes needs $((10 * (4096 + 96))) bytes of the user's message-queue memory, and RLIMIT_MSGQUEUE (1000 bytes, for all of the user's queues) does not have them"
contains "  and the fixes" "$(cat "$T/status.out")" \
    "raise it (LimitMSGQUEUE= in the service, ulimit -q), lower [mq] max_messages or message_size, or remove unused queues under /dev/mqueue"
"$RAWIPC" unlink "$NAME" 2>/dev/null

# A process without CAP_SYS_RESOURCE is held to msg_max and msgsize_max;
# root gives the capability up for this.
unpriv=
if [ "$(id -u)" = 0 ]; then
	if setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource \
	    true 2>/dev/null; then
		unpriv="setpriv --bounding-set=-sys_resource --inh-caps=-sys_resource"
	fi
else
	unpriv=env
fi
max=$(cat /proc/sys/fs/mqueue/msg_max 2>/dev/null)
size=$(cat /proc/sys/fs/mqueue/msgsize_max 2>/dev/null)
if [ -z "$unpriv" ]; then
	echo "skip - max_messages above msg_max (root cannot drop CAP_SYS_RESOURCE: no setpriv)"
	echo "skip - message_size above msgsize_max (the same)"
elif [ -z "$max" ] || [ "$max" -ge 65536 ] || [ -z "$size" ] ||
    [ "$size" -ge 1048576 ]; then
	echo "skip - max_messages above msg_max (/proc/sys/fs/mqueue: ${max:-?}, ${size:-?})"
	echo "skip - message_size above msgsize_max (the same)"
else
	mq_conf $((max + 1)) 128
	status "max_messages above msg_max: ipcd does not start" 1 \
	    $unpriv "$IPCD" -c "$T/m.conf"
	contains "  naming /proc/sys/fs/mqueue/msg_max and its value" \
	    "$(cat "$T/status.out")" \
	    "mq_open $NAME: max_messages $((max + 1)) is above /proc/sys/fs/mqueue/msg_max ($max), the most a process without CAP_SYS_RESOURCE may ask; lower [mq] max_messages or raise the limit (sysctl fs.mqueue.msg_max)"
	"$RAWIPC" unlink "$NAME" 2>/dev/null
	mq_conf 1 $((size + 1))
	status "message_size above msgsize_max: ipcd does not start" 1 \
	    $unpriv "$IPCD" -c "$T/m.conf"
	contains "  naming /proc/sys/fs/mqueue/msgsize_max and its value" \
	    "$(cat "$T/status.out")" \
	    "mq_open $NAME: message_size $((size + 1)) is above /proc/sys/fs/mqueue/msgsize_max ($size)"
	"$RAWIPC" unlink "$NAME" 2>/dev/null
fi
