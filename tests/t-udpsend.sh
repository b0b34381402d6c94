#!/bin/sh
# udpsend: output exactly the reply; every exit code (0 1 2 3 4 5); -n, -q,
# -x, -r, -s, -4/-6, stdin.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P	# the daemon
free_port Q	# nobody listens here
free_port S	# a fixed source port
free_port S2

# one_error_line FILE: exactly one "udpsend: ..." line.
one_error_line() {
	[ "$(wc -l <"$1")" = 1 ] || fail "wanted one line on stderr: $(cat "$1")"
	grep -q '^udpsend: ' "$1" || fail "stderr: $(cat "$1")"
}

write_conf "$T/udp-replyd.conf" address=127.0.0.1 port="$P"
start_daemon "$T/udp-replyd.conf"

note "0: the reply, byte for byte"
"$UDPSEND" 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" 2>"$T/err" || fail "exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
"$UDPSEND" --timeout=2 --retries=1 127.0.0.1 "$P" "long options" >"$T/out" || fail "exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
# Options may also follow the operands (GNU getopt).
"$UDPSEND" 127.0.0.1 "$P" "late option" -t 2 >"$T/out" || fail "exit $?"
assert_file_eq "$T/out" "Hello UDP Client"

note "0: the message from stdin, binary-safe"
printf 'Hello UDP Server' | "$UDPSEND" 127.0.0.1 "$P" >"$T/out" || fail "stdin: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
printf '\000\001from stdin\000' | "$UDPSEND" 127.0.0.1 "$P" >"$T/out" || fail "binary stdin: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log "^udp-replyd: 13 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"\\\\x00\\\\x01from stdin\\\\x00\"\$"
"$UDPSEND" 127.0.0.1 "$P" </dev/null >"$T/out" || fail "empty stdin: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log "^udp-replyd: 0 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"\"\$"
"$UDPSEND" 127.0.0.1 "$P" "" >"$T/out" || fail "empty message: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log "^udp-replyd: 0 bytes from 127\.0\.0\.1:[0-9]+ to" 2
# The largest datagram, from stdin.
head -c 65507 /dev/zero | "$UDPSEND" 127.0.0.1 "$P" >"$T/out" || fail "65507 bytes: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log "^udp-replyd: 65507 bytes \(truncated to 1024\) from 127\.0\.0\.1:"

note "0: -x prints a hexdump -C style dump, -q prints nothing"
"$UDPSEND" -x 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" || fail "-x: exit $?"
printf '%s\n' \
	'00000000  48 65 6c 6c 6f 20 55 44  50 20 43 6c 69 65 6e 74  |Hello UDP Client|' \
	'00000010' >"$T/expected"
cmp -s "$T/out" "$T/expected" || fail "-x printed: $(cat "$T/out")"
command -v hexdump >/dev/null || hard_error "hexdump not installed (bsdextrautils, in build-deps)"
printf 'Hello UDP Client' | hexdump -C | cmp -s - "$T/out" || fail "-x differs from hexdump -C"
"$UDPSEND" -q 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" 2>&1 || fail "-q: exit $?"
[ ! -s "$T/out" ] || fail "-q printed: $(cat "$T/out")"

note "0: -s ADDR:PORT sends from that port, -4 and -6"
"$UDPSEND" -s "127.0.0.1:$S" 127.0.0.1 "$P" "from S" >"$T/out" || fail "-s: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log -F "udp-replyd: 6 bytes from 127.0.0.1:$S to 127.0.0.1:$P: \"from S\""
"$UDPSEND" -s 127.0.0.3 127.0.0.1 "$P" "from .3" >"$T/out" || fail "-s ADDR: exit $?"
wait_log "^udp-replyd: 7 bytes from 127\.0\.0\.3:[0-9]+ to 127\.0\.0\.1:$P: \"from \.3\"\$"
"$UDPSEND" -4 localhost "$P" "v4" >"$T/out" || fail "-4 localhost: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"

note "0: -n sends and does not wait"
"$UDPSEND" -n 127.0.0.1 "$P" "no wait" >"$T/out" || fail "-n: exit $?"
[ ! -s "$T/out" ] || fail "-n printed: $(cat "$T/out")"
wait_log "^udp-replyd: 7 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"no wait\"\$"

note "1: no reply (the daemon stopped with SIGSTOP)"
stop_process "$DAEMON_PID"
expect_exit 1 "$UDPSEND" -t 0.2 127.0.0.1 "$P" "stopped"
"$UDPSEND" -t 0.2 127.0.0.1 "$P" "stopped" 2>"$T/err" >"$T/out" || true
one_error_line "$T/err"
[ ! -s "$T/out" ] || fail "printed something without a reply"
expect_exit 1 "$UDPSEND" -q -t 0.2 127.0.0.1 "$P" "stopped"
start_ms=$(_lib_now_ms)
expect_exit 1 "$UDPSEND" -t 0.2 -r 2 -s "127.0.0.1:$S2" 127.0.0.1 "$P" "retried"
took=$(($(_lib_now_ms) - start_ms))
[ "$took" -ge 550 ] || fail "-t 0.2 -r 2 took ${took} ms, wanted three tries of 200 ms"
kill -CONT "$DAEMON_PID"
# Queued while stopped: 3 plain datagrams (above) and 3 from the retries.
wait_log -F "udp-replyd: 7 bytes from 127.0.0.1:$S2 to 127.0.0.1:$P: \"retried\"" 3
wait_log -F ': "stopped"' 3
"$UDPSEND" -t 3 127.0.0.1 "$P" "awake" >"$T/out" || fail "after SIGCONT: exit $?"
wait_log -F ': "awake"'
# All that was queued is logged by now, in order: exactly three tries.
assert_eq "$(count_log -F "from 127.0.0.1:$S2 ")" 3 "datagrams from the -r 2 run"
assert_eq "$(count_log -F ': "stopped"')" 3 "datagrams sent while stopped"

note "2: usage errors"
expect_exit 2 "$UDPSEND"
expect_exit 2 "$UDPSEND" 127.0.0.1
expect_exit 2 "$UDPSEND" 127.0.0.1 "$P" one two
for port in 0 65536 -1 abc 20001x ""; do
	expect_exit 2 "$UDPSEND" 127.0.0.1 "$port" "x"
done
for t in abc 0 -1 "" 1s; do
	expect_exit 2 "$UDPSEND" -t "$t" 127.0.0.1 "$P" "x"
done
expect_exit 2 "$UDPSEND" -r -1 127.0.0.1 "$P" "x"
expect_exit 2 "$UDPSEND" -r many 127.0.0.1 "$P" "x"
expect_exit 2 "$UDPSEND" --bogus 127.0.0.1 "$P" "x"
expect_exit 2 "$UDPSEND" -Z 127.0.0.1 "$P" "x"
head -c 65508 /dev/zero >"$T/toolong"
expect_exit 2 "$UDPSEND" 127.0.0.1 "$P" <"$T/toolong"
"$UDPSEND" 127.0.0.1 2>"$T/err" || true
one_error_line "$T/err"
"$UDPSEND" --version >"$T/out" || fail "--version: exit $?"
assert_eq "$(cat "$T/out")" "udpsend 1.0.0" "--version"
"$UDPSEND" -h >"$T/out" || fail "-h: exit $?"
for opt in --timeout --retries -4 -6 --source --no-wait --hex --quiet --help --version; do
	grep -q -e "$opt" "$T/out" || fail "--help does not mention $opt"
done

note "3: refused (nobody listens)"
expect_exit 3 "$UDPSEND" -t 2 127.0.0.1 "$Q" "anyone?"
"$UDPSEND" -t 2 127.0.0.1 "$Q" "anyone?" 2>"$T/err" || true
one_error_line "$T/err"
expect_exit 3 "$UDPSEND" -q -t 2 -r 3 127.0.0.1 "$Q" "anyone?"
if have_ipv6; then
	expect_exit 3 "$UDPSEND" -t 2 ::1 "$Q" "anyone?"
	expect_exit 3 "$UDPSEND" -t 2 -6 ::1 "$P" "v4-only daemon"
fi

note "4: the host name does not resolve"
if timeout 5 getent hosts no-such-host.invalid >/dev/null 2>&1; then
	skip "no-such-host.invalid resolves here"
fi
start_ms=$(_lib_now_ms)
expect_exit 4 "$UDPSEND" -t 1 no-such-host.invalid "$P" "x"
took=$(($(_lib_now_ms) - start_ms))
[ "$took" -lt 5000 ] || note "resolving no-such-host.invalid took ${took} ms"
"$UDPSEND" no-such-host.invalid "$P" "x" 2>"$T/err" || true
one_error_line "$T/err"

note "5: a local error (--source not an address of this host)"
if ! ip -o addr show 2>/dev/null | grep -q ' 192\.0\.2\.123/'; then
	expect_exit 5 "$UDPSEND" -s 192.0.2.123 127.0.0.1 "$P" "x"
fi
expect_exit 5 "$UDPSEND" -s "127.0.0.1:$P" 127.0.0.1 "$P" "x"	# the daemon has it

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "0: any reply exactly as received: bytes, a trailing newline, nothing"
write_conf "$T/bytes.conf" address=127.0.0.1 port="$P" reply='tab\there\nline 2\n\x01\xff'
start_daemon "$T/bytes.conf"
"$UDPSEND" 127.0.0.1 "$P" "x" >"$T/out" || fail "exit $?"
printf 'tab\there\nline 2\n\001\377' >"$T/expected"
cmp "$T/out" "$T/expected" || fail "reply bytes differ: $(od -c "$T/out")"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
write_conf "$T/nl.conf" address=127.0.0.1 port="$P" reply='ends with a newline\n'
start_daemon "$T/nl.conf"
"$UDPSEND" 127.0.0.1 "$P" "x" >"$T/out" || fail "exit $?"
printf 'ends with a newline\n' >"$T/expected"
cmp "$T/out" "$T/expected" || fail "reply bytes differ: $(od -c "$T/out")"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
write_conf "$T/empty.conf" address=127.0.0.1 port="$P" reply=""
start_daemon "$T/empty.conf"
"$UDPSEND" 127.0.0.1 "$P" "x" >"$T/out" || fail "a 0-byte reply: exit $?"
[ ! -s "$T/out" ] || fail "a 0-byte reply printed: $(od -c "$T/out")"
"$UDPSEND" -x 127.0.0.1 "$P" "x" >"$T/out" || fail "-x, a 0-byte reply: exit $?"
# hexdump -C prints nothing for no bytes; a lone offset line is fine too.
[ ! -s "$T/out" ] || [ "$(cat "$T/out")" = 00000000 ] || fail "-x, a 0-byte reply: $(cat "$T/out")"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
head -c 65507 /dev/zero | tr '\0' R >"$T/expected"
# A large reply to a small request: max_amplification = 0 allows it.
{ printf 'address = "127.0.0.1";\nport = %s;\nmax_amplification = 0;\nreply = "' "$P"; cat "$T/expected"; printf '";\n'; } >"$T/big.conf"
start_daemon "$T/big.conf"
"$UDPSEND" 127.0.0.1 "$P" "x" >"$T/out" || fail "a 65507-byte reply: exit $?"
cmp "$T/out" "$T/expected" || fail "the 65507-byte reply differs ($(wc -c <"$T/out") bytes)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "2: a --source port that is not 0..65535 is a usage error"
start_daemon "$T/udp-replyd.conf"
for src in "127.0.0.1:99999" "127.0.0.1:65536" "127.0.0.1:abc" "[::1]:70000"; do
	rc=0
	"$UDPSEND" -t 1 -s "$src" 127.0.0.1 "$P" "bad source $src" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "udpsend -s $src: exit $rc, wanted 2 (usage): $(cat "$T/err")$(
		grep -F "bad source $src" "$DAEMON_LOG" | sed 's/^/; the daemon got: /')"
done
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
