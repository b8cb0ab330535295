#!/bin/sh
# The bash completion of ipcctl (client/ipcctl.bash), driven as bash
# drives it: COMP_WORDS split at the characters of COMP_WORDBREAKS
# ("--via=u" arrives as "--via" "=" "u"), COMP_CWORD, then COMPREPLY.
# Commands, options and values must be those of the ipcctl being
# completed (its -h and its sender table), key names those of a private
# ipcd; with no ipcd, or a frozen one, completion returns at once or
# within a second, and never prints.
. tests/lib.sh

if ! command -v bash >/dev/null; then
	echo "skip - completion: needs bash"
	exit 0
fi
COMPL=$PWD/client/ipcctl.bash
: >"$T/comp.err"

# comp ipcctl WORD...: the candidates for the last word, sorted, one a
# line; the first word is this build's ipcctl.  COMP_WORDBREAKS is bash's
# default unless $WB is set.
comp() {
	shift
	WB=${WB-"$(bash -c 'printf %s "$COMP_WORDBREAKS"')"} \
	    bash -c '. "$0" || exit 1
	COMP_WORDBREAKS=$WB
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_ipcctl
	printf "%s\n" "${COMPREPLY[@]}"' "$COMPL" "$IPCCTL" "$@" \
	    2>>"$T/comp.err" | sed '/^$/d' | sort
}
# list WORD...: the same, on one line.
list() {
	comp "$@" | tr '\n' ' ' | sed 's/ $//'
}
# The transports of ipcctl's sender table, from its own message.
table=$("$IPCCTL" -c /dev/null submit --via= 2>&1 | sed -n 's/.*(expected \(.*\))$/\1/p' |
    sed 's/,//g; s/ or / /')
sorted() {
	printf '%s\n' $* | sort | tr '\n' ' ' | sed 's/ $//'
}

same "sourcing it registers _ipcctl (complete -p ipcctl)" \
    "$(bash -c '. "$0"; complete -p ipcctl' "$COMPL" 2>&1)" \
    "complete -F _ipcctl ipcctl"

# Commands: those ipcctl -h lists.
cmds=$("$IPCCTL" -h | awk '/^commands:$/ { on = 1; next } /^$/ { on = 0 }
    on && /^  [a-z]/ { print $1 }')
same "ipcctl <TAB>: the commands of ipcctl -h" "$(list ipcctl '')" "$(sorted $cmds)"
for c in submit result keys ping; do
	contains "  $c among them" " $(list ipcctl '') " " $c "
done
same "ipcctl s<TAB>: submit stats" "$(list ipcctl s)" "stats submit"
same "ipcctl --json re<TAB>: result reset" "$(list ipcctl --json re)" "reset result"
same "ipcctl -<TAB>: the options before the command" "$(list ipcctl -)" \
    "$(sorted -c --json --timeout= -t -h --help -V --version)"

# Options: each command's, from its usage line.
same "ipcctl submit --<TAB>" "$(list ipcctl submit --)" \
    "--key= --part= --timeout= --via="
same "ipcctl result --<TAB>" "$(list ipcctl result --)" "--key= --timeout= --wait"
same "ipcctl reset --<TAB>" "$(list ipcctl reset --)" "--all --idle= --key= --timeout="
same "ipcctl run -<TAB>" "$(list ipcctl run -)" \
    "--channel= --key= --timeout= --via= -n"
# "[--key=K]" is a glob pattern too: files named e, K... must not change it.
mkdir "$T/glob" && touch "$T/glob/e" "$T/glob/K" "$T/glob/a" "$T/glob/T"
same "  the same in a directory with files named e, K, a, T" \
    "$(cd "$T/glob" && list ipcctl submit --) $(cd "$T/glob" && list ipcctl pi --via =)" \
    "$(list ipcctl submit --) $(list ipcctl pi --via =)"
same "ipcctl -c FILE --json keys --<TAB> (global options skipped)" \
    "$(list ipcctl -c /dev/null --json keys --)" "--idle= --limit= --timeout="

# Values of --via: the sender table, as bash splits the word.
same "ipcctl submit --via=<TAB>: the transports of the sender table" \
    "$(list ipcctl submit --via =)" "$(sorted $table)"
for t in unix fifo mq shm tcp sysv; do
	contains "  $t among them" " $(list ipcctl submit --via =) " " $t "
done
same "ipcctl submit --via=s<TAB>" "$(list ipcctl submit --via = s)" \
    "$(sorted $(printf '%s\n' $table | grep '^s'))"
same "ipcctl pi --via=<TAB>: the transports, pipe and socketpair" \
    "$(list ipcctl pi --via =)" "$(sorted $table pipe socketpair)"
same "ipcctl run --channel=<TAB>" "$(list ipcctl run --channel =)" "pipe socketpair"
same "with '=' not a word break, whole words: ipcctl submit --via=m<TAB>" \
    "$(WB=' ' list ipcctl submit --via=m)" "--via=mq"
same "ipcctl submit --vi<TAB> gives --via= (no space after it)" \
    "$(list ipcctl submit --vi)" "--via="
usage=$("$IPCCTL" -h | sed -n 's/^  submit \[--via=\([^] ]*\)\].*/\1/p' | tr '|' ' ')
same "ipcctl -h's submit line names the transports of the sender table" \
    "$(sorted $usage)" "$(sorted $table)"

# Files for -c.
: >"$T/compl-test.conf"
same "ipcctl -c .../compl-te<TAB>: the file" "$(list ipcctl -c "$T/compl-te")" \
    "$T/compl-test.conf"

: >"$T/odd name[1]"
same "  one candidate, as it is, for a name with a space and brackets" \
    "$(comp ipcctl -c "$T/odd")" "$T/odd name[1]"

# Key names, from a private ipcd (lib.sh's IPCD_CONFIG, or -c).
start_ipcd || exit 1
for k in alpha alpine beta job:1 job:2; do
	"$IPCCTL" submit --key=$k 1
done
same "ipcctl result --key=al<TAB>: keys of the running ipcd" \
    "$(list ipcctl result --key = al)" "alpha alpine"
same "ipcctl submit --key=<TAB>: all of them" "$(list ipcctl submit --key =)" \
    "alpha alpine beta job:1 job:2"
same "ipcctl reset --key=job:<TAB> (':' is a word break too)" \
    "$(list ipcctl reset --key = job :)" "1 2"
same "ipcctl keys b<TAB>" "$(list ipcctl keys b)" "beta"
conf=$IPCD_CONFIG
same "ipcctl -c FILE result --key=al<TAB>: the ipcd of that file" \
    "$(IPCD_CONFIG=/nonexistent list ipcctl -c "$conf" result --key = al)" \
    "alpha alpine"
same "  and without it, not that ipcd" \
    "$(IPCD_CONFIG=$T/none.conf list ipcctl result --key = al)" ""

# A frozen ipcd: one second at most, then nothing.
kill -STOP "$IPCD_PID"
t0=$(date +%s)
same "with ipcd stopped (SIGSTOP), --key=<TAB> gives nothing" \
    "$(list ipcctl result --key =)" ""
dt=$(($(date +%s) - t0))
check "  and returns within 3 s ($dt s)" test "$dt" -le 3
kill -CONT "$IPCD_PID"
stop_ipcd
t0=$(date +%s)
same "with no ipcd, --key=<TAB> gives nothing" "$(list ipcctl result --key =)" ""
check "  at once" test $(($(date +%s) - t0)) -le 1
same "nothing was printed on stderr by any completion" "$(cat "$T/comp.err")" ""
