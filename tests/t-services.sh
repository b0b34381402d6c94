#!/bin/sh
# Several services in one file (services = ( { ... }, ... )): each answers
# with its own reply and buffer size, each record names it (UDP_SERVICE, read
# back from a private journald), and a reload adds and removes services
# while the one that stays answers throughout. Config errors of the services
# list are FILE:LINE errors.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

enter_private_mount_ns "$@"
start_private_journald

MSGID=4f0d5f1c8a6e4b7fa3c1d2e9b8a7f6
free_port P
free_port Q
free_port R
conf=$T/udp-replyd.conf

# services LINES...: a config of these service groups and one worker.
services() {
	{
		echo "workers = 1;"
		echo "services = ("
		_sep=
		for _s in "$@"; do
			printf '%s  { %s }\n' "$_sep" "$_s"
			_sep=,
		done
		echo ");"
	} >"$conf"
}

# expect_reply PORT MESSAGE REPLY [HOST]: one ask, and its reply's bytes.
expect_reply() {
	ask "${4:-127.0.0.1}" "$1" "$2"
	reply_body "$T/body"
	printf '%s' "$3" >"$T/want"
	cmp -s "$T/body" "$T/want" || fail "port $1: reply '$(cat "$T/body")', wanted '$3'"
}

note "two services with distinct replies and buffer sizes"
services "name = \"hello\"; port = $P;" \
	"name = \"short\"; port = $Q; buffer_size = 4; reply = \"pong\";"
"$UDP_REPLYD" -c "$conf" -t >"$T/check.out" 2>&1 || fail "-t: $(cat "$T/check.out")"
grep -q '^service "short"$' "$T/check.out" || fail "-t does not list the services: $(cat "$T/check.out")"
LOG_TARGET=journal
start_daemon "$conf"
pid=$DAEMON_PID
expect_reply "$P" "to hello" "Hello UDP Client"
expect_reply "$Q" "to short" "pong"

note "reload: short goes, third comes, hello stays and answers throughout"
services "name = \"hello\"; port = $P;" "name = \"third\"; port = $R; reply = \"three\";"
# A client asking hello all through the reload: every ask answered.
(
	i=0
	while [ ! -e "$T/reload.done" ] && [ "$i" -lt 400 ]; do
		i=$((i + 1))
		"$UDPPROBE" ask -t 2 127.0.0.1 "$P" "during $i" >/dev/null || echo "ask $i: no reply"
		sleep 0.01 # poll interval of the client during the reload
	done
	echo "asked $i"
) >"$T/during.out" 2>&1 &
client=$!
track_pid "$client"
kill -HUP "$pid"
wait_notify -F READY=1 2
expect_reply "$R" "to third" "three"
expect_reply "$P" "to hello" "Hello UDP Client"
expect_exit 1 "$UDPPROBE" ask -t 0.3 127.0.0.1 "$Q" "to short, gone"
: >"$T/reload.done"
wait "$client" || true
untrack_pid "$client"
grep -q 'no reply' "$T/during.out" && fail "hello missed asks during the reload: $(grep 'no reply' "$T/during.out" | head -n 3)"
note "hello during the reload: $(tail -n 1 "$T/during.out"), every one answered"

note "a broken services list on reload keeps the old services"
services "name = \"hello\"; port = $P;" "name = \"hello\"; port = $Q;"
kill -HUP "$pid"
wait_notify -F READY=1 3
expect_reply "$R" "still third" "three"

stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
records_there() {
	journal_json "$T/all.json" "_PID=$pid" && grep -q "\"MESSAGE_ID\":\"${MSGID}05\"" "$T/all.json"
}
poll_until "$UDP_REPLYD_TEST_WAIT" records_there || fail "no stop record in the journal"
# Each datagram's record names the service that answered it (the short
# service read "to s" of "to short").
for pair in "to hello:hello" "to s:short" "to third:third" "still third:third"; do
	msg=${pair%%:*} svc=${pair##*:}
	got=$(jq -r -s --arg m "\"$msg\"" '[.[] | select(.MESSAGE_ID == "'"${MSGID}"'01") |
		select(.MESSAGE | endswith($m)) | .UDP_SERVICE] | unique | join(",")' "$T/all.json")
	assert_eq "$got" "$svc" "UDP_SERVICE of the records of \"$msg\""
done
# The short service read 4 bytes of "to short".
assert_eq "$(jq -r -s '[.[] | select(.UDP_SERVICE == "short") | .UDP_TRUNCATED] | join(",")' \
	"$T/all.json")" 1 "the short service's record is truncated"
jq -r -s '.[] | select(.MESSAGE_ID == "'"${MSGID}"'04") | .MESSAGE' "$T/all.json" |
	grep -q 'two services named "hello"' || fail "the failed reload does not say why"

note "errors: FILE:LINE"
LOG_TARGET=console
# check_error LINE MESSAGE: -t on $conf fails (exit 78) with "$conf:LINE: MESSAGE".
check_error() {
	expect_exit 78 "$UDP_REPLYD" -c "$conf" -t >"$T/err.out" 2>&1
	grep -q -F "$conf:$1: $2" "$T/err.out" || fail "wanted '$conf:$1: $2', got: $(cat "$T/err.out")"
}
printf 'port = %s;\nservices = ( { port = %s; } );\n' "$P" "$Q" >"$conf"
check_error 1 "port: not allowed next to services (line 2)"
printf 'services = (\n  { port = %s; },\n  { address = "127.0.0.1"; port = %s; }\n);\n' "$P" "$P" >"$conf"
check_error 3 "services: 127.0.0.1:$P is also service \"127.0.0.1:$P\" (line 2)"
printf 'services = ( { port = %s; colour = "red"; } );\n' "$P" >"$conf"
check_error 1 'services: unknown setting "colour" in a service'
printf 'services = ();\n' >"$conf"
check_error 1 "services: must list at least one service"
printf 'services = ( { name = "a b"; } );\n' >"$conf"
check_error 1 'name: "a b": must be 1 to 64 printable characters'
printf 'services = { port = 1; };\n' >"$conf"
check_error 1 "services: must be a list of groups"
