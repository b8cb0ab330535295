#!/bin/sh
# An attacker's soak run on every transport at once, while a known good
# load (exact sums of integers) runs on each: a corpus of hostile records,
# garbage streams, hundreds of connections that drip bytes, never read or
# park, a burst of SIGHUPs with changing modes and limits, and kill -9 of
# ipcd under acknowledged load.  Nothing good may be lost or doubled,
# every hostile record is rejected and counted, no key outside the good
# ones and those the corpus may legitimately create appears, and ipcd
# answers throughout.  Loops have counts; no timing is an assertion.
. tests/lib.sh

BATCH=2000		# integers per batch of the good load
FLOOD_DRIP=300		# connections dripping a partial line, twice over
FLOOD_KEYS=100		# connections asking for keys pages, never reading
FLOOD_WAIT=50		# connections parked in "wait", then closed
HUPS=100
KILLS=5
K9N=200000		# integers per acknowledged stream in a kill cycle
LOG=$T/ipcd.log

# The configurations of the SIGHUP burst: modes and limits alternate,
# every tenth is broken (and must be refused).  Each is put in place whole
# with a rename: ipcd and ipcctl may read it at any moment.
mkconf() {	# mkconf NAME UNIX-MODE MODE MAX_RECORD MAX_CLIENTS IDLE MAX_KEYS [BAD]
	write_conf "[unix]
mode = $2
[fifo]
mode = $3
[mq]
mode = $3
[limits]
max_record_bytes = $4
max_clients = $5
idle_timeout = $6
max_keys = $7
${8:-}
[client]
timeout = 20"
	mv "$T/ipcd.conf" "$T/conf.$1"
}
mkconf even 0660 0620 4096 1024 600 100000
mkconf odd 0600 0600 1024 1000 300 60000
mkconf bad 0600 0600 1024 1000 300 60000 "max_clients = 0"
conf() {	# conf N: the configuration of step N
	if [ "$1" -gt 0 ] && [ $(($1 % 10)) -eq 5 ]; then c=bad
	elif [ $(($1 % 2)) -eq 0 ]; then c=even
	else c=odd; fi
	cp "$T/conf.$c" "$T/next.conf"
	mv "$T/next.conf" "$T/ipcd.conf"
}
conf 0
# The good load's ipcctl reads a config of its own: a broken one would
# stop it as it stops a reload.
cp "$T/conf.even" "$T/client.conf"
start_ipcd || exit 1
rss() { awk '/^VmRSS/ { print $2 }' /proc/$IPCD_PID/status; }

# --- the corpus -----------------------------------------------------------
# CLASS|KEY|VALUE|RECORD: R must be rejected, A accepted (adding VALUE to
# KEY), D taken as a duplicate part; C is A with a CR line end, which a
# message on the queue (no newline) does not get.  RECORD is a printf format of escapes
# only; _TR_ becomes the transport's name (a parted key of its own).
long() { printf "%s$2" "$(head -c "$1" /dev/zero | tr '\0' "$3")"; }
{
	cat <<'EOF'
R|||nan
R|||xr nan
R|||xr NaN
R|||xr -nan
R|||xr nan(0x7ff)
R|||xr inf
R|||xr -Inf
R|||xr infinity
R|||xr +INFINITY
R|||xr 1e999
R|||xr -1e309
R|||xr 1e+400
R|||xr 0x1p99999
R|||xr 0x1.fffffffffffffp1024
R|||xr 179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792
R|||xr 1e
R|||xr 1.2.3
R|||xr 12abc
R|||xr --1
R|||xr +-1
R|||xr 0x
R|||xr .
R|||xr -
R|||xr 1,5
R|||xr 1_000
R|||xr 0b101
R|||xr 1e5e5
R|||xr 1\00012
R|||\000
R|||xr 1\000
R|||x\000r 1
R|||\000xr 1
R|||xr 1\001
R|||\033[2J xr 1
R|||xr \1771
R|||xr 1\013
R|||xr \0141
R|||xr\r1
R|||\rxr 1
R|||xr 1\r\r
R|||xr 1\302\240
R|||x\303\251 1
R|||x@r 1
R|||x/r 1
R|||x* 1
R|||x? 1
R|||x[a] 1
R|||x= 1
R|||x\042 1
R|||x\047 1
R|||x\134 1
R|||x# 1
R|||x\045s\045n 1
R|||x$HOME 1
R|||x,r 1
R|||xr 1 0/0
R|||xr 1 5/3
R|||xr 1 1/1000001
R|||xr 1 1/-1
R|||xr 1 -1/2
R|||xr 1 0/3
R|||xr 1 1/
R|||xr 1 /1
R|||xr 1 /
R|||xr 1 1/2/3
R|||xr 1 a/b
R|||xr 1 1/4294967297
R|||xr 1 4294967297/4294967298
R|||xr 1 1/1e3
R|||xr 1 1.0/2
R|||xr 1 +1/2
R|||xr 1 1/+2
R|||xr 1 1/0x10
R|||xr 1 1 /2
R|||xr 1 1/99999999999999999999999
R|||@2 xr 1
R|||@0 xr 1
R|||@ xr 1
R|||@1@1 xr 1
R|||@01 xr 1
R|||@1 @1 xr 1
R|||@99999999999999999999 xr 1
R|||@-1 xr 1
R|||@1.0 xr 1
R|||@1
R|||@2
R|||xr 1 1/2 extra
R|||a b c d e f g
R|||
R|||   
R|||\t\t
R|||\r
A|hv|1|hv 1
A|hv|1|hv\t1
A|hv|1| hv 1
A|hv|1|hv 1 
A|hv|1|\thv\t1\t
C|hv|1|hv 1\r
C|hv|1|hv 1 \r
A|hv|1|@1 hv 1
A|hv|1|@1\thv 1
A|hv|1|hv +1
A|hv|1|hv 1.0
A|hv|1|hv 0x1p0
A|hv|1|hv 0X1P+0
A|hv|1|hv 1e0
A|hv|1|hv 100e-2
A|hv|1|hv 0.1e1
A|hv|1|hv .1e1
A|hv|1|hv 1.
A|hv|1|hv 00001
A|hv|-1|hv -1
A|hv|0|hv -0
A|hn|0|hn 1.7976931348623157e308
A|hn|0|hn 1.7976931348623157e308
A|hn|0|hn -1.7976931348623157e308
A|hn|0|hn -1.7976931348623157e308
A|hn|0|hn 0x1p-1074
A|hn|0|hn -0x1p-1074
A|hn|0|hn 4.9e-324
A|hn|0|hn -4.9e-324
A|hn|0|hn 1e-400
A|hn|0|hn -1e-400
A|hp__TR_|1|hp__TR_ 1 1/3
A|hp__TR_|2|hp__TR_ 2 02/3
A|hp__TR_|4|hp__TR_\t4\t0003/0003
D|hp__TR_|0|hp__TR_ 9 1/3
R|||hp__TR_ 1 1/4
R|||hp__TR_ 1 4/3
EOF
	# Keys of 64 (accepted) and 65 characters; a value of 4000 bytes
	# that underflows to 0 (accepted); numbers too long for a record
	# on any transport; 100 fields.
	k64=h$(long 63 '' k)
	echo "A|$k64|1|$k64 1"
	echo "R|||x$(long 64 '' r) 1"
	echo "A|hn|0|hn 0.$(long 3995 1 0)"
	echo "R|||$(long 4095 '' 7)"
	echo "R|||xr $(long 4092 '' 1)"
	echo "R|||$(long 4096 '' 7)"
	for n in 4097 8192 65536; do echo "R|||$(long $n '' 7)"; done
	echo "R|||$(long 200 '' 1 | sed 's/1/1 /g')"
	# Random bytes, no newline, one of them a byte no record may hold.
	LC_ALL=C awk 'BEGIN { srand(7); for (r = 0; r < 40; r++) {
		n = 16 + int(rand() * 240); bad = int(rand() * n); s = ""
		for (i = 0; i < n; i++) {
			do b = int(rand() * 256); while (b == 10)
			if (i == bad) b = 128 + int(rand() * 128)
			s = s sprintf("\\%03o", b)
		}
		print "R|||" s } }'
} >"$T/corpus"
KINDS=$(wc -l <"$T/corpus")
echo "# corpus: $KINDS hostile records ($(grep -c '^R' "$T/corpus") to reject," \
    "$(grep -c '^[AC]' "$T/corpus") valid in odd forms, $(grep -c '^D' "$T/corpus") duplicate part)"

# Each record in a file of its own, per transport: N.rec (bare) and N.line
# (with the newline); N.class is its class.
for tr in unix fifo mq; do
	mkdir "$T/c.$tr"
	n=0
	sed "s/_TR_/$tr/g" "$T/corpus" | while IFS='|' read -r class key value rec; do
		n=$((n + 1))
		case $class$tr in
		Cmq)	class=S ;;
		C*)	class=A ;;
		esac
		printf "$rec" >"$T/c.$tr/$n.rec"
		{ cat "$T/c.$tr/$n.rec"; echo; } >"$T/c.$tr/$n.line"
		echo "$class ${key:--} ${value:-0} $(stat -c %s "$T/c.$tr/$n.rec")" \
		    >"$T/c.$tr/$n.class"
	done
done

# The shared-memory corpus: CLASS|KEY|VALUE|KEYLEN|KEYTEXT|VALUETEXT|PART|N.
cat >"$T/shmcorpus" <<EOF
R|||0|hs|1|0|0
R|||65|hs|1|0|0
R|||200|hs|1|0|0
R|||255|hs|1|0|0
R|||2|h@|1|0|0
R|||3|h s|1|0|0
R|||2|h*|1|0|0
R|||3|h\n|1|0|0
R|||5|hs|1|0|0
R|||2|hs|nan|0|0
R|||2|hs|-nan|0|0
R|||2|hs|inf|0|0
R|||2|hs|-inf|0|0
R|||2|hs|1e999|0|0
R|||2|hs|1|0|3
R|||2|hs|1|5|3
R|||2|hs|1|1|1000001
R|||2|hs|1|1|4294967295
R|||2|hs|1|4294967295|4294967295
R|||2|hs|1|1|0
R|||2|hs|1|2147483648|1
A|hs|1|2|hs|1|0|0
A|hs|2|2|hs|2|0|0
A|hn|0|2|hn|1.7976931348623157e308|0|0
A|hn|0|2|hn|-1.7976931348623157e308|0|0
A|hn|0|2|hn|4.9e-324|0|0
A|hn|0|2|hn|-4.9e-324|0|0
A|$k64|1|64|$k64|1|0|0
A|hps|1|3|hps|1|1|2
A|hps|1|3|hps|1|2|2
D|hps|0|3|hps|5|1|2
EOF

# Requests that are no records: bad keys pages, waits, hellos, resets of
# no key (never "reset *", which the owner may do).
cat >"$T/badreq" <<EOF
keys limit=1000000
keys limit=0
keys limit=-1
keys limit=99999999999999999999
keys limit=1000 limit=1001
keys cursor=abc
keys cursor=-1
keys cursor=
keys match=
keys bogus=1
keys limit=1000 extra
result $(long 65 '' r)
result x*
result
wait x*
wait hv -1
wait hv 99999999999999999999
wait hv 1x
hello
hello 999
hello -1
hello 2x
reset
reset x*
reset x?r
reset $(long 65 '' r)
frobnicate
SUBMIT hv 1
submit
EOF
BADREQ=$(wc -l <"$T/badreq")
# And pages that are answered: huge cursors, patterns that cost the most.
cat >"$T/oddkeys" <<EOF
keys cursor=18446744073709551615
keys cursor=18446744073709551616
keys cursor=1 cursor=99999
keys match=[
keys match=[!
keys match=*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c
keys match=$(long 3000 '' '*')
keys match=$(long 60 '' '?')
keys limit=1000 match=*
EOF

# garbage LINES SEED: random request lines, each ending with a byte no
# record may hold (so no piece of one is ever a record), with CR/LF
# mixes, NULs, tabs, and lines far too long.
garbage() {
	LC_ALL=C awk -v lines="$1" -v seed="$2" 'BEGIN { srand(seed)
	    for (r = 0; r < lines; r++) {
		n = r % 50 == 7 ? 5000 + int(rand() * 5000) : int(rand() * 300)
		for (i = 0; i < n; i++) {
			do b = int(rand() * 256); while (b == 10)
			if (rand() < 0.1) b = 9
			printf "%c", b
		}
		t = r % 4
		printf "%s", t == 0 ? "\001\n" : t == 1 ? "\001\r\n" : \
		    t == 2 ? "\377\n\r\n" : "\000\n"
	    } }'
}
garbage 400 11 >"$T/garbage"
GLINES=$(tr -cd '\n' <"$T/garbage" | wc -c)

# --- the good load --------------------------------------------------------
# loader VIA: batches of BATCH integers (1, 2, 3, ... over all batches) to
# key g_VIA until $T/stop exists; then "BATCHES ERRORS" in $T/load.VIA.
loader() {
	b=0
	err=0
	while [ ! -e "$T/stop" ]; do
		seq $((b * BATCH + 1)) $(((b + 1) * BATCH)) |
		    "$IPCCTL" -c "$T/client.conf" submit --via="$1" --key=g_"$1" - \
		    >>"$T/load.$1.err" 2>&1 || err=$((err + 1))
		b=$((b + 1))
	done
	echo "$b $err" >"$T/load.$1"
}
rm -f "$T/stop"
for via in unix mq shm; do
	loader $via &
	eval "load_$via=\$!"
done

# --- phase 1: the corpus on every transport, under the load ----------------
rej0_unix=$(stat_of unix.rejected)
for tr in unix fifo mq; do
	: >"$T/sent.$tr"
done
# The socket: every record as a submit request, pipelined.
n=1
: >"$T/unix.req"
while [ -f "$T/c.unix/$n.rec" ]; do
	{ printf 'submit '; cat "$T/c.unix/$n.rec"; echo; } >>"$T/unix.req"
	cat "$T/c.unix/$n.class" >>"$T/sent.unix"
	n=$((n + 1))
done
"$RAWIPC" unix "$T/ipcd.sock" <"$T/unix.req" >"$T/unix.rep"
nR=$(grep -c '^R' "$T/sent.unix")
nA=$(grep -c '^A' "$T/sent.unix")
nD=$(grep -c '^D' "$T/sent.unix")
same "unix: the corpus: one reply a record ($nA ok, $nD duplicate, $nR err)" \
    "$(grep -c '^ok' "$T/unix.rep") $(grep -c '^duplicate' "$T/unix.rep") $(grep -c '^err' "$T/unix.rep") $(wc -l <"$T/unix.rep")" \
    "$nA $nD $nR $((nA + nD + nR))"
# The replies in order: which record got which verdict.
awk '{ print $1 }' "$T/sent.unix" >"$T/want.unix"
sed 's/^ok.*/A/; s/^duplicate.*/D/; s/^err.*/R/' "$T/unix.rep" >"$T/got.unix"
paste -d' ' "$T/want.unix" "$T/got.unix" | awk '$1 != $2 { print NR }' >"$T/wrong"
same "unix: each record got the verdict of its class" "$(wc -l <"$T/wrong")" 0
for n in $(head -5 "$T/wrong"); do
	printf '#   record %s, "%s": %s\n' "$n" \
	    "$(sed -n "${n}p" "$T/corpus" | cut -d'|' -f4 | cut -c1-60)" \
	    "$(sed -n "${n}p" "$T/unix.rep")"
done

# The FIFO: one write a record (those that fit in PIPE_BUF, so that no
# other writer's record can be cut by them).
exec 3>"$T/ipcd.fifo"
n=1
while [ -f "$T/c.fifo/$n.rec" ]; do
	set -- $(cat "$T/c.fifo/$n.class")
	if [ "$4" -lt 4096 ]; then
		cat "$T/c.fifo/$n.line" >&3
		cat "$T/c.fifo/$n.class" >>"$T/sent.fifo"
	fi
	n=$((n + 1))
done
exec 3>&-
# The queue: one message a record (those the queue's message size takes).
n=1
while [ -f "$T/c.mq/$n.rec" ]; do
	set -- $(cat "$T/c.mq/$n.class")
	if [ "$4" -le 4096 ] && [ "$1" != S ]; then
		"$RAWIPC" mq "$NAME" <"$T/c.mq/$n.rec"
		cat "$T/c.mq/$n.class" >>"$T/sent.mq"
	fi
	n=$((n + 1))
done
# Shared memory: records with impossible fields.
: >"$T/sent.shm"
while IFS='|' read -r class key value klen ktext vtext part np; do
	"$RAWIPC" shm "$NAME" "$klen" "$(printf "$ktext")" "$vtext" "$part" "$np"
	echo "$class $key $value" >>"$T/sent.shm"
done <"$T/shmcorpus"
for tr in fifo mq shm; do
	nR=$(grep -c '^R' "$T/sent.$tr")
	check "$tr: every one of $nR hostile records rejected and counted" \
	    wait_stat $tr.rejected "$nR"
done
for tr in unix fifo mq shm; do
	echo "# $tr: $(wc -l <"$T/sent.$tr") corpus records sent" \
	    "($(grep -c '^R' "$T/sent.$tr") hostile)"
done

# Garbage streams: request lines on the socket, each answered; the same
# bytes down the FIFO in big writes (the FIFO's good load waits until
# this is done: a write over PIPE_BUF may cut any writer's record).
"$RAWIPC" unix "$T/ipcd.sock" <"$T/garbage" >"$T/garbage.rep"
same "unix: a garbage stream of $GLINES lines: one err reply a line" \
    "$(grep -c '^err ' "$T/garbage.rep") $(wc -l <"$T/garbage.rep")" "$GLINES $GLINES"
"$RAWIPC" unix "$T/ipcd.sock" <"$T/badreq" >"$T/badreq.rep"
same "unix: $BADREQ malformed requests: one err reply each" \
    "$(grep -c '^err ' "$T/badreq.rep") $(wc -l <"$T/badreq.rep")" "$BADREQ $BADREQ"
"$RAWIPC" unix "$T/ipcd.sock" <"$T/oddkeys" >"$T/oddkeys.rep"
same "unix: odd keys pages are answered, each with a page" \
    "$(grep -c '^ok count=' "$T/oddkeys.rep")" "$(wc -l <"$T/oddkeys")"
frej=$(stat_of fifo.rejected)
cat "$T/garbage" >"$T/ipcd.fifo"
check "fifo: the garbage stream was rejected and counted" \
    eventually yes sh -c "[ \$('$IPCCTL' stats | sed -n 's/^fifo.rejected=//p') -gt $frej ] && echo yes"
loader fifo &
load_fifo=$!
for m in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	head -c $((m * 200)) "$T/garbage" | "$RAWIPC" mq "$NAME"
done
echo "# garbage: $GLINES lines on the socket and the FIFO, 20 messages on the queue"

# --- phase 2: hostile connections by the hundred ------------------------
# Keys for big pages (legitimate: any submitter may make keys).
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "submit hk%d 1\n", i }' |
    "$RAWIPC" unix "$T/ipcd.sock" >/dev/null
rss0=$(rss)
urej=$(stat_of unix.rejected)
awk 'BEGIN { for (i = 0; i < 200; i++) print "keys limit=1000" }' >"$T/keysreq"
awk 'BEGIN { for (i = 0; i < 20; i++) print "keys limit=1000 cursor=" i * 7919 }' >>"$T/keysreq"
printf 'submit xdrip 1' | "$RAWIPC" unix-many "$T/ipcd.sock" $FLOOD_DRIP 500 drip >"$T/flood.1" &
f1=$!
printf 'ping\nsubmit xdrip 2' | "$RAWIPC" unix-many "$T/ipcd.sock" $FLOOD_DRIP 500 drip >"$T/flood.2" &
f2=$!
"$RAWIPC" unix-many "$T/ipcd.sock" $FLOOD_KEYS 3000 whole <"$T/keysreq" >"$T/flood.3" &
f3=$!
printf 'wait xwait 600000\nsubmit xwait 1\n' |
    "$RAWIPC" unix-many "$T/ipcd.sock" $FLOOD_WAIT 3000 whole >"$T/flood.4" &
f4=$!
"$RAWIPC" unix-many "$T/ipcd.sock" 20 3000 whole <"$T/garbage" >"$T/flood.5" &
f5=$!
# While they hold their places, ipcd answers others at once.
check "during the flood: ping is answered" "$IPCCTL" ping
check "during the flood: a submission is acknowledged" "$IPCCTL" submit --key=hv 1
echo "A hv 1" >>"$T/sent.unix"
command wait $f1 $f2 $f3 $f4 $f5
rss1=$(rss)
for i in 1 2 3 4 5; do
	echo "# flood $i: $(cat "$T/flood.$i")"
done
held=$(cat "$T/flood."[12345] | awk '{ c += $2; f += $4 } END { print c, f }')
same "all $((2 * FLOOD_DRIP + FLOOD_KEYS + FLOOD_WAIT + 20)) hostile connections were taken" \
    "$held" "$((2 * FLOOD_DRIP + FLOOD_KEYS + FLOOD_WAIT + 20)) 0"
# (stats' own connection and the good load's at most)
check "they are all gone again (unix.clients back to at most 2)" \
    eventually yes sh -c "[ \$('$IPCCTL' stats | sed -n 's/^unix.clients=//p') -le 2 ] && echo yes"
check "the partial lines were rejected at disconnect" \
    test "$(stat_of unix.rejected)" -ge $((urej + FLOOD_DRIP))
check "RSS bounded under the flood ($rss0 -> $rss1 kB)" \
    test "$rss1" -lt $((rss0 + 262144))

# --- phase 3: a burst of SIGHUPs with changing modes and limits -----------
h=1
while [ $h -le $HUPS ]; do
	conf $h
	kill -HUP "$IPCD_PID"
	[ $((h % 10)) -eq 0 ] &&
	    "$RAWIPC" unix "$T/ipcd.sock" <"$T/badreq" >/dev/null
	sleep 0.02
	h=$((h + 1))
done
conf 1
kill -HUP "$IPCD_PID"
echo "# $HUPS SIGHUPs (every tenth with a broken config), then one more"
check "after the SIGHUPs: the last config is in force" eventually 600 \
    stat -c %a "$T/ipcd.fifo"
check "  the broken configs were refused" grep -q \
    "reload: .*max_clients.*; keeping the running configuration" "$LOG"

# --- the good load's totals -----------------------------------------------
touch "$T/stop"
command wait $load_unix $load_fifo $load_mq $load_shm
for via in unix fifo mq shm; do
	read -r b err <"$T/load.$via"
	n=$((b * BATCH))
	echo "# good load $via: $b batches, $n integers"
	same "$via: the good load saw no error" "$err" 0
	[ "$err" = 0 ] || sed 's/^/#   /' "$T/load.$via.err" | head -5
	check "$via: all $n integers counted" wait_count g_$via $n
	same "$via: the total is exact" "$("$IPCCTL" result --key=g_$via)" \
	    "$(echo "$n * ($n + 1) / 2" | bc)"
	eval "good_$via=\$n"
done

# expect KEY: the total the corpus gives KEY over every transport.
expect() {
	cat "$T/sent.unix" "$T/sent.fifo" "$T/sent.mq" "$T/sent.shm" |
	    awk -v k="$1" '$1 == "A" && $2 == k { s += $3; n++ }
		$1 == "D" && $2 == k { d++ }
		END { print s + 0, n + 0, d + 0 }'
}
for key in hv hn hs hps hp_unix hp_fifo hp_mq $k64; do
	set -- $(expect $key)
	same "corpus key $(printf '%.8s' $key): total, count, duplicates exact ($*)" \
	    "$("$IPCCTL" result --key=$key) $(field $key count) $(field $key duplicates)" "$*"
done
stray() {
	"$IPCCTL" keys | cut -f1 | grep -v -x -E \
	    "g_(unix|fifo|mq|shm)|hv|hn|hs|hps|hp_(unix|fifo|mq)|$k64|hk[0-9]+|k9_[0-9]+_[ab]|k9f_(fifo|mq|shm)"
}
same "no key outside the good and the legitimate ones" "$(stray | head -5)" ""
check "ipcd still answers ping" "$IPCCTL" ping

# --- phase 4: kill -9 under acknowledged load, with hostile noise -------
seq 1 $K9N >"$T/k9seq"
cycle=1 bad=0 acked_all=0 fire_sent=0
while [ $cycle -le $KILLS ]; do
	"$IPCCTL" --json submit --key=k9_${cycle}_a - <"$T/k9seq" >"$T/a.json" 2>/dev/null &
	pa=$!
	"$IPCCTL" --json submit --key=k9_${cycle}_b - <"$T/k9seq" >"$T/b.json" 2>/dev/null &
	pb=$!
	for via in fifo mq shm; do
		head -n 5000 "$T/k9seq" | sed 's/.*/1/' |
		    "$IPCCTL" submit --via=$via --key=k9f_$via - >/dev/null 2>&1 &
		eval "p_$via=\$!"
	done
	fire_sent=$((fire_sent + 5000))
	"$RAWIPC" unix "$T/ipcd.sock" <"$T/garbage" >/dev/null 2>&1 &
	pg=$!
	head -c 3000 "$T/garbage" | "$RAWIPC" mq "$NAME" 2>/dev/null
	# Mid-stream: once some of it is in, a little later by cycle.
	i=0
	while [ -z "$(field k9_${cycle}_a count)" ] && [ $i -lt 200 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	sleep "0.0$cycle"
	kill9
	command wait $pa $pb $pg 2>/dev/null
	kill -KILL $p_fifo $p_mq $p_shm 2>/dev/null
	command wait $p_fifo $p_mq $p_shm 2>/dev/null
	start_ipcd || exit 1
	for s in a b; do
		acked=$(sed -n 's/.*"accepted":\([0-9]*\).*/\1/p' "$T/$s.json")
		acked=${acked:-0}
		c=$(field k9_${cycle}_$s count)
		c=${c:-0}
		t=$("$IPCCTL" result --key=k9_${cycle}_$s 2>/dev/null)
		echo "# kill $cycle: stream $s: $acked acknowledged, $c recovered of $K9N"
		if [ "$c" -lt "$acked" ] || [ "$c" -gt $K9N ] ||
		    [ "${t:-0}" != "$(echo "$c * ($c + 1) / 2" | bc)" ]; then
			echo "# kill $cycle: stream $s: total ${t:-none} is not 1..$c"
			bad=$((bad + 1))
		fi
		acked_all=$((acked_all + acked))
	done
	for via in fifo mq shm; do
		c=$(field k9f_$via count)
		[ -z "$c" ] && continue
		if [ "$("$IPCCTL" result --key=k9f_$via)" != "$c" ] ||
		    [ "$c" -gt "$fire_sent" ]; then
			echo "# kill $cycle: $via has $c submissions of ones, total $("$IPCCTL" result --key=k9f_$via)"
			bad=$((bad + 1))
		fi
	done
	for via in unix fifo mq shm; do
		eval "n=\$good_$via"
		if [ "$("$IPCCTL" result --key=g_$via)" != "$(echo "$n * ($n + 1) / 2" | bc)" ]; then
			echo "# kill $cycle: the good total of $via moved"
			bad=$((bad + 1))
		fi
	done
	cycle=$((cycle + 1))
done
same "$KILLS kill -9 cycles: every acknowledged submission ($acked_all) there exactly once, nothing torn" "$bad" 0
same "after the kills: still no stray key" "$(stray | head -5)" ""

# --- the end ---------------------------------------------------------------
check "ipcd answers ping at the end" "$IPCCTL" ping
stop_ipcd
same "a clean stop (status 0)" "$?" 0
same "no sanitizer report in the log" \
    "$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG" | head -3)" ""
