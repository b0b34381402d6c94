#!/bin/sh
# check-catalog.sh - the journal catalog parses, documents exactly the
# MESSAGE_IDs that src/log.h defines, and names only fields the daemon writes.
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

sed -n 's/^#define MSGID_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' \
	"$top_srcdir/src/log.h" | sort >"$tmp/ids.h"
sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$srcdir/udp-replyd.catalog" |
	sort >"$tmp/ids.catalog"
[ -s "$tmp/ids.h" ] || fail "no MSGID_ in src/log.h"
if cmp -s "$tmp/ids.h" "$tmp/ids.catalog"; then
	echo "PASS: udp-replyd.catalog has one entry per MSGID_ in src/log.h ($(wc -l <"$tmp/ids.h"))"
else
	fail "udp-replyd.catalog and src/log.h differ (< log.h, > catalog):"
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
while read -r id; do
	if grep -q "^$id udp-replyd: " "$tmp/list"; then
		echo "PASS: catalog entry $id: $(sed -n "s/^$id udp-replyd: //p" "$tmp/list")"
	else
		fail "catalog entry $id not in journalctl --list-catalog"
	fi
done <"$tmp/ids.h"
exit $rc
