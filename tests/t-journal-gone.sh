#!/bin/sh
# --log-target=journal when no journald listens: every record falls back to
# stderr, and goes back to the journal once journald is there again.
#
# (a) No journald at all (an empty /run/systemd in a private mount
#     namespace): the start record, the datagram records and the stop
#     record are console lines on stderr.
# (b) journald running, then its socket file removed (ENOENT): replies go
#     on, the records of datagrams sent after the removal are on stderr; a
#     new journald (a new socket) gets the records again. Then journald
#     stopped, its socket file left behind (ECONNREFUSED): the same.
#     Every datagram's record is in exactly one place: the journal, stderr,
#     or a "not logged" count.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_mount_ns "$@"

# ---- from here on in the private mount namespace ----
free_port P
free_port S1
conf=$T/udp-replyd.conf
write_conf "$conf" address=127.0.0.1 port="$P" raw="workers = 1;"
LOG_TARGET=journal
sent=0

# say PAYLOAD: one datagram, which must be answered.
say() {
	ask 127.0.0.1 "$P" "$1"
	sent=$((sent + 1))
}

# on_stderr PAYLOAD: how many datagram lines with exactly this payload.
on_stderr() {
	count_log "^udp-replyd: [0-9]+ bytes? from 127\\.0\\.0\\.1:[0-9]+ to 127\\.0\\.0\\.1:$P: \"$1\"\$"
}

# in_journal PAYLOAD: how many datagram records of $pid with this payload.
in_journal() {
	journal_json "$T/dg.json" "_PID=$pid" "MESSAGE_ID=${UDP_REPLYD_MSGID}01" ||
		fail "journalctl: $(cat "$T/journalctl.err")"
	jq_num "$T/dg.json" "[.[] | select(.UDP_PAYLOAD == \"$1\")] | length"
}

journal_has() {
	[ "$(in_journal "$1")" -ge 1 ]
}

# journal_has_prefix PREFIX: a datagram record of $pid whose payload starts so.
journal_has_prefix() {
	journal_json "$T/dg.json" "_PID=$pid" "MESSAGE_ID=${UDP_REPLYD_MSGID}01" ||
		fail "journalctl: $(cat "$T/journalctl.err")"
	[ "$(jq_num "$T/dg.json" "[.[] | select((.UDP_PAYLOAD | type) == \"string\" and
		(.UDP_PAYLOAD | startswith(\"$1\")))] | length")" -ge 1 ]
}

# stored PAYLOAD: its record has reached the journal or stderr.
stored() {
	[ "$(on_stderr "$1")" -ge 1 ] || journal_has "$1"
}

note "(a) no journald: start, datagram and stop records on stderr"
[ ! -e "$JOURNAL_SOCKET" ] || hard_error "$JOURNAL_SOCKET exists in the private namespace"
start_daemon "$conf"
wait_log -F "udp-replyd: serving 127.0.0.1:$P ("
wait_log -F "udp-replyd: journal not reachable ("
ask -s "127.0.0.1:$S1" 127.0.0.1 "$P" "one"
ask 127.0.0.1 "$P" "two"
wait_log "^udp-replyd: 3 bytes from 127\\.0\\.0\\.1:$S1 to 127\\.0\\.0\\.1:$P: \"one\"\$"
wait_log "^udp-replyd: 3 bytes from 127\\.0\\.0\\.1:[0-9]+ to 127\\.0\\.0\\.1:$P: \"two\"\$"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "^udp-replyd: stopping on SIGTERM: 2 received, 2 replied, 0 errors(,|\$)"
# In the order they happened.
order=$(grep -n -E -e 'udp-replyd: (serving |3 bytes from |stopping on SIGTERM)' "$DAEMON_LOG" |
	sed -E 's/^[0-9]+:udp-replyd: (serving|3 bytes from|stopping on).*/\1/' | tr '\n' '/')
assert_eq "$order" "serving/3 bytes from/3 bytes from/stopping on/" "order of the records on stderr"

note "(b) journald running: records in the journal, not on stderr"
start_private_journald
start_daemon "$conf"
pid=$DAEMON_PID
say "one"
poll_until "$UDP_REPLYD_TEST_WAIT" journal_has "one" || fail "the record of \"one\" is not in the journal"
[ ! -s "$DAEMON_LOG" ] || fail "journald is there, but the daemon wrote to stderr: $(cat "$DAEMON_LOG")"

note "(b) journald's socket removed: replies go on, records on stderr"
rm "$JOURNAL_SOCKET"
# The daemon looks at the socket file once a second: until then its records
# still reach the journald it is connected to (which stores them). Keep
# sending until one is on stderr.
k=0
on_stderr_now() {
	k=$((k + 1))
	say "two-$k"
	[ "$(on_stderr "two-$k")" -ge 1 ] || { sleep 0.05; [ "$(on_stderr "two-$k")" -ge 1 ]; } # poll
}
poll_until "$UDP_REPLYD_TEST_WAIT" on_stderr_now ||
	fail "no record on stderr after the socket was removed ($k datagrams sent)"
note "records went to stderr after $k datagrams"
wait_log -F "udp-replyd: journal not reachable ("
say "three"
wait_log "^udp-replyd: 5 bytes from 127\\.0\\.0\\.1:[0-9]+ to 127\\.0\\.0\\.1:$P: \"three\"\$"

note "(b) a new journald, a new socket: records reach the journal again"
stop_private_journald
start_private_journald
# The daemon retries the journal once a second: keep sending until a
# record gets there.
n=0
back_in_journal() {
	n=$((n + 1))
	say "back-$n"
	journal_has_prefix "back-"
}
poll_until "$UDP_REPLYD_TEST_WAIT" back_in_journal ||
	fail "no record in the journal after journald came back ($n datagrams sent)"
poll_until "$UDP_REPLYD_TEST_WAIT" stored "back-$n" || fail "the record of \"back-$n\" is nowhere"
note "records reached the new journald after $n datagrams"

note "(b) journald stopped, its socket file left behind (ECONNREFUSED): stderr"
stop_private_journald
if [ -S "$JOURNAL_SOCKET" ]; then
	note "the stale socket file is there"
else
	note "journald removed its socket file"
fi
say "four"
wait_log "^udp-replyd: 4 bytes from 127\\.0\\.0\\.1:[0-9]+ to 127\\.0\\.0\\.1:$P: \"four\"\$"
start_private_journald
m=0
again_in_journal() {
	m=$((m + 1))
	say "again-$m"
	journal_has_prefix "again-"
}
poll_until "$UDP_REPLYD_TEST_WAIT" again_in_journal ||
	fail "no record in the journal after journald came back again ($m datagrams sent)"
poll_until "$UDP_REPLYD_TEST_WAIT" stored "again-$m" || fail "the record of \"again-$m\" is nowhere"

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
all=$T/all.json
stopped_there() {
	journal_json "$all" "_PID=$pid" && grep -q "\"MESSAGE_ID\":\"${UDP_REPLYD_MSGID}05\"" "$all"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped_there ||
	fail "no stopped record in the journal: $(cat "$T/journalctl.err") $(tail -n 3 "$DAEMON_LOG")"
[ "$(count_log -F 'stopping on SIGTERM')" = 0 ] || fail "the stop record went to stderr too"

note "every record in exactly one place"
for p in one "two-$k" three four; do
	j=$(in_journal "$p")
	e=$(on_stderr "$p")
	case $p in
	one) want="1 0" ;;
	*) want="0 1" ;;
	esac
	assert_eq "$j $e" "$want" "records of \"$p\" in the journal and on stderr"
done
# Those sent before the daemon noticed: in the journal, once.
i=1
while [ "$i" -lt "$k" ]; do
	assert_eq "$(in_journal "two-$i") $(on_stderr "two-$i")" "1 0" "records of \"two-$i\""
	i=$((i + 1))
done
for p in "back-$n" "again-$m"; do
	assert_eq "$(in_journal "$p") $(on_stderr "$p")" "1 0" "records of \"$p\" in the journal and on stderr"
done
stop=".[] | select(.MESSAGE_ID == \"${UDP_REPLYD_MSGID}05\")"
received=$(jq_num "$all" "[$stop | .UDP_RECEIVED | tonumber] | add")
assert_eq "$received" "$sent" "UDP_RECEIVED of the stop record"
assert_eq "$(jq_num "$all" "[$stop | .UDP_REPLIED | tonumber] | add")" "$sent" "UDP_REPLIED"
records=$(jq_num "$all" "[.[] | select(.MESSAGE_ID == \"${UDP_REPLYD_MSGID}01\")] | length")
lines=$(count_log "^udp-replyd: [0-9]+ bytes? from ")
summarised=$(jq_num "$all" "[.[] | select(.MESSAGE_ID == \"${UDP_REPLYD_MSGID}06\") | .UDP_NOT_LOGGED // \"0\" | tonumber] | add // 0")
# Summaries written while the records went to stderr are console lines.
summarised_stderr=$(sed -n 's/^udp-replyd: \([0-9][0-9]*\) datagrams\{0,1\} not logged one by one in the last .*/\1/p' \
	"$DAEMON_LOG" | awk '{ s += $1 } END { print s + 0 }')
left=$(jq_num "$all" "[$stop | .UDP_NOT_LOGGED | tonumber] | add")
assert_eq "$((records + lines + summarised + summarised_stderr + left))" "$received" \
	"journal records $records + stderr lines $lines + summarised $summarised (journal) + $summarised_stderr (stderr) + not logged at stop $left"
note "$sent datagrams: $records records in the journal, $lines on stderr"
