#!/bin/sh
# The manual pages, the example configuration and --help agree with the
# code: every command, option, configuration key and exit status the
# programs know is documented, and the pages are lint-clean.
. tests/lib.sh

for m in man/ipcd.8 man/ipcctl.1 man/ipcd.conf.5 man/libipcd.3 man/ipcd-prometheus.7; do
	check "$m is mandoc -Tlint clean" mandoc -Tlint -W warning "$m"
	# Ql quotes to the end of its line: two on a line nest.
	same "  and has no quote opened inside another" \
	    "$(mandoc -Tutf8 "$m" | col -b | grep "‘[^’]*‘")" ""
done

# Every key the loader knows ("ipcd -n -v" prints them all), in the
# example file and in ipcd.conf(5).
IPCD_CONFIG=/dev/null "$IPCD" -n -v | awk '
	/^\[/ { sec = $0; next }
	/ = / { print sec, $1 }' >"$T/keys"
same "the loader knows 48 keys" "$(wc -l <"$T/keys")" 48
while read -r sec key; do
	check "$sec $key is in conf/ipcd.conf" \
	    awk -v s="$sec" -v k="$key" '$0 == s { in_s = 1; next }
		/^\[/ { in_s = 0 } in_s && $1 == k { f = 1 } END { exit !f }' conf/ipcd.conf
	check "$sec $key is in ipcd.conf(5)" \
	    awk -v s=".Ss $sec" -v k=".It Cm $key" '$0 == s { in_s = 1; next }
		/^\.Ss/ { in_s = 0 } in_s && index($0, k) == 1 { f = 1 } END { exit !f }' man/ipcd.conf.5
done <"$T/keys"
check "conf/ipcd.conf is a valid file" "$IPCD" -n -c conf/ipcd.conf
if [ "$(id -u)" = 0 ]; then
	same "conf/ipcd.conf shows exactly the built-in defaults (for root)" \
	    "$("$IPCD" -n -v -c conf/ipcd.conf | sed '$d')" \
	    "$(IPCD_CONFIG=/dev/null "$IPCD" -n -v | sed '$d')"
fi

# Every ipcctl command and option in its page; every ipcd flag in its.
for cmd in $("$IPCCTL" -h | awk '/^commands:/ { c = 1; next } /^$/ { c = 0 } c { print $1 }'); do
	check "ipcctl $cmd is in ipcctl(1)" grep -Eq "^(\.It )?\.?Cm $cmd( |\$)" man/ipcctl.1
done
for opt in via key part wait timeout workers terms all json channel idle; do
	check "ipcctl --$opt is in --help and ipcctl(1)" sh -c \
	    "'$IPCCTL' -h | grep -q -- '--$opt' && grep -q 'Fl Fl $opt' man/ipcctl.1"
done
check "ipcctl run -n is in --help and ipcctl(1)" sh -c \
    "'$IPCCTL' -h | grep -q -- 'run -n N' && grep -q '^\.Fl n Ar N' man/ipcctl.1"
for v in IPCD_RANK IPCD_SIZE IPCD_KEY IPCD_PART IPCD_FD; do
	check "run's $v is set, in --help and in ipcctl(1)" sh -c \
	    "grep -q '\"$v\"' client/run.c && '$IPCCTL' -h | grep -q $v &&
	    grep -q '^\.It Ev $v' man/ipcctl.1"
done
for f in c h n v V; do
	check "ipcd -$f is in --help and ipcd(8)" sh -c \
	    "'$IPCD' -h | grep -q -- '-$f' && grep -q '^\.It Fl $f' man/ipcd.8"
done
for s in 0 1 2 3 4 5; do
	check "ipcctl exit status $s is documented" grep -q "^\.It $s\$" man/ipcctl.1
done
for s in 0 1 2 65 78; do
	check "ipcd exit status $s is documented" grep -q "^\.It $s\$" man/ipcd.8
done
for f in IPCD_TRANSPORT IPCD_KEY IPCD_PEER_PID IPCD_PEER_UID IPCD_PEER_ADDR IPCD_EVENT; do
	check "journal field $f is emitted and documented" sh -c \
	    "grep -q '$f=' daemon/systemd.c && grep -q 'Va $f' man/ipcd.8"
done

# ipcd-prometheus(7): every rule shipped in conf/prometheus/ is described
# there, the page names the files where make install puts them, and both
# the page and the rules are installed.
for f in conf/prometheus/*.yml; do
	for r in $(sed -n 's/^ *- \(record\|alert\): *//p' "$f"); do
		check "$r ($f) is in ipcd-prometheus(7)" \
		    grep -q "^\.It \(Va\|Ic\) $r\$" man/ipcd-prometheus.7
	done
	check "ipcd-prometheus(7) names $f where it is installed" \
	    grep -q "^\.It Pa /usr/share/ipcd/prometheus/${f##*/}\$" man/ipcd-prometheus.7
	check "make install installs $f" grep -q "${f}" Makefile
done
check "make install installs ipcd-prometheus(7)" \
    grep -q 'man/ipcd-prometheus.7 $(DESTDIR)$(MANDIR)/man7/' Makefile
check "the Debian package ships ipcd-prometheus(7) and the rules" sh -c \
    "grep -qx usr/share/man/man7/ipcd-prometheus.7 debian/ipcd.install &&
    grep -qx usr/share/ipcd/prometheus debian/ipcd.install"
check "README points to ipcd-prometheus(7)" grep -q 'ipcd-prometheus(7)' README.md
