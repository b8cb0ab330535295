# Shared by the black-box tests: a private ipcd (own temp dir, own mq and
# shm names) and "ok - " / "not ok - " checks.  Sourced, not run.

BUILD=${BUILD:-build}
IPCD=$PWD/$BUILD/ipcd
IPCCTL=$PWD/$BUILD/ipcctl
RAWIPC=$PWD/$BUILD/tests/rawipc
T=$(mktemp -d /tmp/ipcd-test.XXXXXX)
NAME=/ipcd-test-$$
IPCD_PID=
export IPCD_CONFIG=$T/ipcd.conf

. tests/conf.sh

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	desc=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/#   /' "$T/check.out" | head -20
	fi
}

# same DESCRIPTION ACTUAL EXPECTED
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1"
		echo "#   got:      $2"
		echo "#   expected: $3"
	fi
}

# contains DESCRIPTION HAYSTACK NEEDLE
contains() {
	case $2 in
	*"$3"*) ok "$1" ;;
	*) notok "$1"; echo "#   \"$2\" lacks \"$3\"" ;;
	esac
}

# status DESCRIPTION EXPECTED COMMAND...: the command's exit status.
status() {
	desc=$1
	want=$2
	shift 2
	"$@" >"$T/status.out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		notok "$desc (status $got, expected $want)"
		sed 's/^/#   /' "$T/status.out" | head -10
	fi
}

write_conf() {
	cat >"$T/ipcd.conf" <<EOC
[unix]
path = $T/ipcd.sock
[fifo]
path = $T/ipcd.fifo
[mq]
name = $NAME
[shm]
name = $NAME
[sysv]
key = $T
[spool]
dir = $T/spool
[state]
file = $T/state
$*
EOC
}

# wait_ready PID [TRIES [PREFIX...]]: until "ipcctl ping" (run under
# PREFIX, e.g. setpriv, if given) is answered, at most TRIES (100) times
# 0.05 s; fails at once if process PID is gone.  The one poll for "ipcd
# is up" of every test.
wait_ready() {
	wr_pid=$1
	wr_tries=${2:-100}
	[ $# -ge 2 ] && shift 2 || shift $#
	wr_i=0
	while [ $wr_i -lt "$wr_tries" ]; do
		"$@" "$IPCCTL" ping >/dev/null 2>&1 && return 0
		kill -0 "$wr_pid" 2>/dev/null || return 1
		sleep 0.05
		wr_i=$((wr_i + 1))
	done
	return 1
}

# start_ipcd [EXTRA-CONF-LINES]: start and wait until it answers.
start_ipcd() {
	[ -f "$T/ipcd.conf" ] || write_conf "$@"
	"$IPCD" -v >>"$T/ipcd.log" 2>&1 &
	IPCD_PID=$!
	wait_ready "$IPCD_PID" && return 0
	echo "# ipcd did not start:"
	sed 's/^/#   /' "$T/ipcd.log"
	return 1
}

# kill9: kill ipcd as a crash would, and forget it.
kill9() {
	kill -KILL "$IPCD_PID"
	command wait "$IPCD_PID" 2>/dev/null
	IPCD_PID=
}

# wait_all PID...: wait for each; $failed is how many exited non-zero.
wait_all() {
	failed=0
	for wa_pid in "$@"; do
		command wait "$wa_pid" || failed=$((failed + 1))
	done
}

# stop_ipcd: SIGTERM and the exit status.
stop_ipcd() {
	[ -n "$IPCD_PID" ] || return 0
	kill -TERM "$IPCD_PID" 2>/dev/null
	wait "$IPCD_PID"
	rc=$?
	IPCD_PID=
	return $rc
}

# field KEY NAME: one field of "ipcctl --json result".
field() {
	"$IPCCTL" --json result --key="$1" 2>/dev/null |
	    sed -n "s/.*\"$2\":\\(\"[^\"]*\"\\|[^,}]*\\).*/\\1/p"
}

# eventually EXPECTED COMMAND...: until the command prints EXPECTED, at
# most 10 s (fire-and-forget transports give no reply to wait for).
eventually() {
	want=$1
	shift
	i=0
	while [ $i -lt 200 ]; do
		[ "$("$@")" = "$want" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "# \"$*\" gives \"$("$@")\", expected \"$want\""
	return 1
}

# wait_count KEY N: until the key has N submissions.
wait_count() {
	eventually "$2" field "$1" count
}

# stat_of NAME: one figure of "ipcctl stats".
stat_of() {
	"$IPCCTL" stats | sed -n "s/^$1=//p"
}

cleanup() {
	[ -n "$IPCD_PID" ] && kill -KILL "$IPCD_PID" 2>/dev/null
	"$RAWIPC" unlink "$NAME" 2>/dev/null
	"$RAWIPC" sysv-clean "$T" 2>/dev/null	# ipcd leaves it, by design
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_stat NAME VALUE: until "ipcctl stats" shows NAME=VALUE.
wait_stat() {
	eventually "$2" stat_of "$1"
}

# A bare "wait" would also wait for the ipcd the test started, forever:
# tests must name what they wait for.
wait() {
	if [ $# -eq 0 ]; then
		echo "not ok - a test used a bare 'wait' (it would wait for ipcd)"
		exit 1
	fi
	command wait "$@"
}
