#!/bin/sh
# valgrind memcheck on the real ipcd, driven through every transport and
# every request: no invalid access, no use of uninitialised memory, no
# block definitely lost at a clean stop; ipcctl likewise for a few
# commands.  (make check SANITIZE=1 builds with ASan, which valgrind
# cannot run: there this test is skipped, the plain make check runs it.)
. tests/lib.sh

if ! command -v valgrind >/dev/null; then
	echo "skip - valgrind is not installed (make deps installs it)"
	exit 0
fi
if grep -q __asan_init "$IPCD" 2>/dev/null; then
	echo "skip - valgrind: $BUILD/ipcd is built with ASan (SANITIZE=1)"
	exit 0
fi

VG="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite
    --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30"

# vg_clean LOG...: each log says 0 errors and nothing definitely lost.
vg_clean() {
	for log in "$@"; do
		grep -q "ERROR SUMMARY: 0 errors" "$log" &&
		    ! grep -q "definitely lost: [1-9]" "$log" || {
			echo "# $log:"
			grep -v "^==[0-9]*== *$" "$log" | head -60 | sed 's/^/#   /'
			return 1
		}
	done
}

write_conf "[tcp]
enabled = yes
listen = 127.0.0.1:$(free_port)"
$VG --log-file="$T/vg-ipcd.log" "$IPCD" -v >>"$T/ipcd.log" 2>&1 &
IPCD_PID=$!
if ! wait_ready "$IPCD_PID" 600; then
	notok "ipcd starts under valgrind"
	sed 's/^/#   /' "$T/ipcd.log" "$T/vg-ipcd.log" | tail -30
	exit 1
fi
ok "ipcd starts under valgrind"

# Every transport, parts, a duplicate, a stream.
for via in unix fifo mq shm tcp sysv spool; do
	"$IPCCTL" submit --via=$via --key=k -- 1.5 -0.5
done
"$IPCCTL" submit --via=unix --key=p --part=1/4 1
"$IPCCTL" submit --via=fifo --key=p --part=2/4 2
"$IPCCTL" submit --via=mq --key=p --part=3/4 3
"$IPCCTL" submit --via=unix --key=p --part=1/4 9 2>/dev/null	# duplicate
seq 1 2000 | "$IPCCTL" submit --key=stream -
check "submissions over unix, fifo, mq, shm, tcp, sysv, spool" wait_count k 14
same "  and their exact total" "$("$IPCCTL" result --key=k)" 7
same "a stream of 2000 values" "$("$IPCCTL" result --key=stream)" 2001000

# result --wait: one answered when the last part comes in, one that times
# out, one whose client goes away while it waits.
"$IPCCTL" result --key=p --wait --timeout=30 >"$T/wait.out" 2>&1 &
waiter=$!
"$IPCCTL" result --key=gone --wait --timeout=30 >/dev/null 2>&1 &
quitter=$!
sleep 1
kill "$quitter"
wait "$quitter" 2>/dev/null
status "result --wait that times out exits 5" 5 \
    "$IPCCTL" result --key=p --wait --timeout=1
"$IPCCTL" submit --via=shm --key=p --part=4/4 4
wait "$waiter"
same "result --wait returns when the last part arrives" "$(cat "$T/wait.out")" 10
same "the duplicate part was not counted" "$(field p duplicates)" 1

# Bad input on each transport.
replies=$(printf 'submit k nan\nsubmit k 1 0/3\nsubmit p 1 1/5\nsubmit @9 k 1\nfrobnicate\nresult nokey\nsubmit k 1\0\n' |
    "$RAWIPC" unix "$T/ipcd.sock")
same "bad requests on the socket: 7 err replies" \
    "$(printf '%s\n' "$replies" | grep -c '^err ')" 7
printf 'k nan\nk 1 2 3 4\n@2 k 1\nk \001\n%s\n' "$(head -c 5000 /dev/zero | tr '\0' 7)" \
    >"$T/ipcd.fifo"
for m in 'k inf' 'k 1 1/0' '' 'k 1.2.3'; do
	printf '%s' "$m" | "$RAWIPC" mq "$NAME"
done
"$RAWIPC" shm "$NAME" 200 k 1 0 0
"$RAWIPC" shm "$NAME" 1 k nan 0 0
"$RAWIPC" shm "$NAME" 1 k 1 5 3
# The wild head goes to a free slot, maybe the one just used: only once
# ipcd (slow under valgrind) has taken the records out of it.
check "bad records rejected in shared memory" wait_stat shm.rejected 3
"$RAWIPC" shm-head "$NAME" 0xffffffffffff
check "  and a wild ring head" wait_stat shm.rejected 4
check "  on the fifo" wait_stat fifo.rejected 5
check "  on the message queue" wait_stat mq.rejected 4
printf 'k 1' | "$RAWIPC" sysv "$T" 2
printf 'k nan' | "$RAWIPC" sysv "$T" 1
head -c 5000 /dev/zero | tr '\0' 7 | "$RAWIPC" sysv "$T" 1
check "  on the System V queue" wait_stat sysv.rejected 3
printf 'k 1\nk nan\n' >"$T/spool/bad"
ln -s /etc/passwd "$T/spool/link"
check "  in the spool" wait_stat spool.rejected 2
same "  and no total moved" "$("$IPCCTL" result --key=k)" 7

# keys, stats, reset.
same "keys" "$("$IPCCTL" keys | cut -f1 | sort | tr '\n' ' ')" "k p stream "
check "stats" "$IPCCTL" stats
check "--json stats" "$IPCCTL" --json stats
"$IPCCTL" reset --key=stream >/dev/null
status "a reset key is gone" 4 "$IPCCTL" result --key=stream

# SIGHUP: a good reload that moves the FIFO and changes a limit, a bad one.
cp "$T/ipcd.conf" "$T/good.conf"
sed -i "s|$T/ipcd.fifo|$T/moved.fifo|" "$T/ipcd.conf"
printf '[limits]\nmax_keys = 50\n' >>"$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "SIGHUP reload moves the FIFO" eventually yes \
    sh -c "test -p '$T/moved.fifo' && echo yes"
printf '[fifo]\nmode = 999\n' >>"$T/ipcd.conf"
kill -HUP "$IPCD_PID"
check "a bad reload is refused" eventually 1 \
    sh -c "grep -c 'reload: .*mode' '$T/ipcd.log'"
sed -i '$d' "$T/ipcd.conf"
sed -i '$d' "$T/ipcd.conf"

# The reference job over each transport.
for via in unix fifo mq shm tcp sysv spool pipe socketpair; do
	out=$("$IPCCTL" pi --terms=100000 --via=$via 2>&1)
	contains "pi --terms=100000 over $via" "$out" "3.1415"
done
"$IPCCTL" reset --all >/dev/null

# ipcctl itself under valgrind (the pi workers are forks: a log each).
"$IPCCTL" submit --key=c 1
for cmd in "submit --key=c 2" "submit --via=shm --key=c 3" \
    "--json result --key=c" "keys" "stats" "result --key=nokey" \
    "pi --workers=2 --terms=1000 --via=mq" "submit --via=tcp --key=c 4" \
    "submit --via=sysv --key=c 5" "submit --via=spool --key=c 6"; do
	$VG --log-file="$T/vg-ipcctl.%p.log" "$IPCCTL" $cmd >/dev/null 2>&1
	rc=$?
	[ $rc -ne 99 ] || notok "ipcctl $cmd: valgrind found errors"
done
n=$(ls "$T"/vg-ipcctl.*.log | wc -l)
check "ipcctl under valgrind: $n processes (10 commands, 2 pi workers)" \
    test "$n" -ge 12
check "  0 errors, nothing definitely lost" vg_clean "$T"/vg-ipcctl.*.log

kill -TERM "$IPCD_PID"
wait "$IPCD_PID"
rc=$?
IPCD_PID=
same "ipcd under valgrind exits 0 on SIGTERM (99: valgrind errors)" "$rc" 0
check "ipcd: ERROR SUMMARY: 0 errors, nothing definitely lost" \
    vg_clean "$T/vg-ipcd.log"
echo "# $(grep -E 'ERROR SUMMARY|definitely lost|in use at exit' "$T/vg-ipcd.log" |
    sed 's/^==[0-9]*== *//' | tr '\n' ' ')"
