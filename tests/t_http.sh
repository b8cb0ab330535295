#!/bin/sh
# The HTTP server of [http]: /metrics in both formats (negotiated by
# Accept), promtool's check of the text, /healthz, 404, 405, HEAD; then
# hostile peers: huge request heads, a slowloris, more connections than
# max_clients, readers of a 100,000-key scrape that read nothing; and
# through all of it the Unix socket keeps serving and the totals stay
# exact.  Reload and start-up with [http] too.
. tests/lib.sh

for tool in curl python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skip - $tool is needed for the HTTP clients"
		exit 0
	fi
done

# Raw HTTP peers (python3), each printing one line for the shell to judge.
cat >"$T/hx.py" <<'EOF'
import select, socket, sys, time

def conn(port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s

def drain(s, limit):
    """All that comes until end of file (or LIMIT seconds): bytes, end."""
    out, end = b"", "timeout"
    s.settimeout(limit)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                end = "closed"
                break
            out += b
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        pass
    return out, end

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "send":
    # send PORT BYTES: the status line of the answer, or how it ended.
    s = conn(port)
    try:
        s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
    except (BrokenPipeError, ConnectionResetError):
        pass
    out, end = drain(s, 10)
    print(out.split(b"\r\n")[0].decode("latin-1") or end)
elif cmd == "head":
    # head PORT PATH: the status line of a HEAD, and the bytes after the
    # header (none, though Content-Length may say otherwise).
    s = conn(port)
    s.sendall(b"HEAD %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[3].encode())
    out, end = drain(s, 10)
    head, _, body = out.partition(b"\r\n\r\n")
    print("%s, %d bytes of body" % (head.split(b"\r\n")[0].decode(), len(body)))
elif cmd == "hold":
    # hold PORT N SECONDS: N connections (as many as are accepted), held.
    cs = []
    for _ in range(int(sys.argv[3])):
        try:
            cs.append(conn(port))
        except OSError:
            break
    time.sleep(float(sys.argv[4]))
    print(len(cs))
elif cmd == "slowloris":
    # slowloris PORT: a header line every 0.5 s, never the blank line.
    s = conn(port)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    while time.monotonic() - t0 < 30:
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            b = s.recv(4096)
            print("dropped after %d s%s" % (time.monotonic() - t0,
                ", with an answer" if b else ""))
            sys.exit(0)
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError):
            print("dropped after %d s" % (time.monotonic() - t0))
            sys.exit(0)
    print("still open after 30 s")
elif cmd == "crowd":
    # crowd PORT N: N connections that say nothing, then one more asking
    # for /healthz: is it answered only once ipcd has let one go?
    held = [conn(port) for _ in range(int(sys.argv[3]))]
    extra = conn(port)
    extra.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
    first_drop = answer = None
    t0 = time.monotonic()
    while answer is None and time.monotonic() - t0 < 30:
        r, _, _ = select.select(held + [extra], [], [], 1)
        now = time.monotonic()
        for s in r:
            if s is extra:
                answer = now
            elif first_drop is None:
                first_drop = now
    if answer is None:
        print("the extra connection was never answered")
    elif first_drop is not None and first_drop <= answer:
        print("answered after a held connection was dropped")
    else:
        print("answered while all %s were held" % sys.argv[3])
elif cmd == "stall":
    # stall PORT N FLAG: N scrapes that read nothing until FLAG exists,
    # then each says whether its body was cut short.
    import os
    ss = [conn(port, 4096) for _ in range(int(sys.argv[3]))]
    for s in ss:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    print("sent", flush=True)
    while not os.path.exists(sys.argv[4]):
        time.sleep(0.1)
    for s in ss:
        out, end = drain(s, 10)
        print("cut" if not out.endswith(b"\r\n0\r\n\r\n") and end != "timeout"
            else "whole" if end != "timeout" else "open")
elif cmd == "after":
    # after PORT REQUEST: send REQUEST, then trickle another one a byte
    # every 0.2 s (for up to 30 s): the answer's status, how long it took
    # ipcd to drop the connection.
    s = conn(port)
    t0 = time.monotonic()
    s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
    trickle = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: 1\r\n" * 100
    got, end = b"", "still open after 30 s"
    for c in trickle:
        if time.monotonic() - t0 > 30:
            break
        r, _, _ = select.select([s], [], [], 0.2)
        try:
            b = s.recv(4096) if r else None
            if b is None:
                s.sendall(bytes([c]))
                continue
        except (BrokenPipeError, ConnectionResetError):
            b = b""
        if not b:
            end = "dropped after %d s" % (time.monotonic() - t0)
            break
        got += b
    print("%s, %s" % (got.split(b"\r\n")[0].decode("latin-1") or "no answer", end))
elif cmd == "trickle":
    # trickle PORT: a scrape read 32 KB a second, never stopping long
    # enough for the 10 s rule: how it ended, when, and the bytes read.
    s = conn(port)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    t0, n, end = time.monotonic(), 0, "still open"
    while time.monotonic() - t0 < 80:
        time.sleep(1)
        try:
            b = s.recv(32768)
        except ConnectionResetError:
            b = b""
        if not b:
            end = "dropped"
            break
        n += len(b)
    print("%s after %d s, %d kB read" % (end, time.monotonic() - t0, n >> 10))
elif cmd == "flood":
    # flood PORT SECONDS: ask for /metrics, then for SECONDS send junk as
    # fast as ipcd takes it while reading 8 KB every 50 ms: the MB sent
    # (at most 256: far beyond what the socket buffers hold).
    s = conn(port)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    s.setblocking(False)
    junk, sent, t0 = b"x" * 65536, 0, time.monotonic()
    next_read = t0
    while time.monotonic() - t0 < float(sys.argv[3]) and sent < 256 << 20:
        try:
            sent += s.send(junk)
        except BlockingIOError:
            select.select([], [s], [], 0.01)
        except OSError:
            break
        if time.monotonic() >= next_read:
            try:
                s.recv(8192)
            except BlockingIOError:
                pass
            except OSError:
                break
            next_read += 0.05
    print(sent >> 20)
EOF
hx() {
	python3 "$T/hx.py" "$@" 2>&1
}

PORT=$(free_port)
V6=no
have_ipv6 && V6=yes
LISTEN=127.0.0.1:$PORT
[ $V6 = yes ] && LISTEN="$LISTEN, [::1]:$PORT"
MAXC=6
write_conf "[http]
enabled = yes
listen = $LISTEN
max_clients = $MAXC
[limits]
max_keys = 200000"
start_ipcd || exit 1
U=http://127.0.0.1:$PORT

# hget URL [CURL-ARGS...]: the status; headers in $T/h, body in $T/b.
hget() {
	hg_url=$1
	shift
	curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' --max-time 20 "$@" "$hg_url"
}
header() {
	tr -d '\r' <"$T/h" | sed -n "s/^$1: //Ip"
}

# --- the routes -------------------------------------------------------------
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$IPCCTL" submit --key=run.a 0.1 >/dev/null
done

same "GET /metrics: 200" "$(hget $U/metrics)" 200
same "  Content-Type is the classic text format" "$(header Content-Type)" \
    "text/plain; version=0.0.4; charset=utf-8"
same "  ten submissions of 0.1 make exactly 1" \
    "$(grep '^ipcd_key_total{key="run.a"}' "$T/b")" 'ipcd_key_total{key="run.a"} 1'
cp "$T/b" "$T/text.prom"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <"$T/text.prom" 2>&1)
	rc=$?
	same "  promtool check metrics is silent (status $rc)" "$rc:$out" "0:"
else
	echo "skip - promtool is not installed (Debian package prometheus)"
fi

same "GET /metrics, Accept: OpenMetrics: 200" "$(hget $U/metrics \
    -H 'Accept: application/openmetrics-text; version=1.0.0')" 200
same "  Content-Type is OpenMetrics 1.0.0" "$(header Content-Type)" \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"
same "  it ends with # EOF" "$(tail -n 1 "$T/b")" "# EOF"
same "  with the same total" \
    "$(grep '^ipcd_key_total{key="run.a"}' "$T/b")" 'ipcd_key_total{key="run.a"} 1'
# What Prometheus sends, and what must not be taken for OpenMetrics.
for a in 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1|application/openmetrics-text' \
    'text/plain, application/openmetrics-text|application/openmetrics-text' \
    'application/openmetrics-text;q=0.2, */*|text/plain' \
    'application/openmetrics-text;q=0|text/plain' \
    'application/openmetrics-text;version=2.0.0|text/plain' \
    '*/*|text/plain' 'text/html|text/plain'; do
	hget $U/metrics -H "Accept: ${a%|*}" >/dev/null
	same "Accept: ${a%|*} gets ${a#*|}" "$(header Content-Type | sed 's/;.*//')" \
	    "${a#*|}"
done

same "HEAD /metrics: 200" "$(hget $U/metrics -I)" 200
same "  with the Content-Type" "$(header Content-Type)" \
    "text/plain; version=0.0.4; charset=utf-8"
same "  and no body" "$(hx head $PORT /metrics)" "HTTP/1.1 200 OK, 0 bytes of body"
same "GET /healthz: 200 ok" "$(hget $U/healthz) $(cat "$T/b")" "200 ok"
same "HEAD /healthz: 200, no body" "$(hx head $PORT /healthz)" \
    "HTTP/1.1 200 OK, 0 bytes of body"
if [ $V6 = yes ]; then
	same "GET http://[::1]:$PORT/healthz: 200 (several listen addresses)" \
	    "$(hget "http://[::1]:$PORT/healthz" -g)" 200
fi
for p in / /metrics/ /metricsx /healthz/x '/metrics/../metrics' /%6detrics \
    '/metrics?x=1#y'; do
	case $p in
	'/metrics?x=1#y') want=200 ;;
	*) want=404 ;;
	esac
	same "GET $p: $want" "$(hget "$U$p" --path-as-is)" $want
done
for m in POST PUT DELETE OPTIONS PATCH; do
	same "$m /metrics: 405, Allow: GET, HEAD" \
	    "$(hget $U/metrics -X $m) $(header Allow)" "405 GET, HEAD"
done
same "POST with a body: 413 (no request has a body)" \
    "$(hget $U/metrics -d x=1)" 413
contains "a method evhttp does not know: answered 501" \
    "$(hx send $PORT 'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n')" " 501 "
contains "HTTP/1.0 GET /healthz: answered" \
    "$(hx send $PORT 'GET /healthz HTTP/1.0\r\n\r\n')" " 200 OK"
contains "garbage instead of a request line: 400" \
    "$(hx send $PORT '\x00\x01\x02 nonsense\r\n\r\n')" " 400 "

# --- hostile peers ------------------------------------------------------------
big=$(python3 -c 'print("a" * 20000)')
many=$(python3 -c 'print("".join("X-%d: y\\r\\n" % i for i in range(2000)))')
for what in "a 20,000-byte header|GET /metrics HTTP/1.1\r\nX-Big: $big\r\n\r\n" \
    "a 20,000-byte request line|GET /$big HTTP/1.1\r\n\r\n" \
    "2,000 headers|GET /metrics HTTP/1.1\r\n$many\r\n"; do
	got=$(hx send $PORT "${what#*|}")
	case $got in
	"HTTP/1.1 4"*|closed|reset) ok "${what%%|*}: refused ($got)" ;;
	*) notok "${what%%|*}: refused"; echo "#   got: $got" ;;
	esac
done

hx slowloris $PORT >"$T/slow.out" &
slow=$!
check "while a slowloris trickles its headers, /healthz is served" \
    test "$(hget $U/healthz)" = 200
check "  and the Unix socket too" "$IPCCTL" submit --key=during 1
wait $slow
contains "  the slowloris is dropped (5 s to send a request)" \
    "$(cat "$T/slow.out")" "dropped after"
echo "# the slowloris: $(cat "$T/slow.out")"

# One request per connection, whatever the method: evhttp would keep a
# connection after a CONNECT, and wait on a second request without the
# deadline of the first.
for req in 'CONNECT x:1|CONNECT x:1 HTTP/1.1\r\nHost: x\r\n\r\n' \
    'CONNECT /metrics|CONNECT /metrics HTTP/1.1\r\nHost: x\r\n\r\n' \
    'CONNECT and a GET in one packet|CONNECT x:1 HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n' \
    'GET /healthz|GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'; do
	got=$(hx after $PORT "${req#*|}")
	case $got in
	"HTTP/1.1 "*", dropped after "[0-1]" s")
		ok "${req%%|*}, then a request trickled: closed once answered ($got)" ;;
	*)	notok "${req%%|*}, then a request trickled: closed once answered"
		echo "#   got: $got" ;;
	esac
done

hx crowd $PORT $MAXC >"$T/crowd.out" &
crowd=$!
sleep 0.5	# not an assertion: the crowd is in place before the checks
check "with $MAXC silent connections (max_clients), a submission is served" \
    "$IPCCTL" submit --key=during 1
same "  and ipcd counts it" "$("$IPCCTL" result --key=during)" 2
wait $crowd
same "  connection $((MAXC + 1)) waits until one of the $MAXC is dropped" \
    "$(cat "$T/crowd.out")" "answered after a held connection was dropped"
same "  then /healthz is served again" "$(hget $U/healthz)" 200

# 100,000 keys, and readers of the whole exposition that read nothing.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "submit k%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
same "100,000 more keys" "$("$IPCCTL" stats | sed -n 's/^keys=//p')" 100002
same "a whole scrape of 100,002 keys: 200" "$(hget $U/metrics)" 200
same "  every key is in it" "$(grep -c '^ipcd_key_total{' "$T/b")" 100002
echo "# the exposition of 100,002 keys: $(wc -c <"$T/b") bytes"
# A reader that trickles: the 10 s rule never drops it, a minute does.
hx trickle $PORT >"$T/trickle.out" &
trickle=$!
rss() { awk "/^$1/ { print \$2 }" /proc/$IPCD_PID/status; }
base=$(rss VmRSS)
echo 5 >/proc/$IPCD_PID/clear_refs 2>/dev/null	# VmHWM from here
STALL=4
: >"$T/stall.out"
hx stall $PORT $STALL "$T/go" >>"$T/stall.out" &
stall=$!
eventually sent cat "$T/stall.out" >/dev/null
check "while $STALL readers of /metrics read nothing, /healthz is served" \
    test "$(hget $U/healthz)" = 200
same "  and a whole scrape by another client" \
    "$(hget $U/metrics) $(grep -c '^ipcd_key_total{' "$T/b")" "200 100002"
check "  and a submission over the Unix socket" "$IPCCTL" submit --key=during 1
check "  the $STALL are dropped after 10 s without progress" \
    sh -c "i=0; while [ \$i -lt 300 ]; do
	[ \$(grep -c 'scrape cut short' '$T/ipcd.log') -ge $STALL ] && exit 0
	sleep 0.1; i=\$((i + 1)); done; exit 1"
peak=$(rss VmHWM)
touch "$T/go"
wait $stall
same "  each of them saw its body cut short" \
    "$(grep -c '^cut$' "$T/stall.out")" $STALL
grow=$(( (peak - base) / 1024 ))
echo "# ipcd's RSS: $base kB before, peak $peak kB while $STALL readers stalled"
if [ "$BUILD" = build-san ]; then
	echo "skip - the RSS bound: ASan's quarantine holds freed memory"
else
	check "  ipcd's peak RSS grew by less than 8 MiB while they stalled (${grow} MiB)" \
	    test "$grow" -lt 8
fi

# A reader that floods ipcd with bytes while its scrape is sent: evhttp
# reads on (to see the peer leave), and what it reads is never used, so
# it must stop at a bound instead of taking all that comes.
base=$(rss VmRSS)
echo 5 >/proc/$IPCD_PID/clear_refs 2>/dev/null
mb=$(hx flood $PORT 4)
peak=$(rss VmHWM)
grow=$(( (peak - base) / 1024 ))
echo "# a scrape's reader sent $mb MiB of junk in 4 s; ipcd's RSS: $base kB, peak $peak kB"
if [ "$BUILD" = build-san ]; then
	echo "skip - the RSS bound: ASan's quarantine holds freed memory"
else
	check "  ipcd's peak RSS grew by less than 8 MiB while a reader flooded it (${grow} MiB)" \
	    test "$grow" -lt 8
fi
same "  and /healthz is served after" "$(hget $U/healthz)" 200

same "the totals are intact: run.a, during" \
    "$("$IPCCTL" result --key=run.a) $("$IPCCTL" result --key=during)" "1 3"
hget $U/metrics >/dev/null
same "  and /metrics says so" "$(grep '^ipcd_keys ' "$T/b")" "ipcd_keys 100002"

wait $trickle
got=$(cat "$T/trickle.out")
case $got in
"dropped after 6"[0-9]" s"*) ok "a reader that trickles its scrape is dropped after a minute ($got)" ;;
*)	notok "a reader that trickles its scrape is dropped after a minute"
	echo "#   got: $got" ;;
esac

# --- reload and start-up -----------------------------------------------------
P2=$(free_port)
sed -i "s/^listen = .*/listen = 127.0.0.1:$P2/; s/^max_clients = .*/max_clients = 2/" \
    "$T/ipcd.conf"
: >"$T/stall2.out"
hx stall $PORT 2 "$T/go2" >>"$T/stall2.out" &
stall=$!
eventually sent cat "$T/stall2.out" >/dev/null
kill -HUP "$IPCD_PID"
check "after a reload with a new listen address, it serves there" \
    eventually 200 hget http://127.0.0.1:$P2/healthz
touch "$T/go2"
wait $stall
same "  the scrapes stalled on the old address were cut" \
    "$(grep -c '^cut$' "$T/stall2.out")" 2
same "  and no longer on the old one" "$(hget $U/healthz)" 000
# Take the port, then reload onto it: the previous address is kept.
python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close()
time.sleep(60)' "$PORT" "$T/squat" &
squat=$!
check "  (another program takes the old port)" eventually yes sh -c \
    "test -e '$T/squat' && echo yes"
sed -i "s/^listen = .*/listen = 127.0.0.1:$PORT/" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a reload onto a port in use is refused, naming it" eventually 1 sh -c \
    "grep -c 'http: bind 127.0.0.1:$PORT: Address already in use; kept the previous settings' '$T/ipcd.log'"
same "  and the previous address still serves" \
    "$(hget http://127.0.0.1:$P2/healthz)" 200
sed -i "s/^enabled = yes/enabled = no/" "$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a reload with [http] enabled = no closes the server" \
    eventually 000 hget http://127.0.0.1:$P2/healthz
check "  and the Unix socket serves on" "$IPCCTL" ping
stop_ipcd
status "ipcd stops cleanly" 0 test $? -eq 0

: >"$T/ipcd.log"
write_conf "[http]
enabled = yes
listen = 127.0.0.1:$PORT"
timeout 10 "$IPCD" >"$T/ipcd.log" 2>&1
rc=$?
same "ipcd does not start when [http] listen is taken (status 1)" $rc 1
contains "  and says why" "$(cat "$T/ipcd.log")" \
    "http: bind 127.0.0.1:$PORT: Address already in use"
kill $squat 2>/dev/null
wait $squat 2>/dev/null

# Out of descriptors: accept fails with EMFILE; ipcd pauses accepting for
# a second each time instead of spinning, and serves once they are back.
if command -v prlimit >/dev/null 2>&1; then
	P3=$(free_port)
	write_conf "[http]
enabled = yes
listen = 127.0.0.1:$P3
max_clients = 100"
	printf '#!/bin/sh\nexec prlimit --nofile=40:40 "%s" "$@"\n' "$IPCD" >"$T/lowfd"
	chmod +x "$T/lowfd"
	IPCD=$T/lowfd
	: >"$T/ipcd.log"
	start_ipcd || exit 1
	hx hold $P3 60 3 >"$T/hold.out" &
	hold=$!
	check "60 connections with 40 descriptors: accept fails, logged" eventually 1 \
	    sh -c "grep -c -m 1 'http: accept: Too many open files' '$T/ipcd.log'"
	wait $hold
	n=$(grep -c 'http: accept: Too many open files' "$T/ipcd.log")
	check "  at most once a second, not in a loop ($n lines in 3 s)" test "$n" -lt 10
	check "  once they are closed, /healthz is served" \
	    eventually 200 hget http://127.0.0.1:$P3/healthz
	stop_ipcd
else
	echo "skip - EMFILE on accept: prlimit is not installed"
fi
exit 0
