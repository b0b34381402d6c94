#!/bin/sh
# Under a small RLIMIT_AS the daemon exits with a clear message and
# EX_OSERR (71), or serves; never a crash (libconfig 1.5 exits or crashes
# when an allocation fails while it parses: the daemon checks first).
# From the smallest limit the program loads at, in 1 MiB steps, with the
# largest reply: --check-config, then serving (READY=1, a reply, SIGTERM).
# Not under sanitizers or valgrind (they need far more address space):
# a LONG_TESTS entry, run once on the plain build.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

command -v prlimit >/dev/null || hard_error "prlimit (util-linux) not installed"
free_port P
conf=$T/big.conf
head -c 65507 /dev/zero | tr '\0' R >"$T/reply"
{
	printf 'address = "127.0.0.1";\nport = %s;\nworkers = 2;\nmax_amplification = 0;\nreply = "' "$P"
	cat "$T/reply"
	printf '";\n'
} >"$conf"

# The smallest limit, in MiB, at which the program starts at all (the
# dynamic loader and the libraries): below it nothing of ours runs.
low=4
while ! prlimit --as=$((low * 1024 * 1024)) -- "$UDP_REPLYD" --version >/dev/null 2>&1; do
	low=$((low + 1))
	[ "$low" -le 64 ] || fail "udp-replyd --version does not run within 64 MiB"
done
note "the program loads from $low MiB"

served=0 refused=0
mib=$low
while [ "$mib" -le $((low + 40)) ]; do
	rc=0
	prlimit --as=$((mib * 1024 * 1024)) -- "$UDP_REPLYD" -t -c "$conf" >"$T/t.out" 2>"$T/t.err" || rc=$?
	case $rc in
	0) ;;
	71) grep -q "^$conf:0: not enough memory to parse the file" "$T/t.err" ||
		fail "$mib MiB: -t exit 71 without the message: $(cat "$T/t.err")" ;;
	*) fail "$mib MiB: -t exit $rc (wanted 0 or 71): $(head -c 300 "$T/t.err")" ;;
	esac

	start_daemon_cmd prlimit --as=$((mib * 1024 * 1024)) -- "$UDP_REPLYD" -c "$conf" \
		--log-target=console
	up_or_gone() {
		grep -q -x -F READY=1 "$NOTIFY_OUT" 2>/dev/null || ! alive "$DAEMON_PID"
	}
	poll_until "$UDP_REPLYD_TEST_WAIT" up_or_gone || fail "$mib MiB: neither READY=1 nor an exit"
	if grep -q -x -F READY=1 "$NOTIFY_OUT"; then
		ask -s "127.0.0.1:0" 127.0.0.1 "$P" "$(printf '%06000d' 0)"
		assert_reply_from 127.0.0.1 "$P" 65507
		stop_daemon TERM || fail "$mib MiB: SIGTERM: exit $DAEMON_RC, wanted 0"
		served=$((served + 1))
	else
		wait_exit && rc=0 || rc=$?
		[ "$rc" = 71 ] || fail "$mib MiB: the daemon exited $rc (wanted 71): $(head -c 300 "$DAEMON_LOG")"
		grep -q -e 'not enough memory' -e 'cannot start serving' -e 'Cannot allocate memory' \
			"$DAEMON_LOG" || fail "$mib MiB: exit 71 without a clear message: $(cat "$DAEMON_LOG")"
		refused=$((refused + 1))
	fi
	mib=$((mib + 1))
done
note "from $low to $((low + 40)) MiB: refused cleanly $refused times, served $served times"
[ "$served" -gt 0 ] || fail "it never served, even with $((low + 40)) MiB"
