#!/bin/sh
# SIGHUP reloads: new reply and buffer size at once, a new port (bound before
# the old one is closed), broken configs keep the old one serving;
# SIGTERM and SIGINT stop with exit 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
free_port Q
free_port R
conf=$T/udp-replyd.conf

# reload N: the Nth SIGHUP; wait for RELOADING=1 and the (N+1)th READY=1.
reload() {
	kill -HUP "$DAEMON_PID"
	wait_notify -F RELOADING=1 "$1"
	wait_notify -F READY=1 $(($1 + 1))
}

# replies HOST PORT TEXT: udpsend gets exactly TEXT.
replies() {
	"$UDPSEND" -t 3 "$1" "$2" "Hello UDP Server" >"$T/out" || fail "udpsend $1 $2: exit $?"
	assert_file_eq "$T/out" "$3"
}

write_conf "$conf" address=127.0.0.1 port="$P" reply="one"
start_daemon "$conf"
replies 127.0.0.1 "$P" "one"

note "SIGHUP: new reply and buffer size"
write_conf "$conf" address=127.0.0.1 port="$P" reply='two\ttabs\n' buffer_size=4
reload 1
# RELOADING=1 comes with MONOTONIC_USEC, and before the second READY=1.
grep -q '^MONOTONIC_USEC=[0-9][0-9]*$' "$NOTIFY_OUT" || fail "no MONOTONIC_USEC= with RELOADING=1"
reloading_at=$(grep -n -x 'RELOADING=1' "$NOTIFY_OUT" | head -n 1 | cut -d: -f1)
ready_at=$(grep -n -x 'READY=1' "$NOTIFY_OUT" | sed -n 2p | cut -d: -f1)
[ "$reloading_at" -lt "$ready_at" ] || fail "READY=1 before RELOADING=1"
wait_log -F "udp-replyd: reloaded $conf: serving 127.0.0.1:$P (buffer 4 bytes, reply 9 bytes)"
two=$(printf 'two\ttabs\nX')
replies 127.0.0.1 "$P" "${two%X}"
ask 127.0.0.1 "$P" "0123456789"
wait_log "^udp-replyd: 10 bytes \(truncated to 4\) from 127\.0\.0\.1:[0-9]+ to 127\.0\.0\.1:$P: \"0123\"\$"

note "SIGHUP: a new port answers, the old one no longer does"
write_conf "$conf" address=127.0.0.1 port="$Q" reply="three"
reload 2
wait_log -F "udp-replyd: reloaded $conf: serving 127.0.0.1:$Q (buffer 1024 bytes, reply 5 bytes)"
replies 127.0.0.1 "$Q" "three"
expect_exit 3 "$UDPSEND" -q -t 1 127.0.0.1 "$P" "Hello UDP Server"

note "SIGHUP with a broken config: logged with FILE:LINE, the old one serves"
n=2
for broken in 'port = 70000;|2: port: must be an integer from 1 to 65535, not 70000' \
	'port = "20001";|2: port: must be an integer, not a string' \
	'prot = 20001;|2: unknown setting "prot"' \
	'port = = 20001;|2: syntax error' \
	'address = "not an address!";|2: address: "not an address!": not an IP address or host name'; do
	printf 'reply = "never";\n%s\n' "${broken%%|*}" >"$conf"
	n=$((n + 1))
	reload "$n"
	wait_log -F "udp-replyd: reload failed, keeping the old configuration: $conf:${broken#*|}"
	replies 127.0.0.1 "$Q" "three"
done
rm -f "$conf"
n=$((n + 1))
reload "$n"
wait_log -F "udp-replyd: reload failed, keeping the old configuration: $conf:0: cannot open: No such file or directory"
replies 127.0.0.1 "$Q" "three"

note "SIGHUP to a port that cannot be bound: the whole old config keeps serving"
# systemd-socket-activate holds R (it waits for a datagram that never comes).
SSA=$(command -v systemd-socket-activate) || skip "systemd-socket-activate not installed"
"$SSA" --datagram -l "127.0.0.1:$R" true 2>"$T/holder.err" &
track_pid $!
poll_until "$UDP_REPLYD_TEST_WAIT" grep -q "Listening on" "$T/holder.err" ||
	hard_error "could not occupy port $R"
write_conf "$conf" address=127.0.0.1 port="$R" reply="four"
n=$((n + 1))
reload "$n"
wait_log -F "udp-replyd: reload failed, keeping the old configuration: cannot bind 127.0.0.1:$R: port held by another process"
wait_log -F "udp-replyd: reload failed, keeping the old configuration: " 7
replies 127.0.0.1 "$Q" "three"
assert_eq "$(count_log -F 'reloaded ')" 2 "successful reloads"

note "and a good reload after all that"
write_conf "$conf" address=127.0.0.1 port="$Q" reply="five"
n=$((n + 1))
reload "$n"
replies 127.0.0.1 "$Q" "five"

note "SIGTERM: exit 0, STOPPING=1"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_notify -F STOPPING=1
wait_log "^udp-replyd: stopping on SIGTERM: [0-9]+ received, [0-9]+ replied, 0 errors, 0 dropped by the kernel, [0-9]+ logged, 0 not logged$"

note "SIGINT: exit 0"
write_conf "$conf" address=127.0.0.1 port="$Q"
start_daemon "$conf"
replies 127.0.0.1 "$Q" "Hello UDP Client"
stop_daemon INT || fail "SIGINT: exit $DAEMON_RC, wanted 0"
wait_notify -F STOPPING=1
wait_log -F "udp-replyd: stopping on SIGINT: 1 received, 1 replied, 0 errors"
