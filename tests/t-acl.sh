#!/bin/sh
# Access lists: deny wins, and when allow is set only what it lists is
# answered; IPv4, IPv6, and IPv4 senders on a dual-stack socket (v4-mapped)
# matched as IPv4. Refused datagrams get no reply and are counted by reason.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
conf=$T/udp-replyd.conf

# answered SRC: a datagram from SRC (ADDR or [ADDR]) to DST is answered.
answered() {
	"$UDPPROBE" ask -t 2 -s "$1:0" "$2" "$P" "acl" >"$T/reply" ||
		fail "no reply to $1 from $2"
}
refused() {
	if "$UDPPROBE" ask -t 0.3 -s "$1:0" "$2" "$P" "acl" >"$T/reply" 2>/dev/null; then
		fail "a reply to $1 from $2, which the access lists refuse"
	fi
}

note "IPv4: allow a /24, deny one address in it"
write_conf "$conf" address=127.0.0.1 port="$P" raw='allow = ["127.0.0.0/24", "127.1.0.7"];' \
	raw='deny = ["127.0.0.66"];'
start_daemon "$conf"
answered 127.0.0.1 127.0.0.1
answered 127.0.0.2 127.0.0.1
answered 127.1.0.7 127.0.0.1
refused 127.0.0.66 127.0.0.1
refused 127.0.1.1 127.0.0.1
refused 127.1.0.8 127.0.0.1
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log -F "udp-replyd: stopping on SIGTERM: 6 received, 3 replied, 0 errors, 0 dropped by the kernel, 3 dropped by policy, 3 logged, 0 not logged"
# Refused datagrams have no line of their own.
assert_eq "$(count_log -F '127.0.0.66')" 0 "lines about the denied sender"

note "deny only: everyone else is answered"
write_conf "$conf" address=127.0.0.1 port="$P" raw='deny = ["127.0.0.0/30"];'
start_daemon "$conf"
refused 127.0.0.1 127.0.0.1
refused 127.0.0.3 127.0.0.1
answered 127.0.0.4 127.0.0.1
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log -F "udp-replyd: stopping on SIGTERM: 3 received, 1 replied, 0 errors, 0 dropped by the kernel, 2 dropped by policy, "

have_ipv6 || exit 0

note "dual stack: IPv6 prefixes for IPv6 senders, IPv4 ones for IPv4 senders (v4-mapped)"
write_conf "$conf" address=:: port="$P" raw='allow = ["::1", "127.0.0.0/8"];' \
	raw='deny = ["127.0.0.9"];'
start_daemon "$conf"
answered '[::1]' ::1
answered 127.0.0.1 127.0.0.1
refused 127.0.0.9 127.0.0.1
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log -F "udp-replyd: stopping on SIGTERM: 3 received, 2 replied, 0 errors, 0 dropped by the kernel, 1 dropped by policy, "

note "allow IPv4 only: an IPv6 sender is refused"
write_conf "$conf" address=:: port="$P" raw='allow = ["0.0.0.0/0"];'
start_daemon "$conf"
answered 127.0.0.1 127.0.0.1
refused '[::1]' ::1
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log -F "udp-replyd: stopping on SIGTERM: 2 received, 1 replied, 0 errors, 0 dropped by the kernel, 1 dropped by policy, "
