#!/bin/sh
# A reload storm under load with two workers loses nothing: while bursts
# from 8 source ports run back to back, SIGHUP as fast as the daemon takes
# it (each waited for by its READY=1), up to MAX_RELOADS times or for
# STORM_SECONDS, alternating the address between 127.0.0.1 and 0.0.0.0 on
# the same port and changing the reply. Every datagram is answered, counted
# once, and logged or counted as not logged.
# Runs under ThreadSanitizer, ASan and valgrind too (smaller there).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

COUNT=50000		# datagrams per burst
MAX_RELOADS=300
STORM_SECONDS=10	# no new burst after this
if [ "${UDP_REPLYD_VALGRIND:-0}" = 1 ]; then
	COUNT=10000
	MAX_RELOADS=100
fi
free_port P
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" reply="reply 0" raw="workers = 2;"
start_daemon "$conf"

# ready_count N: wait (bounded) for the Nth READY=1; a short poll, so that
# the reloads follow each other within milliseconds.
ready_count() {
	_rc_deadline=$(($(_lib_now_ms) + UDP_REPLYD_TEST_WAIT * 1000))
	while [ "$(_lib_count "$NOTIFY_OUT" -F READY=1)" -lt "$1" ]; do
		alive "$DAEMON_PID" || fail "the daemon exited during reload $n"
		[ "$(_lib_now_ms)" -lt "$_rc_deadline" ] ||
			fail "no READY=1 for reload $n within ${UDP_REPLYD_TEST_WAIT}s"
		sleep 0.002 # poll
	done
}

rounds=0
start_burst() {
	rounds=$((rounds + 1))
	"$UDPPROBE" burst -t 25 -n 8 127.0.0.1 "$P" "$COUNT" >"$T/burst$rounds.out" 2>"$T/burst$rounds.err" &
	burst=$!
	track_pid "$burst"
}
# finish_burst: wait for it (its -t bounds it); every datagram answered.
finish_burst() {
	_fb_rc=0
	wait "$burst" || _fb_rc=$?
	untrack_pid "$burst"
	[ "$_fb_rc" = 0 ] || fail "burst $rounds: exit $_fb_rc: $(cat "$T/burst$rounds.out" "$T/burst$rounds.err")"
	assert_eq "$(cat "$T/burst$rounds.out")" "sent $COUNT replies $COUNT" "burst $rounds during the reload storm"
}

started=$(_lib_now_ms)
storm_end=$((started + STORM_SECONDS * 1000))
n=0
addr=127.0.0.1
start_burst
while :; do
	if ! alive "$burst"; then
		finish_burst
		if [ "$n" -ge "$MAX_RELOADS" ] || [ "$(_lib_now_ms)" -ge "$storm_end" ]; then
			break
		fi
		start_burst
	fi
	if [ "$n" -ge "$MAX_RELOADS" ]; then
		finish_burst
		break
	fi
	n=$((n + 1))
	if [ "$addr" = 127.0.0.1 ]; then addr=0.0.0.0; else addr=127.0.0.1; fi
	# Replace the file whole, so no reload ever reads half of it.
	write_conf "$T/next.conf" address="$addr" port="$P" reply="reply $n" raw="workers = 2;"
	mv "$T/next.conf" "$conf"
	kill -HUP "$DAEMON_PID"
	ready_count $((n + 1))
done
storm_ms=$(($(_lib_now_ms) - started))
note "$n reloads in $storm_ms ms during $rounds bursts of $COUNT datagrams"
[ "$n" -ge "$rounds" ] || fail "$n reloads during $rounds bursts; want one or more per burst"
[ "$(count_log -F 'reload failed')" = 0 ] ||
	fail "a reload failed: $(grep -F 'reload failed' "$DAEMON_LOG" | head -n 3)"
assert_eq "$(count_log -F "udp-replyd: reloaded $conf: serving ")" "$n" "reloaded lines"
"$UDPSEND" 127.0.0.1 "$P" x >"$T/out" || fail "udpsend: exit $?"
assert_file_eq "$T/out" "reply $n"
total=$((rounds * COUNT + 1))
wait_notify "^STATUS=Serving [^ ]+:$P \\(2 workers\\): $total received, $total replied, 0 errors, 0 dropped by the kernel(,|\$)"

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "^udp-replyd: stopping on SIGTERM: $total received, $total replied, 0 errors, 0 dropped by the kernel(,|\$)"
# Every datagram logged one by one or counted as not logged.
console_accounting "$DAEMON_LOG" "$total" >/dev/null
