#!/bin/sh
# The tcp transport: the socket protocol over TCP, on loopback and from a
# network namespace of the test's own (a veth pair on private addresses),
# with its allow-list, its token and its refusal of admin requests; and
# the hostile peers the other stream transport meets.  Nothing outside
# this machine is contacted.
. tests/lib.sh

if ! command -v python3 >/dev/null 2>&1; then
	echo "skip - python3 is needed for the raw TCP peers"
	exit 0
fi

# raw HOST PORT BYTES [SECONDS]: connect, send BYTES (with \n, \0, \xNN
# escapes), print all that comes back until end of file or SECONDS (5),
# then "closed", "reset" or "timeout".
cat >"$T/raw.py" <<'EOF'
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
data = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
wait = float(sys.argv[4]) if len(sys.argv) > 4 else 5
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.settimeout(wait)
s.connect((host, port))
end, out = "timeout", b""
try:
    s.sendall(data)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        b = s.recv(65536)
        if not b:
            end = "closed"
            break
        out += b
except ConnectionResetError:
    end = "reset"
except (socket.timeout, BrokenPipeError):
    pass
sys.stdout.write(out.decode("latin-1"))
print(end)
EOF
raw() {
	python3 "$T/raw.py" "$@" 2>&1
}

PORT=$(free_port)
V6=no
have_ipv6 && V6=yes

tcp_conf() {
	write_conf "[mq]
enabled = no
[shm]
enabled = no
[tcp]
enabled = yes
$*"
}

if [ $V6 = yes ]; then
	tcp_conf "listen = 127.0.0.1:$PORT, [::1]:$PORT
[limits]
max_clients = 60
max_clients_per_uid = 10
idle_timeout = 2"
else
	echo "skip - IPv6 listen address (no IPv6 on loopback here)"
	tcp_conf "listen = 127.0.0.1:$PORT
[limits]
max_clients = 60
max_clients_per_uid = 10
idle_timeout = 2"
fi
start_ipcd || exit 1

status "submit --via=tcp" 0 "$IPCCTL" submit --via=tcp --key=t 1 2 3.5
same "  the total" "$("$IPCCTL" result --key=t)" 6.5
same "  counted as tcp" "$(stat_of tcp.accepted)" 3
same "  tcp.open" "$(stat_of tcp.open)" 1
same "pi --via=tcp" "$("$IPCCTL" pi --via=tcp | tail -n 1)" 3.14159262176
contains "the socket protocol as is: ping" "$(raw 127.0.0.1 $PORT 'ping\n' 1)" \
    "ok proto="
if [ $V6 = yes ]; then
	sed "s/^listen = .*/listen = [::1]:$PORT/" "$T/ipcd.conf" >"$T/v6.conf"
	status "  and over [::1]" 0 "$IPCCTL" -c "$T/v6.conf" submit --via=tcp \
	    --key=t6 2
	same "  taken" "$("$IPCCTL" result --key=t6)" 2
fi

# reset is not for network peers unless [tcp] admin = yes.
out=$(raw 127.0.0.1 $PORT 'reset t\n' 1)
contains "reset over tcp is refused" "$out" \
    "err denied reset is not taken from network peers ([tcp] admin = no)"
same "  the key is still there" "$("$IPCCTL" result --key=t)" 6.5
check "  logged with the peer's address" grep -q \
    "tcp: peer 127.0.0.1: rejected input: reset by a network peer" "$T/ipcd.log"

# Hostile input: what the Unix socket gets, the same way.
rej=$(stat_of tcp.rejected)
long=$(head -c 5000 /dev/zero | tr '\0' x)
contains "a line too long is refused" "$(raw 127.0.0.1 $PORT "$long\\nping\\n" 1)" \
    "err usage request longer than"
contains "  and the connection goes on" "$(raw 127.0.0.1 $PORT "$long\\nping\\n" 1)" \
    "ok proto="
contains "garbage is refused" "$(raw 127.0.0.1 $PORT '\xff\xfe\x01junk\n' 1)" \
    "err usage unknown request"
contains "a NUL is refused" "$(raw 127.0.0.1 $PORT 'submit t\x001\n' 1)" \
    "err usage request contains a NUL byte"
contains "a bad record is refused" "$(raw 127.0.0.1 $PORT 'submit t nan\n' 1)" \
    "err invalid"
same "  the total unchanged" "$("$IPCCTL" result --key=t)" 6.5
check "  each counted as rejected" test "$(stat_of tcp.rejected)" -ge $((rej + 5))

# One address cannot take every connection (limits.max_clients_per_uid
# counts network peers by address); the Unix socket still answers.
cat >"$T/many.py" <<'EOF'
import socket, sys, time
socks, refused = [], 0
for i in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    socks.append(s)
for s in socks:
    s.settimeout(0.5)
    try:
        if b"too many clients from 127.0.0.1" in s.recv(200):
            refused += 1
    except socket.timeout:
        pass
print(refused)
EOF
same "15 connections from one address: 5 refused" \
    "$(python3 "$T/many.py" $PORT 15)" 5
status "  the Unix socket still answers" 0 "$IPCCTL" ping

# An idle peer is let go after limits.idle_timeout; a slow one (half a
# request, then nothing) blocks nobody meanwhile.
python3 "$T/raw.py" 127.0.0.1 $PORT 'subm' 10 >"$T/slow" 2>&1 &
slow=$!
sleep 0.2
status "a half-sent request does not block others" 0 "$IPCCTL" submit \
    --via=tcp --key=t 1
contains "an idle peer is disconnected" "$(raw 127.0.0.1 $PORT '' 10)" \
    "err limit idle for 2 s; disconnected"
command wait $slow
contains "  the slow one too" "$(cat "$T/slow")" "idle for 2 s; disconnected"
stop_ipcd

# No peer beyond loopback without a token: ipcd refuses to start.
tcp_conf "listen = 127.0.0.1:$PORT
allow = 10.255.255.1/32"
status "allow beyond loopback without token_file: ipcd refuses (78)" 78 timeout 10 "$IPCD"
contains "  naming the keys" "$(cat "$T/status.out")" \
    "[tcp] allow = 10.255.255.1/32 admits peers beyond loopback, but [tcp] token_file is not set"
status "  ipcd -n says so too" 78 "$IPCD" -n

# The token file: others may not read it.
printf 's3cret-%s\n' $$ >"$T/token"
chmod 0644 "$T/token"
tcp_conf "listen = 127.0.0.1:$PORT
allow = 10.255.255.1/32
token_file = $T/token"
status "a world-readable token_file: ipcd refuses (78)" 78 timeout 10 "$IPCD"
contains "  naming the file and the fix" "$(cat "$T/status.out")" \
    "[tcp] token_file $T/token may be used by other users (mode 0644); run: chmod o-rwx $T/token"
ln -s "$T/token" "$T/token.link"
sed -i "s|^token_file = .*|token_file = $T/token.link|" "$T/ipcd.conf"
status "a symlinked token_file: ipcd refuses (78)" 78 timeout 10 "$IPCD"
sed -i "s|^token_file = .*|token_file = $T/token|" "$T/ipcd.conf"
chmod 0600 "$T/token"

# A loopback peer outside allow: closed before a byte is read.
start_ipcd || exit 1
rej=$(stat_of tcp.rejected)
same "a peer outside allow gets nothing" "$(raw 127.0.0.1 $PORT \
    "auth s3cret-$$\\nsubmit out 1\\n" 3 | grep -v '^\(closed\|reset\)$')" ""
check "  its connection is closed" sh -c \
    "python3 '$T/raw.py' 127.0.0.1 $PORT 'ping\\n' 3 | grep -qx 'closed\\|reset'"
check "  counted as rejected" wait_stat tcp.rejected $((rej + 2))
status "  and nothing it sent was taken" 4 "$IPCCTL" result --key=out
check "  logged with its address" grep -q \
    "tcp: peer 127.0.0.1: rejected input: peer not in \[tcp\] allow; closed unread" \
    "$T/ipcd.log"
# What ipcd does with that connection, as the kernel sees it: accept4,
# then close, and not one read of it in between.
if command -v strace >/dev/null 2>&1; then
	strace -p "$IPCD_PID" -o "$T/strace" -e trace=accept4,read,recvfrom,recvmsg,readv,close \
	    2>"$T/strace.err" &
	st=$!
	eventually 1 sh -c "grep -c attached '$T/strace.err'" >/dev/null
	raw 127.0.0.1 $PORT "auth s3cret-$$\\nsubmit out 1\\n" 3 >/dev/null
	"$IPCCTL" ping >/dev/null	# something after it, to know it is done
	kill -INT $st
	command wait $st
	fd=$(sed -n 's/^accept4(.*AF_INET.*) = \([0-9][0-9]*\)$/\1/p' "$T/strace" |
	    head -n 1)
	check "  strace: the connection was accepted" test -n "$fd"
	same "  and closed without a read" "$(sed -n "/^accept4(.*AF_INET.*) = $fd\$/,/^close($fd)/p" \
	    "$T/strace" | grep -c "^\(read\|recvfrom\|recvmsg\|readv\)($fd,")" 0
	check "  (the close is there)" grep -q "^close($fd)" "$T/strace"
else
	echo "skip - strace: no read of a refused peer (no strace here)"
fi
stop_ipcd

# Loopback and the token: none, wrong, right.
tcp_conf "listen = 127.0.0.1:$PORT
token_file = $T/token"
start_ipcd || exit 1
contains "no token: refused" "$(raw 127.0.0.1 $PORT 'ping\nping\n' 3)" \
    "err denied this connection must begin with \"auth TOKEN\" ([tcp] token_file)
closed"
contains "a wrong token: refused" "$(raw 127.0.0.1 $PORT 'auth s3cret\nping\n' 3)" \
    "err denied wrong token
closed"
contains "a longer one too" "$(raw 127.0.0.1 $PORT "auth s3cret-$$$$\\nping\\n" 3)" \
    "err denied wrong token"
contains "the right token: accepted" \
    "$(raw 127.0.0.1 $PORT "auth s3cret-$$\\nping\\n" 1)" "ok
ok proto="
status "ipcctl sends the token" 0 "$IPCCTL" submit --via=tcp --key=tok 4
same "  taken" "$("$IPCCTL" result --key=tok)" 4
sed "s|^token_file = .*|token_file = $T/nosuch|" "$T/ipcd.conf" >"$T/bad.conf"
status "ipcctl without its token file: fails (3)" 3 "$IPCCTL" -c "$T/bad.conf" \
    submit --via=tcp 1
contains "  saying why" "$(cat "$T/status.out")" \
    "[tcp] token_file $T/nosuch: No such file or directory"
stop_ipcd

# [tcp] admin = yes: reset over tcp.
tcp_conf "listen = 127.0.0.1:$PORT
admin = yes"
start_ipcd || exit 1
"$IPCCTL" submit --key=r 1
contains "admin = yes: reset over tcp" "$(raw 127.0.0.1 $PORT 'reset r\n' 1)" \
    "ok removed=1"
stop_ipcd

# From another network namespace: a veth pair on private addresses.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1; then
	echo "skip - a peer in a network namespace (needs root and ip)"
	exit 0
fi
NS=ipcd-t$$
VR=ipcdr$$
VN=ipcdn$$
NET=10.199.$(($$ % 256))
trap 'ip netns del $NS 2>/dev/null; cleanup' EXIT
if ! { ip netns add $NS && ip link add $VR type veth peer name $VN &&
    ip link set $VN netns $NS && ip addr add $NET.1/30 dev $VR &&
    ip link set $VR up && ip netns exec $NS ip addr add $NET.2/30 dev $VN &&
    ip netns exec $NS ip link set $VN up &&
    ip netns exec $NS ip link set lo up; } 2>"$T/netns.err"; then
	echo "skip - a peer in a network namespace ($(head -n 1 "$T/netns.err"))"
	exit 0
fi
tcp_conf "listen = 127.0.0.1:$PORT $NET.1:$PORT
allow = $NET.2/32, 127.0.0.1
token_file = $T/token"
start_ipcd || exit 1
# The namespace's ipcctl: the same configuration, but ipcd's address.
sed "s|^listen = .*|listen = $NET.1:$PORT|" "$T/ipcd.conf" >"$T/ns.conf"
grep -v '^token_file' "$T/ns.conf" >"$T/ns-none.conf"
printf 'not-it\n' >"$T/token2"
chmod 0600 "$T/token2"
sed "s|^token_file = .*|token_file = $T/token2|" "$T/ns.conf" >"$T/ns-wrong.conf"
status "from $NET.2 without the token: refused" 3 ip netns exec $NS \
    "$IPCCTL" -c "$T/ns-none.conf" submit --via=tcp --key=ns 1
contains "  saying so" "$(cat "$T/status.out")" "ipcd refused the connection: err denied"
status "  with a wrong one: refused" 3 ip netns exec $NS \
    "$IPCCTL" -c "$T/ns-wrong.conf" submit --via=tcp --key=ns 1
contains "  saying so" "$(cat "$T/status.out")" "wrong token"
status "  with the token: accepted" 0 ip netns exec $NS \
    "$IPCCTL" -c "$T/ns.conf" submit --via=tcp --key=ns 2 3
same "  the total" "$("$IPCCTL" result --key=ns)" 5
status "  pi from there too" 0 ip netns exec $NS "$IPCCTL" -c "$T/ns.conf" \
    pi --via=tcp --workers=3 --terms=1000
check "  logged with the peer's address" grep -q \
    "tcp: peer $NET.2: rejected input: " "$T/ipcd.log"
rej=$(stat_of tcp.rejected)
sed -i "s|^allow = .*|allow = $NET.3/32|" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a reload takes $NET.2 off the list" eventually 1 sh -c \
    "grep -c 'configuration reloaded' '$T/ipcd.log'"
same "  then it gets nothing, token or not" "$(ip netns exec $NS python3 \
    "$T/raw.py" $NET.1 $PORT "auth s3cret-$$\\nsubmit ns 7\\n" 3 |
    grep -v '^\(closed\|reset\)$')" ""
check "  counted" wait_stat tcp.rejected $((rej + 1))
same "  nothing taken" "$("$IPCCTL" result --key=ns)" 5
stop_ipcd
