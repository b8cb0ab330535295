#!/bin/sh
# ipcctl against the real ipcd's side of the protocol: "hello", totals
# beyond the double range written as total=null overflow=true, and keys
# listed in pages behind a cursor.  (t_client.sh checks ipcctl's side
# against a scripted fake.)
. tests/lib.sh

start_ipcd || exit 1

# --- hello ------------------------------------------------------------------
reply=$(printf 'hello 2\n' | "$RAWIPC" unix "$T/ipcd.sock")
contains "hello 2 is answered with the protocol, version and pid" "$reply" \
    "ok proto=2 version=\"0.1.0\" pid=$IPCD_PID"
reply=$(printf 'hello 1\n' | "$RAWIPC" unix "$T/ipcd.sock")
same "hello 1 is refused naming both protocols" "$reply" \
    "err version ipcd speaks protocol 2, the client 1"
same "  and counted as a rejected request" "$(stat_of unix.rejected)" 1
"$IPCCTL" ping >/dev/null
"$IPCCTL" submit --key=h 1 2 3
"$IPCCTL" result --key=h >/dev/null
same "ipcctl's hellos are not bad requests" "$(stat_of unix.rejected)" 1

# --- overflow -----------------------------------------------------------------
"$IPCCTL" submit --key=big 1e308 1e308
reply=$(printf 'result big\n' | "$RAWIPC" unix "$T/ipcd.sock")
contains "ipcd writes an overflowing total as null" "$reply" "total=null"
contains "  with overflow=true" "$reply" "overflow=true"
status "ipcctl result: exit 4" 4 "$IPCCTL" result --key=big
contains "  total overflows a double" "$(cat "$T/status.out")" "total overflows a double"
out=$("$IPCCTL" --json result --key=big 2>/dev/null)
contains "  --json" "$out" '"total":null'
check "  never inf" sh -c "! echo '$out' | grep -q inf"
"$IPCCTL" reset --key=big >/dev/null

# --- keys in pages ------------------------------------------------------------
seq -f 'p%g 1' 1 250 >"$T/recs"
cat "$T/recs" >"$T/ipcd.fifo"
check "250 keys made" wait_stat keys 251
reply=$(printf 'keys limit=7\n' | "$RAWIPC" unix "$T/ipcd.sock" | head -1)
check "a page of about 7 (whole buckets) names its cursor" sh -c \
    "echo '$reply' | grep -Eq '^ok count=(7|8|9|1[0-9]) cursor='"
check "  which is not 0" sh -c "! echo '$reply' | grep -q 'cursor=0$'"
same "ipcctl keys --limit=7 follows the cursor to all 251 keys" \
    "$("$IPCCTL" keys --limit=7 | wc -l)" 251
same "  every key once" "$("$IPCCTL" keys --limit=7 | cut -f1 | sort -u | wc -l)" 251
same "  --json: one array of 251" \
    "$("$IPCCTL" --json keys --limit=7 | grep -o '"key":' | wc -l)" 251
reply=$(printf 'keys match=p2? limit=1000\n' | "$RAWIPC" unix "$T/ipcd.sock" | head -1)
same "ipcd filters by match=GLOB" "$reply" "ok count=10 cursor=0"
same "ipcctl keys 'p1*'" "$("$IPCCTL" keys 'p1*' | wc -l)" 111
stop_ipcd
