#!/bin/sh
# Created objects get the configured modes and group; planted symlinks,
# foreign files and squatted names are refused; reset is for admins.
. tests/lib.sh

grp=$(getent group nogroup >/dev/null && echo nogroup || id -gn)
start_ipcd "[unix]
mode = 0640
group = $grp
[fifo]
mode = 0600
group = $grp
[shm]
mode = 0640" || exit 1
same "socket mode and group" "$(stat -c '%a %G' "$T/ipcd.sock")" "640 $grp"
same "FIFO mode and group" "$(stat -c '%a %G' "$T/ipcd.fifo")" "600 $grp"
same "shm segment mode" "$(stat -c '%a' "/dev/shm$NAME")" 640
check "the peer's credentials are read (pid in the debug log)" \
    grep -q "unix: client pid [0-9]* uid $(id -u) connected" "$T/ipcd.log"

# reset is for root and the user ipcd runs as.
"$IPCCTL" submit --key=keep 5
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0777 "$T/ipcd.sock"
	chmod o+x "$T"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$IPCCTL" reset --key=keep 2>&1)
	rc=$?
	same "reset by another user is refused (exit 4)" "$rc" 4
	contains "  and says why" "$out" "reset is for root and uid 0 (unix.admin = owner)"
	same "  and the key is still there" "$("$IPCCTL" result --key=keep)" 5
	check "  but that user may submit" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$IPCCTL" submit --key=keep 1
else
	echo "skip - reset by another user: needs root and setpriv"
fi
check "reset by the owner works" "$IPCCTL" reset --key=keep
stop_ipcd

# Things planted at the paths are refused, never followed or trusted.
write_conf
ln -s /etc/passwd "$T/ipcd.fifo"
status "a symlink at the FIFO path is refused" 1 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" "$T/ipcd.fifo exists and is not a FIFO; refusing to use it"
check "  and the target is untouched" test ! -p /etc/passwd
rm "$T/ipcd.fifo"
ln -s "$T/elsewhere.sock" "$T/ipcd.sock"
status "a symlink at the socket path is refused" 1 "$IPCD"
rm "$T/ipcd.sock"
echo data >"$T/ipcd.sock"
status "a regular file at the socket path is refused" 1 "$IPCD"
same "  and left alone" "$(cat "$T/ipcd.sock")" data
rm "$T/ipcd.sock"
mkdir "$T/ipcd.fifo"
status "a directory at the FIFO path is refused" 1 "$IPCD"
rmdir "$T/ipcd.fifo"

# A name squatted by another user is refused, not used.
if [ "$(id -u)" = 0 ]; then
	touch "/dev/shm$NAME"
	chown 65534 "/dev/shm$NAME"
	chmod 0666 "/dev/shm$NAME"
	status "an shm name owned by another user is refused" 1 "$IPCD"
	contains "  clearly" "$(cat "$T/status.out")" "belongs to uid 65534; refusing to use it"
	rm -f "/dev/shm$NAME"
else
	echo "skip - shm squatting: needs root to make a file of another user"
fi
# (The queue outlives ipcd by design: remove it first.)
"$RAWIPC" unlink "$NAME"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$RAWIPC" mq-create "$NAME" 2>"$T/mq.err"; then
	status "an mq name owned by another user is refused" 1 "$IPCD"
	contains "  clearly" "$(cat "$T/status.out")" \
	    "message queue $NAME belongs to uid 65534; refusing to use it"
	"$RAWIPC" unlink "$NAME"
else
	echo "skip - mq squatting: needs root, setpriv and a queue made as nobody ($(cat "$T/mq.err" 2>/dev/null))"
fi
check "with the paths clean, ipcd starts" start_ipcd
