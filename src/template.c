/* template.c - reply templates: compiled once at load, expanded per datagram */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "template.h"

/* Room for any one generated value: "[" INET6_ADDRSTRLEN "]:65535", a time, a size_t. */
#define VALUE_MAX 64
/* What to write instead of a bad %. */
#define PERCENT_HINT "write %% for a percent sign, %{name} for a placeholder"
/* How much of a bad name an error message quotes. */
#define NAME_SHOWN 32

static const char *const field_names[TEMPLATE_FIELDS] = {
	[TEMPLATE_REMOTE] = "remote",
	[TEMPLATE_REMOTE_ADDR] = "remote_addr",
	[TEMPLATE_REMOTE_PORT] = "remote_port",
	[TEMPLATE_LOCAL] = "local",
	[TEMPLATE_LOCAL_ADDR] = "local_addr",
	[TEMPLATE_LOCAL_PORT] = "local_port",
	[TEMPLATE_SIZE] = "size",
	[TEMPLATE_PAYLOAD] = "payload",
	[TEMPLATE_TIME] = "time",
	[TEMPLATE_TIME_US] = "time_us",
	[TEMPLATE_HOSTNAME] = "hostname",
	[TEMPLATE_SERVICE] = "service",
};

const char *template_field_name(enum template_field f)
{
	return f > TEMPLATE_TEXT && f < TEMPLATE_FIELDS ? field_names[f] : NULL;
}

/* Names other programs use for our fields (socat, nginx, inetd habits): for a hint. */
static const struct {
	const char *name;
	enum template_field field;
} field_hints[] = {
	{ "peer", TEMPLATE_REMOTE },
	{ "peer_addr", TEMPLATE_REMOTE_ADDR },
	{ "peer_port", TEMPLATE_REMOTE_PORT },
	{ "client_addr", TEMPLATE_REMOTE_ADDR },
	{ "client_port", TEMPLATE_REMOTE_PORT },
	{ "server_addr", TEMPLATE_LOCAL_ADDR },
	{ "server_port", TEMPLATE_LOCAL_PORT },
	{ "request", TEMPLATE_PAYLOAD },
	{ "echo", TEMPLATE_PAYLOAD },
	{ "data", TEMPLATE_PAYLOAD },
	{ "length", TEMPLATE_SIZE },
	{ "request_length", TEMPLATE_SIZE },
	{ "host", TEMPLATE_HOSTNAME },
	{ "date", TEMPLATE_TIME },
	{ "now", TEMPLATE_TIME },
	{ "time_iso8601", TEMPLATE_TIME },
};

/*
 * The field called name (n bytes), or TEMPLATE_TEXT; then *near is one it
 * may have meant (spelt in another case, or another program's name for it).
 */
static enum template_field field_lookup(const unsigned char *name, size_t n,
	enum template_field *near)
{
	size_t i;
	int f;

	*near = TEMPLATE_TEXT;
	for (f = TEMPLATE_TEXT + 1; f < TEMPLATE_FIELDS; f++) {
		if (strlen(field_names[f]) != n)
			continue;
		if (memcmp(field_names[f], name, n) == 0)
			return (enum template_field)f;
		if (strncasecmp(field_names[f], (const char *)name, n) == 0)
			*near = (enum template_field)f;
	}
	for (i = 0; i < sizeof(field_hints) / sizeof(field_hints[0]); i++)
		if (strlen(field_hints[i].name) == n &&
		    strncasecmp(field_hints[i].name, (const char *)name, n) == 0)
			*near = field_hints[i].field;
	return TEMPLATE_TEXT;
}

/* What may stand between %{ and }: enough to quote a misspelt name back. */
static bool name_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '{' && c != '}' && c != '%';
}

static int syntax_error(struct template_error *err, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int syntax_error(struct template_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->offset = offset;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* One reading of a template's text: counting (t NULL), then filling t. */
struct scan {
	struct template *t;
	size_t nparts, ntext;
	bool in_text;		/* the last part is literal text */
	unsigned uses;
};

/* Literal bytes: onto the last part if it is text, else into a new part. */
static void add_text(struct scan *sc, const unsigned char *s, size_t n)
{
	if (n == 0)
		return;
	if (!sc->in_text) {
		if (sc->t)
			sc->t->parts[sc->nparts] =
				(struct template_part){ TEMPLATE_TEXT, sc->ntext, 0 };
		sc->nparts++;
		sc->in_text = true;
	}
	if (sc->t) {
		memcpy(sc->t->text + sc->ntext, s, n);
		sc->t->parts[sc->nparts - 1].len += n;
	}
	sc->ntext += n;
}

static void add_field(struct scan *sc, enum template_field f)
{
	if (sc->t)
		sc->t->parts[sc->nparts] = (struct template_part){ f, 0, 0 };
	sc->nparts++;
	sc->in_text = false;
	sc->uses |= TEMPLATE_USES(f);
}

/* The placeholder "%{...}" at s[i]; returns where it ends, or -EINVAL. */
static int scan_placeholder(struct scan *sc, const unsigned char *s, size_t len, size_t i,
	size_t *end, struct template_error *err)
{
	enum template_field f, near;
	size_t start = i + 2, j, n;

	for (j = start; j < len && name_char(s[j]); j++)
		;
	if (j == len || s[j] != '}')
		return syntax_error(err, i, "'%%{' without a closing '}'");
	n = j - start;
	if (n == 0)
		return syntax_error(err, i, "empty placeholder '%%{}'");
	f = field_lookup(s + start, n, &near);
	if (f == TEMPLATE_TEXT && near != TEMPLATE_TEXT)
		return syntax_error(err, i,
			"unknown placeholder '%%{%.*s}' (did you mean '%%{%s}'?)", (int)n,
			s + start, field_names[near]);
	if (f == TEMPLATE_TEXT)
		return syntax_error(err, i, "unknown placeholder '%%{%.*s%s}'",
			(int)(n < NAME_SHOWN ? n : NAME_SHOWN), s + start,
			n > NAME_SHOWN ? "..." : "");
	add_field(sc, f);
	*end = j + 1;
	return 0;
}

/* Read text: check it and count (sc->t NULL), or fill sc->t (sized by counting). */
static int scan(struct scan *sc, const unsigned char *s, size_t len, struct template_error *err)
{
	size_t i = 0, j;
	int r;

	while (i < len) {
		for (j = i; j < len && s[j] != '%'; j++)
			;
		add_text(sc, s + i, j - i);
		if (j == len)
			break;
		i = j;
		if (i + 1 == len)
			return syntax_error(err, i,
				"a lone '%%' at the end: write %%%% for a percent sign");
		if (s[i + 1] == '%') {
			add_text(sc, s + i, 1);
			i += 2;
		} else if (s[i + 1] == '{') {
			r = scan_placeholder(sc, s, len, i, &i, err);
			if (r < 0)
				return r;
		} else if (s[i + 1] > ' ' && s[i + 1] < 0x7f) {
			return syntax_error(err, i, "unknown '%%%c': %s", s[i + 1], PERCENT_HINT);
		} else {
			return syntax_error(err, i, "a lone '%%': %s", PERCENT_HINT);
		}
	}
	return 0;
}

int template_compile(struct template *t, const void *text, size_t len,
	struct template_error *err)
{
	struct scan sc = { .t = NULL };
	int r;

	memset(t, 0, sizeof(*t));
	if (err) {
		err->offset = 0;
		err->message[0] = '\0';
	}
	r = scan(&sc, text, len, err);
	if (r < 0)
		return r;
	t->text = malloc(sc.ntext + 1);
	t->parts = calloc(sc.nparts ? sc.nparts : 1, sizeof(*t->parts));
	if (!t->text || !t->parts) {
		template_free(t);
		if (err)
			snprintf(err->message, sizeof(err->message), "out of memory");
		return -ENOMEM;
	}
	sc = (struct scan){ .t = t };
	(void)scan(&sc, text, len, NULL); /* the text that passed: it cannot fail now */
	t->text[sc.ntext] = '\0';
	t->text_len = sc.ntext;
	t->nparts = sc.nparts;
	t->uses = sc.uses;
	return 0;
}

void template_free(struct template *t)
{
	free(t->text);
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

bool template_is_literal(const struct template *t)
{
	return t->uses == 0;
}

const unsigned char *template_literal(const struct template *t, size_t *len)
{
	if (t->uses != 0 || !t->text)
		return NULL;
	*len = t->text_len;
	return t->text;
}

bool template_uses(const struct template *t, unsigned mask)
{
	return (t->uses & mask) != 0;
}

/* v in decimal at buf; returns its length. */
static size_t format_uint(uintmax_t v, char *buf)
{
	char digits[24];
	size_t n = 0, i;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = digits[n - 1 - i];
	return n;
}

/* v in exactly width decimal digits, zero-padded; returns the end. */
static char *put_digits(char *p, unsigned long v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* 9999-12-31T23:59:59Z, the last second RFC 3339 can write. */
#define TIME_LAST 253402300799LL

/*
 * ts as RFC 3339 UTC ("2025-06-01T12:00:00Z", with us ".123456" before the
 * Z, cut not rounded), computed here rather than with gmtime_r(), which takes
 * glibc's time zone lock and may read the zone file on its first call.
 */
static size_t format_time(const struct timespec *ts, bool us, char *buf)
{
	int64_t secs = (int64_t)ts->tv_sec, days, rem, z, era, doe, yoe, doy, mp, y, m, d;
	long nsec = (long)ts->tv_nsec;
	char *p = buf;

	if (secs < 0) {
		secs = 0;
		nsec = 0;
	} else if (secs > TIME_LAST) {
		secs = TIME_LAST;
		nsec = 999999999;
	}
	if (nsec < 0)
		nsec = 0;
	else if (nsec > 999999999)
		nsec = 999999999;
	days = secs / 86400;
	rem = secs % 86400;
	/* Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil inverse). */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);

	p = put_digits(p, (unsigned long)y, 4);
	*p++ = '-';
	p = put_digits(p, (unsigned long)m, 2);
	*p++ = '-';
	p = put_digits(p, (unsigned long)d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned long)(rem / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned long)(rem / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned long)(rem % 60), 2);
	if (us) {
		*p++ = '.';
		p = put_digits(p, (unsigned long)(nsec / 1000), 6);
	}
	*p++ = 'Z';
	return (size_t)(p - buf);
}

/* Dotted quad by hand: glibc's inet_ntop() goes through sprintf, several times slower. */
static size_t format_ipv4(const unsigned char *b, char *buf)
{
	size_t n = format_uint(b[0], buf);
	int i;

	for (i = 1; i < 4; i++) {
		buf[n++] = '.';
		n += format_uint(b[i], buf + n);
	}
	return n;
}

/* sa's address (see template.h), IPv6 in brackets if asked; 0 bytes if unknown. */
static size_t format_addr(const struct sockaddr *sa, bool brackets, char *buf)
{
	const struct sockaddr_in6 *s6 = NULL;
	const struct sockaddr_in *s4;
	const unsigned char *v4 = NULL;
	char *p = buf;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		v4 = (const unsigned char *)&s4->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			v4 = &s6->sin6_addr.s6_addr[12];
	} else {
		return 0;
	}
	if (v4)
		return format_ipv4(v4, buf);
	if (brackets)
		*p++ = '[';
	if (!inet_ntop(AF_INET6, &s6->sin6_addr, p, INET6_ADDRSTRLEN))
		return 0;
	p += strlen(p);
	if (brackets)
		*p++ = ']';
	return (size_t)(p - buf);
}

/* sa's port in decimal; 0 bytes if sa is unknown. */
static size_t format_port(const struct sockaddr *sa, char *buf)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET)
		return format_uint(ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port),
			buf);
	if (sa->sa_family == AF_INET6)
		return format_uint(
			ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port), buf);
	return 0;
}

/* "192.0.2.7:40000", "[2001:db8::7]:40000"; 0 bytes if sa is unknown. */
static size_t format_endpoint(const struct sockaddr *sa, char *buf)
{
	size_t n = format_addr(sa, true, buf);

	if (n == 0)
		return 0;
	buf[n++] = ':';
	return n + format_port(sa, buf + n);
}

static const unsigned char *string_value(const char *s, size_t *n)
{
	*n = s ? strlen(s) : 0;
	return (const unsigned char *)s;
}

/* The bytes part p stands for: in buf (VALUE_MAX bytes) or elsewhere; *n of them. */
static const unsigned char *part_value(const struct template *t, const struct template_part *p,
	const struct template_input *in, char *buf, size_t *n)
{
	switch (p->field) {
	case TEMPLATE_TEXT:
		*n = p->len;
		return t->text + p->off;
	case TEMPLATE_PAYLOAD:
		*n = in->len;
		return in->payload;
	case TEMPLATE_HOSTNAME:
		return string_value(in->hostname, n);
	case TEMPLATE_SERVICE:
		return string_value(in->service, n);
	case TEMPLATE_REMOTE:
		*n = format_endpoint(in->remote, buf);
		break;
	case TEMPLATE_REMOTE_ADDR:
		*n = format_addr(in->remote, false, buf);
		break;
	case TEMPLATE_REMOTE_PORT:
		*n = format_port(in->remote, buf);
		break;
	case TEMPLATE_LOCAL:
		*n = format_endpoint(in->local, buf);
		break;
	case TEMPLATE_LOCAL_ADDR:
		*n = format_addr(in->local, false, buf);
		break;
	case TEMPLATE_LOCAL_PORT:
		*n = format_port(in->local, buf);
		break;
	case TEMPLATE_SIZE:
		*n = format_uint(in->size, buf);
		break;
	case TEMPLATE_TIME:
	case TEMPLATE_TIME_US:
		*n = format_time(&in->now, p->field == TEMPLATE_TIME_US, buf);
		break;
	default:
		*n = 0;
		break;
	}
	return (const unsigned char *)buf;
}

size_t template_reply_size(const struct template *t, const struct template_input *in)
{
	char buf[VALUE_MAX];
	size_t i, n, total = 0;

	for (i = 0; i < t->nparts; i++) {
		part_value(t, &t->parts[i], in, buf, &n);
		if (n > SIZE_MAX - total)
			return SIZE_MAX;
		total += n;
	}
	return total;
}

size_t template_reply_max(const struct template *t, size_t payload_max, size_t names_max)
{
	size_t i, n, total = 0;

	for (i = 0; i < t->nparts; i++) {
		switch (t->parts[i].field) {
		case TEMPLATE_TEXT:
			n = t->parts[i].len;
			break;
		case TEMPLATE_PAYLOAD:
			n = payload_max;
			break;
		case TEMPLATE_HOSTNAME:
		case TEMPLATE_SERVICE:
			n = names_max;
			break;
		default:
			n = VALUE_MAX;	/* an address, a port, a number, a time */
			break;
		}
		if (n > SIZE_MAX - total)
			return SIZE_MAX;
		total += n;
	}
	return total;
}

size_t template_expand(const struct template *t, const struct template_input *in,
	unsigned char *out, size_t out_size, bool *truncated)
{
	const unsigned char *v;
	char buf[VALUE_MAX];
	size_t i, n, done = 0;
	bool cut = false;

	for (i = 0; i < t->nparts && !cut; i++) {
		v = part_value(t, &t->parts[i], in, buf, &n);
		if (n > out_size - done) {
			n = out_size - done;
			cut = true;
		}
		if (n)
			memcpy(out + done, v, n);
		done += n;
	}
	if (truncated)
		*truncated = cut;
	return done;
}
