#!/bin/sh
# Socket activation: systemd-socket-activate --datagram with an IPv4 and an
# IPv6 socket; the config's own port is then not used (one notice); a stream
# or AF_UNIX socket is refused with exit 78.
#
# systemd-socket-activate (systemd 252) binds the sockets, prints
# "Listening on ADDR as FD." for each, and then WAITS for the first datagram
# on any of them before it execs the daemon (same PID). So the test waits
# for the "Listening" lines, and the first datagram both wakes the daemon and
# is answered by it (it stays queued on the socket).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

SSA=$(command -v systemd-socket-activate) || skip "systemd-socket-activate not installed"
have_ipv6 || skip "no IPv6 loopback (::1) on this host"

free_port P	# the activated sockets
free_port Q	# the config's port, deliberately another one
free_port R	# the port a reload asks for
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$Q" raw="workers = 3;"

start_daemon_cmd "$SSA" --datagram -l "127.0.0.1:$P" -l "[::1]:$P" -E NOTIFY_SOCKET \
	"$UDP_REPLYD" -c "$conf" --log-target=console
wait_log -F "Listening on 127.0.0.1:$P as 3."
wait_log -F "Listening on [::1]:$P as 4."

note "the first datagram starts the daemon and is answered"
"$UDPPROBE" ask -t 10 127.0.0.1 "$P" "wake up" >"$T/reply" || fail "no reply to the first datagram"
assert_reply_from 127.0.0.1 "$P" 16
wait_notify -F READY=1
wait_log -F "udp-replyd: serving 127.0.0.1:$P, [::1]:$P from systemd (buffer 1024 bytes, reply 16 bytes)"
wait_log "^udp-replyd: 7 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"wake up\"\$"

note "both activated sockets answer"
"$UDPSEND" -t 3 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" || fail "udpsend 127.0.0.1 $P: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
"$UDPSEND" -t 3 ::1 "$P" "Hello UDP Server" >"$T/out" || fail "udpsend ::1 $P: exit $?"
assert_file_eq "$T/out" "Hello UDP Client"
ask ::1 "$P" "v6"
assert_reply_from ::1 "$P" 16
wait_log "^udp-replyd: 2 bytes from \[::1\]:[0-9]+ to \[::1\]:$P: \"v6\"\$"

note "the config's port is not bound, and said so exactly once"
expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.1 "$Q" "Hello UDP Server"
assert_log -F "udp-replyd: socket-activated on 127.0.0.1:$P, [::1]:$P; address/port in $conf (127.0.0.1:$Q) not used"
assert_eq "$(count_log -F 'socket-activated on')" 1 "notices"
note "workers: the sockets systemd passed decide, and a different wish is said"
assert_log -F "udp-replyd: $conf wants 3 workers, but systemd passed 1 socket per address: serving with 1 ("
wait_notify "^STATUS=Serving 127\.0\.0\.1:$P, \[::1\]:$P \\(1 worker\\): 4 received, 4 replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"

note "reload while activated: new reply on the same sockets, no rebinding"
write_conf "$conf" address=127.0.0.1 port="$R" reply="after reload"
kill -HUP "$DAEMON_PID"
wait_notify -F RELOADING=1
wait_notify -F READY=1 2
"$UDPSEND" -t 3 ::1 "$P" "Hello UDP Server" >"$T/out" || fail "udpsend ::1 $P after reload: exit $?"
assert_file_eq "$T/out" "after reload"
expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.1 "$R" "Hello UDP Server"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_notify -F STOPPING=1

note "the config matches the activated socket: no notice"
write_conf "$conf" address=127.0.0.1 port="$P"
start_daemon_cmd "$SSA" --datagram -l "127.0.0.1:$P" -E NOTIFY_SOCKET \
	"$UDP_REPLYD" -c "$conf" --log-target=console
wait_log -F "Listening on 127.0.0.1:$P as 3."
"$UDPPROBE" ask -t 10 127.0.0.1 "$P" "wake up" >"$T/reply" || fail "no reply to the first datagram"
wait_notify -F READY=1
assert_eq "$(count_log -F 'socket-activated on')" 0 "notices"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "a stream socket is refused: exit 78"
start_daemon_cmd "$SSA" -l "127.0.0.1:$P" -E NOTIFY_SOCKET \
	"$UDP_REPLYD" -c "$conf" --log-target=console
wait_log -F "Listening on 127.0.0.1:$P as 3."
# A connection wakes systemd-socket-activate; the daemon then gets the listener.
"$UDPPROBE" connect -t 10 127.0.0.1 "$P" &
track_pid $!
rc=0
wait_exit || rc=$?
assert_eq "$rc" 78 "exit code with a stream socket"
assert_log -F "udp-replyd: socket-activated fd 3 is not an IPv4/IPv6 datagram socket"
[ "$(grep -c '^udp-replyd: ' "$DAEMON_LOG")" = 1 ] || fail "wanted exactly one error line"
if grep -q -x 'READY=1' "$NOTIFY_OUT"; then fail "READY=1 sent with a bad socket"; fi

note "an AF_UNIX datagram socket is refused: exit 78"
command -v logger >/dev/null || skip "logger (bsdutils) not installed"
start_daemon_cmd "$SSA" --datagram -l "$T/unix.sock" -E NOTIFY_SOCKET \
	"$UDP_REPLYD" -c "$conf" --log-target=console
wait_log -F "Listening on $T/unix.sock as 3."
logger -d -u "$T/unix.sock" "wake up" || fail "logger could not send to $T/unix.sock"
rc=0
wait_exit || rc=$?
assert_eq "$rc" 78 "exit code with an AF_UNIX socket"
assert_log -F "udp-replyd: socket-activated fd 3 is not an IPv4/IPv6 datagram socket"

note "one good and one bad socket: exit 78"
start_daemon_cmd "$SSA" --datagram -l "127.0.0.1:$P" -l "$T/unix2.sock" -E NOTIFY_SOCKET \
	"$UDP_REPLYD" -c "$conf" --log-target=console
wait_log -F "Listening on $T/unix2.sock as 4."
logger -d -u "$T/unix2.sock" "wake up" || fail "logger could not send to $T/unix2.sock"
rc=0
wait_exit || rc=$?
assert_eq "$rc" 78 "exit code with a good and a bad socket"
assert_log -F "udp-replyd: socket-activated fd 4 is not an IPv4/IPv6 datagram socket"
