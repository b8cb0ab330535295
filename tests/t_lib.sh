#!/bin/sh
# libipcd as a program outside the tree uses it: installed with make
# install, found with pkg-config, linked shared and static, submitting
# over every transport ipcctl knows to a private ipcd; its statuses and
# messages; only ipcd_* exported; the example of libipcd(3) compiles.
. tests/lib.sh

command -v pkg-config >/dev/null || { echo "skip - no pkg-config"; exit 0; }
# The sanitizer build's library needs its runtime in the program too.
SAN=
[ "$BUILD" = build-san ] && SAN="-fsanitize=address,undefined"
MAKEVARS="BUILD=$BUILD"
[ "$BUILD" = build-san ] && MAKEVARS="$MAKEVARS SANITIZE=1"
ROOT=$T/root

# shellcheck disable=SC2086
check "make install DESTDIR PREFIX=/usr" make --no-print-directory -s $MAKEVARS \
    install DESTDIR="$ROOT" PREFIX=/usr
for f in usr/lib/libipcd.so.0.1.0 usr/lib/libipcd.so.0 usr/lib/libipcd.so \
    usr/lib/libipcd.a usr/include/ipcd.h usr/lib/pkgconfig/ipcd.pc \
    usr/share/man/man3/libipcd.3; do
	check "  installs /$f" test -e "$ROOT/$f"
done
same "  the soname is libipcd.so.0" \
    "$(readelf -d "$ROOT/usr/lib/libipcd.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" \
    libipcd.so.0
same "  nm -D --defined-only: the ipcd_* API alone" \
    "$(nm -D --defined-only "$ROOT/usr/lib/libipcd.so.0" | awk '{ print $NF }' |
	grep -v '^IPCD_0$' | sed 's/@@IPCD_0$//' | sort | tr '\n' ' ')" \
    "ipcd_close ipcd_error ipcd_flush ipcd_open ipcd_ping ipcd_result ipcd_set_timeout ipcd_submit ipcd_version "
same "  libipcd.a: the ipcd_* API alone is global" \
    "$(nm --defined-only "$ROOT/usr/lib/libipcd.a" | awk '$2 ~ /^[A-Z]$/ { print $3 }' |
	sort | tr '\n' ' ')" \
    "ipcd_close ipcd_error ipcd_flush ipcd_open ipcd_ping ipcd_result ipcd_set_timeout ipcd_submit ipcd_version "

export PKG_CONFIG_PATH="$ROOT/usr/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$ROOT"
same "pkg-config --modversion ipcd" "$(pkg-config --modversion ipcd)" \
    "$("$IPCCTL" -V | awk '{ print $2 }')"
CFLAGS_IPCD=$(pkg-config --cflags ipcd)
LIBS_IPCD=$(pkg-config --libs ipcd)
# shellcheck disable=SC2086
same "  --cflags, --libs name the installed paths" "$(echo $CFLAGS_IPCD $LIBS_IPCD)" \
    "-I$ROOT/usr/include -L$ROOT/usr/lib -lipcd"
# Outside the tree: the program sees the installed header alone.
cp tests/lib/submit.c "$T/submit.c"
# shellcheck disable=SC2086
check "a program builds with pkg-config --cflags --libs ipcd" \
    cc -std=c11 -Wall -Werror -pthread $SAN $CFLAGS_IPCD -o "$T/submit" "$T/submit.c" $LIBS_IPCD
# The static library; its private needs come from pkg-config --static.
# shellcheck disable=SC2086
check "  and statically, with libipcd.a" \
    cc -std=c11 -Wall -Werror -pthread $SAN $CFLAGS_IPCD -o "$T/submit-static" "$T/submit.c" \
    $(pkg-config --static --libs ipcd | sed 's/-lipcd/-Wl,-Bstatic -lipcd -Wl,-Bdynamic/')
check "  which needs no libipcd.so" sh -c "! ldd '$T/submit-static' | grep -q libipcd"
check "  the shared one needs libipcd.so.0" sh -c \
    "LD_LIBRARY_PATH='$ROOT/usr/lib' ldd '$T/submit' | grep -q 'libipcd.so.0 => $ROOT'"

# The example of libipcd(3), as the page prints it.
sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' man/libipcd.3 |
    sed -n '/^\.Bd -literal/,/^\.Ed/p' | sed '1d' | sed '/^\.Ed/,$d' |
    sed 's/\\e/\\/g' >"$T/job.c"
check "the EXAMPLE of libipcd(3) is a program" grep -q '^main(void)' "$T/job.c"
# shellcheck disable=SC2086
check "  and it compiles with pkg-config" cc -std=c11 -Wall -Werror $SAN -o "$T/job" \
    "$T/job.c" $CFLAGS_IPCD $LIBS_IPCD

export LD_LIBRARY_PATH="$ROOT/usr/lib"
LIB=$T/submit
# run NAME ARGS...: the program's output in $T/NAME.out, its standard
# error in $T/NAME.err (the library prints nothing: it must stay empty).
run() {
	run_name=$1
	shift
	"$@" >"$T/$run_name.out" 2>"$T/$run_name.err"
}
out() { tr '\n' ' ' <"$T/$1.out"; }

PORT=$(free_port)
write_conf "[tcp]
enabled = yes
listen = 127.0.0.1:$PORT"
# The spool directory, for the spool transport where it exists.
sed -i 's/^\[spool\]$/[spool]\nenabled = yes/' "$T/ipcd.conf"
start_ipcd || exit 1

same "ipcd_version" "$("$LIB" version)" "$("$IPCCTL" -V | awk '{ print $2 }')"
run ping "$LIB" ping
same "ipcd_ping" "$(out ping)" "status=0 error= "

# Every transport ipcctl knows (its message for an unknown one lists them).
VIAS=$("$IPCCTL" submit --via=nonesuch 1 2>&1 |
    sed -n 's/.*(expected \(.*\))$/\1/p' | sed 's/,//g; s/ or / /')
contains "the transports include the six of today" "$VIAS" "unix fifo mq shm tcp sysv"
for via in $VIAS; do
	run "sub-$via" "$LIB" submit "$via" "k-$via" 10
	same "ipcd_submit over $via: 10 parts, then ipcd_result waits for all" \
	    "$(out "sub-$via")" \
	    "total=55 count=10 parts=10/10 min=1 max=10 status=0 error= "
	same "  nothing printed" "$(cat "$T/sub-$via.err")" ""
	same "  ipcctl sees the same total" "$("$IPCCTL" result --key="k-$via")" 55
done
# Handles in threads of their own need no locking (libipcd(3), THREADS).
for via in unix shm; do
	run "threads-$via" "$LIB" threads "$via" "th-$via" 8
	same "8 threads, a handle each, over $via" "$(out "threads-$via")" \
	    "total=36 count=8 parts=8/8 min=1 max=8 status=0 error= "
done
run static "$T/submit-static" submit shm k-static 4
same "the static program submits over shm" "$(out static)" \
    "total=10 count=4 parts=4/4 min=1 max=4 status=0 error= "
run job "$T/job"
same "the example of libipcd(3) runs" "$(cat "$T/job.out")" 27.5

# The program's own SIGBUS handler still gets the faults that are not
# the shared-memory transport's.
run sigbus "$LIB" sigbus k-bus
same "a SIGBUS handler of the program's own survives a submission over shm" \
    "$(out sigbus)" "own SIGBUS handler "

# The errors: a status and one line, never output.
run badkey "$LIB" submit1 unix "bad key" 1
same "a bad key: IPCD_EINVAL" "$(out badkey)" \
    "status=-2 error=key \"bad key\" is not 1-64 characters of [A-Za-z0-9_.:-] "
run badvia "$LIB" submit1 nonesuch k 1
contains "an unknown transport: IPCD_EINVAL naming the known ones" "$(out badvia)" \
    "status=-2 error=unknown transport \"nonesuch\" (expected unix, fifo"
run badtime env TIMEOUT=0 "$LIB" ping
contains "a timeout of 0: IPCD_EINVAL" "$(out badtime)" "status=-2 error=timeout 0: "
run smalltime env TIMEOUT=0.0005 "$LIB" ping
same "a timeout of 0.0005: IPCD_EINVAL naming the range" "$(out smalltime)" \
    "status=-2 error=timeout 0.0005: expected seconds, from 0.001 to 31536000 "
run nokey "$LIB" result nosuchkey
same "ipcd_result of an unknown key: IPCD_EREJECTED" "$(out nokey)" \
    "status=-4 error=result: no submissions for key nosuchkey "
"$IPCCTL" submit --key=plain 1
run rejected "$LIB" submit unix plain 3
same "parts of a plain key: IPCD_EREJECTED, the first answer and how many more" \
    "$(out rejected)" \
    "status=-4 error=plain 1: key plain takes plain values, not parts (and 2 more answers) "
same "  nothing printed" "$(cat "$T/rejected.err")" ""
"$IPCCTL" submit --key=dup --part=1/2 1
run dup "$LIB" submit unix dup 2
same "a part again: IPCD_DUPLICATE, naming it" "$(out dup)" \
    "status=1 error=key dup part 1/2 was already received; not counted again "
"$IPCCTL" submit --key=w --part=1/3 1
run wait "$LIB" result w 0.2
same "ipcd_result's wait runs out: IPCD_ETIMEOUT naming the missing parts" \
    "$(out wait)" "status=-5 error=result: key w: 2 of 3 parts missing: 2-3 "
printf '[unix]\npath = \n' >"$T/bad.conf"
run badconf env IPCD_CONFIG="$T/bad.conf" "$LIB" ping
contains "a bad configuration file: IPCD_EFAIL naming it" "$(out badconf)" \
    "status=-1 error=$T/bad.conf"
same "  and every later call on the handle fails with the same cause" \
    "$(sed -n 4p "$T/badconf.out")" "$(sed -n 2p "$T/badconf.out")"

# A handle kept across ipcd's idle_timeout: ipcd closed its connection
# (with a goodbye line); the next request connects anew.
stop_ipcd
write_conf "[limits]
idle_timeout = 1"
start_ipcd || exit 1
run idle "$LIB" idle 3
same "ipcd_ping on a handle idle past idle_timeout: IPCD_OK" "$(out idle)" \
    "status=0 error= "

stop_ipcd
# Without ipcd.  The queues (mq, sysv) outlive it: a send to them succeeds.
for via in unix fifo shm tcp; do
	run "gone-$via" env TIMEOUT=2 "$LIB" submit1 "$via" k 1
	contains "no ipcd, over $via: IPCD_EUNREACHABLE" "$(out "gone-$via")" \
	    "status=-3 error="
	same "  nothing printed" "$(cat "$T/gone-$via.err")" ""
done
run gone-result env TIMEOUT=2 "$LIB" result k
contains "no ipcd: ipcd_result is IPCD_EUNREACHABLE, saying why" "$(out gone-result)" \
    "status=-3 error=result: cannot connect to $T/ipcd.sock"

# A FIFO whose reader leaves between the submission and the flush: an
# error (EPIPE), not a death by SIGPIPE, in a program that kept SIGPIPE's
# default.
mkfifo "$T/p.fifo" "$T/ctl"
printf '[fifo]\npath = %s\n' "$T/p.fifo" >"$T/pipe.conf"
exec 3<>"$T/p.fifo"		# the reader, for now
IPCD_CONFIG="$T/pipe.conf" "$LIB" paused fifo k 1 <"$T/ctl" >"$T/paused.out" 2>&1 3<&- &
paused=$!
exec 4>"$T/ctl"
i=0
while [ $i -lt 200 ] && ! grep -q submitted "$T/paused.out"; do
	sleep 0.05
	i=$((i + 1))
done
exec 3<&-			# the reader leaves
echo go >&4
exec 4>&-
wait $paused
same "a FIFO left by its reader: the program lives (exit 1, not SIGPIPE's 141)" $? 1
contains "  and the flush says why: IPCD_EUNREACHABLE" "$(out paused)" \
    "status=-3 error=cannot write to the FIFO: Broken pipe"

# shellcheck disable=SC2086
check "make uninstall reverses it" make --no-print-directory -s $MAKEVARS \
    uninstall DESTDIR="$ROOT" PREFIX=/usr
same "  no library file left" \
    "$(find "$ROOT" -name 'libipcd*' -o -name 'ipcd.h' -o -name 'ipcd.pc' | wc -l)" 0
rm -rf "$T"
