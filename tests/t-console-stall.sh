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
# More than the pipe (64 KiB) and the log ring (256 KiB) hold of 16-byte records.
[ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] && COUNT=8000
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
stop_process "$CAT_PID"
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
grep -q '^udp-replyd: stopping on SIGTERM: '"$COUNT received, $COUNT replied, 0 errors, 0 dropped by the kernel, " \
	"$T/console.out" || fail "stop line: $(grep 'stopping on' "$T/console.out")"
set -- $(console_accounting "$T/console.out" "$COUNT")
note "$1 lines, $2 in summaries, $3 at stop"
[ "$2" -gt 0 ] || fail "nothing was summarised: the reader was never in the way"

note "reader stopped for good: SIGTERM still ends the daemon, exit 0"
: >"$T/console.out"
start_behind_fifo
stop_process "$CAT_PID"
"$UDPPROBE" burst -t 60 127.0.0.1 "$P" 5000 >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent 5000 replies 5000" "second burst"
stop_daemon TERM || fail "SIGTERM with a stalled reader: exit $DAEMON_RC, wanted 0"
kill -CONT "$CAT_PID"

# As another user, stderr is a pipe the daemon may not reopen non-blocking
# (a root-owned FIFO, mode 0600): the copy it writes through must still
# never block, so SIGTERM ends it with the reader stopped.
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || exit 0
chmod 755 "$T"
chmod 644 "$conf"
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
if ! nobody test -x "$UDP_REPLYD" -a -r "$conf"; then
	note "uid 65534 cannot run $UDP_REPLYD with $conf (a private build tree): not tried"
	exit 0
fi
note "as another user, on a pipe it cannot reopen: SIGTERM still ends the daemon"
rm -f "$T/console"
mkfifo -m 0600 "$T/console"
cat "$T/console" >"$T/console.out" &
CAT_PID=$!
track_pid "$CAT_PID"
# shellcheck disable=SC2016 # expanded by the inner shell
start_daemon_cmd sh -c 'exec 2>"$0"; exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' \
	"$T/console" "$UDP_REPLYD" -c "$conf" --log-target=console
# It cannot reach our NOTIFY_SOCKET as nobody: its first reply says it is up.
answers() {
	"$UDPSEND" -q -t 0.2 127.0.0.1 "$P" "up?"
}
poll_until "$UDP_REPLYD_TEST_WAIT" answers || fail "the daemon as uid 65534 never answered"
stop_process "$CAT_PID"
"$UDPPROBE" burst -t 60 127.0.0.1 "$P" 5000 >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent 5000 replies 5000" "burst as another user"
stop_daemon TERM || fail "SIGTERM with a stalled reader it cannot reopen: exit $DAEMON_RC, wanted 0"
kill -CONT "$CAT_PID"
