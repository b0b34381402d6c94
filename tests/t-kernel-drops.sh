#!/bin/sh
# Kernel drops are counted exactly. The daemon binds with the smallest
# receive_buffer and one worker, and is stopped (SIGSTOP) while a flood
# arrives, so the only loss is its socket's receive queue: what the sender
# lost (sent - replies) must be the daemon's "dropped by the kernel" count,
# in STATUS=, in a summary line, and in the stop record. Twice, to show the
# count adds up.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# Fewer than the loopback's input queue (netdev_max_backlog, 1000 by
# default), so that no datagram can be lost before it reaches the socket.
COUNT=500
# How long the flood waits for more replies after the last one.
QUIET=1
[ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] && QUIET=3
backlog=$(cat /proc/sys/net/core/netdev_max_backlog 2>/dev/null) || backlog=1000
[ "$backlog" -gt $((COUNT + 100)) ] || COUNT=$((backlog - 100))
[ "$COUNT" -ge 100 ] || skip "net.core.netdev_max_backlog is $backlog, too small for this test"

free_port P
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;" raw="receive_buffer = 4096;"
start_daemon "$conf"
ask 127.0.0.1 "$P" "before"
received=1
drops=0

# flood_stopped ROUND: COUNT datagrams while the daemon is stopped; sets
# lost (sent - replies) and got (replies).
flood_stopped() {
	stop_process "$DAEMON_PID"
	"$UDPPROBE" flood -t 30 -q "$QUIET" 127.0.0.1 "$P" "$COUNT" >"$T/flood$1.out" 2>"$T/flood$1.err" &
	_fl=$!
	track_pid "$_fl"
	poll_until "$UDP_REPLYD_TEST_WAIT" grep -q -x "sent $COUNT" "$T/flood$1.out" ||
		fail "flood $1 did not send $COUNT datagrams: $(cat "$T/flood$1.out" "$T/flood$1.err")"
	kill -CONT "$DAEMON_PID"
	_fl_rc=0
	wait "$_fl" || _fl_rc=$?
	untrack_pid "$_fl"
	[ "$_fl_rc" = 0 ] || fail "flood $1: exit $_fl_rc: $(cat "$T/flood$1.out" "$T/flood$1.err")"
	got=$(sed -n "s/^sent $COUNT replies \\([0-9][0-9]*\\)\$/\\1/p" "$T/flood$1.out")
	[ -n "$got" ] || fail "flood $1: $(cat "$T/flood$1.out")"
	lost=$((COUNT - got))
	note "round $1: sent $COUNT, $got replies, $lost lost"
	[ "$got" -ge 1 ] || fail "round $1: not one datagram was queued for the stopped daemon"
	[ "$lost" -gt 0 ] || fail "round $1: nothing lost; the receive buffer is not small"
	received=$((received + got))
	drops=$((drops + lost))
}

status_re() {
	echo "^STATUS=Serving 127\\.0\\.0\\.1:$P \\(1 workers?\\): $received received, $received replied, 0 errors, $drops dropped by the kernel(,|\$)"
}

# What the summary lines count together.
summed_drops() {
	sed -n 's/^udp-replyd: \([0-9][0-9]*\) datagrams\{0,1\} dropped by the kernel in the last [0-9.]* s (receive queue full)$/\1/p' \
		"$DAEMON_LOG" | awk '{ s += $1 } END { print s + 0 }'
}
summaries_count_all() {
	[ "$(summed_drops)" -ge "$drops" ]
}

flood_stopped 1
# No datagram came after the drops: STATUS= must learn of them between
# datagrams (SO_MEMINFO), and a summary must say how many.
wait_notify "$(status_re)"
poll_until "$UDP_REPLYD_TEST_WAIT" summaries_count_all ||
	fail "the summary lines count $(summed_drops) kernel drops, wanted $drops"

flood_stopped 2
wait_notify "$(status_re)"
poll_until "$UDP_REPLYD_TEST_WAIT" summaries_count_all ||
	fail "the summary lines count $(summed_drops) kernel drops, wanted $drops"
ask 127.0.0.1 "$P" "after"
received=$((received + 1))
wait_notify "$(status_re)"

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "^udp-replyd: stopping on SIGTERM: $received received, $received replied, 0 errors, $drops dropped by the kernel(,|\$)"
# Not one more in the summaries than were dropped.
assert_eq "$(summed_drops)" "$drops" "kernel drops in the summary lines"
note "$drops datagrams dropped by the kernel, all counted"
