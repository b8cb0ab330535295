#!/bin/sh
# Regenerate the seed corpora in tests/fuzz/corpus/: real state files made
# by a real ipcd (so the state fuzzer starts from inputs whose CRC-32Cs are
# right), a few records, a slot of a shared-memory ring and configuration
# files.  Run from the top directory after `make`; the seeds are checked
# in, so this is only needed when a format changes.
#
# usage: sh tests/fuzz/mkcorpus.sh [BUILD_DIR]
BUILD=${1:-build}
export BUILD
. tests/lib.sh

C=tests/fuzz/corpus
# The regression seeds (inputs of fixed bugs) stay, and so do the state
# seeds of an older format (v3-*: snapshot version 3, journals without
# J_TIME, made by ipcd 0.1.0), which the loader still reads.
find "$C" -type f ! -name 'regress-*' ! -name 'v3-*' -delete 2>/dev/null
mkdir -p "$C/fuzz_record" "$C/fuzz_conf" "$C/fuzz_state" "$C/fuzz_format"

# --- records: one line each, and one shm_rec slot ----------------------
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" >"$C/fuzz_record/line$i"
done <<'EOR'
2.5
pi 0.785398 3/10
@1 run42 -1e-3 1/1
k 0x1p-4
k	-0	1000000/1000000
a:b.c_d-e 5e-324 2/3
big 1.7976931348623157e308
k nan
@2 k 1
EOR
# struct shm_rec: value (double 1.5), part 2, nparts 3, keylen 2, key "pi",
# zero padding to 88 bytes.
{
	printf '\000\000\000\000\000\000\370\077'
	printf '\002\000\000\000\003\000\000\000\002pi'
	head -c 69 /dev/zero
} >"$C/fuzz_record/shm_rec"

# --- numbers: a double's 8 bytes, little-endian -------------------------
# le64 HEX: the 16 hex digits of a bit pattern as 8 bytes, low byte first.
le64() {
	h=$1
	i=14
	while [ $i -ge 0 ]; do
		printf "\\$(printf %03o "0x$(echo "$h" | cut -c$((i + 1))-$((i + 2)))")"
		i=$((i - 2))
	done
}
while read -r name bits; do
	le64 "$bits" >"$C/fuzz_format/$name"
done <<'EON'
one 3ff0000000000000
tenth 3fb999999999999a
minus-zero 8000000000000000
dbl-max 7fefffffffffffff
dbl-min 0010000000000000
true-min 0000000000000001
subnormal 000fffffffffffff
inf 7ff0000000000000
minus-inf fff0000000000000
nan 7ff8000000000001
pow2-lopsided 0060000000000000
fixed-edge 436c35b01c4c5453
pi 400921fb54442d18
EON

# --- configuration --------------------------------------------------------
cp conf/ipcd.conf "$C/fuzz_conf/example.conf"
cat >"$C/fuzz_conf/small.conf" <<'EOC'
[unix]
path = /tmp/x.sock
mode = 0600
admin = anyone
[fifo]
enabled = no
[mq]
name = /q
max_messages = 8
[state]
sync = always
[limits]
idle_timeout = 0
expire_after = 15m
EOC
printf '[shm]\nname = /s\n[bogus]\nx = 1\n' >"$C/fuzz_conf/unknown.conf"
printf '[sysv]\nenabled = yes\nkey = 0x7e01ab\nmode = 0600\n' >"$C/fuzz_conf/sysv.conf"

# --- state: a snapshot and a journal from a real ipcd ---------------------
start_ipcd || exit 1
"$IPCCTL" submit --key=x 1e16
"$IPCCTL" submit --key=x 1
"$IPCCTL" submit --key=p --part=1/10 0.5
"$IPCCTL" submit --key=p --part=4/10 0.25
"$IPCCTL" submit --key=neg -- -2.5
stop_ipcd
start_ipcd || exit 1
"$IPCCTL" submit --key=x -- -1e16
"$IPCCTL" submit --key=p --part=10/10 1
"$IPCCTL" submit --key=p --part=4/10 7 2>/dev/null # a duplicate
"$IPCCTL" submit --key=new --part=1/3 3
"$IPCCTL" submit --key=gone 1
"$IPCCTL" reset --key=gone >/dev/null
"$IPCCTL" submit --key=after 0.1
"$IPCCTL" reset --all >/dev/null
"$IPCCTL" submit --key=last 42
kill -KILL "$IPCD_PID"
wait "$IPCD_PID" 2>/dev/null
IPCD_PID=

# A spool run: each file one transaction (J_BEGIN, the records, J_SPOOL,
# J_COMMIT), one left unfinished by a crash in mid-write.
start_ipcd || exit 1
"$IPCCTL" submit --via=spool --key=sp 1 2 3
"$IPCCTL" submit --via=spool --key=spp --part=2/5 0.5
kill -KILL "$IPCD_PID"
wait "$IPCD_PID" 2>/dev/null
IPCD_PID=
{ printf '\001'; cat "$T/state.journal"; } >"$C/fuzz_state/journal-spool"
{ printf '\001'; head -c $(($(stat -c %s "$T/state.journal") - 30)) \
    "$T/state.journal"; } >"$C/fuzz_state/journal-spool-unfinished"
# Through the codec (bit 4): J_BEGIN, J_RESET "s", J_SPOOL "f1" (dev 1,
# inode 2, size 4, mtime 5), J_COMMIT.
{
	printf '\020'
	printf '\006\000\000'
	printf '\002\001s\000'
	printf '\007\000\043\002f1'
	printf '\001\000\000\000\000\000\000\000\002\000\000\000\000\000\000\000'
	printf '\004\000\000\000\000\000\000\000\005\000\000\000\000\000\000\000'
	printf '\010\000\000'
} >"$C/fuzz_state/codec-spool"

# Through the codec: J_TIME (1 ns past the epoch), J_SUBMIT "p" 1.0 part
# 1/2, J_TIME, J_DUP "p".
{
	printf '\020'
	printf '\011\000\010\001\000\000\000\000\000\000\000'
	printf '\001\001p\020\000\000\000\000\000\000\360\077'
	printf '\001\000\000\000\002\000\000\000'
	printf '\011\000\010\002\000\000\000\000\000\000\000'
	printf '\005\001p\000'
} >"$C/fuzz_state/codec-time"

# le16 N: N as two bytes, little-endian.
le16() {
	printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))"
}
snap=$T/state
jour=$T/state.journal
n=$(stat -c %s "$snap")
{ printf '\000'; cat "$snap"; } >"$C/fuzz_state/snapshot"
{ printf '\001'; cat "$jour"; } >"$C/fuzz_state/journal"
{ printf '\011'; cat "$jour"; } >"$C/fuzz_state/journal-seq"
{ printf '\002'; le16 "$n"; cat "$snap" "$jour"; } >"$C/fuzz_state/both"
# The same with "recompute the CRCs" set, for the mutations to build on.
{ printf '\006'; le16 "$n"; cat "$snap" "$jour"; } >"$C/fuzz_state/both-fixcrc"
# A journal with a torn last entry.
{ printf '\002'; le16 "$n"; cat "$snap"; head -c $(($(stat -c %s "$jour") - 5)) "$jour"; } \
    >"$C/fuzz_state/both-torn"
ls -l "$C"/*/
