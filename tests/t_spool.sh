#!/bin/sh
# The spool directory: files of records renamed in, each applied whole or
# rejected whole (rejected/NAME and NAME.why), removed after the commit,
# counted once even when ipcd is killed between the commit and the
# removal; hostile objects planted in the directory are rejected, counted,
# never followed, never blocking.
. tests/lib.sh

S=$T/spool
# The mq is left out: its system-wide budget is not this test's business.
NOMQ="[mq]
enabled = no"

# drop NAME CONTENT: written under a hidden name, then renamed in.
drop() {
	printf "$2" >"$S/.$1.tmp" && mv "$S/.$1.tmp" "$S/$1"
}
present() {
	if [ -e "$S/$1" ] || [ -L "$S/$1" ]; then echo yes; fi
}
gone() {
	eventually "" present "$1"
}

write_conf "$NOMQ"
mkdir -p "$S"
drop early1 'e 1\ne 2\n'
drop early2 'e 3\n'
check "ipcd starts with files already in the spool" start_ipcd
check "files there before the start are taken" wait_count e 3
same "  and applied" "$("$IPCCTL" result --key=e)" 6
check "  and removed" gone early1
mode=$(stat -c %a "$S")
same "the directory gets the configured mode and the sticky bit" \
    "$mode" 1730
same "rejected/ is ipcd's, closed to the group but for names" \
    "$(stat -c %a "$S/rejected")" 710

status "ipcctl submit --via=spool" 0 "$IPCCTL" submit --via=spool --key=s 1 2 3
same "  is committed when it returns" "$("$IPCCTL" result --key=s)" 6
out=$("$IPCCTL" --json submit --via=spool --key=s 4)
contains "  --json names the transport" "$out" '"via":"spool","sent":1,"accepted":1'
status "submit - over the spool" 0 sh -c "printf '1\n2\n' | \"$IPCCTL\" submit --via=spool --key=s -"
same "  counted" "$("$IPCCTL" result --key=s)" 13
out=$("$IPCCTL" pi --via=spool --workers=3 --terms=1000 | tail -1)
same "pi --via=spool" "$out" "$("$IPCCTL" pi --workers=3 --terms=1000 | tail -1)"

before=$(stat_of spool.rejected)
drop bad 'b 1\nb 2\nb x\nb 4\n'
check "a file with a bad line leaves the spool" gone bad
check "  moved to rejected/" test -f "$S/rejected/bad"
same "  its .why names the line and the cause" "$(cat "$S/rejected/bad.why")" \
    "line 3: value is not a number"
same "  none of its records counted" "$(field b count)" ""
same "  one rejection counted" "$(stat_of spool.rejected)" $((before + 1))
check "  and logged" grep -q "spool: rejected input: file bad: line 3" "$T/ipcd.log"
drop blank 'b 1\n\nb 2\n'
check "a blank line is a bad line" gone blank
contains "  named" "$(cat "$S/rejected/blank.why")" "line 2: "
awk 'BEGIN { printf "b "; for (i = 0; i < 5000; i++) printf "1"; print "" }' >"$S/.long"
mv "$S/.long" "$S/long"
check "a line over max_record_bytes rejects its file" gone long
contains "  named" "$(cat "$S/rejected/long.why")" "line 1: record longer than"
same "  nothing of them counted" "$(field b count)" ""

# A file of several keys, parted and not: unparted keys are merged whole,
# parts applied one by one, as the store would take them one by one.
drop mix 'm1 1\nm2 2\nm1 0.5\nmp 10 1/3\nmp 20 2/3\nm2 -1\n'
check "a file of several keys and parts" wait_count m1 2
same "  each unparted key exact" "$("$IPCCTL" result --key=m1) $("$IPCCTL" result --key=m2)" "1.5 1"
same "  the parts applied" "$(field mp parts)" 2
drop mix2 'mp 30 3/3\nmp 99 1/3\n'
check "a part already received, in a later file, is a duplicate" \
    eventually 1 field mp duplicates
same "  the rest of that file applied" "$("$IPCCTL" result --key=mp)" 60
drop rep 'r 1 1/2\nr 2 2/2\nr 3 1/2\n'
check "a part repeated in one file is a bad line" gone rep
same "  named" "$(cat "$S/rejected/rep.why")" \
    "line 3: the same part is on an earlier line"
before=$(stat_of spool.rejected)
drop conf 'mp 1\nmp 2\nok1 1\n'
check "unparted records of a parted key are refused by the store" \
    wait_count ok1 1
same "  counted as rejected, one each" "$(stat_of spool.rejected)" $((before + 2))
same "  the key untouched" "$("$IPCCTL" result --key=mp)" 60

drop empty ''
check "an empty file is taken and removed" gone empty
drop nonl 'n 1\nn 2'
check "a last line without a newline is a record" wait_count n 2
drop .hidden.tmp 'h 1\n'
drop visible 'h 2\n'
check "a hidden name is left alone" wait_count h 1
same "  (it is a file being written)" "$(present .hidden.tmp)" yes

# ipcctl is told why its file was rejected: here a record longer than
# ipcd's limit, which ipcctl does not check.
write_conf "$NOMQ
[limits]
max_record_bytes = 16
max_parts = 3"
kill -HUP "$IPCD_PID"
check "a reload to max_record_bytes = 16" eventually 1 sh -c \
    "grep -c 'configuration reloaded' \"$T/ipcd.log\""
out=$("$IPCCTL" submit --via=spool --key=averyveryverylongkey 1 2>&1)
same "a file ipcd rejects: ipcctl exits 4" "$?" 4
contains "  and says why" "$out" "was rejected: line 1: record longer than 16 bytes"
drop parts 'a 1 1/3\na 1 2/3\nb 1 1/2\nb 1 2/2\n'
check "more parts in one file than max_parts (3) is rejected" gone parts
same "  named" "$(cat "$S/rejected/parts.why")" \
    "line 4: more parts in one file than limits.max_parts"

# max_file_bytes, changed by a reload.
write_conf "$NOMQ
[spool]
max_file_bytes = 10"
kill -HUP "$IPCD_PID"
check "a reload to max_file_bytes = 10" eventually 2 sh -c \
    "grep -c 'configuration reloaded' \"$T/ipcd.log\""
drop big 'm 1\nm 2\nm 3\n'
check "a file over max_file_bytes is rejected" gone big
contains "  named" "$(cat "$S/rejected/big.why")" "12 bytes, more than [spool] max_file_bytes (10)"
write_conf "$NOMQ"
kill -HUP "$IPCD_PID"
check "  (limit restored)" eventually 3 sh -c \
    "grep -c 'configuration reloaded' \"$T/ipcd.log\""

# Hostile objects: never followed, never opened so as to block; each one
# rejected once, counted, moved aside; ipcd goes on answering.
echo secret >"$T/secret"
before=$(stat_of spool.rejected)
ln -s "$T/secret" "$S/tolink"
ln -s /etc/shadow "$S/toshadow"
mkfifo "$S/fifo"
mkdir "$S/dir"
printf 'k 1\n' >"$T/hard"
ln "$T/hard" "$T/hard2"
mv "$T/hard" "$S/hard"
check "planted objects leave the spool: a FIFO" gone fifo
check "  a symlink to a file of ours" gone tolink
check "  a symlink to /etc/shadow" gone toshadow
check "  a directory" gone dir
check "  a file of two links" gone hard
check "  each counted as one rejection" wait_stat spool.rejected $((before + 5))
check "  moved aside as they are (links stay links)" test -L "$S/rejected/toshadow"
same "  never followed" "$(cat "$T/secret")" secret
contains "  a FIFO named as such" "$(cat "$S/rejected/fifo.why")" "not a regular file (a FIFO)"
contains "  a link named as such" "$(cat "$S/rejected/toshadow.why")" "symbolic link"
contains "  two links named" "$(cat "$S/rejected/hard.why")" "it has 2 links"
check "  and ipcd still answers" "$IPCCTL" ping
same "  nothing of them counted" "$(field k count)" ""
check "/etc/shadow is untouched" test -f /etc/shadow
grep -c "spool: rejected input" "$T/ipcd.log" >"$T/nlog"
check "  rejections logged at most once a second" test "$(cat "$T/nlog")" -le 12

# A file of another user, dropped through the group (the directory's
# group may write but not list).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	write_conf "$NOMQ
[spool]
group = nogroup"
	kill -HUP "$IPCD_PID"
	check "a reload to [spool] group = nogroup" eventually nogroup \
	    stat -c %G "$S"
	chmod 0711 "$T"
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	status "nobody submits through the group" 0 $NOBODY "$IPCCTL" submit \
	    --via=spool --key=other 5
	same "  counted" "$(field other total)" 5
	check "  and with a umask of 077" \
	    sh -c "$NOBODY sh -c 'umask 077; \"$IPCCTL\" submit --via=spool --key=other 1'"
	same "  whatever the umask" "$(field other total)" 6
	status "  but may not list the directory" 2 $NOBODY ls "$S"
	status "  nor rejected/" 2 $NOBODY ls "$S/rejected"
	chmod 0700 "$T"
else
	echo "skip - a file of another user: needs root and setpriv"
fi

# A reload that moves the directory: the new one is watched (and what
# it already holds taken), the old one left alone.
drop .stay.tmp 'o 1\n'
mkdir "$T/spool2"
printf 'v 7\n' >"$T/spool2/waiting"
write_conf "$NOMQ
[spool]
dir = $T/spool2"
kill -HUP "$IPCD_PID"
check "a reload moving the directory takes what it holds" wait_count v 1
printf 'v 8\n' >"$T/spool2/.n" && mv "$T/spool2/.n" "$T/spool2/new"
check "  and watches it" wait_count v 2
drop old 'o 1\n'
"$IPCCTL" ping >/dev/null
same "  the old one is left alone" "$(present old)" yes
check "ipcd stops cleanly" stop_ipcd
