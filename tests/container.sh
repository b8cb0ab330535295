# Shared by t_systemd.sh and t_deb.sh (sourced after lib.sh): a real
# systemd as PID 1 of a throwaway container of this machine
# (systemd-nspawn --volatile=yes: a tmpfs root with the host's /usr; the
# caller lays overlays over /usr, /etc, ...), commands run inside it, and
# its power-off whatever happens.  Needs root and systemd-nspawn.

M=ipcd-test-$$			# the container's name
NSPAWN=				# systemd-nspawn's pid
L=				# the container's PID 1, as the host sees it

# ct_skip_unless_able NAME: exit with a "skip" unless we can boot one.
ct_skip_unless_able() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip - $1: needs root"
		exit 0
	fi
	for c in systemd-nspawn nsenter timeout; do
		if ! command -v $c >/dev/null; then
			echo "skip - $1: needs $c (Debian packages systemd-container, util-linux)"
			exit 0
		fi
	done
}

# ct_boot DESCRIPTION NSPAWN-ARGS...: boot, wait for the system to be up
# and report it as DESCRIPTION.  A machine that cannot boot a container
# skips the whole test.  --keep-unit and --register=no: no host bus or
# machined needed.
ct_boot() {
	desc=$1
	shift
	t0=$(date +%s)
	systemd-nspawn -q -D / --volatile=yes --register=no --keep-unit \
	    --link-journal=no --private-network -M "$M" "$@" \
	    -b </dev/null >"$T/boot.log" 2>&1 &
	NSPAWN=$!
	i=0
	while [ -z "$L" ] && [ $i -lt 150 ] && kill -0 "$NSPAWN" 2>/dev/null; do
		sleep 0.2
		L=$(pgrep -P "$NSPAWN" -x systemd | head -n 1)
		i=$((i + 1))
	done
	if [ -z "$L" ]; then
		echo "skip - $desc: cannot boot systemd in a container here"
		sed 's/^/#   /' "$T/boot.log" | tail -n 15
		exit 0
	fi
	# PID 1 is there before its bus is: wait for that, then for the boot.
	i=0
	until inc test -S /run/systemd/private || [ $i -ge 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	state=$(inc timeout 60 systemctl is-system-running --wait 2>&1)
	echo "# container booted in $(($(date +%s) - t0)) s (system state: $state)"
	case $state in
	running|degraded) ok "$desc" ;;
	*) notok "$desc (state $state)"
	   sed 's/^/#   /' "$T/boot.log" | tail -n 15 ;;
	esac
	ct_mq_depth
}

# PID 1 makes ipcd's queue 256 deep (ipcd-mq.socket.in).  Without
# CAP_SYS_RESOURCE, as in a container here, that is above msg_max (10) of
# the container's IPC namespace: raise it there, from outside (/proc/sys
# is read-only inside).  A host's PID 1 has the capability.
ct_mq_depth() {
	if [ "$(inc cat /proc/sys/fs/mqueue/msg_max)" -lt 256 ] 2>/dev/null; then
		echo "# the container's fs.mqueue.msg_max raised to 256 for PID 1"
		nsenter -t "$L" -i sh -c 'echo 256 >/proc/sys/fs/mqueue/msg_max'
	fi
}

# Power the container off (or kill it).
ct_down() {
	[ -n "$NSPAWN" ] || return 0
	if kill -0 "$NSPAWN" 2>/dev/null && [ -n "$L" ]; then
		timeout 10 nsenter -t "$L" -a systemctl poweroff >/dev/null 2>&1
		i=0
		while kill -0 "$NSPAWN" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
		done
	fi
	if kill -0 "$NSPAWN" 2>/dev/null; then
		echo "# the container did not power off; killing it"
		kill -TERM "$NSPAWN" 2>/dev/null
		sleep 1
		kill -KILL "$NSPAWN" 2>/dev/null
		[ -n "$L" ] && kill -KILL "$L" 2>/dev/null
	fi
	NSPAWN=
}
trap 'ct_down; cleanup' EXIT

# inc CMD...: run CMD inside the container, in all its namespaces, with a
# clean environment (lib.sh's IPCD_CONFIG names a file of the host).
# INC_TIMEOUT: seconds before it is killed (30).
inc() {
	timeout "${INC_TIMEOUT:-30}" nsenter -t "$L" -a env -i \
	    PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
# prop UNIT PROPERTY: one property of a unit.
prop() {
	inc systemctl show -P "$2" "$1"
}
# until_prop UNIT PROPERTY VALUE: wait until it has that value, at most 10 s.
until_prop() {
	eventually "$3" prop "$1" "$2"
}

# ct_quota_retry UNIT: a socket unit that failed to create its POSIX
# queue with EMFILE ("Too many open files") is started again until it
# runs, at most 30 s.  The container has an IPC namespace of its own, but
# the kernel counts queue bytes per user across namespaces, so root's
# queues of other programs on the host can use up RLIMIT_MSGQUEUE (819,200
# bytes) for a while; raising it needs CAP_SYS_RESOURCE, which root may
# not have here.  Any other failure is left for the checks to see.
ct_quota_retry() {
	i=0
	while [ "$(inc systemctl is-active "$1")" = failed ] && [ $i -lt 30 ] &&
	    inc journalctl -q --no-pager -u "$1" | tail -n 3 |
	    grep -q 'Too many open files'; do
		[ $i = 0 ] && echo "# $1: root's POSIX queue quota is used up" \
		    "on this machine (EMFILE); starting it again"
		sleep 1
		inc systemctl reset-failed "$1"
		inc systemctl start "$1" 2>/dev/null
		i=$((i + 1))
	done
}
