#!/bin/sh
# Bound to a wildcard address, each reply leaves from the address its request
# was sent to (IP_PKTINFO / IPV6_RECVPKTINFO).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P

# ask_from HOST: send to HOST, the reply must come from HOST:P, and udpsend's
# connected socket (which drops datagrams from any other source) must get it.
ask_from() {
	ask "$1" "$P" "to $1"
	assert_reply_from "$1" "$P" 16
	"$UDPSEND" -t 3 "$1" "$P" "udpsend to $1" >"$T/out" ||
		fail "udpsend $1 $P: exit $? (a reply from the wrong address is dropped)"
	assert_file_eq "$T/out" "Hello UDP Client"
}

note "0.0.0.0:$P"
write_conf "$T/any4.conf" address=0.0.0.0 port="$P"
start_daemon "$T/any4.conf"
wait_log -F "udp-replyd: serving 0.0.0.0:$P (buffer 1024 bytes, reply 16 bytes)"
for addr in 127.0.0.2 127.0.0.1 127.1.2.3; do
	ask_from "$addr"
	wait_log "^udp-replyd: [0-9]+ bytes from 127\.0\.0\.1:[0-9]+ to $addr:$P: \"to $addr\"\$"
done
# A source address other than 127.0.0.1 too.
ask -s 127.0.0.5 127.0.0.2 "$P" "from .5"
assert_reply_from 127.0.0.2 "$P" 16
wait_log "^udp-replyd: 7 bytes from 127\.0\.0\.5:[0-9]+ to 127\.0\.0\.2:$P: \"from \.5\"\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

have_ipv6 || skip "no IPv6 loopback (::1) on this host"

note "[::]:$P (IPv4 arrives v4-mapped)"
write_conf "$T/any6.conf" address=:: port="$P"
start_daemon "$T/any6.conf"
for addr in 127.0.0.2 127.0.0.1 ::1; do
	ask_from "$addr"
done
wait_log "^udp-replyd: [0-9]+ bytes from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.2:$P: \"to 127\.0\.0\.2\"\$"
wait_log "^udp-replyd: [0-9]+ bytes from \[::1\]:[0-9]+ to \[::1\]:$P: \"to ::1\"\$"
ask -s 127.0.0.7 127.0.0.3 "$P" "xy"
assert_reply_from 127.0.0.3 "$P" 16
wait_log "^udp-replyd: 2 bytes from 127\.0\.0\.7:[0-9]+ to 127\.0\.0\.3:$P: \"xy\"\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
