#!/bin/sh
# Reloads under load drop nothing: SIGHUPs (each changing the reply) while a
# burst runs; every datagram of the burst is answered and counted once.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

COUNT=50000
free_port P
write_conf "$T/c.conf" port="$P" reply="reply 0"
start_daemon "$T/c.conf"

"$UDPPROBE" burst -t 60 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" &
burst=$!
track_pid "$burst"
n=0
while alive "$burst" && [ "$n" -lt 200 ]; do
	n=$((n + 1))
	# Replace the file whole, so no reload ever reads half of it.
	write_conf "$T/next.conf" port="$P" reply="reply $n"
	mv "$T/next.conf" "$T/c.conf"
	kill -HUP "$DAEMON_PID"
	wait_notify -F READY=1 $((n + 1))
done
wait "$burst" || fail "udpprobe burst: exit $?"
untrack_pid "$burst"
[ "$n" -ge 2 ] || fail "the burst ended after $n reloads; want 2 or more during it"
grep -qx "sent $COUNT replies $COUNT" "$T/burst.out" ||
	fail "burst: $(cat "$T/burst.out"), want every datagram answered"
[ "$(count_log -F "udp-replyd: reloaded $T/c.conf")" -eq "$n" ] ||
	fail "want $n reloaded lines, got $(count_log -F "udp-replyd: reloaded")"
"$UDPSEND" 127.0.0.1 "$P" x >"$T/out" || fail "udpsend: exit $?"
assert_file_eq "$T/out" "reply $n"
stop_daemon || fail "exit $DAEMON_RC after SIGTERM, want 0"
wait_log -F "udp-replyd: stopping on SIGTERM: $((COUNT + 1)) received, $((COUNT + 1)) replied, 0 errors"
note "$n reloads during a burst of $COUNT datagrams, none lost"
