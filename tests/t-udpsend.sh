#!/bin/sh
# udpsend: output exactly the reply; every exit code (0 1 2 3 4 5); -n, -q,
# -x, -r, -s, -4/-6, stdin; options end at the first operand; HOST:PORT and
# service names; closed fds 0-2 and a closed pipe; a name's addresses tried
# in turn, quietly unless all fail (in a mount namespace with its own
# /etc/hosts, as root).
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

# assert_empty FILE WHAT: FILE (stderr, most often) is empty.
assert_empty() {
	[ ! -s "$1" ] || fail "$2: $(cat "$1")"
}

# hex_like_hexdump TEXT: udpsend -x prints the reply TEXT (the daemon's)
# byte for byte as hexdump -C prints it.
hex_like_hexdump() {
	"$UDPSEND" -x -t 3 127.0.0.1 "$P" "x" >"$T/out" || fail "-x: exit $?"
	printf '%s' "$1" | hexdump -C >"$T/expected"
	cmp -s "$T/out" "$T/expected" ||
		fail "-x differs from hexdump -C for a ${#1}-byte reply: $(diff "$T/expected" "$T/out")"
}

write_conf "$T/udp-replyd.conf" address=127.0.0.1 port="$P"
start_daemon "$T/udp-replyd.conf"

note "0: the reply, byte for byte"
"$UDPSEND" 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" 2>"$T/err" || fail "exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
"$UDPSEND" --timeout=2 --retries=1 127.0.0.1 "$P" "long options" >"$T/out" || fail "exit $?"
assert_file_eq "$T/out" "Hello UDP Client"

note "0: options end at the first operand: any MESSAGE is sent as it is"
for m in -hello -n -- - -t -x --help --bogus; do
	"$UDPSEND" -t 3 127.0.0.1 "$P" "$m" </dev/null >"$T/out" 2>"$T/err" ||
		fail "message '$m': exit $?: $(cat "$T/err")"
	assert_file_eq "$T/out" "Hello UDP Client"
	assert_empty "$T/err" "message '$m': stderr"
	wait_log -F "to 127.0.0.1:$P: \"$m\""
done
"$UDPSEND" -t 3 -- 127.0.0.1 "$P" -q >"$T/out" || fail "-- HOST PORT -q: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log -F "to 127.0.0.1:$P: \"-q\""
POSIXLY_CORRECT=1 "$UDPSEND" -t 3 127.0.0.1 "$P" -V >"$T/out" || fail "POSIXLY_CORRECT: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
# A late "-t 2" is two more operands, not an option: a usage error.
expect_exit 2 "$UDPSEND" 127.0.0.1 "$P" "late option" -t 2

note "0: HOST:PORT as one operand, as nc and socat users write it"
"$UDPSEND" -t 3 "127.0.0.1:$P" "host:port" >"$T/out" 2>"$T/err" || fail "HOST:PORT: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
assert_empty "$T/err" "HOST:PORT: stderr"
wait_log -F "to 127.0.0.1:$P: \"host:port\""
printf 'host:port from stdin' | "$UDPSEND" -t 3 "127.0.0.1:$P" >"$T/out" || fail "HOST:PORT, stdin: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log -F "to 127.0.0.1:$P: \"host:port from stdin\""
"$UDPSEND" -t 3 "127.0.0.1:$P" "$P" >"$T/out" || fail "HOST:PORT PORT-like message: exit $?"
wait_log -F "to 127.0.0.1:$P: \"$P\""
"$UDPSEND" -4 -t 3 "localhost:$P" "name:port" >"$T/out" || fail "-4 localhost:PORT: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
expect_exit 3 "$UDPSEND" -t 2 "127.0.0.1:$Q" "refused, by the port in the operand"
expect_exit 2 "$UDPSEND" "127.0.0.1:$P" one two
for op in "127.0.0.1:" "127.0.0.1:0" "127.0.0.1:65536" "127.0.0.1:x$P" "[::1]:" "[::1" "[]:$P" "[::1]"; do
	expect_exit 2 "$UDPSEND" "$op" "x"
done

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

note "0: -x prints a hexdump -C dump, -q prints nothing"
"$UDPSEND" -x 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" || fail "-x: exit $?"
printf '%s\n' \
	'00000000  48 65 6c 6c 6f 20 55 44  50 20 43 6c 69 65 6e 74  |Hello UDP Client|' \
	'00000010' >"$T/expected"
cmp -s "$T/out" "$T/expected" || fail "-x printed: $(cat "$T/out")"
command -v hexdump >/dev/null || hard_error "hexdump not installed (bsdextrautils, in build-deps)"
printf 'Hello UDP Client' | hexdump -C | cmp -s - "$T/out" || fail "-x differs from hexdump -C"
"$UDPSEND" -q 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" 2>&1 || fail "-q: exit $?"
[ ! -s "$T/out" ] || fail "-q printed: $(cat "$T/out")"
# Not even -q writes to a closed stdout: nothing to write, nothing wrong.
"$UDPSEND" -q 127.0.0.1 "$P" "quiet, stdout closed" >&- || fail "-q, stdout closed: exit $?"

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
# With fd 2 closed, the socket would be fd 2 and the error line a datagram.
# (valgrind itself does not start without fd 2.)
if [ "${UDP_REPLYD_VALGRIND:-0}" != 1 ]; then
	expect_exit 1 "$UDPSEND" -t 0.2 127.0.0.1 "$P" "stderr closed" 2>&-
fi
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
assert_eq "$(count_log -F '"udpsend: ')" 0 "error lines that reached the daemon"

note "2: usage errors"
expect_exit 2 "$UDPSEND"
expect_exit 2 "$UDPSEND" 127.0.0.1
expect_exit 2 "$UDPSEND" 127.0.0.1 "$P" one two
for port in 0 65536 -1 abc 20001x ""; do
	expect_exit 2 "$UDPSEND" 127.0.0.1 "$port" "x"
done
for t in abc 0 -1 "" 1s 0.0009 86401; do
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
"$UDPSEND" 127.0.0.1 "$P" -- x 2>"$T/err" || true
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

note "5: a closed stdout is a local error; the socket never takes fd 0, 1 or 2"
rc=0
"$UDPSEND" -t 3 127.0.0.1 "$P" "stdout closed" >&- 2>"$T/err" || rc=$?
[ "$rc" = 5 ] || fail "stdout closed: exit $rc, wanted 5"
one_error_line "$T/err"
rc=0
"$UDPSEND" -t 3 127.0.0.1 "$P" <&- >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 5 ] || fail "no MESSAGE, stdin closed: exit $rc, wanted 5"
one_error_line "$T/err"
expect_exit 5 "$UDPSEND" --version >&-
"$UDPSEND" -t 3 127.0.0.1 "$P" "stdin closed" <&- >"$T/out" || fail "MESSAGE, stdin closed: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
"$UDPSEND" -t 3 127.0.0.1 "$P" "after the closed fds" >/dev/null || fail "exit $?"
wait_log -F ': "after the closed fds"'
wait_log -F ': "stdout closed"'
# The reply was not written into the socket, back to the daemon.
assert_eq "$(count_log -F ': "Hello UDP Client"')" 0 "replies that came back as datagrams"

note "5: a reader that went away is a local error, not death by SIGPIPE"
mkfifo "$T/fifo"
stop_process "$DAEMON_PID"
"$UDPSEND" -t 10 127.0.0.1 "$P" "to a closed pipe" >"$T/fifo" 2>"$T/err" &
pipe_pid=$!
track_pid "$pipe_pid"
# The reader opens the fifo (so udpsend's open returns) and goes away; the
# reply cannot come before the daemon runs again.
: <"$T/fifo"
kill -CONT "$DAEMON_PID"
rc=0
wait "$pipe_pid" || rc=$?
untrack_pid "$pipe_pid"
[ "$rc" = 5 ] || fail "writing to a closed pipe: exit $rc, wanted 5"
one_error_line "$T/err"
grep -q 'Broken pipe' "$T/err" || fail "stderr: $(cat "$T/err")"

note "0: -x folds repeated lines to * as hexdump -C does"
command -v hexdump >/dev/null || hard_error "hexdump not installed (bsdextrautils, in build-deps)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
a16=AAAAAAAAAAAAAAAA
for reply in \
	"$a16$a16$a16${a16}BBBBBBBBBBBBBBBB$a16$a16${a16}AAAAA" \
	"$a16$a16$a16$a16" \
	"$a16${a16}AAAA" \
	"${a16}B$a16$a16" \
	"$a16" \
	"AAAAAAAAAAAAAAA"; do
	write_conf "$T/hex.conf" address=127.0.0.1 port="$P" reply="$reply" \
		raw="max_amplification = 0;"
	start_daemon "$T/hex.conf"
	hex_like_hexdump "$reply"
	stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
done
start_daemon "$T/udp-replyd.conf"

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
# hexdump -C prints nothing for no bytes.
hex_like_hexdump ""
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

# ---- a name with two addresses: ::1 first, then 127.0.0.1 ----
# localhost has only 127.0.0.1 in many /etc/hosts, so the name lives in a
# private /etc/hosts (and a service name in a private /etc/services), bind
# mounted in a mount namespace of the command's own.

# in_private_etc CMD [ARGS]: CMD with $T/hosts and $T/services as /etc's.
in_private_etc() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- sh -c '
		h=$1 s=$2
		shift 2
		mount --bind "$h" /etc/hosts && mount --bind "$s" /etc/services && exec "$@"' \
		sh "$T/hosts" "$T/services" "$@"
}

# start_listener HOST PORT: udpprobe listen (silent: it answers nothing),
# bound when this returns; LISTEN_OUT has "received N" after every datagram.
start_listener() {
	LISTEN_OUT=$T/listen.out
	"$UDPPROBE" listen -c -t 300 "$1" "$2" >"$LISTEN_OUT" 2>"$T/listen.err" &
	LISTEN_PID=$!
	track_pid "$LISTEN_PID"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x bound "$LISTEN_OUT" ||
		hard_error "udpprobe listen $1 $2 did not bind: $(cat "$T/listen.err")"
}

# both_told ERRFILE LINE1 LINE2: every address failed, and each is told.
both_told() {
	[ "$(wc -l <"$1")" = 2 ] || fail "wanted two lines on stderr: $(cat "$1")"
	grep -q -x -F "$2" "$1" || fail "no '$2' on stderr: $(cat "$1")"
	grep -q -x -F "$3" "$1" || fail "no '$3' on stderr: $(cat "$1")"
}

note "0: [::1]:PORT, and a bare IPv6 address is HOST, never HOST:PORT"
have_ipv6 || skip "no ::1 here"
"$UDPPROBE" hold -t 120 ::1 "$P" >"$T/hold.out" 2>"$T/hold.err" &
hold_pid=$!
track_pid "$hold_pid"
poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x bound "$T/hold.out" ||
	hard_error "udpprobe hold ::1 $P did not bind: $(cat "$T/hold.err")"
"$UDPSEND" -t 3 "[::1]:$P" "v6" >"$T/out" || fail "[::1]:PORT: exit $?"
assert_file_eq "$T/out" "held"
"$UDPSEND" -t 3 ::1 "$P" "v6" >"$T/out" || fail "::1 PORT: exit $?"
assert_file_eq "$T/out" "held"
"$UDPSEND" -t 3 "[::1]" "$P" "v6" >"$T/out" || fail "[::1] PORT: exit $?"
assert_file_eq "$T/out" "held"
kill -TERM "$hold_pid"
wait "$hold_pid" || fail "udpprobe hold: exit $?"
untrack_pid "$hold_pid"

[ "$(id -u)" = 0 ] || skip "needs root (a mount namespace with its own /etc/hosts)"
printf '::1 localhost\n127.0.0.1 localhost\n' >"$T/hosts"
printf 'udpsend-test %s/udp\n' "$P" >"$T/services"
in_private_etc true 2>"$T/ns.err" || skip "no mount namespace here: $(cat "$T/ns.err")"
first=$(in_private_etc getent ahosts localhost | head -n 1)
case $first in
"::1 "*) ;;
*) hard_error "with ::1 and 127.0.0.1, localhost resolves to '$first' first" ;;
esac
start_daemon "$T/udp-replyd.conf"	# 127.0.0.1 only

note "0: a service name as PORT"
in_private_etc "$UDPSEND" -t 3 127.0.0.1 udpsend-test "by service name" >"$T/out" ||
	fail "a service name: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
wait_log -F ": \"by service name\""
in_private_etc "$UDPSEND" -t 3 127.0.0.1:udpsend-test "HOST:SERVICE" >"$T/out" ||
	fail "HOST:SERVICE: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
expect_exit 2 in_private_etc "$UDPSEND" 127.0.0.1 udpsend-nosuch "x"

note "0: ::1 refuses: 127.0.0.1 answers, and nothing is said about ::1"
in_private_etc "$UDPSEND" -t 3 localhost "$P" "fallback" >"$T/out" 2>"$T/err" ||
	fail "localhost: exit $?: $(cat "$T/err")"
assert_file_eq "$T/out" "Hello UDP Client"
assert_empty "$T/err" "a fallback from ::1 to 127.0.0.1 said"
wait_log -F ": \"fallback\""
in_private_etc "$UDPSEND" -t 3 "localhost:$P" "fallback, HOST:PORT" >"$T/out" 2>"$T/err" ||
	fail "localhost:PORT: exit $?: $(cat "$T/err")"
assert_file_eq "$T/out" "Hello UDP Client"
assert_empty "$T/err" "localhost:PORT said"

note "3: every address refuses: each one is told"
rc=0
in_private_etc "$UDPSEND" -t 3 localhost "$Q" "nobody" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "localhost, nobody listens: exit $rc, wanted 3"
both_told "$T/err" "udpsend: [::1]:$Q: Connection refused" \
	"udpsend: 127.0.0.1:$Q: Connection refused"

note "0: ::1 is silent: after -t, 127.0.0.1 answers, and nothing is said"
start_listener ::1 "$P"
start_ms=$(_lib_now_ms)
in_private_etc "$UDPSEND" -t 0.3 localhost "$P" "after a silent ::1" >"$T/out" 2>"$T/err" ||
	fail "a silent ::1: exit $?: $(cat "$T/err")"
took=$(($(_lib_now_ms) - start_ms))
assert_file_eq "$T/out" "Hello UDP Client"
assert_empty "$T/err" "a fallback after a silent ::1 said"
[ "$took" -ge 300 ] || fail "took ${took} ms: ::1 was not waited for"
grep -q -x 'received 1' "$LISTEN_OUT" || fail "::1 got: $(cat "$LISTEN_OUT")"

note "1: all silent: -t per address and per try, addresses x (retries + 1) x t"
stop_process "$DAEMON_PID"
start_ms=$(_lib_now_ms)
rc=0
in_private_etc "$UDPSEND" -t 0.2 -r 1 localhost "$P" "all silent" >"$T/out" 2>"$T/err" || rc=$?
took=$(($(_lib_now_ms) - start_ms))
[ "$rc" = 1 ] || fail "all silent: exit $rc, wanted 1"
[ "$took" -ge 800 ] || fail "-t 0.2 -r 1, two addresses: took ${took} ms, wanted 4 x 200"
both_told "$T/err" "udpsend: no reply from [::1]:$P after 2 tries" \
	"udpsend: no reply from 127.0.0.1:$P after 2 tries"
grep -q -x 'received 3' "$LISTEN_OUT" || fail "::1 got: $(cat "$LISTEN_OUT")"
kill -CONT "$DAEMON_PID"
wait_log -F ': "all silent"' 2

note "1: one silent, one refusing: no reply is the status"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
rc=0
in_private_etc "$UDPSEND" -t 0.2 localhost "$P" "silent and refused" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "silent ::1, refusing 127.0.0.1: exit $rc, wanted 1"
both_told "$T/err" "udpsend: no reply from [::1]:$P after 1 try" \
	"udpsend: 127.0.0.1:$P: Connection refused"
kill -TERM "$LISTEN_PID"
wait "$LISTEN_PID" || fail "udpprobe listen: exit $?"
untrack_pid "$LISTEN_PID"
