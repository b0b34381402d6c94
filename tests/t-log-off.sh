#!/bin/sh
# log_datagrams = false: datagrams are answered and counted, but no record
# is written per datagram, and none is counted as "not logged" (that is by
# choice); the start and stop records remain. A reload switches it.
# Console target always; as root also the journal, from a private journald.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

# As root the whole test runs in a private mount namespace (for journald).
[ "$(id -u)" = 0 ] && enter_private_mount_ns "$@"

COUNT=1000
free_port P
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" raw="log_datagrams = false;"

# answered PAYLOAD REPLY: the reply to PAYLOAD is REPLY.
answered() {
	"$UDPSEND" 127.0.0.1 "$P" "$1" >"$T/out" || fail "udpsend $1: exit $?"
	assert_file_eq "$T/out" "$2"
}

note "console: $COUNT datagrams, no line for any of them"
start_daemon "$conf"
wait_log -F "udp-replyd: serving 127.0.0.1:$P ("
"$UDPPROBE" burst 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst"
answered "quiet one" "Hello UDP Client"
# Not logging by choice is not "not logged".
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\([0-9]+ workers?\\): $((COUNT + 1)) received, $((COUNT + 1)) replied, 0 errors, 0 dropped by the kernel, 0 not logged\$"

note "a reload switches it on, and off again"
write_conf "$T/next.conf" address=127.0.0.1 port="$P" raw="log_datagrams = true;" reply="logged"
mv "$T/next.conf" "$conf"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 2
answered "loud" "logged"
wait_log "^udp-replyd: 4 bytes from 127\\.0\\.0\\.1:[0-9]+ to 127\\.0\\.0\\.1:$P: \"loud\"\$"
write_conf "$T/next.conf" address=127.0.0.1 port="$P" raw="log_datagrams = false;" reply="quiet"
mv "$T/next.conf" "$conf"
kill -HUP "$DAEMON_PID"
wait_notify -F READY=1 3
answered "quiet two" "quiet"
total=$((COUNT + 3))
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
# The stop record is written after every record queued before it.
wait_log "^udp-replyd: stopping on SIGTERM: $total received, $total replied, 0 errors(,|\$)"
assert_eq "$(count_log '^udp-replyd: [0-9]+ bytes? from ')" 1 "datagram lines (only \"loud\")"
assert_eq "$(count_log -F 'not logged one by one')" 0 "\"not logged\" summaries"
stopline=$(grep -F 'udp-replyd: stopping on SIGTERM: ' "$DAEMON_LOG")
case $stopline in
*" not logged"*)
	left=$(printf '%s\n' "$stopline" | sed -n 's/.* \([0-9][0-9]*\) not logged.*/\1/p')
	assert_eq "$left" 0 "not logged in the stop line (not logging is by choice)"
	;;
esac

[ "$(id -u)" = 0 ] || exit 0

note "journal: no datagram record, no summary; start and stop records"
MSGID=$UDP_REPLYD_MSGID
start_private_journald
write_conf "$conf" address=127.0.0.1 port="$P" raw="log_datagrams = false;"
LOG_TARGET=journal
start_daemon "$conf"
pid=$DAEMON_PID
"$UDPPROBE" burst 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst"
answered "quiet one" "Hello UDP Client"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
[ ! -s "$DAEMON_LOG" ] || fail "the daemon wrote to stderr: $(head -n 5 "$DAEMON_LOG")"
all=$T/all.json
stopped_there() {
	journal_json "$all" "_PID=$pid" && grep -q "\"MESSAGE_ID\":\"${MSGID}05\"" "$all"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped_there || fail "no stopped record in the journal"
total=$((COUNT + 1))
jjson() {
	_jj=$(jq -c -s "$1" "$all") || fail "jq $1 failed"
	[ "$_jj" = "$2" ] || fail "$1: $_jj, wanted $2"
}
jjson '[.[] | .MESSAGE_ID[-2:]]' '["02","05"]'
stop="[.[] | select(.MESSAGE_ID == \"${MSGID}05\")][0]"
jjson "$stop | [.UDP_RECEIVED, .UDP_REPLIED, .UDP_REPLY_FAILED, .UDP_LOGGED, .UDP_NOT_LOGGED, .UDP_NOT_LOGGED_TOTAL]" \
	"[\"$total\",\"$total\",\"0\",\"0\",\"0\",\"0\"]"
jq -e -s "$stop.MESSAGE | startswith(\"stopping on SIGTERM: $total received, $total replied, 0 errors\")" \
	"$all" >/dev/null || fail "stop record: $(jq -s -c "$stop.MESSAGE" "$all")"
