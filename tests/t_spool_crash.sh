#!/bin/sh
# The spool's exactly-once promise: a file is counted once however ipcd
# dies.  First ipcd is killed at the very moment it would remove a file
# it has committed (strace injects SIGKILL at the unlinkat); then a
# stream of files meets kill -9 at random moments, and every file must be
# counted once: the total, the count, and no duplicate part.
. tests/lib.sh

S=$T/spool
NOMQ="[mq]
enabled = no"
write_conf "$NOMQ"
mkdir -p "$S"

present() {
	if [ -e "$S/$1" ]; then echo yes; fi
}

# under_strace WHEN: ipcd killed at its WHEN-th unlinkat.
under_strace() {
	strace -f -qq -o /dev/null -e trace=unlinkat \
	    -e inject=unlinkat:signal=KILL:when="$1" "$IPCD" -v \
	    >>"$T/ipcd.log" 2>&1 &
	IPCD_PID=$!
	wait_ready "$IPCD_PID"
}

if command -v strace >/dev/null && under_strace 1; then
	printf 'x 1\nx 2\n' >"$S/.a" && mv "$S/.a" "$S/a"
	command wait "$IPCD_PID"
	same "killed at the unlinkat that follows the commit" "$?" 137
	IPCD_PID=
	same "  the committed file is still there" "$(present a)" yes
	check "ipcd restarts" start_ipcd
	check "  and removes it" eventually "" present a
	same "  without counting it again" "$("$IPCCTL" result --key=x)" 3
	same "  (count)" "$(field x count)" 2
	check "  and says so" grep -q "1 file applied before a stop was still there" "$T/ipcd.log"
	stop_ipcd
	# A crash in the middle of writing the transaction: the journal (empty
	# after the clean stop above) holds J_BEGIN (20 bytes), J_SPOOL (54
	# for the name "t"), J_TIME (28), J_SET of the key t (57) and
	# J_COMMIT (20); cut
	# after J_SPOOL, on an entry's boundary, the file would be known as
	# applied while its records are not there: the transaction must go
	# whole, and the file be applied again.
	under_strace 1
	printf 't 5\n' >"$S/.t" && mv "$S/.t" "$S/t"
	command wait "$IPCD_PID"
	IPCD_PID=
	same "the journal holds the one transaction" \
	    "$(stat -c %s "$T/state.journal")" 179
	truncate -s 74 "$T/state.journal"
	check "ipcd restarts on a journal cut inside a transaction" start_ipcd
	check "  drops the unfinished transaction, and says so" \
	    grep -q "a transaction left unfinished" "$T/ipcd.log"
	check "  takes the file again" eventually "" present t
	same "  and counts it once" "$(field t count)" 1
	stop_ipcd

	# Killed at later unlinkats: in the middle of a stream, or of the
	# removals at start (the files dropped meanwhile wait for the next).
	dropped=0
	for when in 2 3 5; do
		under_strace "$when"
		for i in 1 2 3 4 5 6; do
			printf 'y 1\n' >"$S/.y$when.$i" &&
			    mv "$S/.y$when.$i" "$S/y$when.$i"
			dropped=$((dropped + 1))
			"$IPCCTL" ping >/dev/null 2>&1
		done
		command wait "$IPCD_PID"
		IPCD_PID=
	done
	start_ipcd
	check "killed at the 2nd, 3rd, 5th unlinkat: every file counted once" \
	    wait_count y $dropped
	"$IPCCTL" ping >/dev/null
	same "  and no more" "$(field y count)" $dropped
	stop_ipcd
else
	echo "skip - kill at the unlinkat: needs strace (with syscall fault injection)"
fi

# A stream of files, ipcd killed at random moments.  Each file holds
# three records of the key c and one part of p: counted twice, c would
# show it, and p a duplicate; counted half, c would not be a multiple of 3.
N=1000
mkdir "$T/stage"
awk -v n=$N -v dir="$T/stage" 'BEGIN {
	for (i = 1; i <= n; i++) {
		f = dir "/f" i
		printf "c 1\nc 1\nc 1\np 1 %d/%d\n", i, n >f
		close(f)
	}
}'
(
	i=1
	while [ $i -le $N ]; do
		mv "$T/stage/f$i" "$S/f$i"
		[ $((i % 5)) -eq 0 ] && sleep 0.01
		i=$((i + 1))
	done
) &
writer=$!
rand() {
	od -An -N1 -tu1 /dev/urandom | tr -d ' '
}
kills=0
while kill -0 "$writer" 2>/dev/null || [ "$(ls "$S" | grep -c '^f')" -gt 0 ]; do
	start_ipcd >/dev/null || break
	sleep "0.0$(rand)"
	kill9
	kills=$((kills + 1))
	[ $kills -lt 200 ] || break
done
wait_all "$writer"
check "ipcd restarts after $kills kills" start_ipcd
check "  (kills landed in the stream)" test "$kills" -ge 3
check "  and takes what is left" eventually 0 sh -c "ls \"$S\" | grep -c '^f'"
"$IPCCTL" ping >/dev/null
same "every file counted once: the total" "$("$IPCCTL" result --key=c)" $((3 * N))
same "  the count" "$(field c count)" $((3 * N))
same "  every part in" "$(field p parts)" $N
same "  none twice" "$(field p duplicates)" 0
same "  nothing rejected" "$(stat_of spool.rejected)" 0
echo "# $(grep -c "applied before a stop" "$T/ipcd.log") starts found committed files still there"
check "ipcd stops cleanly" stop_ipcd
