#!/bin/sh
# check-units.sh - systemd-analyze verify and security on the built units.
#
# The units are verified as they are built, with one change: ExecStart=
# points into the build tree, because verify insists that the binary
# exists and "make check" runs before "make install". Documentation=
# man: pages are looked up in the source tree's man/ through MANPATH, so a
# page that is referred to but missing fails here too.
#
# Environment (from systemd/Makefile.am): top_srcdir top_builddir builddir
# sbindir, all absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_srcdir:?is set by make check}"
: "${top_builddir:?is set by make check}"
: "${builddir:?is set by make check}"
: "${sbindir:?is set by make check}"

# shellcheck source=../tests/skip.sh
. "$top_srcdir/tests/skip.sh"
command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze not found (install systemd)"
command -v man >/dev/null 2>&1 || skip "man not found (install man-db)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-units.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }

# A man tree (man1/, man5/, man8/) over the source tree's pages.
for page in "$top_srcdir"/man/*.[0-9]; do
	[ -e "$page" ] || continue
	sect=${page##*.}
	mkdir -p "$tmp/man/man$sect"
	ln -s "$page" "$tmp/man/man$sect/"
done

mkdir "$tmp/units"
cp "$builddir/udp-replyd.socket" "$tmp/units/" || exit 99
sed "s|^ExecStart=$sbindir/|ExecStart=$top_builddir/src/|" \
	"$builddir/udp-replyd.service" >"$tmp/units/udp-replyd.service" || exit 99
grep -q "^ExecStart=$top_builddir/src/udp-replyd " "$tmp/units/udp-replyd.service" ||
	fail "ExecStart= of udp-replyd.service is not $sbindir/udp-replyd"

# verify exits 0 on many problems it only warns about (a bad
# ListenDatagram= is "ignored"): anything it prints is a failure.
out=$(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify \
	udp-replyd.socket udp-replyd.service 2>&1)
st=$?
if [ $st -ne 0 ] || [ -n "$out" ]; then
	fail "systemd-analyze verify udp-replyd.socket udp-replyd.service (exit $st)"
	printf '%s\n' "$out"
else
	echo "PASS: systemd-analyze verify udp-replyd.socket udp-replyd.service"
fi

# The sandbox: exposure 0.5 or lower (--threshold counts tenths).
out=$(systemd-analyze security --offline=true --threshold=5 --no-pager \
	"$tmp/units/udp-replyd.service" 2>&1)
st=$?
exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for udp-replyd.service: \([0-9.]*\).*/\1/p')
if [ $st -ne 0 ] || [ -z "$exposure" ]; then
	fail "systemd-analyze security: exposure ${exposure:-unknown} is over 0.5"
	printf '%s\n' "$out" | grep -v '^✓'
else
	echo "PASS: systemd-analyze security: exposure $exposure (at most 0.5)"
fi

# The service must always come from the socket.
for line in 'Requires=udp-replyd.socket' 'After=udp-replyd.socket' \
	    'Type=notify' 'NotifyAccess=main' 'PrivateNetwork=yes' \
	    'RestrictAddressFamilies=AF_UNIX' 'DynamicUser=yes' \
	    'LogRateLimitIntervalSec=0'; do
	grep -qx "$line" "$tmp/units/udp-replyd.service" ||
		fail "udp-replyd.service lacks $line"
done
exit $rc
