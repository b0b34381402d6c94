#!/bin/sh
# udp-replyd-reload (the unit's ExecReload=) sends SIGHUP and waits for the
# daemon's verdict in $RUNTIME_DIRECTORY/reload: a good file exits 0 and the
# new reply is served when it returns; a broken one exits 1 with FILE:LINE
# on stderr, STATUS= says why until the next good reload, and the old reply
# is served. Reloads at once share a verdict but never take an older one; no
# daemon, or a silent one, is a bounded error. SIGUSR1 logs the counters and
# SIGUSR2 is ignored: the daemon serves on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

RELOAD_BIN=$top_builddir/src/udp-replyd-reload
[ -x "$RELOAD_BIN" ] || hard_error "$RELOAD_BIN is not built"
# Under valgrind like the daemon, but where a test counts its reads.
RELOAD=$RELOAD_BIN
if [ "${UDP_REPLYD_VALGRIND:-0}" = 1 ]; then
	RELOAD="$top_srcdir/tests/valgrind-wrap $RELOAD_BIN"
fi
W=$UDP_REPLYD_TEST_WAIT

free_port P
conf=$T/udp-replyd.conf
RUNTIME_DIRECTORY=$T/run
export RUNTIME_DIRECTORY
mkdir "$RUNTIME_DIRECTORY"

# helper NAME ARGS...: run udp-replyd-reload; its exit code in $T/NAME.rc,
# output in $T/NAME.out and $T/NAME.err.
helper() {
	_h=$1
	shift
	_h_rc=0
	# shellcheck disable=SC2086 # RELOAD may be "valgrind-wrap BIN"
	$RELOAD "$@" >"$T/$_h.out" 2>"$T/$_h.err" || _h_rc=$?
	echo "$_h_rc" >"$T/$_h.rc"
}

# expect NAME RC: the helper run NAME exited with RC.
expect() {
	_e=$(cat "$T/$1.rc")
	[ "$_e" = "$2" ] ||
		fail "udp-replyd-reload ($1): exit $_e, wanted $2: $(cat "$T/$1.out" "$T/$1.err")"
}

replies() {
	"$UDPSEND" -t 3 127.0.0.1 "$P" "Hello UDP Server" >"$T/out" || fail "udpsend: exit $?"
	assert_file_eq "$T/out" "$1"
}

write_conf "$conf" address=127.0.0.1 port="$P" reply="one"
start_daemon "$conf"
replies "one"
grep -q "^0 $DAEMON_PID ok serving 127\\.0\\.0\\.1:$P " "$RUNTIME_DIRECTORY/reload" ||
	fail "verdict file at start: '$(cat "$RUNTIME_DIRECTORY/reload")'"

note "a good edit: exit 0, and the new reply is served as soon as it returns"
write_conf "$conf" address=127.0.0.1 port="$P" reply="two"
helper good -t "$W" "$DAEMON_PID"
expect good 0
grep -q "^reloaded $conf: serving 127\\.0\\.0\\.1:$P " "$T/good.out" ||
	fail "stdout of a good reload: '$(cat "$T/good.out")'"
replies "two"
helper quiet -q -t "$W" "$DAEMON_PID"
expect quiet 0
[ ! -s "$T/quiet.out" ] || fail "--quiet printed '$(cat "$T/quiet.out")'"

note "port = 70000: exit 1, FILE:LINE on stderr, STATUS= says why, the old reply serves"
printf 'reply = "never";\nport = 70000;\n' >"$conf"
helper broken -t "$W" "$DAEMON_PID"
expect broken 1
grep -q -F "reload failed, keeping the old configuration: $conf:2: port" "$T/broken.err" ||
	fail "stderr of a broken reload: '$(cat "$T/broken.err")'"
wait_notify -F "STATUS=Reload failed, keeping the old configuration: $conf:2: port"
replies "two"
# It stays until the next good reload, also when the counters move.
wait_notify "^STATUS=Reload failed, .*; serving 127\\.0\\.0\\.1:$P \\([0-9]+ workers?\\): 3 received, "
write_conf "$conf" address=127.0.0.1 port="$P" reply="three"
helper fixed -q -t "$W" "$DAEMON_PID"
expect fixed 0
wait_notify "^STATUS=Serving 127\\.0\\.0\\.1:$P \\([0-9]+ workers?\\): 3 received, "
replies "three"

note "two reloads at once, while the daemon is stopped: one reload answers both"
reloads_before=$(count_log -F "udp-replyd: reloaded $conf")
write_conf "$conf" address=127.0.0.1 port="$P" reply="four"
stop_process "$DAEMON_PID"
helper a -t "$W" "$DAEMON_PID" &
a=$!
track_pid "$a"
helper b -t "$W" "$DAEMON_PID" &
b=$!
track_pid "$b"
# A SIGHUP pending (bit 0 of the shared mask); the other helper's may join
# it or come after CONT: either way both must get a verdict that read "four".
hup_pending() { [ $((0x$(sed -n 's/^ShdPnd:[[:space:]]*//p' "/proc/$DAEMON_PID/status") & 1)) != 0 ]; }
poll_until "$W" hup_pending || fail "no SIGHUP pending"
kill -CONT "$DAEMON_PID"
wait "$a" || true
wait "$b" || true
untrack_pid "$a"
untrack_pid "$b"
expect a 0
expect b 0
replies "four"
n=$(($(count_log -F "udp-replyd: reloaded $conf") - reloads_before))
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "$n reloads for two helpers at once"
note "two helpers at once: $n reload(s)"

note "a helper that read a reload in progress waits for the next one (a stand-in daemon)"
# The stand-in ignores nothing: it logs each SIGHUP, and the test writes its
# verdicts. Helper c reads "reloading": that reload may have read the file
# before c's caller edited it, so its "failed" is not c's answer.
fake_dir=$T/fake
mkdir "$fake_dir"
# shellcheck disable=SC2016 # expanded by the stand-in
# (env --default-signal: a shell cannot trap a signal ignored when it
# started, as under nohup.)
env --default-signal=HUP,TERM sh -c 'trap "echo hup >>\"$0\"" HUP; trap "kill \$s 2>/dev/null; exit 0" TERM
	: >"$0.ready"
	i=0; while [ $i -lt 300 ]; do
		sleep 1 & s=$!; wait $s; i=$((i + 1)) # poll: the stand-in idles, 300 s at most
	done' "$T/hups" &
fake=$!
track_pid "$fake"
# Its traps are set before any helper signals it (else SIGHUP would end it).
poll_until "$W" test -e "$T/hups.ready" || fail "the stand-in daemon did not start"
put_verdict() {
	printf '%s %s %s\n' "$1" "$fake" "$2" >"$fake_dir/reload.tmp"
	mv "$fake_dir/reload.tmp" "$fake_dir/reload"
}
reads() { sed -n 's/^syscr: //p' "/proc/$c/io"; }
c_reads_past() { alive "$c" || fail "helper c exited early: $(cat "$T/c.out" "$T/c.err")"; [ "$(reads)" -ge "$1" ]; }
put_verdict 5 "reloading reloading x"
# (the plain binary: its reads are counted below)
"$RELOAD_BIN" -d "$fake_dir" -t "$W" "$fake" >"$T/c.out" 2>"$T/c.err" &
c=$!
track_pid "$c"
poll_until "$W" test -s "$T/hups" || fail "helper c sent no SIGHUP"
put_verdict 5 "failed reload failed, keeping the old configuration: old file"
# Each look at the verdict is two reads: past 4 more, one began after the write.
poll_until "$W" c_reads_past $(($(reads) + 4)) || fail "helper c does not poll"
put_verdict 6 "ok reloaded new file"
c_rc=0
wait "$c" || c_rc=$?
untrack_pid "$c"
[ "$c_rc" = 0 ] || fail "helper c: exit $c_rc, wanted 0: $(cat "$T/c.out" "$T/c.err")"
assert_file_eq "$T/c.out" "reloaded new file
"

note "no daemon, or a silent one: bounded errors"
helper nodir -t "$W" -d "$T/nowhere" "$DAEMON_PID"
expect nodir 69
grep -q -F "$T/nowhere/reload: no such file" "$T/nodir.err" || fail "nodir: $(cat "$T/nodir.err")"
helper wrongpid -t "$W" "$fake"
expect wrongpid 69
grep -q -F "is process $DAEMON_PID's, not $fake's" "$T/wrongpid.err" ||
	fail "wrongpid: $(cat "$T/wrongpid.err")"
(unset RUNTIME_DIRECTORY; helper noenv "$DAEMON_PID")
expect noenv 64
helper usage -t "$W"
expect usage 64
stop_process "$DAEMON_PID"
started=$(_lib_now_ms)
helper silent -t 1 "$DAEMON_PID"
took=$(($(_lib_now_ms) - started))
expect silent 75
[ "$took" -lt $((W * 1000)) ] || fail "a 1 s timeout took $took ms"
grep -q -F "no verdict from process $DAEMON_PID within 1 s" "$T/silent.err" ||
	fail "silent: $(cat "$T/silent.err")"
kill -CONT "$DAEMON_PID"
# The SIGHUP it left is still served: that reload's verdict comes.
wait_log -F "udp-replyd: reloaded $conf" $((reloads_before + n + 1))

note "SIGUSR1: the counters in the log, and the daemon serves on; SIGUSR2 is ignored"
kill -USR1 "$DAEMON_PID"
wait_log "^udp-replyd: counters: [0-9]+ received, [0-9]+ replied, 0 errors, 0 dropped by the kernel, [0-9]+ logged, [0-9]+ not logged\$"
kill -USR2 "$DAEMON_PID"
replies "four"
kill -USR1 "$DAEMON_PID"
wait_log "^udp-replyd: counters: " 2
alive "$DAEMON_PID" || fail "the daemon died of SIGUSR1 or SIGUSR2"
# The second counters line counts the reply after the first.
second=$(grep '^udp-replyd: counters: ' "$DAEMON_LOG" | sed -n '2s/.*counters: \([0-9]*\) received.*/\1/p')
first=$(grep '^udp-replyd: counters: ' "$DAEMON_LOG" | sed -n '1s/.*counters: \([0-9]*\) received.*/\1/p')
assert_eq "$second" "$((first + 1))" "received in the second counters line"

note "the daemon gone: the verdict file is left, kill says no such process"
stop_daemon TERM || fail "SIGTERM: exit $DAEMON_RC, wanted 0"
wait_log "^udp-replyd: stopping on SIGTERM: $second received, $second replied, 0 errors"
helper gone -t "$W" "$(cut -d' ' -f2 "$RUNTIME_DIRECTORY/reload")"
expect gone 69
grep -q -F "No such process" "$T/gone.err" || fail "gone: $(cat "$T/gone.err")"
