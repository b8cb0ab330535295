#!/bin/sh
# Running out of memory stops ipcd with a message naming it, never a crash:
# allocation failure is fatal by design (xmalloc), and no half-written
# recovery path frees what was never made.  tests/tools/failalloc.c makes
# every allocation fail from a moment the test chooses.
. tests/lib.sh

case $BUILD in
*san*)	echo "skip - out of memory: the sanitizer owns malloc, a shim cannot"
	exit 0 ;;
esac
write_conf
for skip in 0 2 5; do
	rm -f "$T/oom"
	: >"$T/ipcd.log"
	LD_PRELOAD=$PWD/$BUILD/tests/failalloc.so FAILALLOC_FILE=$T/oom \
	    FAILALLOC_SKIP=$skip "$IPCD" -v >>"$T/ipcd.log" 2>&1 &
	IPCD_PID=$!
	wait_ready "$IPCD_PID"
	touch "$T/oom"
	# A new client makes ipcd allocate (its buffers, its events).
	timeout 5 "$IPCCTL" ping >/dev/null 2>&1
	timeout 10 sh -c "while kill -0 $IPCD_PID 2>/dev/null; do sleep 0.05; done"
	kill -KILL "$IPCD_PID" 2>/dev/null	# still up: a test failure below
	wait "$IPCD_PID"
	rc=$?
	IPCD_PID=
	same "allocations failing after $skip more: ipcd exits 1, not by a signal" "$rc" 1
	check "  saying it ran out of memory" grep -q "out of memory" "$T/ipcd.log"
done
