#!/bin/sh
# The journal records, read back from a real systemd-journald.
#
# As root, the test re-runs itself in a private mount namespace with tmpfs
# over /run/systemd and /run/log, starts /lib/systemd/systemd-journald there
# (Storage=volatile, no rate limit), runs the daemon with
# --log-target=journal, and reads the records with journalctl -D ... -o json,
# asserting every field of every record. PID 1 need not be systemd.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_mount_ns "$@"
# ---- from here on in the private mount namespace ----
JDIR=$JOURNAL_DIR
start_private_journald

MSGID=4f0d5f1c8a6e4b7fa3c1d2e9b8a7f6
free_port P
free_port S1
free_port S2
free_port S3
free_port S4
free_port S5
free_port S6
conf=$T/udp-replyd.conf
if have_ipv6; then
	addr=:: shown="[::]:$P"
else
	addr=127.0.0.1 shown="127.0.0.1:$P"
fi
write_conf "$conf" address="$addr" port="$P" buffer_size=32 raw="workers = 1;"

LOG_TARGET=journal
start_daemon "$conf"
pid=$DAEMON_PID
x100=$(printf '%0100d' 0 | tr 0 x)
long=$(i=0; while [ $i -lt 500 ]; do printf 0123456789; i=$((i + 1)); done)

note "datagrams: text, binary with NUL bytes, truncated, empty, IPv6"
ask -s "127.0.0.1:$S1" 127.0.0.1 "$P" "Hello UDP Server"
ask -s "127.0.0.1:$S2" 127.0.0.1 "$P" -x "00 01 41 ff 0a 00 7f 22 5c 3d"
ask -s "127.0.0.1:$S3" 127.0.0.1 "$P" "$x100"
ask -s "127.0.0.1:$S4" 127.0.0.1 "$P" ""
if have_ipv6; then
	ask -s "[::1]:$S6" ::1 "$P" "over v6"
fi
note "reload: a bigger buffer; a 5000-byte datagram's payload is capped at 4096"
write_conf "$conf" address="$addr" port="$P" buffer_size=8192 raw="workers = 1;"
kill -HUP "$pid"
wait_notify -F READY=1 2
ask -s "127.0.0.1:$S5" 127.0.0.1 "$P" "$long"
note "reload with a broken config"
printf 'port = = 1;\n' >"$conf"
kill -HUP "$pid"
wait_notify -F READY=1 3
ask 127.0.0.1 "$P" "still here"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
# Nothing went to stderr: it is all in the journal.
[ ! -s "$DAEMON_LOG" ] || fail "the daemon wrote to stderr: $(cat "$DAEMON_LOG")"

all=$T/records.json
stopped_there() {
	journalctl -D "$JDIR" -o json -a --no-pager "_PID=$pid" >"$all" 2>"$T/journalctl.err" &&
		grep -q "\"MESSAGE_ID\":\"${MSGID}05\"" "$all"
}
poll_until "$UDP_REPLYD_TEST_WAIT" stopped_there ||
	fail "no stopped record in the journal: $(cat "$T/journalctl.err") $(tail -n 5 "$all")"
journalctl -D "$JDIR" -o json -a --no-pager "MESSAGE_ID=${MSGID}01" >"$T/datagrams.json" ||
	fail "journalctl MESSAGE_ID=${MSGID}01 failed"

ndg=6
have_ipv6 && ndg=7
assert_eq "$(grep -c . "$T/datagrams.json")" "$ndg" "datagram records"
assert_eq "$(jq -s '[.[] | select(.MESSAGE_ID == "'"${MSGID}"'01")] | length' "$all")" "$ndg" \
	"datagram records of the daemon"

# jstr FILE FILTER STRING: jq -s FILTER on FILE is exactly STRING.
jstr() {
	jq -e -s --arg want "$3" "($2) == \$want" "$1" >/dev/null ||
		fail "$2: $(jq -c -s "$2" "$1"), wanted $(jq -n -c --arg w "$3" '$w')"
}
# jjson FILE FILTER JSON: jq -c -s FILTER on FILE prints exactly JSON.
jjson() {
	_jj=$(jq -c -s "$2" "$1") || fail "jq $2 failed"
	[ "$_jj" = "$3" ] || fail "$2: $_jj, wanted $3"
}

# dgram N REMOTE-ADDR REMOTE-PORT LOCAL-ADDR SIZE TRUNCATED PRIORITY MESSAGE-TAIL:
# every field of the Nth datagram record.
dgram() {
	_d=".[$1]"
	_shown_remote=$2 _shown_local=$4
	case $2 in *:*) _shown_remote="[$2]" _shown_local="[$4]" ;; esac
	jjson "$T/datagrams.json" "$_d | [keys[] | select(startswith(\"_\") | not)]" \
		'["MESSAGE","MESSAGE_ID","PRIORITY","SYSLOG_IDENTIFIER","UDP_LOCAL_ADDR","UDP_LOCAL_PORT","UDP_PAYLOAD","UDP_REMOTE_ADDR","UDP_REMOTE_PORT","UDP_SERVICE","UDP_SIZE","UDP_TRUNCATED"]'
	jstr "$T/datagrams.json" "$_d.MESSAGE_ID" "${MSGID}01"
	# The one-service shorthand's service is named by its address and port.
	jstr "$T/datagrams.json" "$_d.UDP_SERVICE" "$shown"
	jstr "$T/datagrams.json" "$_d.SYSLOG_IDENTIFIER" udp-replyd
	jstr "$T/datagrams.json" "$_d._PID" "$pid"
	jstr "$T/datagrams.json" "$_d.UDP_REMOTE_ADDR" "$2"
	jstr "$T/datagrams.json" "$_d.UDP_REMOTE_PORT" "$3"
	jstr "$T/datagrams.json" "$_d.UDP_LOCAL_ADDR" "$4"
	jstr "$T/datagrams.json" "$_d.UDP_LOCAL_PORT" "$P"
	jstr "$T/datagrams.json" "$_d.UDP_SIZE" "$5"
	jstr "$T/datagrams.json" "$_d.UDP_TRUNCATED" "$6"
	jstr "$T/datagrams.json" "$_d.PRIORITY" "$7"
	_trunc=
	[ "$6" = 0 ] || _trunc=" (truncated to $9)"
	jstr "$T/datagrams.json" "$_d.MESSAGE" \
		"$5 bytes$_trunc from $_shown_remote:$3 to $_shown_local:$P: $8"
}

note "record 0: text"
dgram 0 127.0.0.1 "$S1" 127.0.0.1 16 0 6 '"Hello UDP Server"'
jstr "$T/datagrams.json" '.[0].UDP_PAYLOAD' "Hello UDP Server"

note "record 1: binary, NUL bytes in UDP_PAYLOAD (an array of bytes in JSON)"
dgram 1 127.0.0.1 "$S2" 127.0.0.1 10 0 6 '"\x00\x01A\xff\n\x00\x7f\"\\="'
jjson "$T/datagrams.json" '.[1].UDP_PAYLOAD' '[0,1,65,255,10,0,127,34,92,61]'

note "record 2: truncated to 32, PRIORITY 5"
x32=$(printf '%032d' 0 | tr 0 x)
dgram 2 127.0.0.1 "$S3" 127.0.0.1 100 1 5 "\"$x32\"" 32
jstr "$T/datagrams.json" '.[2].UDP_PAYLOAD' "$x32"

note "record 3: empty"
dgram 3 127.0.0.1 "$S4" 127.0.0.1 0 0 6 '""'
jstr "$T/datagrams.json" '.[3].UDP_PAYLOAD' ""

n=4
if have_ipv6; then
	note "record $n: IPv6"
	dgram "$n" ::1 "$S6" ::1 7 0 6 '"over v6"'
	jstr "$T/datagrams.json" ".[$n].UDP_PAYLOAD" "over v6"
	n=$((n + 1))
fi

note "record $n: 5000 bytes, UDP_PAYLOAD capped at 4096, MESSAGE at 64"
first64=$(printf '%.64s' "$long")
dgram "$n" 127.0.0.1 "$S5" 127.0.0.1 5000 0 6 "\"$first64\"..."
jstr "$T/datagrams.json" ".[$n].UDP_PAYLOAD" "$(printf '%.4096s' "$long")"
jjson "$T/datagrams.json" ".[$n].UDP_PAYLOAD | length" 4096
n=$((n + 1))
jstr "$T/datagrams.json" ".[$n].UDP_PAYLOAD" "still here"
jstr "$T/datagrams.json" ".[$n].UDP_SIZE" 10

# daemon ID PRIORITY MESSAGE [KEYS]: the one record with MESSAGE_ID ${MSGID}ID,
# its fields exactly KEYS (a JSON array) when given, else the four of every record.
daemon_record() {
	_sel="[.[] | select(.MESSAGE_ID == \"${MSGID}$1\")]"
	jjson "$all" "$_sel | length" 1
	jjson "$all" "${_sel}[0] | [keys[] | select(startswith(\"_\") | not)]" \
		"${4:-[\"MESSAGE\",\"MESSAGE_ID\",\"PRIORITY\",\"SYSLOG_IDENTIFIER\"]}"
	jstr "$all" "${_sel}[0].SYSLOG_IDENTIFIER" udp-replyd
	jstr "$all" "${_sel}[0].PRIORITY" "$2"
	jstr "$all" "${_sel}[0].MESSAGE" "$3"
}
note "started, reloaded, reload failed, stopped"
total=$ndg
daemon_record 02 6 "serving $shown (buffer 32 bytes, reply 16 bytes) with 1 worker"
daemon_record 03 6 "reloaded $conf: serving $shown (buffer 8192 bytes, reply 16 bytes)"
daemon_record 04 3 "reload failed, keeping the old configuration: $conf:1: syntax error"
daemon_record 05 6 "stopping on SIGTERM: $total received, $total replied, 0 errors, 0 dropped by the kernel, $total logged, 0 not logged" \
	'["MESSAGE","MESSAGE_ID","PRIORITY","SYSLOG_IDENTIFIER","UDP_KERNEL_DROPS","UDP_LOGGED","UDP_NOT_LOGGED","UDP_NOT_LOGGED_TOTAL","UDP_POLICY_DROPS","UDP_RECEIVED","UDP_REPLIED","UDP_REPLY_FAILED","UDP_SEND_QUEUE_FULL"]'
stop="[.[] | select(.MESSAGE_ID == \"${MSGID}05\")][0]"
for kv in UDP_RECEIVED=$total UDP_REPLIED=$total UDP_REPLY_FAILED=0 UDP_SEND_QUEUE_FULL=0 \
	UDP_KERNEL_DROPS=0 UDP_LOGGED=$total UDP_NOT_LOGGED=0 UDP_NOT_LOGGED_TOTAL=0 UDP_POLICY_DROPS=0; do
	jstr "$all" "$stop.${kv%%=*}" "${kv#*=}"
done
# Records in the order they happened.
jjson "$all" '[.[] | .MESSAGE_ID[-2:]] | unique | length' 5
jjson "$all" '[.[] | select(.MESSAGE_ID[-2:] != "01") | .MESSAGE_ID[-2:]]' '["02","03","04","05"]'

note "--log-target=auto picks the journal when its socket exists"
LOG_TARGET=auto
write_conf "$conf" address=127.0.0.1 port="$P"
start_daemon "$conf"
pid=$DAEMON_PID
ask 127.0.0.1 "$P" "auto"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
[ ! -s "$DAEMON_LOG" ] || fail "--log-target=auto wrote to stderr: $(cat "$DAEMON_LOG")"
auto_there() {
	journalctl -D "$JDIR" -o json -a --no-pager "_PID=$pid" "MESSAGE_ID=${MSGID}01" >"$T/auto.json" \
		2>/dev/null && grep -q . "$T/auto.json"
}
poll_until "$UDP_REPLYD_TEST_WAIT" auto_there || fail "no record from --log-target=auto"
jstr "$T/auto.json" '.[0].UDP_PAYLOAD' auto

note "journald stops cleanly"
stop_private_journald
