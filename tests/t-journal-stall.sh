#!/bin/sh
# journald stopped (SIGSTOP) for the whole of a burst: every datagram is
# answered, since replies never wait on the log. After SIGCONT the records
# one by one resume, and the journal accounts for every datagram: datagram
# records + the "not logged" counts of the summaries + what the stop record
# counts as not logged = what the stop record counts as received. At least
# one summary says "journal busy".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_mount_ns "$@"

# ---- from here on in the private mount namespace ----
# More than any bounded queue holds, so that some records cannot be queued.
COUNT=50000
[ "${UDP_REPLYD_VALGRIND:-0}" = 1 ] && COUNT=20000
MSGID=$UDP_REPLYD_MSGID
start_private_journald
free_port P
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
LOG_TARGET=journal
start_daemon "$conf"
pid=$DAEMON_PID

# in_journal PAYLOAD: a datagram record of $pid with this payload is stored.
in_journal() {
	journal_json "$T/dg.json" "_PID=$pid" "MESSAGE_ID=${MSGID}01" "UDP_PAYLOAD=$1" ||
		fail "journalctl: $(cat "$T/journalctl.err")"
	grep -q . "$T/dg.json"
}

ask 127.0.0.1 "$P" "before"
poll_until "$UDP_REPLYD_TEST_WAIT" in_journal "before" || fail "the record of \"before\" is not in the journal"

note "journald stopped; a burst of $COUNT datagrams"
stop_process "$JOURNALD_PID"
"$UDPPROBE" burst -t 40 127.0.0.1 "$P" "$COUNT" >"$T/burst.out" || true
kill -CONT "$JOURNALD_PID"
assert_eq "$(cat "$T/burst.out")" "sent $COUNT replies $COUNT" "burst while journald was stopped"

note "journald resumed: records one by one again"
ask 127.0.0.1 "$P" "after"
# Records leave one worker's queue in order: once "after" is stored, so is
# everything queued before it.
poll_until "$UDP_REPLYD_TEST_WAIT" in_journal "after" || fail "the record of \"after\" is not in the journal"
busy_summary() {
	journal_json "$T/busy.json" "_PID=$pid" "MESSAGE_ID=${MSGID}06" "UDP_NOT_LOGGED_REASON=journal busy" &&
		grep -q . "$T/busy.json"
}
poll_until "$UDP_REPLYD_TEST_WAIT" busy_summary || fail "no summary record with reason \"journal busy\""

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
all=$T/all.json
stopped_there() {
	journal_json "$all" "_PID=$pid" && grep -q "\"MESSAGE_ID\":\"${MSGID}05\"" "$all"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped_there || fail "no stopped record in the journal"
# A busy journal is not a missing one: nothing falls back to stderr.
[ ! -s "$DAEMON_LOG" ] || fail "the daemon wrote to stderr: $(head -n 5 "$DAEMON_LOG")"

total=$((COUNT + 2))
stop="[.[] | select(.MESSAGE_ID == \"${MSGID}05\")]"
sums="[.[] | select(.MESSAGE_ID == \"${MSGID}06\")]"
assert_eq "$(jq_num "$all" "$stop | length")" 1 "stopped records"
# stopfield NAME: the stop record's field NAME, a number.
stopfield() {
	jq_num "$all" "${stop}[0].$1 | tonumber"
}
assert_eq "$(stopfield UDP_RECEIVED)" "$total" "UDP_RECEIVED"
assert_eq "$(stopfield UDP_REPLIED)" "$total" "UDP_REPLIED"
assert_eq "$(stopfield UDP_REPLY_FAILED)" 0 "UDP_REPLY_FAILED"
assert_eq "$(stopfield UDP_KERNEL_DROPS)" 0 "UDP_KERNEL_DROPS"
jq -e -s "${stop}[0].MESSAGE | startswith(\"stopping on SIGTERM: $total received, $total replied, 0 errors\")" \
	"$all" >/dev/null || fail "stop record: $(jq -s -c "${stop}[0].MESSAGE" "$all")"

records=$(jq_num "$all" "[.[] | select(.MESSAGE_ID == \"${MSGID}01\")] | length")
summarised=$(jq_num "$all" "[${sums}[] | .UDP_NOT_LOGGED // \"0\" | tonumber] | add // 0")
left=$(stopfield UDP_NOT_LOGGED)
note "$total received: $records records, $summarised in summaries, $left not logged at stop"
assert_eq "$((records + summarised + left))" "$total" \
	"records $records + summarised $summarised + not logged at stop $left"
assert_eq "$(stopfield UDP_LOGGED)" "$records" "UDP_LOGGED (datagram records in the journal)"
assert_eq "$(stopfield UDP_NOT_LOGGED_TOTAL)" "$((summarised + left))" "UDP_NOT_LOGGED_TOTAL"
[ "$summarised" -gt 0 ] || fail "no datagram counted in a summary"

note "the summaries: PRIORITY 4, their counts in the message and the fields"
assert_eq "$(jq_num "$all" "[${sums}[] | select(.PRIORITY != \"4\")] | length")" 0 "summaries not at PRIORITY 4"
assert_eq "$(jq_num "$all" "[${sums}[] | select(.UDP_NOT_LOGGED != null) | select(. as \$r | \$r.MESSAGE |
	test(\"^\" + \$r.UDP_NOT_LOGGED + \" datagrams? not logged one by one in the last [0-9.]+ s: \" +
		\$r.UDP_NOT_LOGGED_REASON + \"\$\") | not)] | length")" 0 \
	"summaries whose MESSAGE does not match their fields"
assert_eq "$(jq_num "$all" "[${sums}[] | select((.UDP_INTERVAL_USEC // \"\" | test(\"^[0-9]+\$\")) | not)] | length")" 0 \
	"summaries without a numeric UDP_INTERVAL_USEC"
assert_eq "$(jq_num "$all" "[${sums}[] | .UDP_KERNEL_DROPS // \"0\" | tonumber] | add // 0")" 0 \
	"kernel drops in the summaries"
reasons=$(jq -r -s "[${sums}[] | .UDP_NOT_LOGGED_REASON // empty] | unique | join(\",\")" "$all")
case ",$reasons," in
*",journal busy,"*) ;;
*) fail "summary reasons: '$reasons', wanted \"journal busy\" among them" ;;
esac
