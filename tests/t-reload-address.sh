#!/bin/sh
# SIGHUP changing the address but not the port (not activated): the new
# address must serve after the reload, with the new reply. The new sockets
# are bound before the old ones close, so this is the case where the two
# overlap: 127.0.0.1:P -> 0.0.0.0:P, "127.0.0.1" -> "localhost" (the same
# socket address written differently), and back.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
conf=$T/udp-replyd.conf
nreload=0

# reload_to ADDRESS REPLY: SIGHUP with ADDRESS:P and REPLY; it must succeed.
reload_to() {
	write_conf "$conf" address="$1" port="$P" reply="$2"
	nreload=$((nreload + 1))
	kill -HUP "$DAEMON_PID"
	wait_notify -F READY=1 $((nreload + 1))
	[ "$(count_log -F 'reload failed')" = 0 ] ||
		fail "reload to $1:$P failed: $(grep -F 'reload failed' "$DAEMON_LOG")"
	wait_log -F "udp-replyd: reloaded $conf: serving " "$nreload"
}

# replies HOST TEXT: the reply to HOST:P is TEXT, from HOST.
replies() {
	ask "$1" "$P" "Hello UDP Server"
	assert_reply_from "$1" "$P" "${#2}"
	reply_body "$T/body"
	assert_file_eq "$T/body" "$2"
}

write_conf "$conf" address=127.0.0.1 port="$P" reply="loopback"
start_daemon "$conf"
replies 127.0.0.1 "loopback"

note "127.0.0.1:$P -> 127.0.0.1:$P written as localhost"
reload_to localhost "by name"
replies 127.0.0.1 "by name"

note "localhost:$P -> 0.0.0.0:$P"
reload_to 0.0.0.0 "wildcard"
replies 127.0.0.2 "wildcard"
replies 127.0.0.1 "wildcard"

note "0.0.0.0:$P -> 127.0.0.1:$P"
reload_to 127.0.0.1 "loopback again"
replies 127.0.0.1 "loopback again"
expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.2 "$P" "no longer served"

if have_ipv6; then
	note "127.0.0.1:$P -> ::1:$P -> [::]:$P"
	reload_to ::1 "v6"
	replies ::1 "v6"
	expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.1 "$P" "no longer served"
	reload_to :: "dual"
	replies ::1 "dual"
	replies 127.0.0.2 "dual"
fi
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
