#!/bin/sh
# A stalled console reader never holds a reply back: stderr is a FIFO whose
# reader is stopped (SIGSTOP) while a burst arrives. Every datagram is
# answered; once the reader goes on, the records that did not fit are counted
# in "console busy" summaries, and lines + summaries + the stop line's count
# add up to what was received. Then, with the reader stopped for good,
# SIGTERM still ends the daemon (the flush of the log is bounded) with exit 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

COUNT=20000
[ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] && COUNT=3000
free_port P
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
mkfifo "$T/console"

# start_behind_fifo: the daemon with its stderr on the FIFO, read by a cat
# into $T/console.out (CAT_PID); waits for READY=1.
start_behind_fifo() {
	cat "$T/console" >"$T/console.out" &
	CAT_PID=$!
	track_pid "$CAT_PID"
	# shellcheck disable=SC2016 # expanded by the inner shell
	start_daemon_cmd sh -c 'exec 2>"$0"; exec "$@"' "$T/console" \
		"$UDP_REPLYD" -c "$conf" --log-target=console
	wait_notify -F READY=1
}

lines_in() {
	grep -c -E "$1" "$T/console.out" || true
}

note "reader stopped: a burst of $COUNT datagrams is answered in full"
start_behind_fifo
kill -STOP "$CAT_PID"
"$UDPPROBE" burst -t 60 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst behind a stopped reader"
kill -CONT "$CAT_PID"
summary_seen() {
	[ "$(lines_in '^udp-replyd: [0-9]+ datagrams? not logged one by one in the last [0-9.]+ s: console busy$')" -ge 1 ]
}
poll_until "$UDP_REPLYD_TEST_WAIT" summary_seen ||
	fail "no \"console busy\" summary: $(grep -v 'bytes from' "$T/console.out" | tail -n 5)"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait "$CAT_PID" || true
untrack_pid "$CAT_PID"
stopline=$(grep '^udp-replyd: stopping on SIGTERM: ' "$T/console.out") ||
	fail "no stop line: $(tail -n 3 "$T/console.out")"
case $stopline in
"udp-replyd: stopping on SIGTERM: $COUNT received, $COUNT replied, 0 errors, 0 dropped by the kernel, "*) ;;
*) fail "stop line: $stopline" ;;
esac
records=$(lines_in '^udp-replyd: [0-9]+ bytes? from ')
summarised=$(sed -n 's/^udp-replyd: \([0-9]*\) datagrams\{0,1\} not logged one by one .*/\1/p' \
	"$T/console.out" | awk '{ s += $1 } END { print s + 0 }')
left=$(printf '%s\n' "$stopline" | sed -n 's/.*, \([0-9]*\) not logged$/\1/p')
logged=$(printf '%s\n' "$stopline" | sed -n 's/.*, \([0-9]*\) logged, .*/\1/p')
note "$records lines, $summarised in summaries, $left at stop"
[ "$summarised" -gt 0 ] || fail "nothing was summarised: the reader was never in the way"
assert_eq "$((records + summarised + left))" "$COUNT" "lines + summarised + left at stop"
assert_eq "$logged" "$records" "the stop line's logged count against the lines"

note "reader stopped for good: SIGTERM still ends the daemon, exit 0"
: >"$T/console.out"
start_behind_fifo
kill -STOP "$CAT_PID"
"$UDPPROBE" burst -t 60 127.0.0.1 "$P" 5000 >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent 5000 replies 5000" "second burst"
stop_daemon TERM || fail "SIGTERM with a stalled reader: exit $DAEMON_RC, wanted 0"
kill -CONT "$CAT_PID"
