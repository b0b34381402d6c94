#!/bin/sh
# Serve and reply: IPv4, IPv6, dual-stack "::"; log lines; STATUS= counters.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P

# The tutorial exchange: 16 bytes in, "Hello UDP Client" out.
send_hello() { # HOST: udpsend's output must be the reply, byte for byte
	"$UDPSEND" -t 3 "$1" "$P" "Hello UDP Server" >"$T/out" ||
		fail "udpsend $1 $P failed ($?)"
	assert_file_eq "$T/out" "Hello UDP Client"
}

note "IPv4 on 127.0.0.1:$P"
write_conf "$T/v4.conf" address=127.0.0.1 port="$P"
start_daemon "$T/v4.conf"
wait_log -F "udp-replyd: serving 127.0.0.1:$P (buffer 1024 bytes, reply 16 bytes)"
send_hello 127.0.0.1
wait_log "^udp-replyd: 16 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"Hello UDP Server\"\$"
ask 127.0.0.1 "$P" "second"
assert_reply_from 127.0.0.1 "$P" 16
wait_log "^udp-replyd: 6 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"second\"\$"
# The status line is refreshed by a timer, at most once a second.
wait_notify "^STATUS=Serving 127\.0\.0\.1:$P \\([0-9]+ workers?\\): 2 received, 2 replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"

note "a burst of 5000 datagrams: every one answered, and logged once or counted"
"$UDPPROBE" burst 127.0.0.1 "$P" 5000 100 >"$T/burst" || fail "burst: $(cat "$T/burst")"
assert_eq "$(cat "$T/burst")" "sent 5000 replies 5000" "burst"
wait_notify "^STATUS=Serving 127\.0\.0\.1:$P \\([0-9]+ workers?\\): 5002 received, 5002 replied, 0 errors, 0 dropped by the kernel, [0-9]+ not logged\$"
# STATUS= is sent only when it changed.
[ -z "$(grep '^STATUS=' "$NOTIFY_OUT" | uniq -d)" ] || fail "the same STATUS= sent twice in a row"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_notify -F STOPPING=1
wait_log -F "udp-replyd: stopping on SIGTERM: 5002 received, 5002 replied, 0 errors"
# Written one by one, or (when the log writer fell behind, as under valgrind)
# counted.
set -- $(console_accounting "$DAEMON_LOG" 5002)
note "$1 datagram lines, $2 summarised, $3 not logged at stop"

note "WATCHDOG=1 pings when systemd asks for them (WATCHDOG_USEC)"
WATCHDOG_USEC=400000
export WATCHDOG_USEC
start_daemon "$T/v4.conf"
unset WATCHDOG_USEC
wait_notify -F WATCHDOG=1 3
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
start_daemon "$T/v4.conf"
send_hello 127.0.0.1
wait_notify -F 'STATUS=Serving '
if grep -q -x 'WATCHDOG=1' "$NOTIFY_OUT"; then fail "WATCHDOG=1 without WATCHDOG_USEC"; fi
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "a host name binds every address it resolves to"
write_conf "$T/name.conf" address=localhost port="$P"
start_daemon "$T/name.conf"
for addr in $(getent ahostsv4 localhost | awk '{ print $1 }' | sort -u) \
	$(getent ahostsv6 localhost | awk '$1 == "::1" { print $1 }' | sort -u); do
	note "localhost is $addr"
	send_hello "$addr"
done
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

have_ipv6 || skip "no IPv6 loopback (::1) on this host"

note "IPv6 on [::1]:$P"
write_conf "$T/v6.conf" address=::1 port="$P"
start_daemon "$T/v6.conf"
wait_log -F "udp-replyd: serving [::1]:$P (buffer 1024 bytes, reply 16 bytes)"
send_hello ::1
wait_log "^udp-replyd: 16 bytes from \[::1\]:[0-9]+ to \[::1\]:$P: \"Hello UDP Server\"\$"
ask ::1 "$P" "six"
assert_reply_from ::1 "$P" 16
# Bound to ::1 only: IPv4 is refused.
expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.1 "$P" "Hello UDP Server"
wait_notify "^STATUS=Serving \[::1\]:$P \\([0-9]+ workers?\\): 2 received, 2 replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "dual stack on [::]:$P"
write_conf "$T/dual.conf" address=:: port="$P"
start_daemon "$T/dual.conf"
wait_log -F "udp-replyd: serving [::]:$P (buffer 1024 bytes, reply 16 bytes)"
send_hello 127.0.0.1
# IPv4-mapped senders are logged as plain IPv4.
wait_log "^udp-replyd: 16 bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"Hello UDP Server\"\$"
send_hello ::1
wait_log "^udp-replyd: 16 bytes from \[::1\]:[0-9]+ to \[::1\]:$P: \"Hello UDP Server\"\$"
ask 127.0.0.1 "$P" "v4"
assert_reply_from 127.0.0.1 "$P" 16
ask ::1 "$P" "v6"
assert_reply_from ::1 "$P" 16
wait_notify "^STATUS=Serving \[::\]:$P \\([0-9]+ workers?\\): 4 received, 4 replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_notify -F STOPPING=1
wait_log -F "udp-replyd: stopping on SIGTERM: 4 received, 4 replied, 0 errors"

note "dual stack however the IPv6 wildcard is written: 0::0"
write_conf "$T/dual0.conf" address=0::0 port="$P"
start_daemon "$T/dual0.conf"
wait_log -F "udp-replyd: serving [::]:$P (buffer 1024 bytes, reply 16 bytes)"
ask 127.0.0.1 "$P" "v4"
assert_reply_from 127.0.0.1 "$P" 16
ask ::1 "$P" "v6"
assert_reply_from ::1 "$P" 16
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
