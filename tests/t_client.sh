#!/bin/sh
# ipcctl itself: what it links, all-or-nothing submissions, NUL bytes,
# timeouts against a stopped ipcd, totals beyond the double range, escaped
# echoes, the hello it opens every connection with, keys paging.  Where
# the daemon's side is not the point, a scripted fake ipcd answers.
. tests/lib.sh

# --- what ipcctl links ----------------------------------------------------
if command -v readelf >/dev/null; then
	libs=$(readelf -d "$IPCCTL" | grep NEEDED)
	check "ipcctl links no libsystemd" sh -c "! echo '$libs' | grep -q libsystemd"
	check "ipcctl links no libevent" sh -c "! echo '$libs' | grep -q libevent"
	# Each library loaded costs at every start of a one-shot ipcctl (the
	# sanitizers' runtimes of a SANITIZE=1 build aside).
	same "ipcctl loads libc and at most inih" "$(echo "$libs" |
	    sed -n 's/.*\[\(.*\)\]/\1/p' |
	    grep -v '^libc\.so\|^ld-linux\|^libinih\.so\|^libasan\.so\|^libubsan\.so')" ""
	check "  (but ipcd does link libsystemd)" sh -c \
	    "readelf -d '$IPCD' | grep NEEDED | grep -q libsystemd"
else
	echo "skip - readelf is not installed"
fi

start_ipcd || exit 1

# --- all or nothing -------------------------------------------------------
status "submit 1 2 abc 4: exit 4" 4 "$IPCCTL" submit --key=m 1 2 abc 4
contains "  naming the bad value" "$(cat "$T/status.out")" 'value 3, "abc": '
contains "  and saying nothing was sent" "$(cat "$T/status.out")" "nothing sent"
status "  and no value was applied" 4 "$IPCCTL" result --key=m
out=$("$IPCCTL" --json submit --key=m 1 x 2>/dev/null)
same "  --json still prints the tally" "$out" \
    '{"via":"unix","sent":0,"accepted":0,"duplicates":0,"rejected":1}'

# --- a NUL inside a line rejects the line ---------------------------------
status "a line with a NUL: exit 4" 4 sh -c "printf '1\\0009999\\n5\\n' |
    \"$IPCCTL\" submit --key=nul -"
contains "  the line is named, the NUL escaped" "$(cat "$T/status.out")" \
    'line 1 of standard input: "1\x009999": contains a NUL byte'
same "  and only the good line counts" "$("$IPCCTL" result --key=nul)" 5

# --- submit - takes whole records, over every transport -------------------
for via in unix fifo mq shm; do
	status "submit --via=$via - takes records of the FIFO format" 4 sh -c \
	    "printf 'r$via 2.5\\n@1 b$via 1e6 3/10\\nx y z w\\n7\\n' |
	    \"$IPCCTL\" submit --via=$via -"
	contains "  a bad line is named by its number" "$(cat "$T/status.out")" \
	    'line 3 of standard input: "x y z w": record has too many fields'
	check "  KEY VALUE" wait_count r$via 1
	same "  KEY VALUE I/N: a part" "$(field b$via parts)/$(field b$via nparts)" 1/10
	check "  a bare VALUE: the key default, after the bad line" \
	    eventually "$(echo $via | sed 's/unix/7/; s/fifo/14/; s/mq/21/; s/shm/28/')" \
	    field default total
done
same "  the lines were taken as they are" "$(field rshm total)/$(field bshm total)" 2.5/1000000
status "with --key, lines stay bare values" 4 sh -c \
    "printf 'jobs 2.5\\n' | \"$IPCCTL\" submit --key=bare -"
contains "  the record is refused as a value" "$(cat "$T/status.out")" \
    'line 1 of standard input: "jobs 2.5": value is not a number'
"$IPCCTL" reset --all >/dev/null

# --- escaped echoes -------------------------------------------------------
out=$(printf 'a\001\033[31mb\n' | "$IPCCTL" submit --key=esc - 2>&1)
contains "a rejected line is echoed with its control bytes escaped" "$out" \
    '"a\x01\x1b[31mb"'
check "  and no raw control byte reaches the terminal" sh -c \
    "! printf '%s' '$out' | LC_ALL=C grep -q '[[:cntrl:]]'"
out=$("$IPCCTL" submit --key="$(printf 'k\033x')" 1 2>&1)
contains "a bad key is echoed escaped" "$out" '"k\x1bx"'

# --- overflow ---------------------------------------------------------------
"$IPCCTL" submit --key=big 1e308 1e308 >/dev/null
status "a total beyond the double range: exit 4" 4 "$IPCCTL" result --key=big
contains "  saying so" "$(cat "$T/status.out")" "total overflows a double"
out=$("$IPCCTL" --json result --key=big 2>/dev/null)
contains "  --json: total null, overflow true" "$out" '"total":null'
contains "  --json: overflow true" "$out" '"overflow":true'
check "  never the string inf" sh -c "! echo '$out' | grep -q inf"
status "keys with an overflowing key: exit 4" 4 "$IPCCTL" keys 'big'
contains "  the key is listed as overflowing" "$(cat "$T/status.out")" \
    "big	overflow	2"
"$IPCCTL" reset --key=big >/dev/null

# --- keys GLOB --------------------------------------------------------------
for k in g1 g2 h1; do "$IPCCTL" submit --key=$k 1; done
same "keys GLOB lists the matching keys" \
    "$("$IPCCTL" keys 'g*' | cut -f1 | sort | tr '\n' ' ')" "g1 g2 "
same "keys GLOB --json is an array" "$("$IPCCTL" --json keys 'h?' |
    sed 's/"total".*//')" '[{"key":"h1",'
status "a GLOB with a space is refused (2)" 2 "$IPCCTL" keys 'a b'
status "keys --limit=0 is refused (2)" 2 "$IPCCTL" keys --limit=0
status "keys --limit=1001 is refused (2)" 2 "$IPCCTL" keys --limit=1001

# --- timeouts against a stopped ipcd ----------------------------------------
status "--timeout=0 is refused (2)" 2 "$IPCCTL" --timeout=0 ping
status "ping --timeout=0 is refused (2)" 2 "$IPCCTL" ping --timeout=0
kill -STOP "$IPCD_PID"
status "ipcd stopped: ping gives up after the timeout (3)" 3 \
    timeout 20 "$IPCCTL" ping --timeout=0.5
contains "  naming what it waited for" "$(cat "$T/status.out")" \
    'gave up after 0.5 s waiting for the reply to "hello"'
status "ipcd stopped: submit 1 gives up (3)" 3 \
    timeout 20 "$IPCCTL" --timeout=0.5 submit 1
contains "  saying which value and why" "$(cat "$T/status.out")" \
    'submit over unix failed at the end of the input: gave up after 0.5 s waiting for the replies to 1 submissions'
status "ipcd stopped: the [client] timeout applies too (3)" 3 timeout 20 \
    sh -c "printf '[client]\ntimeout = 1\n' >>'$T/ipcd.conf'; \"$IPCCTL\" stats"
write_conf
status "ipcd stopped: submit --via=fifo - into a full pipe gives up (3)" 3 \
    timeout 20 sh -c "seq 1 200000 | \"$IPCCTL\" submit --via=fifo --timeout=0.5 -"
contains "  naming the line and the FIFO" "$(cat "$T/status.out")" \
    "gave up after 0.5 s waiting for room in the FIFO"
status "ipcd stopped: submit --via=mq into a full queue gives up (3)" 3 \
    timeout 20 sh -c "seq 1 50 | \"$IPCCTL\" submit --via=mq --timeout=0.5 -"
contains "  saying so" "$(cat "$T/status.out")" "waiting for room in the message queue"
status "ipcd stopped: result --wait --timeout=0.3 still ends (3)" 3 \
    timeout 20 "$IPCCTL" --timeout=0.5 result --key=x --timeout=0.3
kill -CONT "$IPCD_PID"
status "ipcd running again: result --wait --timeout keeps exit 5" 5 \
    "$IPCCTL" result --key=never --timeout=0.2
contains "  naming the missing parts" "$(cat "$T/status.out")" "no parts received"
stop_ipcd

# --- the hello, against a scripted fake ipcd --------------------------------
# fake.py SOCKET REPLY_TO_HELLO: answers "hello" only once the next request
# has arrived too (ipcctl must pipeline them), then answers each request
# from a table.
cat >"$T/fake.py" <<'EOF'
import os, socket, sys
path, hello = sys.argv[1], sys.argv[2]
table = {
    "ping": ["ok proto=2 pid=1 note=\"\x01\x1b[2J\""],
    "result default": ["ok key=\"default\" total=null overflow=true count=2 min=1e308 max=1e308 parts=0 nparts=0 duplicates=0"],
    "keys limit=2": ["ok count=2 cursor=7", "key=\"a\" total=1 count=1 min=1 max=1 parts=0 nparts=0 duplicates=0",
                     "key=\"b\" total=2 count=1 min=2 max=2 parts=0 nparts=0 duplicates=0"],
    "keys cursor=7 limit=2": ["ok count=1 cursor=0", "key=\"c\" total=3 count=1 min=3 max=3 parts=0 nparts=0 duplicates=0"],
    "reset default": ["err denied no \x07bell\x01"],
}
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
open(path + ".ready", "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(5)
    f = c.makefile("rwb")
    try:
        first = f.readline().decode().rstrip("\n")
        nxt = f.readline().decode().rstrip("\n")
        out = [hello if first.startswith("hello ") else "err usage no hello first"]
        out += table.get(nxt, ["err usage unknown"])
        while True:
            f.write(("\n".join(out) + "\n").encode())
            f.flush()
            nxt = f.readline().decode().rstrip("\n")
            if not nxt:
                break
            out = table.get(nxt, ["err usage unknown"])
    except Exception:
        pass
    c.close()
EOF
fake() {
	rm -f "$T/ipcd.sock" "$T/ipcd.sock.ready"
	python3 "$T/fake.py" "$T/ipcd.sock" "$1" &
	FAKE=$!
	i=0
	until [ -e "$T/ipcd.sock.ready" ] || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
}
fake 'ok proto=2 version="0.1.0" pid=1'
status "hello pipelined with the request: ping works" 0 timeout 20 "$IPCCTL" --timeout=3 ping
contains "  and the reply's control bytes are escaped" "$(cat "$T/status.out")" \
    'note="\x01\x1b[2J"'
status "overflow as total=null: exit 4" 4 timeout 20 "$IPCCTL" result
contains "  saying so" "$(cat "$T/status.out")" "total overflows a double"
same "  --json" "$(timeout 20 "$IPCCTL" --json result 2>/dev/null | cut -d, -f1-3)" \
    '{"key":"default","total":null,"overflow":true'
same "keys follows the cursor until 0" \
    "$(timeout 20 "$IPCCTL" keys --limit=2 | cut -f1 | tr '\n' ' ')" "a b c "
same "  --json: one array" "$(timeout 20 "$IPCCTL" --json keys --limit=2 |
    grep -o '"key":"[a-c]"' | tr '\n' ' ')" '"key":"a" "key":"b" "key":"c" '
status "an error from ipcd: exit 4" 4 timeout 20 "$IPCCTL" reset
contains "  its control bytes escaped" "$(cat "$T/status.out")" 'no \x07bell\x01'
kill "$FAKE"
command wait "$FAKE" 2>/dev/null || :

fake 'err version ipcd speaks protocol 3, the client 2'
status "an ipcd of another protocol is refused (3)" 3 timeout 20 "$IPCCTL" ping
contains "  naming both versions" "$(cat "$T/status.out")" \
    "ipcd speaks protocol 3, the client 2 (this ipcctl 0.1.0 speaks protocol 2)"
status "  submit too (3)" 3 timeout 20 "$IPCCTL" submit 1
contains "  saying so" "$(cat "$T/status.out")" "protocol mismatch"
kill "$FAKE"
command wait "$FAKE" 2>/dev/null || :

fake 'err usage unknown request "hello"'
status "an ipcd older than hello is spoken to (protocol 1)" 0 timeout 20 "$IPCCTL" ping
kill "$FAKE"
command wait "$FAKE" 2>/dev/null || :
:
