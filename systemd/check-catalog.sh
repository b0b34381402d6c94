#!/bin/sh
# check-catalog.sh - the journal catalog parses, documents exactly the
# MESSAGE_IDs that src/log.h defines but that of the per-datagram record,
# which it must not document, and names only fields the daemon writes.
#
# The catalog is for rare records (start, reload, stop, summaries): an entry
# for MSGID_DATAGRAM would make "journalctl -x" print it under every datagram.
#
# Environment (from systemd/Makefile.am): top_srcdir srcdir, absolute.
set -u
# shellcheck disable=SC2154 # the variables come from the environment
: "${top_srcdir:?is set by make check}"
: "${srcdir:?is set by make check}"

# shellcheck source=../tests/skip.sh
. "$top_srcdir/tests/skip.sh"
command -v journalctl >/dev/null 2>&1 || skip "journalctl not found (install systemd)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-catalog.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
rc=0
fail() { echo "FAIL: $*"; rc=1; }

msgids() {
	sed -n 's/^#define \(MSGID_[A-Z_]*\) *"\([0-9a-f]\{32\}\)".*/\1 \2/p' \
		"$top_srcdir/src/log.h"
}
datagram=$(msgids | sed -n 's/^MSGID_DATAGRAM //p')
msgids | sed -n 's/^MSGID_[A-Z_]* //p' | grep -vx "${datagram:-none}" | sort >"$tmp/ids.h"
sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$srcdir/udp-replyd.catalog" |
	sort >"$tmp/ids.catalog"
[ -n "$datagram" ] || fail "no MSGID_DATAGRAM in src/log.h"
[ -s "$tmp/ids.h" ] || fail "no MSGID_ but MSGID_DATAGRAM in src/log.h"
if cmp -s "$tmp/ids.h" "$tmp/ids.catalog"; then
	echo "PASS: udp-replyd.catalog has one entry per MSGID_ in src/log.h but MSGID_DATAGRAM ($(wc -l <"$tmp/ids.h"))"
else
	fail "udp-replyd.catalog and src/log.h (without MSGID_DATAGRAM) differ (< log.h, > catalog):"
	diff "$tmp/ids.h" "$tmp/ids.catalog"
fi

# Every UDP_ field the catalog explains is one the daemon writes.
grep -o 'UDP_[A-Z_]*[A-Z]' "$srcdir/udp-replyd.catalog" | sort -u >"$tmp/fields"
while read -r field; do
	grep -q "\"$field\"" "$top_srcdir"/src/*.c ||
		fail "udp-replyd.catalog explains $field, which no file in src/ writes"
done <"$tmp/fields"

# Build a catalog database as journalctl does on a real system, and read
# every entry back from it.
mkdir -p "$tmp/root/usr/lib/systemd/catalog"
cp "$srcdir/udp-replyd.catalog" "$tmp/root/usr/lib/systemd/catalog/"
if ! out=$(journalctl --root="$tmp/root" --update-catalog 2>&1) || [ -n "$out" ]; then
	fail "journalctl --update-catalog"
	printf '%s\n' "$out"
fi
journalctl --root="$tmp/root" --list-catalog >"$tmp/list" 2>&1 || fail "journalctl --list-catalog"
if [ -n "$datagram" ]; then
	if grep -qi "^$datagram" "$tmp/list"; then
		fail "catalog entry for MSGID_DATAGRAM $datagram: journalctl -x would print it under every datagram"
	else
		echo "PASS: no catalog entry for MSGID_DATAGRAM $datagram (the per-datagram record)"
	fi
fi
while read -r id; do
	if grep -q "^$id udp-replyd: " "$tmp/list"; then
		echo "PASS: catalog entry $id: $(sed -n "s/^$id udp-replyd: //p" "$tmp/list")"
	else
		fail "catalog entry $id not in journalctl --list-catalog"
	fi
done <"$tmp/ids.h"
exit $rc
