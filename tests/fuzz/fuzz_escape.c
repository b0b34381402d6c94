/*
 * fuzz_escape.c - libFuzzer harness for escape_text() and record_format_message()
 *
 * Input: first byte picks the target (even: log_escape, odd:
 * record_format_message), the rest is read by struct reader (fuzz-util.h).
 *
 * escape_text(buf, size, data, len), with buf a heap block of exactly size:
 *   - returns at most len; with size 0 writes nothing;
 *   - buf is NUL-terminated and no longer than size-1;
 *   - buf holds no byte < 0x20 nor 0x7f, no C1 control, line separator or
 *     bidi control (U+061C, U+200E, U+200F, U+2028..U+202E, U+2066..U+2069),
 *     and is valid UTF-8 (FUZZ_STRICT=1: and no U+FEFF);
 *   - buf is exactly the independent reference escape (fuzz-util.h) of the
 *     consumed input, and unescapes back to it (so those code points come
 *     out as \xHH per byte);
 *   - it stops only when the next escape would not fit (never splits one).
 *
 * record_format_message(): random AF_INET/AF_INET6/v4-mapped/other senders and
 * local addresses, payloads, datagram sizes and buffer sizes:
 *   - the text is exactly "SIZE byte(s)[ (truncated to LEN)] from REMOTE[ to LOCAL]:
 *     \"ESCAPED\"[...]" with at most 64 payload bytes shown, and fits in
 *     LOG_LINE_MAX (2048) so the record never cuts it;
 *   - it is one line of valid UTF-8 without control characters, line
 *     separators or bidi controls;
 *   - with a smaller buffer it is the same text cut at size-1.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "escape.h"
#include "record.h"

#define LOG_LINE_MAX 2048 /* log.c's buffer for MESSAGE */
#define BIG 8192

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	return 0;
}

/* Everything escape_text(buf, size, data, len) promises; returns what it consumed. */
static size_t check_escape(size_t size, const unsigned char *data, size_t len)
{
	char *buf = malloc(size ? size : 1);
	char ref[BIG * 4 + 8], piece[8];
	unsigned char *back;
	size_t used, outlen, reflen = 0, in = 0, plen, k;
	const char *why;

	if (size == 0) {
		/* Nothing may be written: a 1-byte canary stands in for the buffer. */
		buf[0] = 'Z';
		used = escape_text(buf, 0, data, len);
		CHECK(used == 0, "size 0 consumed %zu", used);
		CHECK(buf[0] == 'Z', "size 0 wrote into the buffer");
		free(buf);
		return 0;
	}
	used = escape_text(buf, size, data, len);
	CHECK(used <= len, "consumed %zu of %zu bytes", used, len);
	outlen = strnlen(buf, size);
	CHECK(outlen < size, "no NUL within size %zu", size);
	why = text_problem(buf, outlen, fuzz_strict);
	CHECK(!why, "%s in \"%.*s\"", why, (int)outlen, buf);

	/* The reference escape of the consumed input, piece by piece. */
	while (in < used) {
		k = ref_escape_piece(data + in, len - in, piece, &plen);
		CHECK(in + k <= used, "an escape split at input offset %zu", in);
		memcpy(ref + reflen, piece, plen);
		reflen += plen;
		in += k;
	}
	CHECK(reflen == outlen && memcmp(ref, buf, outlen) == 0,
		"output \"%.*s\" differs from reference \"%.*s\"", (int)outlen, buf, (int)reflen,
		ref);
	/* Stopped early only for lack of room. */
	if (used < len) {
		ref_escape_piece(data + used, len - used, piece, &plen);
		CHECK(outlen + plen > size - 1,
			"stopped at input %zu of %zu with room for a %zu-byte escape (%zu of %zu used)",
			used, len, plen, outlen, size - 1);
	}
	/* Decoding gives back exactly the consumed bytes. */
	back = malloc(outlen + 1);
	k = ref_unescape(buf, back);
	CHECK(k != (size_t)-1, "output \"%s\" does not decode", buf);
	CHECK(k == used && memcmp(back, data, used) == 0, "round trip lost bytes (%zu vs %zu)",
		k, used);
	free(back);
	free(buf);
	return used;
}

static void fuzz_escape(struct reader *r)
{
	size_t size = rd_u16(r), len = r->n, used, used_big;

	/* Mostly small buffers, where the cut-off logic lives. */
	if (size & 0x8000)
		size &= 0x7fff;
	else
		size %= 80;
	if (len > BIG)
		len = BIG;
	used = check_escape(size, r->p, len);
	/* A bigger buffer consumes at least as much (the smaller output is a prefix). */
	used_big = check_escape(len * 4 + 1, r->p, len);
	CHECK(used_big == len, "a %zu-byte buffer consumed only %zu of %zu", len * 4 + 1,
		used_big, len);
	CHECK(used <= used_big, "size %zu consumed more than size %zu", size, len * 4 + 1);
}

static void fuzz_datagram(struct reader *r)
{
	struct sockaddr *remote, *local = NULL;
	struct datagram dg;
	char *small, big[BIG], want[BIG], raddr[128], laddr[128], trunc[64] = "";
	char esc[RECORD_PAYLOAD_MESSAGE_MAX * 4 + 1], piece[8];
	size_t size, extra, shown, in = 0, e = 0, k, plen, biglen, wantlen;
	uint8_t flags;
	const char *why;

	flags = rd_u8(r);
	size = rd_u16(r) % 2200;
	remote = rd_sockaddr(r);
	if (flags & 1)
		local = rd_sockaddr(r);
	/* How much longer the datagram was than what was read. */
	switch ((flags >> 1) & 3) {
	case 0:
		extra = 0;
		break;
	case 1:
		extra = rd_u8(r);
		break;
	case 2:
		extra = rd_u16(r);
		break;
	default:
		extra = (size_t)rd_u64(r);
		break;
	}
	dg.remote = remote;
	dg.local = local;
	dg.payload = r->p;
	dg.reply_errno = 0;
	dg.len = r->n;
	dg.size = dg.len + extra < dg.len ? SIZE_MAX : dg.len + extra;

	/* The expected text, from the spec. */
	ref_format_sockaddr(remote, raddr, sizeof(raddr));
	if (local) {
		laddr[0] = ' ', laddr[1] = 't', laddr[2] = 'o', laddr[3] = ' ';
		ref_format_sockaddr(local, laddr + 4, sizeof(laddr) - 4);
	} else {
		laddr[0] = '\0';
	}
	if (dg.len < dg.size)
		snprintf(trunc, sizeof(trunc), " (truncated to %zu)", dg.len);
	shown = dg.len < RECORD_PAYLOAD_MESSAGE_MAX ? dg.len : RECORD_PAYLOAD_MESSAGE_MAX;
	while (in < shown) {
		k = ref_escape_piece(dg.payload + in, shown - in, piece, &plen);
		memcpy(esc + e, piece, plen);
		e += plen;
		in += k;
	}
	esc[e] = '\0';
	wantlen = (size_t)snprintf(want, sizeof(want), "%zu byte%s%s from %s%s: \"%s\"%s", dg.size,
		dg.size == 1 ? "" : "s", trunc, raddr, laddr, esc,
		dg.len > RECORD_PAYLOAD_MESSAGE_MAX ? "..." : "");

	memset(big, 'Z', sizeof(big));
	record_format_message(big, sizeof(big), &dg);
	biglen = strnlen(big, sizeof(big));
	CHECK(biglen < sizeof(big), "no NUL");
	CHECK(biglen == wantlen && memcmp(big, want, wantlen) == 0,
		"got  \"%s\"\n  want \"%s\"", big, want);
	CHECK(biglen < LOG_LINE_MAX, "message of %zu bytes does not fit LOG_LINE_MAX", biglen);
	why = text_problem(big, biglen, fuzz_strict);
	CHECK(!why, "%s in \"%s\"", why, big);

	/* A smaller buffer: the same text, cut. */
	small = malloc(size ? size : 1);
	if (size == 0)
		small[0] = 'Z';
	record_format_message(small, size, &dg);
	if (size == 0) {
		CHECK(small[0] == 'Z', "size 0 wrote into the buffer");
	} else {
		k = strnlen(small, size);
		CHECK(k < size, "no NUL within size %zu", size);
		CHECK(k == (biglen < size - 1 ? biglen : size - 1) && memcmp(small, big, k) == 0,
			"size %zu gave \"%s\", not a cut of \"%s\"", size, small, big);
	}
	free(small);
	free(remote);
	free(local);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	uint8_t mode = rd_u8(&r);

	if (mode & 1)
		fuzz_datagram(&r);
	else
		fuzz_escape(&r);
	return 0;
}
