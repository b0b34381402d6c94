#!/bin/sh
# A log pipe whose reader has gone does not kill the daemon (SIGPIPE is
# ignored): `udp-replyd 2>&1 | head` must not end the service.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

free_port P
write_conf "$T/c.conf" port="$P"
mkfifo "$T/log.fifo"
# The reader takes the first line (the start message) and goes away.
head -n 1 "$T/log.fifo" >"$T/first" &
reader=$!
track_pid "$reader"
# shellcheck disable=SC2016 # expanded by the inner shell
start_daemon_cmd sh -c 'exec "$@" 2>"$0"' "$T/log.fifo" \
	"$UDP_REPLYD" -c "$T/c.conf" --log-target=console
wait_notify -F READY=1
poll_until "$UDP_REPLYD_TEST_WAIT" eval '! alive "$reader"' ||
	fail "the log reader did not exit"
grep -q "serving 127.0.0.1:$P" "$T/first" || fail "first log line: $(cat "$T/first")"
# Every datagram is now logged into a broken pipe: each must still be answered.
for i in 1 2 3; do
	"$UDPSEND" -t 3 127.0.0.1 "$P" "after the reader left $i" >"$T/out" ||
		fail "no reply $i after the log reader left (udpsend exit $?)"
	assert_file_eq "$T/out" "Hello UDP Client"
done
alive "$DAEMON_PID" || fail "the daemon died"
stop_daemon || fail "exit $DAEMON_RC after SIGTERM, want 0"
