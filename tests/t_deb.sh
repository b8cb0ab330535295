#!/bin/sh
# The Debian packages, as a Debian 12 system gets them: `make deb` (the
# build and lintian), then, under a real systemd in a throwaway container
# of this machine (tests/container.sh; writable overlays over /usr, /etc
# and dpkg's and apt's state, so the host's are never touched):
# `apt install` of the .deb files, submissions over every transport, an
# upgrade to a rebuilt 0.1.0-2 (totals kept, ipcd restarted), `apt remove`
# (ipcd and its sockets stopped, the totals kept) and `apt purge` (the
# totals and the user gone).  Needs root and systemd-nspawn; the build
# needs debhelper (make deps installs it).
. tests/lib.sh
. tests/container.sh
ct_skip_unless_able "package test"
if [ "$BUILD" = build-san ]; then
	echo "skip - package test: the packages are built with Debian's flags, not SANITIZE=1"
	exit 0
fi
for c in dpkg-buildpackage dh lintian fakeroot; do
	if ! command -v $c >/dev/null; then
		echo "skip - package test: needs $c (make deps installs it)"
		exit 0
	fi
done
START=$(date +%s)
V=$(sed -n 's/^VERSION[ 	]*=[ 	]*//p' Makefile)
P1=$T/deb1			# the packages of the tree
P2=$T/deb2			# the same, as version $V-2

same "debian/changelog's version is the Makefile's VERSION, revision 1" \
    "$(dpkg-parsechangelog -S Version)" "$V-1"

# make deb, as a user runs it; it ends with lintian (no error or warning).
t0=$(date +%s)
if make -s --no-print-directory deb DEB_DIR="$P1" >"$T/deb1.log" 2>&1; then
	ok "make deb builds the packages, and lintian finds no error or warning"
else
	notok "make deb builds the packages, and lintian finds no error or warning"
	tail -n 30 "$T/deb1.log" | sed 's/^/#   /'
	exit 1
fi
echo "# make deb took $(($(date +%s) - t0)) s"
grep '^[EWIPX]: ' "$T/deb1.log" | sed 's/^/#   lintian: /'
debs=$(cd "$P1" && ls *.deb | grep -v -- '-dbgsym_' | sed 's/_.*//' | sort |
    tr '\n' ' ')
echo "# packages: $debs"
contains "  ipcd_${V}-1_amd64.deb is among them" "$(ls "$P1")" "ipcd_${V}-1_amd64.deb"
pkgs=
for p in ipcd libipcd0 libipcd-dev python3-ipcd; do
	case " $debs " in
	*" $p "*) pkgs="$pkgs $p" ;;
	*) notok "  $p was built" ;;
	esac
done
has() { case " $pkgs " in *" $1 "*) return 0 ;; esac; return 1; }

# The same tree as $V-2, built the same way from a copy.
mkdir -p "$T/src2"
tar -c --exclude=./build --exclude=./build-san --exclude=./.git . |
    tar -x -C "$T/src2"
{
	printf 'ipcd (%s-2) unstable; urgency=medium\n\n' "$V"
	printf '  * Rebuilt for the upgrade test.\n\n'
	printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -S Maintainer)" \
	    "$(date -R)"
	cat debian/changelog
} >"$T/src2/debian/changelog"
t0=$(date +%s)
if make -s --no-print-directory -C "$T/src2" deb DEB_DIR="$P2" \
    >"$T/deb2.log" 2>&1; then
	ok "the same tree builds as $V-2"
else
	notok "the same tree builds as $V-2"
	tail -n 30 "$T/deb2.log" | sed 's/^/#   /'
	exit 1
fi
echo "# the second make deb took $(($(date +%s) - t0)) s"

# debs DIR: the packages to install from DIR, as the container sees them.
debs() {
	for p in $pkgs; do
		ls "$1"/${p}_*.deb
	done | sed "s|^$T|/opt/t|"
}

ct_boot "systemd boots in a container with writable /usr, /etc and dpkg state" \
    --overlay=/usr::/usr --overlay=/etc::/etc \
    --overlay=/var/lib::/var/lib --overlay=/var/cache::/var/cache \
    --bind-ro="$T":/opt/t
# A Docker-style policy-rc.d (exit 101) keeps packages from starting
# anything; a real system has none.
if inc test -e /usr/sbin/policy-rc.d; then
	echo "# this machine's /usr/sbin/policy-rc.d is removed inside the container"
	inc rm -f /usr/sbin/policy-rc.d
fi
inc mkdir -p /var/log/apt
INC_TIMEOUT=120
export INC_TIMEOUT
apt() {
	inc env DEBIAN_FRONTEND=noninteractive apt-get -y -q \
	    -o Dpkg::Use-Pty=0 "$@" >"$T/apt.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -n 20 "$T/apt.log" | sed 's/^/#   apt: /'
	return $rc
}
total() {
	inc ipcctl result "$@" 2>&1
}

# Installation: apt takes local files with their dependencies from the
# installed system (the container has no network).
status "apt install ./ipcd_*.deb ... ($pkgs )" 0 apt install $(debs "$P1")
same "  dpkg has them installed at $V-1" \
    "$(for p in $pkgs; do inc dpkg-query -W -f='${Status} ${Version}\n' $p; done | sort -u)" \
    "install ok installed $V-1"
same "  the user and group ipcd exist (sysusers.d)" \
    "$(inc id -un ipcd) $(inc id -gn ipcd)" "ipcd ipcd"
same "  /etc/ipcd/ipcd.conf is a conffile" \
    "$(inc dpkg-query -W -f='${Conffiles}' ipcd | awk '{ print $1 }' | tr -d '\n')" \
    /etc/ipcd/ipcd.conf
S="ipcd.socket ipcd-fifo.socket ipcd-mq.socket"
ct_quota_retry ipcd-mq.socket
same "  the three socket units are enabled and listening; ipcd is not running" \
    "$(inc systemctl is-enabled $S | tr '\n' ' ')$(inc systemctl is-active $S \
    ipcd.service | tr '\n' ' ')" \
    "enabled enabled enabled active active active inactive "
for u in $S; do
	[ "$(inc systemctl is-active $u)" = active ] ||
	    inc journalctl -q --no-pager -u $u | tail -n 8 | sed "s/^/#   $u: /"
done
same "  ipcd-tcp.socket and ipcd-http.socket are installed, not enabled, not started" \
    "$(inc systemctl is-enabled ipcd-tcp.socket ipcd-http.socket | tr '\n' ' ')$(inc systemctl is-active ipcd-tcp.socket ipcd-http.socket | tr '\n' ' ')" \
    "disabled disabled inactive inactive "
contains "  bash completes ipcctl (complete -p ipcctl)" \
    "$(inc bash -c '. /usr/share/bash-completion/completions/ipcctl &&
    complete -p ipcctl')" "complete -F _ipcctl ipcctl"
contains "  man ipcd finds the page" "$(inc man -w ipcd)" "/usr/share/man/man8/ipcd.8"
check "  ipcd-prometheus(7) and the rules are installed (the rules pass promtool)" \
    inc sh -c 'man -w ipcd-prometheus && cd /usr/share/ipcd/prometheus &&
    test -f ipcd.rules.yml && test -f ipcd.alerts.yml &&
    { ! command -v promtool || promtool check rules ipcd.rules.yml ipcd.alerts.yml; }'

# Every transport of the sender table that the default configuration
# opens (tcp is opt-in), the first submission starting ipcd.
check "ipcctl submit --via=unix 1 starts ipcd through its socket" \
    inc ipcctl submit --via=unix --key=deb 1
check "  ipcd runs" until_prop ipcd.service ActiveState active
vias=$(inc ipcctl submit --via= 2>&1 | sed -n 's/.*(expected \(.*\))$/\1/p' |
    sed 's/,//g; s/ or / /')
n=1
sent=unix
for via in $vias; do
	[ "$via" = unix ] && continue
	if ! inc ipcctl stats | grep -qx "$via.open=1"; then
		echo "# $via: not open in the packaged configuration"
		continue
	fi
	check "ipcctl submit --via=$via 1" inc ipcctl submit --via=$via --key=deb 1
	n=$((n + 1))
	sent="$sent $via"
done
echo "# submitted over: $sent"
for via in fifo mq shm sysv spool; do
	contains "  $via is among them" " $sent " " $via "
done
check "  all $n are counted" eventually $n total --key=deb
if has python3-ipcd; then
	check "python3: import ipcd; Client().submit(1, key=\"deb\")" \
	    inc python3 -c 'import ipcd
c = ipcd.Client()
c.submit(1, key="deb")'
	n=$((n + 1))
fi
if has libipcd-dev; then
	inc sh -c 'cat >/tmp/sub.c' <<'EOC'
#include <ipcd.h>
#include <stdio.h>
int
main(void)
{
	struct ipcd	*c;
	int		 r;

	if ((r = ipcd_open(&c, NULL)) == IPCD_OK)
		r = ipcd_submit(c, "shm", "deb", 1, 0, 0);
	if (r == IPCD_OK)
		r = ipcd_flush(c);
	if (r != IPCD_OK)
		fprintf(stderr, "%s\n", ipcd_error(c));
	ipcd_close(c);
	return r != IPCD_OK;
}
EOC
	check "cc \$(pkg-config --cflags --libs ipcd): a program submits over shm" \
	    inc sh -c 'cc -o /tmp/sub /tmp/sub.c $(pkg-config --cflags --libs ipcd) && /tmp/sub'
	n=$((n + 1))
fi
check "  the total is $n" eventually $n total --key=deb

# Upgrade: the sockets stay, ipcd is restarted by the package and finds
# its totals.
pid=$(prop ipcd.service MainPID)
status "apt install of the $V-2 packages (an upgrade)" 0 apt install $(debs "$P2")
same "  dpkg has them at $V-2" \
    "$(for p in $pkgs; do inc dpkg-query -W -f='${Version}\n' $p; done | sort -u)" \
    "$V-2"
npid=$(prop ipcd.service MainPID)
same "  ipcd was restarted: it runs as a new process" \
    "$(prop ipcd.service ActiveState) $([ "$npid" != 0 ] && [ "$npid" != "$pid" ] && echo new)" \
    "active new"
echo "# MainPID $pid before, $npid after"
same "  the totals survived" "$(total --key=deb)" "$n"
same "  the sockets are still listening" \
    "$(inc systemctl is-active ipcd.socket ipcd-fifo.socket ipcd-mq.socket | tr '\n' ' ')" \
    "active active active "
check "  ipcctl submit --via=fifo 1 after the upgrade" \
    inc ipcctl submit --via=fifo --key=deb 1
n=$((n + 1))
check "  is counted" eventually $n total --key=deb
has python3-ipcd && check "  the Python module was byte-compiled (py3compile)" \
    inc sh -c 'ls /usr/lib/python3/dist-packages/ipcd/__pycache__/*.pyc'

# Removal: ipcd and the sockets stop; the totals, the configuration and
# the user stay.
status "apt remove ipcd" 0 apt remove ipcd
same "  ipcd and its socket units are stopped" \
    "$(inc systemctl is-active ipcd.service ipcd.socket ipcd-fifo.socket ipcd-mq.socket | tr '\n' ' ')" \
    "inactive inactive inactive inactive "
same "  the socket and FIFO nodes are gone" \
    "$(inc ls -A /run/ipcd 2>&1 | grep -v 'No such file')" ""
status "  ipcctl is gone with it" 127 inc ipcctl ping
check "  the totals are kept in /var/lib/ipcd" inc test -s /var/lib/ipcd/state
check "  and the spool directory in /var/spool/ipcd" inc test -d /var/spool/ipcd
same "  so are the configuration and the user ipcd, and dpkg says config-files" \
    "$(inc test -f /etc/ipcd/ipcd.conf && echo conf) $(inc id -un ipcd) $(inc dpkg-query -W -f='${Status}' ipcd)" \
    "conf ipcd deinstall ok config-files"

# Purge: nothing of ipcd is left.
status "apt purge ipcd" 0 apt purge ipcd
same "  /var/lib/ipcd, /var/spool/ipcd and /etc/ipcd are gone" \
    "$(inc ls -d /var/lib/ipcd /var/spool/ipcd /etc/ipcd 2>/dev/null)" ""
same "  the user and group ipcd are gone" \
    "$(inc getent passwd ipcd; inc getent group ipcd)" ""
same "  no unit of ipcd is known or enabled any more" \
    "$(inc systemctl list-unit-files 'ipcd*' --no-legend | wc -l) $(inc find /etc/systemd -name 'ipcd*' | wc -l)" \
    "0 0"
same "  dpkg knows nothing of ipcd" \
    "$(inc dpkg-query -W -f='${Status}' ipcd 2>/dev/null)" ""
rest=$(for p in $pkgs; do [ "$p" = ipcd ] || echo $p; done)
if [ -n "$rest" ]; then
	status "apt purge$(echo $rest | sed 's/^/ /')" 0 apt purge $rest
fi

ct_down
echo "# container powered off"
echo "# t_deb.sh took $(($(date +%s) - START)) s"
