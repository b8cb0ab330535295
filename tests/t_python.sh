#!/bin/sh
# The Python module (client/python): its unit tests against a private
# ipcd with every transport open, [tcp] on with a token, and libipcd from
# the build; then examples/pi.py over each transport, which must print
# the figure of "ipcctl pi".
. tests/lib.sh

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
	echo "skip - $PYTHON is not installed"
	exit 0
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
	echo "skip - $PYTHON is older than 3.9"
	exit 0
fi

PORT=$(free_port)
printf 'py-test-token-%s\n' "$$" >"$T/token"
chmod 600 "$T/token"
write_conf "[tcp]
enabled = yes
listen = 127.0.0.1:$PORT
token_file = $T/token"
start_ipcd || exit 1

export PYTHONPATH=$PWD/client/python PYTHONDONTWRITEBYTECODE=1
export IPCD_BUILD=$PWD/$BUILD
export IPCD_TEST_DAEMON=$IPCD_PID
if [ -e "$BUILD/libipcd.so.0" ]; then
	export IPCD_LIBRARY=$PWD/$BUILD/libipcd.so.0
else
	echo "skip - libipcd is not built: mq, shm and sysv from Python"
fi
# A library built with ASan (make SANITIZE=1) needs its runtime first in
# the interpreter, which is not built with it; Python's own allocations
# at exit are not leaks of ours.
asan=$(ldd "$BUILD/libipcd.so.0" 2>/dev/null |
    sed -n 's/.*libasan[^ ]* => \([^ ]*\) .*/\1/p')
py() {
	if [ -n "$asan" ]; then
		LD_PRELOAD=$asan ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		    "$PYTHON" "$@"
	else
		"$PYTHON" "$@"
	fi
}

# unittest -v reports "NAME (MODULE.CLASS.NAME)", a docstring's first
# line on the next line if there is one, then "... ok", "... FAIL",
# "... ERROR" or "... skipped 'WHY'": one ok/not ok/skip line each.
py -m unittest discover -s client/python/tests -v >"$T/unittest.out" 2>&1
rc=$?
awk '
/^test[^ ]* \([^)]*\)/ { name = $2; gsub(/[()]/, "", name) }
/ \.\.\. ok$/ { print "ok - python " name; next }
/ \.\.\. (FAIL|ERROR)$/ { print "not ok - python " name; next }
/ \.\.\. skipped / { sub(/.* \.\.\. skipped ./, ""); sub(/.$/, "");
	print "skip - python " name ": " $0; next }
' "$T/unittest.out"
if [ $rc -ne 0 ]; then
	notok "python3 -m unittest exited with status $rc"
	sed -n '/^=====/,$p' "$T/unittest.out" | sed 's/^/#   /' | head -60
fi

# The example over every transport the module speaks (and this ipcd has
# open), with the figure ipcctl prints for the same job.
# The total too: the workers sum their slices in the order ipcctl's do.
ref=$("$IPCCTL" pi)
want=$(printf '%s\n' "$ref" | tail -n 1)
total=$(printf '%s\n' "$ref" | sed -n 's/.*, total //p')
same "ipcctl pi prints 3.14159262176" "$want" 3.14159262176
for via in unix tcp fifo mq shm sysv spool; do
	if ! "$IPCCTL" stats | grep -q "^$via.open=1"; then
		echo "skip - pi.py --via=$via: ipcd has no $via transport"
		continue
	fi
	case $via in
	unix|tcp|fifo) ;;
	*)	if [ -z "$IPCD_LIBRARY" ]; then
			echo "skip - pi.py --via=$via: libipcd is not built"
			continue
		fi ;;
	esac
	start=$(date +%s%N)
	got=$(py client/python/examples/pi.py --via=$via 2>&1)
	echo "# pi.py --via=$via: $((($(date +%s%N) - start) / 1000000)) ms"
	same "pi.py --via=$via prints $want" "$(printf '%s\n' "$got" | tail -n 1)" "$want"
	same "  the total, as ipcctl's: $total" \
	    "$(printf '%s\n' "$got" | sed -n 's/.*, total //p')" "$total"
done

# A client kept across ipcd's idle_timeout: ipcd closed its connection
# (with a goodbye line); the next request connects anew.
stop_ipcd
write_conf "[limits]
idle_timeout = 1"
start_ipcd || exit 1
"$IPCCTL" submit --key=idle 1
same "a Client idle past idle_timeout: the next result is answered" \
    "$(IPCD_CONFIG=$T/ipcd.conf py -c 'import time, ipcd
c = ipcd.Client()
c.ping()
time.sleep(3)
try:
    print(c.result("idle").total)
except ipcd.Error as e:
    print(type(e).__name__, e)' 2>&1)" 1.0

stop_ipcd
