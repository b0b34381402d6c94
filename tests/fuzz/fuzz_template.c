/*
 * fuzz_template.c - libFuzzer harness for reply templates (template.h)
 *
 * Compiles arbitrary text; when it compiles, expands it for arbitrary
 * datagrams into heap blocks of exactly the size given, so ASan sees any
 * write (or read of the text, payload, names, socket addresses) beyond
 * them. Layout (struct reader, zeros past the end), in the order read:
 *
 *   u8   flags: 0x01 a local address (else NULL); 0x02 no host name (NULL);
 *        0x04 no service name (NULL); 0x18 bytes beyond the payload (the
 *        datagram's size - its length): 0 none, 0x08 u8, 0x10 u16, 0x18 u64
 *        (saturating); 0x60 the smaller buffer's size: 0x00 u16 & 0xff,
 *        0x20 u16, 0x40 the full size - (u16 & 0xff) - 1, 0x60 none
 *   u16  template length (mod 1025), then its bytes
 *   the sender, then with 0x01 the local address (rd_sockaddr: AF_INET,
 *        AF_INET6 with a scope, v4-mapped, another family)
 *   u64  tv_sec (a signed time, any), u32 tv_nsec (any, as a signed long:
 *        the module clamps it)
 *   u8   host name length (mod 65) then its bytes; u8 + bytes the service
 *   u16  where the smaller buffer ends (see flags)
 *   the bytes beyond the payload (see flags), the payload: the rest (at
 *        most 4096)
 *
 * Checked against a reference expander written from template.h's spec (not
 * from template.c):
 *   - compile succeeds exactly when the reference parses the text; on an
 *     error, at the reference's offset (a '%' of the text), with a message
 *     of one line;
 *   - template_is_literal() and template_uses() say which placeholders it has;
 *     a literal template's template_literal() is the reference's output, and
 *     the text itself when there is no '%' in it;
 *   - template_reply_size() is the reference's length;
 *   - expanding into exactly that many bytes gives the reference's bytes,
 *     not truncated; into fewer gives their prefix, truncated; into more,
 *     the same as exactly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz-util.h"
#include "template.h"

#define TEXT_MAX 1024
#define PAYLOAD_MAX 4096
#define NAME_MAX_LEN 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	return 0;
}

/* The placeholders, as template.h lists them, in the order of enum template_field. */
static const char *const ref_names[] = {
	NULL, "remote", "remote_addr", "remote_port", "local", "local_addr", "local_port",
	"size", "payload", "time", "time_us", "hostname", "service",
};

/* A growing output buffer for the reference. */
struct out {
	unsigned char *p;
	size_t len, cap;
};

static void out_add(struct out *o, const void *s, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 64;
		o->p = realloc(o->p, o->cap);
		CHECK(o->p, "out of memory");
	}
	if (n)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* The address text the spec asks for: "" if unknown. */
static void ref_addr(const struct sockaddr *sa, int brackets, int port, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char host[INET6_ADDRSTRLEN];
	unsigned p;

	buf[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		p = ntohs(s4->sin_port);
		brackets = 0;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
			brackets = 0;
		} else {
			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		}
		p = ntohs(s6->sin6_port);
	} else {
		return;
	}
	if (port == 1)
		snprintf(buf, len, "%u", p);
	else if (port == 2)
		snprintf(buf, len, brackets ? "[%s]:%u" : "%s:%u", host, p);
	else
		snprintf(buf, len, "%s", host);
}

/* RFC 3339 UTC, clamped to 1970..9999 as template.h says, through gmtime_r(). */
static void ref_time(struct timespec ts, int us, char *buf, size_t len)
{
	int64_t s = (int64_t)ts.tv_sec;
	long ns = (long)ts.tv_nsec;
	char date[32];
	struct tm tm;
	time_t t;

	if (s < 0) {
		s = 0;
		ns = 0;
	} else if (s > INT64_C(253402300799)) {
		s = INT64_C(253402300799);
		ns = 999999999;
	}
	ns = ns < 0 ? 0 : ns > 999999999 ? 999999999 : ns;
	t = (time_t)s;
	CHECK(gmtime_r(&t, &tm), "gmtime_r(%lld)", (long long)s);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (us)
		snprintf(buf, len, "%s.%06ldZ", date, ns / 1000);
	else
		snprintf(buf, len, "%sZ", date);
}

/*
 * The reference: expand text for in into o; returns 0, or -1 with *erroff
 * the offset of the first bad '%'. *uses gets 1 << field of each placeholder.
 */
static int ref_expand(const unsigned char *text, size_t len, const struct template_input *in,
	struct out *o, size_t *erroff, unsigned *uses)
{
	char v[128];
	size_t i = 0, j, k, n;

	*uses = 0;
	while (i < len) {
		if (text[i] != '%') {
			out_add(o, &text[i++], 1);
			continue;
		}
		*erroff = i;
		if (i + 1 == len)
			return -1;
		if (text[i + 1] == '%') {
			out_add(o, "%", 1);
			i += 2;
			continue;
		}
		if (text[i + 1] != '{')
			return -1;
		j = i + 2;
		while (j < len && text[j] > 0x20 && text[j] < 0x7f && !strchr("{}%", text[j]))
			j++;
		if (j == len || text[j] != '}')
			return -1;
		n = j - (i + 2);
		for (k = 1; k < sizeof(ref_names) / sizeof(ref_names[0]); k++)
			if (strlen(ref_names[k]) == n && !memcmp(ref_names[k], text + i + 2, n))
				break;
		if (k == sizeof(ref_names) / sizeof(ref_names[0]))
			return -1;
		*uses |= 1u << k;
		v[0] = '\0';
		if (k >= 1 && k <= 3)
			ref_addr(in->remote, k == 1, (int)(k == 1 ? 2 : k - 2), v, sizeof(v));
		else if (k >= 4 && k <= 6)
			ref_addr(in->local, k == 4, (int)(k == 4 ? 2 : k - 5), v, sizeof(v));
		else if (k == 7)
			snprintf(v, sizeof(v), "%zu", in->size);
		else if (k == 9 || k == 10)
			ref_time(in->now, k == 10, v, sizeof(v));
		else if (k == 11 && in->hostname)
			snprintf(v, sizeof(v), "%s", in->hostname);
		else if (k == 12 && in->service)
			snprintf(v, sizeof(v), "%s", in->service);
		if (k == 8)
			out_add(o, in->payload, in->len);
		else
			out_add(o, v, strlen(v));
		i = j + 1;
	}
	return 0;
}

/* A NUL-terminated name of 0..NAME_MAX_LEN bytes in a heap block of its size. */
static char *rd_name(struct reader *r)
{
	size_t n = rd_u8(r) % (NAME_MAX_LEN + 1);
	char *s = malloc(n + 1);

	rd_bytes(r, s, n);
	s[n] = '\0';
	return s;
}

/* Expand t into a heap block of exactly size bytes; check against the reference. */
static void check_expand(const struct template *t, const struct template_input *in,
	const struct out *want, size_t size)
{
	unsigned char *buf = malloc(size ? size : 1);
	bool truncated = !(want->len > size);
	size_t n;

	n = template_expand(t, in, size ? buf : NULL, size, &truncated);
	if (want->len <= size) {
		CHECK(n == want->len && !truncated, "into %zu: %zu bytes, truncated %d; want %zu",
			size, n, truncated, want->len);
	} else {
		CHECK(n == size && truncated, "into %zu: %zu bytes, truncated %d; want %zu cut",
			size, n, truncated, want->len);
	}
	CHECK(n == 0 || memcmp(buf, want->p, n) == 0, "into %zu: bytes differ", size);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	struct template_input in;
	struct template t;
	struct template_error err;
	struct out want = { NULL, 0, 0 };
	struct sockaddr *remote, *local = NULL;
	unsigned char *text, *payload;
	char *host, *service;
	uint8_t flags = rd_u8(&r);
	size_t len = rd_u16(&r) % (TEXT_MAX + 1), extra, erroff = 0, lit_len, small;
	uint16_t cut;
	unsigned uses;
	const unsigned char *lit;
	int ref, rc, f;

	text = malloc(len ? len : 1);
	rd_bytes(&r, text, len);
	remote = rd_sockaddr(&r);
	if (flags & 0x01)
		local = rd_sockaddr(&r);
	memset(&in, 0, sizeof(in));
	in.now.tv_sec = (time_t)(int64_t)rd_u64(&r);
	in.now.tv_nsec = (long)(int32_t)rd_u32(&r);
	host = rd_name(&r);
	service = rd_name(&r);
	cut = rd_u16(&r);
	switch (flags & 0x18) {
	case 0x00:
		extra = 0;
		break;
	case 0x08:
		extra = rd_u8(&r);
		break;
	case 0x10:
		extra = rd_u16(&r);
		break;
	default:
		extra = (size_t)rd_u64(&r);
		break;
	}
	in.len = r.n < PAYLOAD_MAX ? r.n : PAYLOAD_MAX;
	payload = malloc(in.len ? in.len : 1);
	memcpy(payload, r.p, in.len);
	in.remote = remote;
	in.local = local;
	in.payload = payload;
	in.size = in.len + extra < in.len ? SIZE_MAX : in.len + extra;
	in.hostname = flags & 0x02 ? NULL : host;
	in.service = flags & 0x04 ? NULL : service;

	ref = ref_expand(text, len, &in, &want, &erroff, &uses);
	memset(&err, 'Z', sizeof(err));
	rc = template_compile(&t, text, len, &err);
	if (ref < 0) {
		CHECK(rc == -EINVAL, "compiled (%d) what the reference refuses at %zu", rc, erroff);
		CHECK(err.offset == erroff, "error at %zu, reference at %zu: %s", err.offset,
			erroff, err.message);
		CHECK(text[err.offset] == '%', "error offset %zu is not a '%%'", err.offset);
		CHECK(memchr(err.message, '\0', sizeof(err.message)), "message not terminated");
		CHECK(err.message[0] && !strchr(err.message, '\n'), "message \"%s\"", err.message);
		CHECK(!t.text && !t.parts, "a failed compile left memory");
		goto out;
	}
	CHECK(rc == 0, "refused (%d) at %zu: %s", rc, err.offset, err.message);
	CHECK(t.uses == uses, "uses %#x, reference %#x", t.uses, uses);
	for (f = 0; f < TEMPLATE_FIELDS; f++)
		CHECK(template_uses(&t, TEMPLATE_USES(f)) == !!(uses & (1u << f)), "field %d", f);
	CHECK(template_is_literal(&t) == (uses == 0), "literal %d, uses %#x",
		template_is_literal(&t), uses);
	lit = template_literal(&t, &lit_len);
	if (uses == 0) {
		CHECK(lit && lit_len == want.len && (!lit_len || !memcmp(lit, want.p, lit_len)),
			"literal bytes differ");
		if (!memchr(text, '%', len))
			CHECK(lit_len == len && (!len || !memcmp(lit, text, len)),
				"a text without %% is not its own reply");
	} else {
		CHECK(!lit, "template_literal() of a template with placeholders");
	}
	CHECK(template_reply_size(&t, &in) == want.len, "reply size %zu, reference %zu",
		template_reply_size(&t, &in), want.len);

	check_expand(&t, &in, &want, want.len);
	check_expand(&t, &in, &want, want.len + 1 + (flags & 0x07));
	/* A smaller buffer: the reply cut, anywhere, or just short of the end. */
	switch (flags & 0x60) {
	case 0x00:
		small = cut & 0xff;
		break;
	case 0x20:
		small = cut;
		break;
	case 0x40:
		small = want.len - ((cut & 0xff) + 1u < want.len ? (cut & 0xff) + 1u : want.len);
		break;
	default:
		small = want.len;
		break;
	}
	if (small < want.len)
		check_expand(&t, &in, &want, small);
	template_free(&t);
	CHECK(!t.text && !t.parts && t.nparts == 0, "template_free left pointers");
out:
	template_free(&t);
	free(want.p);
	free(text);
	free(payload);
	free(host);
	free(service);
	free(remote);
	free(local);
	return 0;
}
