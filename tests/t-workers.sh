#!/bin/sh
# workers = 2: one SO_REUSEPORT socket per worker, a thread per worker, and
# every datagram of a burst from many source ports (which the kernel spreads
# over the group) answered and counted. A port another process holds, with
# or without SO_REUSEPORT, is refused: exit 69 at start, a failed reload
# that keeps the old configuration, and the daemon never joins a
# stranger's reuseport group.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

COUNT=20000
[ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] && COUNT=5000
conf=$T/udp-replyd.conf
free_port P

# sockets_on PORT: how many UDP sockets are bound to PORT (any address).
sockets_on() {
	_hex=$(printf '%04X' "$1")
	awk -v p=":$_hex" 'NR > 1 && substr($2, length($2) - 4) == p' /proc/net/udp /proc/net/udp6 | wc -l
}

# daemon_sockets_on PORT: how many of them are the daemon's fds.
daemon_sockets_on() {
	_hex=$(printf '%04X' "$1")
	awk -v p=":$_hex" 'NR > 1 && substr($2, length($2) - 4) == p { print $10 }' \
		/proc/net/udp /proc/net/udp6 >"$T/inodes"
	_n=0
	for _fd in /proc/"$DAEMON_PID"/fd/*; do
		_l=$(readlink "$_fd" 2>/dev/null) || continue
		case $_l in
		"socket:["*"]")
			_i=${_l#socket:\[}
			grep -q -x -F "${_i%\]}" "$T/inodes" && _n=$((_n + 1))
			;;
		esac
	done
	echo "$_n"
}

threads() {
	find "/proc/$DAEMON_PID/task" -mindepth 1 -maxdepth 1 | wc -l
}

note "workers = 1, for comparison"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
start_daemon "$conf"
ask 127.0.0.1 "$P" "one"
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\(1 workers?\\): 1 received, 1 replied, 0 errors(,|\$)"
threads1=$(threads)
assert_eq "$(daemon_sockets_on "$P") $(sockets_on "$P")" "1 1" "sockets on port $P (the daemon's, all)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"

note "workers = 2: a burst of $COUNT datagrams from 16 source ports"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 2;"
start_daemon "$conf"
assert_eq "$(daemon_sockets_on "$P") $(sockets_on "$P")" "2 2" "sockets on port $P (the daemon's, all)"
"$UDPPROBE" burst -t 40 -n 16 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst"
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\(2 workers\\): $COUNT received, $COUNT replied, 0 errors, 0 dropped by the kernel(,|\$)"
threads2=$(threads)
note "threads: $threads1 with 1 worker, $threads2 with 2"
if [ "$threads2" -le "$threads1" ] || [ "$threads2" -lt 3 ]; then
	fail "$threads2 threads with 2 workers, $threads1 with 1: wanted one more thread per worker"
fi

note "a reload asking for another number of workers keeps the running number"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" reply="still two"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 2
wait_log -F "udp-replyd: reloaded $conf: "
"$UDPSEND" 127.0.0.1 "$P" x >"$T/out" || fail "udpsend: exit $?"
assert_file_eq "$T/out" "still two"
assert_eq "$(daemon_sockets_on "$P")" 2 "the daemon's sockets after the reload"
assert_eq "$(threads)" "$threads2" "threads after the reload"
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\(2 workers\\): $((COUNT + 1)) received, "
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "^udp-replyd: stopping on SIGTERM: $((COUNT + 1)) received, $((COUNT + 1)) replied, 0 errors, 0 dropped by the kernel(,|\$)"
console_accounting "$DAEMON_LOG" $((COUNT + 1)) >/dev/null

# ---- a port held by another process ----

nhold=0
# start_holder [--reuseport] HOST PORT: udpprobe hold, bound when this returns.
start_holder() {
	nhold=$((nhold + 1))
	HOLD_OUT=$T/hold$nhold.out
	"$UDPPROBE" hold -t 120 "$@" >"$HOLD_OUT" 2>"$T/hold$nhold.err" &
	HOLD_PID=$!
	track_pid "$HOLD_PID"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x bound "$HOLD_OUT" ||
		hard_error "udpprobe hold $* did not bind: $(cat "$T/hold$nhold.err")"
}

stop_holder() {
	kill -TERM "$HOLD_PID"
	wait "$HOLD_PID" || fail "udpprobe hold: exit $?"
	untrack_pid "$HOLD_PID"
}

# only_holder_answers PORT: 16 datagrams from 16 source ports, every reply
# "held": the daemon has no socket in the holder's group.
only_holder_answers() {
	_i=0
	while [ "$_i" -lt 16 ]; do
		_i=$((_i + 1))
		ask 127.0.0.1 "$1" "who $_i"
		reply_body "$T/body"
		assert_file_eq "$T/body" "held"
	done
}

for holder in "127.0.0.1" "--reuseport 127.0.0.1" "--reuseport 0.0.0.0" "0.0.0.0"; do
	note "start on a port held by: udpprobe hold $holder"
	free_port Q
	# shellcheck disable=SC2086 # $holder is words on purpose
	start_holder $holder "$Q"
	write_conf "$T/held.conf" address=127.0.0.1 port="$Q" raw="workers = 2;"
	start_daemon_cmd "$UDP_REPLYD" -c "$T/held.conf" --log-target=console
	wait_exit || true
	assert_eq "$DAEMON_RC" 69 "exit code when the port is held"
	assert_log -F "udp-replyd: cannot bind 127.0.0.1:$Q: port held by another process"
	if grep -q -x -F READY=1 "$NOTIFY_OUT"; then fail "READY=1 though the port is held"; fi
	only_holder_answers "$Q"
	stop_holder
done

note "reload onto a held port fails and keeps the old configuration"
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 2;" reply="old"
start_daemon "$conf"
nready=1
for holder in "127.0.0.1" "--reuseport 127.0.0.1"; do
	note "reload onto a port held by: udpprobe hold $holder"
	free_port Q
	# shellcheck disable=SC2086 # $holder is words on purpose
	start_holder $holder "$Q"
	write_conf "$conf" address=127.0.0.1 port="$Q" raw="workers = 2;" reply="new"
	nfail=$(count_log -F "udp-replyd: reload failed, keeping the old configuration: ")
	kill -HUP "$DAEMON_PID"
	nready=$((nready + 1))
	wait_notify -F READY=1 "$nready"
	wait_log -F "udp-replyd: reload failed, keeping the old configuration: " $((nfail + 1))
	failed_line=$(grep -F "udp-replyd: reload failed, keeping the old configuration: " "$DAEMON_LOG" | tail -n 1)
	"$UDPSEND" 127.0.0.1 "$P" x >"$T/out" || fail "the old configuration does not answer: exit $?"
	assert_file_eq "$T/out" "old"
	only_holder_answers "$Q"
	stop_holder
	note "the port is free again: the same reload succeeds"
	kill -HUP "$DAEMON_PID"
	nready=$((nready + 1))
	wait_notify -F READY=1 "$nready"
	wait_log -F "udp-replyd: reloaded $conf: serving 127.0.0.1:$Q " 1
	"$UDPSEND" 127.0.0.1 "$Q" x >"$T/out" || fail "the new configuration does not answer: exit $?"
	assert_file_eq "$T/out" "new"
	assert_eq "$(daemon_sockets_on "$Q") $(sockets_on "$Q")" "2 2" "sockets on port $Q (the daemon's, all)"
	# Back to P for the next round.
	write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 2;" reply="old"
	kill -HUP "$DAEMON_PID"
	nready=$((nready + 1))
	wait_notify -F READY=1 "$nready"
	"$UDPSEND" 127.0.0.1 "$P" x >"$T/out" || fail "back on $P: exit $?"
	assert_file_eq "$T/out" "old"
	# The reload failed record says why, as the start's message does.
	case $failed_line in
	*"127.0.0.1:$Q: port held by another process"*) ;;
	*) fail "the reload failed record does not name the held port: $failed_line" ;;
	esac
done
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
