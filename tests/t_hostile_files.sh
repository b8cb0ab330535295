#!/bin/sh
# Files another user controls are refused with a reason: a configuration
# that is not a regular file or is too large, a [unix] path too long for
# a socket address, and a runtime directory ipcd cannot trust (someone
# else's, writable by others, a symlink) -- by ipcd, and by ipcctl before
# it talks to a socket in a user's /tmp directory.  (A refused ipcd exits
# at once; "timeout 5" only keeps an accepting one from hanging the test.)
. tests/lib.sh

# refused_fast DESCRIPTION WORDS FILE: "ipcd -n -c FILE" fails within a
# second (timeout says 124 when it hangs) and names FILE and WORDS.
refused_fast() {
	out=$(timeout 5 "$IPCD" -n -c "$3" 2>&1)
	rc=$?
	start=$(date +%s%N)
	if [ $rc -ne 124 ] && [ $rc -ne 0 ]; then
		contains "$1: refused" "$out" "$3"
		contains "  naming the cause" "$out" "$2"
	else
		notok "$1: refused (status $rc: $out)"
	fi
}
t0=$(date +%s%N)
refused_fast "/dev/zero as the configuration" "is a character device, not a regular file" /dev/zero
mkfifo "$T/conf.fifo"
refused_fast "a FIFO as the configuration" "is a FIFO, not a regular file" "$T/conf.fifo"
mkdir "$T/conf.d"
refused_fast "a directory as the configuration" "is a directory, not a regular file" "$T/conf.d"
{ echo "[unix]"; head -c 2097152 /dev/zero | tr '\0' '#'; echo; } >"$T/big.conf"
refused_fast "a 2 MiB configuration" "is 2097160 bytes, larger than the 1048576" "$T/big.conf"
ms=$((($(date +%s%N) - t0) / 1000000))
check "  all four within a second each ($ms ms in all)" test "$ms" -lt 4000
ln -s "$T/ipcd.conf" "$T/link.conf"
write_conf
check "a symlink to a configuration is followed" "$IPCD" -n -c "$T/link.conf"

long=$T/$(printf '%0*d' $((107 - ${#T} - 1)) 0)
write_conf "[unix]
path = ${long}s"
status "ipcd -n refuses a [unix] path of 108 bytes" 78 "$IPCD" -n
contains "  naming the key and the limit" "$(cat "$T/status.out")" \
    "[unix] path: ${long}s is 108 bytes, longer than the 107 a socket address holds"
write_conf "[unix]
path = $long"
check "  and takes one of 107" "$IPCD" -n

# The runtime directory, here $T/run holding both nodes.
rundir_conf() {
	write_conf "[unix]
path = $T/run/ipcd.sock
[fifo]
path = $T/run/ipcd.fifo"
}
rundir_conf
mkdir -m 0755 "$T/run"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$T/run"
	status "a runtime directory of another user is refused" 1 timeout 5 "$IPCD"
	contains "  clearly" "$(cat "$T/status.out")" \
	    "$T/run belongs to uid 65534, not to uid 0; refusing to trust it"
	chown 0 "$T/run"
else
	echo "skip - a runtime directory of another user: needs root to make one"
fi
chmod 0775 "$T/run"
status "a group-writable runtime directory is refused" 1 timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" \
    "$T/run is writable by its group (mode 0775); refusing to use it (chmod go-w $T/run)"
chmod 0757 "$T/run"
status "a world-writable runtime directory is refused" 1 timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" "$T/run is writable by others (mode 0757)"
rmdir "$T/run"
mkdir -m 0700 "$T/real"
ln -s "$T/real" "$T/run"
status "a symlinked runtime directory is refused" 1 timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" "$T/run is a symbolic link; refusing to follow it"
check "  and nothing is made behind it" test -z "$(ls "$T/real")"
rm "$T/run"
mkdir -m 0755 "$T/run"
check "a runtime directory of ours, 0755, is used" start_ipcd
check "  and ipcctl talks to it" "$IPCCTL" ping
stop_ipcd

# A user's /tmp fallback, for a user of our own making (no passwd entry
# needed): no configuration, no $XDG_RUNTIME_DIR; a home of its own keeps
# the state file out of the runtime directory.
U=$((60000 + $$ % 5000))
D=/tmp/ipcd-$U
H=$T/home
as_user() {
	env -u XDG_RUNTIME_DIR HOME="$H" IPCD_CONFIG= setpriv --reuid=$U \
	    --regid=$U --clear-groups "$@"
}
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || [ -e "$D" ] ||
    [ -e /etc/ipcd/ipcd.conf ]; then
	echo "skip - the /tmp fallback of another user: needs root, setpriv, no $D and no /etc/ipcd/ipcd.conf"
	exit 0
fi
cleanup_user() {
	[ -n "$UPID" ] && kill -KILL "$UPID" 2>/dev/null
	# The System V queues (and key locks) the user's ipcds made on their
	# default keys: ipcd leaves them, by design.
	for kind in q s; do
		ipcs -$kind | awk -v u=$U '$3 == u { print $2 }' |
		    xargs -r -n 1 ipcrm -$kind 2>/dev/null
	done
	rm -rf "$D" "/dev/shm/ipcd-$U"
	"$RAWIPC" unlink "/ipcd-$U" 2>/dev/null
	cleanup
}
trap cleanup_user EXIT
chmod 0711 "$T"
mkdir -m 0700 "$H"
chown $U:$U "$H"

mkdir -m 0755 "$D"
status "a /tmp fallback made by another user (root) is refused" 1 as_user timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" \
    "$D belongs to uid 0, not to uid $U; refusing to trust it"
# The other user serves a socket there: ipcctl must not talk to it.
transports_off >"$T/fake.conf"
cat >>"$T/fake.conf" <<EOC
[unix]
path = $D/ipcd.sock
[state]
file = $T/fake.state
EOC
IPCD_CONFIG=$T/fake.conf "$IPCD" 2>"$T/fake.log" &
UPID=$!
eventually 0 sh -c "IPCD_CONFIG=$T/fake.conf '$IPCCTL' ping >/dev/null 2>&1; echo \$?" ||
    sed 's/^/#   /' "$T/fake.log"
chmod 0666 "$D/ipcd.sock"
status "ipcctl refuses a socket in a /tmp fallback of another user" 3 \
    as_user "$IPCCTL" ping
contains "  clearly" "$(cat "$T/status.out")" "$D belongs to uid 0, not to uid $U"
kill -TERM "$UPID"
command wait "$UPID"
UPID=
rm -rf "$D"

mkdir -m 0755 "$D"
chown $U:$U "$D"
status "a /tmp fallback of ours that others may enter is refused" 1 as_user timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" "$D has mode 0755, open to others; refusing to use it (chmod 0700 $D)"
status "  and ipcctl refuses it too" 3 as_user "$IPCCTL" ping
rmdir "$D"
ln -s "$T/real" "$D"
status "a symlinked /tmp fallback is refused" 1 as_user timeout 5 "$IPCD"
contains "  clearly" "$(cat "$T/status.out")" "$D is a symbolic link"
rm "$D"

# (Not through as_user: $! must be ipcd's pid, not a subshell's.)
env -u XDG_RUNTIME_DIR HOME="$H" IPCD_CONFIG= setpriv --reuid=$U --regid=$U \
    --clear-groups "$IPCD" 2>"$T/user.log" &
UPID=$!
check "with no /tmp fallback, ipcd makes its own and starts" \
    eventually 0 sh -c "env -u XDG_RUNTIME_DIR HOME='$H' IPCD_CONFIG= setpriv --reuid=$U --regid=$U --clear-groups '$IPCCTL' ping >/dev/null 2>&1; echo \$?"
same "  the directory is the user's, 0700" "$(stat -c '%u %a' "$D")" "$U 700"
kill -TERM "$UPID"
command wait "$UPID"
UPID=
