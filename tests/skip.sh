# skip.sh - the one skip rule, sourced by every test script.
#
# skip MSG: exit 77, automake's "skipped"; but with UDP_REPLYD_NO_SKIP=1
# (CI, which runs as root with everything installed) exit 99, a hard error,
# so that nothing is skipped there unnoticed.
skip() {
	if [ "${UDP_REPLYD_NO_SKIP:-0}" = 1 ]; then
		printf 'ERROR: %s: would skip, but UDP_REPLYD_NO_SKIP=1: %s\n' \
			"${TEST_NAME:-${0##*/}}" "$*" >&2
		exit 99
	fi
	printf 'SKIP: %s: %s\n' "${TEST_NAME:-${0##*/}}" "$*" >&2
	exit 77
}
