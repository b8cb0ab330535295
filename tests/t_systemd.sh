#!/bin/sh
# ipcd under a real systemd manager, as installed: "make install" into a
# scratch tree, then boot systemd (PID 1 of a throwaway container of this
# machine: systemd-nspawn --volatile=yes, the host's /usr with the
# installed tree laid over it read-only, a writable overlay of the host's
# /etc so systemd-sysusers can add the user ipcd) and check the units:
# verify, the security score, socket activation over each transport,
# group access, a synchronous reload, restart after kill -9 with nothing
# lost, journal fields, a clean stop.  The host's /etc, /usr, /run and
# IPC namespace are not touched.  Needs root and systemd-nspawn (Debian
# package systemd-container); otherwise the checks are reported skipped.
. tests/lib.sh

. tests/container.sh
ct_skip_unless_able "systemd test"
START=$(date +%s)
D=$T/root			# DESTDIR
total() {
	inc ipcctl result "$@" 2>&1
}
count() {
	inc ipcctl --json result --key="$1" 2>/dev/null |
	    sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}
# refused VIA: the user "other" cannot submit over VIA.
refused() {
	! inc runuser -u other -- ipcctl submit --via="$1" --key=grp 1
}
# jf: the FIFO's journal entries; nan: how many say "value is NaN".
jf() {
	inc journalctl -q --no-pager -u ipcd IPCD_TRANSPORT=fifo -o cat
}
nan() {
	jf | grep -c 'value is NaN'
}
# show DESC COMMAND...: the output of a command, "# "-prefixed.
show() {
	echo "# $1:"
	shift
	"$@" 2>&1 | sed 's/^/#   /'
}

# The build the other tests use; a sanitized one stays sanitized.
san=
[ "$BUILD" = build-san ] && san=SANITIZE=1
if make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr \
    BUILD="$BUILD" $san >"$T/install.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	notok "make install DESTDIR=... PREFIX=/usr"
	sed 's/^/#   /' "$T/install.log"
	exit 1
fi

ct_boot "systemd boots with the installed tree" \
    --overlay=/etc:"$D/etc"::/etc --overlay-ro=/usr:"$D/usr":/usr

# The installed files, as systemd sees them.
U=/usr/lib/systemd/system
same "systemd-sysusers made the user and group ipcd from the sysusers.d file" \
    "$(inc id -un ipcd) $(inc id -gn ipcd)" "ipcd ipcd"
status "systemd-analyze verify passes on the installed units" 0 \
    inc systemd-analyze verify $U/ipcd.service $U/ipcd.socket \
    $U/ipcd-fifo.socket $U/ipcd-mq.socket $U/ipcd-tcp.socket \
    $U/ipcd-http.socket
[ -s "$T/status.out" ] && sed 's/^/#   verify: /' "$T/status.out"
sec=$(inc systemd-analyze security --no-pager ipcd.service 2>&1)
score=$(printf '%s\n' "$sec" |
    sed -n 's/.*Overall exposure level for ipcd.service: \([0-9.]*\).*/\1/p')
echo "# systemd-analyze security ipcd.service: ${score:-?}"
printf '%s\n' "$sec" | grep '^✗' | sed 's/  */ /g; s/^/#   /'
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'; then
	ok "the security exposure score is <= 1.5 ($score)"
else
	notok "the security exposure score is <= 1.5 (${score:-none})"
	printf '%s\n' "$sec" | tail -n 5 | sed 's/^/#   /'
fi

# A sanitized build: LeakSanitizer stops the process's threads with
# ptrace at exit, which the unit's SystemCallFilter= forbids, so every
# exit would fail.  Leaks are checked everywhere else (the other tests
# run ipcd outside the sandbox, and t_valgrind.sh); here only ASan and
# UBSan stay on.
if [ -n "$san" ]; then
	inc mkdir -p /run/systemd/system/ipcd.service.d
	inc sh -c 'printf "[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n" \
	    >/run/systemd/system/ipcd.service.d/sanitizer.conf'
	inc systemctl daemon-reload
fi

# Enabling the stream socket brings the FIFO and queue units along; they
# listen, ipcd does not run yet.
status "systemctl enable --now ipcd.socket" 0 inc systemctl enable --now ipcd.socket
ct_quota_retry ipcd-mq.socket
same "the three socket units listen; ipcd.service is not running" \
    "$(inc systemctl is-active ipcd.socket ipcd-fifo.socket ipcd-mq.socket ipcd.service | tr '\n' ' ')" \
    "active active active inactive "
same "each socket unit names its descriptors" \
    "$(for u in ipcd.socket ipcd-fifo.socket ipcd-mq.socket; do prop $u FileDescriptorName; done | tr '\n' ' ')" \
    "unix fifo mq "
show "the nodes systemd made" inc sh -c \
    'ls -l /run/ipcd/ipcd.sock /run/ipcd/ipcd.fifo /dev/mqueue/ipcd'
same "the queue is 256 messages of 1024 bytes (mq_getattr)" \
    "$(inc python3 -c 'import ctypes, os
rt = ctypes.CDLL("librt.so.1")
a = (ctypes.c_long * 8)()
q = rt.mq_open(b"/ipcd", os.O_RDONLY | os.O_NONBLOCK)
print(-1 if q < 0 or rt.mq_getattr(q, a) != 0 else "%d %d" % (a[1], a[2]))' 2>&1)" \
    "256 1024"

# One activation per transport; each value is counted.
check "ipcctl submit --via=fifo 1 (ipcd not running)" inc ipcctl submit --via=fifo 1
check "  starts ipcd through ipcd-fifo.socket" until_prop ipcd.service ActiveState active
check "  and the value is counted" eventually 1 total
same "ipcd adopted every passed descriptor and opened shm and sysv itself" \
    "$(inc ipcctl stats | grep '\.open=' | tr '\n' ' ')" \
    "unix.open=1 fifo.open=1 mq.open=1 shm.open=1 tcp.open=0 sysv.open=1 spool.open=1 "
same "no passed descriptor was left unused" \
    "$(inc journalctl -q --no-pager -u ipcd -g 'no enabled transport' | wc -l)" 0
status "systemctl stop ipcd (the sockets stay)" 0 inc systemctl stop ipcd.service
check "ipcctl submit --via=mq 2 (ipcd stopped)" inc ipcctl submit --via=mq 2
check "  starts ipcd through ipcd-mq.socket" until_prop ipcd.service ActiveState active
check "  and the value is counted, after the one before the stop" eventually 3 total
inc systemctl stop ipcd.service 2>/dev/null
status "ipcctl submit --via=unix 4 (ipcd stopped) is acknowledged" 0 \
    inc ipcctl submit --via=unix 4
same "  ipcd was started through ipcd.socket" "$(prop ipcd.service ActiveState)" active
check "ipcctl submit --via=shm 8 works in the sandbox" inc ipcctl submit --via=shm 8
check "ipcctl result answers" eventually 15 total

# Group ipcd may submit over every transport; other users may not.
inc useradd -M -N -G ipcd member >/dev/null 2>&1
inc useradd -M -N other >/dev/null 2>&1
for via in unix fifo mq shm sysv spool; do
	status "a member of group ipcd submits --via=$via" 0 \
	    inc runuser -u member -- ipcctl submit --via=$via --key=grp 1
done
check "  all six are counted" eventually 6 count grp
for via in unix fifo mq sysv spool; do
	check "a user outside group ipcd cannot submit --via=$via" refused $via
done

# Reload: a good file is applied before "systemctl reload" returns, a bad
# one fails the reload and leaves ipcd as it was; totals stay.
pid=$(prop ipcd.service MainPID)
status "systemctl reload ipcd" 0 inc systemctl reload ipcd.service
same "  ipcd kept its pid and its totals" "$(prop ipcd.service MainPID) $(total)" "$pid 15"
check "  ipcd logged the reload before systemd logged it done" eventually yes \
    inc sh -c 'journalctl -q --no-pager -u ipcd -o cat |
	awk "/configuration reloaded from/ { r = NR }
	     /Reloaded ipcd.service/ { d = NR }
	     END { print (r && d && r < d) ? \"yes\" : \"no\" }"'
# With ipcd stopped (SIGSTOP), a reload must wait for it: a bare
# "kill -HUP" in ExecReload= would return at once.
inc kill -STOP "$pid"
inc systemctl reload ipcd.service >"$T/reload.out" 2>&1 &
rl=$!
sleep 1
same "while ipcd is frozen, systemctl reload waits for it" \
    "$(prop ipcd.service SubState)" reload
inc kill -CONT "$pid"
command wait $rl
same "  and returns 0 once ipcd has reloaded" "$?" 0
inc cp /etc/ipcd/ipcd.conf /etc/ipcd/ipcd.conf.good
inc sh -c 'printf "[unix]\nbogus = 1\n" >>/etc/ipcd/ipcd.conf'
status "systemctl reload with a bad file fails" 1 inc systemctl reload ipcd.service
inc mv /etc/ipcd/ipcd.conf.good /etc/ipcd/ipcd.conf
same "  ipcd still runs, same pid, same totals" \
    "$(prop ipcd.service ActiveState) $(prop ipcd.service MainPID) $(total)" "active $pid 15"

# kill -9: systemd restarts ipcd (Restart=on-failure).  A test-only
# drop-in makes the restart wait 2 s, so that FIFO and queue records can
# be written while ipcd is really down; they wait in the pipe systemd
# holds and in the kernel's queue.  It also shortens the watchdog to 2 s.
inc mkdir -p /run/systemd/system/ipcd.service.d
inc sh -c 'printf "[Service]\nRestartSec=2\nWatchdogSec=2\n" \
    >/run/systemd/system/ipcd.service.d/test.conf'
inc systemctl daemon-reload
pid=$(prop ipcd.service MainPID)
inc kill -KILL "$pid"
check "after kill -9 of ipcd ($pid), systemd schedules a restart" \
    until_prop ipcd.service SubState auto-restart
check "  ipcctl submit --via=fifo 16 while ipcd is down" inc ipcctl submit --via=fifo 16
check "  ipcctl submit --via=mq 32 while ipcd is down" inc ipcctl submit --via=mq 32
same "  (ipcd was still down after both)" "$(prop ipcd.service SubState)" auto-restart
check "  ipcd runs again" until_prop ipcd.service SubState running
npid=$(prop ipcd.service MainPID)
same "  as a new process, restarted once" \
    "$([ "$npid" != "$pid" ] && echo new) $(prop ipcd.service NRestarts)" "new 1"
check "  the persisted total and both queued records are there (15 + 16 + 32)" \
    eventually 63 total
w0=$(prop ipcd.service WatchdogTimestampMonotonic)
wd_moved() {
	[ "$(prop ipcd.service WatchdogTimestampMonotonic)" != "$w0" ] && echo yes
}
check "ipcd pings the watchdog (WatchdogSec=2 here)" eventually yes wd_moved

# The journal: a rejected record and a completed part set over the FIFO.
inc sh -c 'echo "k nan" >/run/ipcd/ipcd.fifo'
inc ipcctl submit --via=fifo --key=parts --part=1/2 1
inc ipcctl submit --via=fifo --key=parts --part=2/2 2
check "the part set is complete" eventually 3 total --key=parts
check "journalctl -u ipcd IPCD_TRANSPORT=fifo shows the rejected record" \
    eventually 1 nan
contains "  and the completed part set" "$(jf)" "key parts: 2/2 parts, total 3"
last_status() {
	prop ipcd.service StatusText | grep -c 'submissions; last: parts = 3$'
}
check "STATUS= names the last key submitted to and its total" eventually 1 last_status
echo "# systemctl status: $(prop ipcd.service StatusText)"
show "journalctl -u ipcd IPCD_TRANSPORT=fifo" \
    inc journalctl -q --no-pager -u ipcd IPCD_TRANSPORT=fifo
same "two IPCD_EVENT=reload entries (the bad file never reached ipcd), four start" \
    "$(inc journalctl -q --no-pager -u ipcd IPCD_EVENT=reload -o cat | wc -l) $(inc journalctl -q --no-pager -u ipcd IPCD_EVENT=start -o cat | wc -l)" \
    "2 4"

# A clean stop; the nodes stay with the listening sockets, and the totals
# are there at the next activation.
same "the watchdog never fired: still one restart" "$(prop ipcd.service NRestarts)" 1
status "systemctl stop ipcd" 0 inc systemctl stop ipcd.service
same "  ipcd exited 0 and is inactive" \
    "$(prop ipcd.service ExecMainStatus) $(prop ipcd.service Result) $(prop ipcd.service ActiveState)" \
    "0 success inactive"
check "  the socket and FIFO nodes are still there" \
    inc test -S /run/ipcd/ipcd.sock -a -p /run/ipcd/ipcd.fifo
same "  the next submission starts ipcd with the totals kept" \
    "$(inc ipcctl submit --via=unix 1 >/dev/null 2>&1; total)" 64
inc systemctl stop ipcd.service 2>/dev/null

# TCP, opt-in: its socket unit was installed, not enabled; with it and
# "[tcp] enabled = yes", a submission over TCP starts ipcd, which adopts
# the socket (its own sandbox has no network).
same "ipcd-tcp.socket is installed but not enabled" \
    "$(inc systemctl is-enabled ipcd-tcp.socket) $(inc systemctl is-active ipcd-tcp.socket)" \
    "disabled inactive"
inc sh -c 'printf "\n[tcp]\nenabled = yes\n" >>/etc/ipcd/ipcd.conf'
status "systemctl start ipcd-tcp.socket" 0 inc systemctl start ipcd-tcp.socket
same "  it names its descriptor tcp" "$(prop ipcd-tcp.socket FileDescriptorName)" tcp
check "ipcctl submit --via=tcp 2 (ipcd stopped)" inc ipcctl submit --via=tcp 2
check "  starts ipcd through ipcd-tcp.socket" until_prop ipcd.service ActiveState active
check "  and the value is counted" eventually 66 total
same "  ipcd adopted the socket" "$(inc ipcctl stats | grep '^tcp\.\(open\|accepted\)=' | tr '\n' ' ')" \
    "tcp.open=1 tcp.accepted=1 "
same "  no passed descriptor was left unused" \
    "$(inc journalctl -q --no-pager -u ipcd -g 'no enabled transport' | wc -l)" 0
contains "reset over tcp is refused" "$(inc bash -c 'exec 3<>/dev/tcp/127.0.0.1/7390 &&
    echo "reset *" >&3 && head -n 1 <&3')" "err denied"
check "  journalctl IPCD_PEER_ADDR=127.0.0.1 shows it" eventually 1 inc sh -c \
    'journalctl -q --no-pager -u ipcd IPCD_TRANSPORT=tcp IPCD_PEER_ADDR=127.0.0.1 -o cat |
    grep -c "reset by a network peer"'
inc systemctl stop ipcd.service ipcd-tcp.socket 2>/dev/null

# HTTP, opt-in as TCP: with ipcd-http.socket and "[http] enabled = yes",
# a scrape starts ipcd, which adopts the socket and answers it.
same "ipcd-http.socket is installed but not enabled" \
    "$(inc systemctl is-enabled ipcd-http.socket) $(inc systemctl is-active ipcd-http.socket)" \
    "disabled inactive"
inc sh -c 'printf "\n[tcp]\nenabled = no\n[http]\nenabled = yes\n" >>/etc/ipcd/ipcd.conf'
status "systemctl start ipcd-http.socket" 0 inc systemctl start ipcd-http.socket
same "  it names its descriptor http" "$(prop ipcd-http.socket FileDescriptorName)" http
inc curl -s --max-time 20 -o /tmp/metrics -w '%{http_code}' \
    http://127.0.0.1:9473/metrics >"$T/code" 2>&1
same "curl http://127.0.0.1:9473/metrics (ipcd stopped) is answered 200" \
    "$(cat "$T/code")" 200
same "  ipcd was started through ipcd-http.socket" \
    "$(prop ipcd.service ActiveState)" active
contains "  the scrape shows the total" "$(inc grep '^ipcd_key_total' /tmp/metrics)" \
    " 66"
same "  no passed descriptor was left unused" \
    "$(inc journalctl -q --no-pager -u ipcd -g 'no enabled transport' | wc -l)" 0
same "  GET /healthz: ok" "$(inc curl -s --max-time 20 http://127.0.0.1:9473/healthz)" ok
inc systemctl stop ipcd.service ipcd-http.socket 2>/dev/null

ct_down
echo "# container powered off"

# uninstall reverses install; a changed configuration file survives both.
if make -s --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr \
    >"$T/uninstall.log" 2>&1; then
	same "make uninstall removes every installed file" \
	    "$(find "$D" ! -type d | sed "s|^$D||")" ""
else
	notok "make uninstall"
	sed 's/^/#   /' "$T/uninstall.log"
fi
make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr BUILD="$BUILD" \
    $san >/dev/null 2>&1
echo "; changed" >>"$D/etc/ipcd/ipcd.conf"
make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr BUILD="$BUILD" \
    $san >/dev/null 2>&1
same "make install keeps a changed configuration file" \
    "$(tail -n 1 "$D/etc/ipcd/ipcd.conf")" "; changed"
make -s --no-print-directory uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
same "  and so does make uninstall" "$(find "$D" ! -type d | sed "s|^$D||")" \
    "/etc/ipcd/ipcd.conf"
echo "# t_systemd.sh took $(($(date +%s) - START)) s"
