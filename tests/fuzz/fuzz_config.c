/*
 * fuzz_config.c - libFuzzer harness for config_load()
 *
 * The input is written to a memfd and loaded through /proc/self/fd/N, as the
 * daemon would load /etc/udp-replyd.conf. The checks read the text with
 * ref_lex() below, a small reader of libconfig 1.5's tokens written from its
 * scanner's rules (and checked against libconfig itself), not from config.c.
 * Checked:
 *
 * what the loader refuses before libconfig parses the text (udp-replyd.conf(5)),
 * reading the text up to its first NUL byte, the first in text order of:
 *   - "@include" at the start of a line (after spaces and tabs) that is not
 *     inside a string or a C-style comment (both may span lines):
 *     "FILE:LINE: @include is not supported: keep the whole configuration in
 *     this file"; nothing is included, whatever the name (a directory, a
 *     FIFO, /dev/stdin, a missing file);
 *   - an integer token without the L suffix that libconfig 1.5 would wrap to
 *     32 bits (decimal beyond INT_MIN..INT_MAX, hexadecimal beyond
 *     0x7fffffff), wherever it is (any setting, a list, a group):
 *     "FILE:LINE: integer TOKEN is out of range", TOKEN as written;
 *   - the (CONFIG_SETTINGS_MAX + 1)th setting, a name followed by "=" or ":"
 *     at any depth: "FILE:LINE: more than CONFIG_SETTINGS_MAX settings",
 *     LINE that name's line;
 * then, if none, a NUL byte: "FILE:LINE: a NUL byte in the file", LINE the
 * line of the first NUL (an @include, integer or setting after it is not
 * looked at); otherwise none of these four messages.
 * Leeway: from the first thing libconfig's parser can never take (a character
 * that starts no token, such as "_", "@" or "-x"; a "#" or "//" comment with
 * no newline after it; a number right after a number or a name, as in
 * ".5e3-4294967296") libconfig stops whatever follows, so an out-of-range
 * integer from there on may be refused or not, and what is refused there
 * need only be integer-shaped text beyond 32 bits on the line named (how
 * that text splits into tokens is moot: "-" and "_" start no libconfig
 * token); likewise the settings counted from there on ("_x = 1" may count),
 * so "more than CONFIG_SETTINGS_MAX settings" may name any line from there;
 * when neither is given (and there is no @include or NUL), the message must
 * be libconfig's own, and the harness asks libconfig (config_read_string)
 * that it is. @include has no leeway. A file larger than CONFIG_FILE_MAX
 * (-max_len permitting) is refused whole: "FILE:0: larger than N bytes".
 *
 * on success (udp-replyd.conf(5), src/config.h):
 *   - no @include line, no NUL byte, no integer libconfig would wrap and
 *     nothing libconfig's parser can never take;
 *   - at most CONFIG_SETTINGS_MAX settings;
 *   - port 1..65535, buffer_size 1..65535, reply_len == strlen(reply) <= 65507;
 *   - log_datagrams as written (true/false in any case), true if absent;
 *     workers 1..256 as written, or CONFIG_WORKERS_AUTO (absent, or a
 *     string, which can only have been "auto"); receive_buffer 0 if absent,
 *     else 4096..1073741824 as written;
 *   - loop_guard as written, true if absent; max_amplification 0..65535 as
 *     written, 10 if absent; loop_guard_ports, if written, an array ([...])
 *     of at most CONFIG_GUARD_PORTS_MAX integers 1..65535, loaded as the
 *     distinct ports in the order first written; if absent the default ports
 *     (CONFIG_GUARD_PORTS_DEFAULT);
 *   - address is an IP literal or a valid host name, and a host name is not
 *     something getaddrinfo() reads as a number ("0x7f000001");
 *   - a defaulted setting has line 0 and the default value; a setting's line
 *     is the line of its name;
 *   - port, buffer_size, receive_buffer and workers hold the integer as
 *     written, wherever it is written (comments, line breaks, other settings
 *     on the line);
 * on failure:
 *   - err is "FILE:LINE: what" with FILE our path, LINE digits within the
 *     file, then ": " and some text;
 *   - "NAME: must be an integer from MIN to MAX, not X": NAME's value (an
 *     integer in 32 bits, or with the L suffix) is outside MIN..MAX, and X is
 *     that value in decimal as libconfig reads it (an L value beyond 64 bits
 *     saturates, a hexadecimal one beyond 64 bits is -1);
 *     "NAME: must be an integer, not ...": the value is no integer token
 *     (NAME port, buffer_size, receive_buffer);
 *   - "workers: must be an integer from 1 to 256 or "auto", not X": X is the
 *     value in decimal (an integer outside 1..256), a string in quotes (a
 *     string token) or a type (neither);
 *   - "log_datagrams: must be a boolean, not ...", "loop_guard: must be a
 *     boolean, not ...": the value is no boolean;
 *   - "max_amplification: ..." as NAME above, MIN 0, MAX 65535;
 *   - "loop_guard_ports: must be an array of ports like [53, 123], not ...":
 *     the value does not start with "[", or its first element is no
 *     integer; "loop_guard_ports: X is not a port (1 to 65535)": an element
 *     on that line, among the first CONFIG_GUARD_PORTS_MAX + 1, is X outside
 *     1..65535, and no element before it is; "loop_guard_ports: more than
 *     CONFIG_GUARD_PORTS_MAX ports": element CONFIG_GUARD_PORTS_MAX + 1 is
 *     on that line and every element before it (and it) is a port;
 *   - err is one line: valid UTF-8, no newline or other control character,
 *     no line separator or bidi control (spec: "one line on stderr");
 *   - with a short err (0..47 bytes) the same message, cut and NUL-terminated;
 * and always: the process does not exit or crash.
 */
#include <ctype.h>
#include <limits.h>
#include <libconfig.h>
#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz-util.h"
#include "netaddr.h"

#define INCLUDE_MSG "@include is not supported: keep the whole configuration in this file"
#define NUL_MSG "a NUL byte in the file"
#define CAP_MSG "more than %d settings"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

/* 1 + the number of newlines: the last line a message may name. */
static long count_lines(const char *text, size_t len)
{
	long n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/*
 * A reader of libconfig 1.5's tokens (its scanner.l): white space is ' ',
 * '\t', '\r', '\f' and '\n' (a line); comments are "#" or "//" to a newline
 * (at the end of the text, with no newline, the "#" or "/" is garbage) and
 * C style (to the end of the text if not closed); strings are "..." with
 * backslash escapes, across lines; names [A-Za-z*][-A-Za-z0-9_*]*; integers
 * [-+]?[0-9]+ and 0[xX][0-9a-fA-F]+, then L or LL; floats
 * [-+]?[0-9]*\.[0-9]*(EXP)? and [-+]?[0-9]+(\.[0-9]*)?EXP with EXP
 * [eE][-+]?[0-9]+; the punctuation = : , { } [ ] ( ) ;. Anything else is one
 * garbage character, which the parser never takes. The longest match wins,
 * so "5Lx" is 5L and a name, "4294987297e" an integer and a name, "5e3" a
 * float. "@include" at the start of a line (after spaces and tabs) is
 * R_INCLUDE: the loader's rule, a little wider than libconfig's (which wants
 * blanks and a '"' after it).
 */
enum ref_type { R_END, R_NAME, R_INT, R_FLOAT, R_STRING, R_PUNCT, R_GARBAGE, R_INCLUDE };

struct ref_token {
	enum ref_type type;
	const char *s;		/* as written */
	size_t n;
	long line;		/* of its first character */
	/* R_INT: */
	bool hex, l_suffix;
	bool wraps;		/* no L and beyond 32 bits: libconfig 1.5 wraps it */
	long long value;	/* as libconfig 1.5 reads it (0 if it wraps) */
};

struct ref_lexer {
	const char *p, *end;
	long line;
	bool bol;		/* at the start of a line */
};

static void ref_lex_init(struct ref_lexer *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + strnlen(text, len); /* libconfig reads a C string */
	lx->line = 1;
	lx->bol = true;
}

/* An exponent, [eE][-+]?[0-9], at p? */
static bool ref_exponent(const char *p, const char *end)
{
	if (p >= end || (*p != 'e' && *p != 'E'))
		return false;
	p++;
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	return p < end && isdigit((unsigned char)*p);
}

/*
 * An integer token at p (not the start of a float), into t: its length and
 * the value libconfig 1.5 gives it. Without L: the int if it fits in 32 bits
 * (hexadecimal up to 0x7fffffff), else it wraps. With L: decimal as atoll
 * (saturated at the int64 limits), hexadecimal as strtoull (saturated at
 * 2^64-1) taken as int64 -- as libconfig 1.5 does, checked with it.
 */
static bool ref_integer(const char *p, const char *end, struct ref_token *t)
{
	const char *start = p;
	unsigned long long mag = 0, base;
	bool neg = false, hex = false, over = false;
	unsigned d;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == start && end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    isxdigit((unsigned char)p[2])) {
		hex = true;
		p += 2;
	} else if (p == end || !isdigit((unsigned char)*p)) {
		return false;
	}
	base = hex ? 16 : 10;
	for (; p < end; p++) {
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (hex && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (mag > (ULLONG_MAX - d) / base)
			over = true;
		else
			mag = mag * base + d;
	}
	/* A float: "5.", "5.5", "5e3", "5E-3" (but "5e", "5ex", "5e+x" are not). */
	if (!hex && ((p < end && *p == '.') || ref_exponent(p, end)))
		return false;
	t->hex = hex;
	t->l_suffix = p < end && *p == 'L';
	if (t->l_suffix) {
		p++;
		if (p < end && *p == 'L')
			p++;
		if (hex)
			t->value = over ? -1 : (long long)mag;
		else if (neg)
			t->value = over || mag >= 1ULL << 63 ? LLONG_MIN : -(long long)mag;
		else
			t->value = over || mag > (unsigned long long)LLONG_MAX ? LLONG_MAX :
										 (long long)mag;
	} else {
		t->wraps = over || mag > (hex || !neg ? 0x7fffffffULL : 0x80000000ULL);
		t->value = t->wraps ? 0 : neg ? -(long long)mag : (long long)mag;
	}
	t->n = (size_t)(p - start);
	return true;
}

/* The end of the float token at p, or NULL if none starts there. */
static const char *ref_float_end(const char *p, const char *end)
{
	const char *q = p, *digits;

	if (q < end && (*q == '-' || *q == '+'))
		q++;
	for (digits = q; q < end && isdigit((unsigned char)*q); q++)
		;
	if (q < end && *q == '.') {
		for (q++; q < end && isdigit((unsigned char)*q); q++)
			;
	} else if (q == digits || !ref_exponent(q, end)) {
		return NULL;
	}
	if (ref_exponent(q, end)) {
		q += q[1] == '-' || q[1] == '+' ? 2 : 1;
		while (q < end && isdigit((unsigned char)*q))
			q++;
	}
	return q;
}

static bool ref_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*';
}

/* The next token (R_END at the end of the text or its first NUL). */
static void ref_lex(struct ref_lexer *lx, struct ref_token *t)
{
	const char *p = lx->p, *end = lx->end, *q;

	memset(t, 0, sizeof(*t));
	for (;;) {
		if (lx->bol) {
			lx->bol = false;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			if (end - p >= 8 && memcmp(p, "@include", 8) == 0) {
				t->type = R_INCLUDE;
				t->s = p;
				t->n = 8;
				t->line = lx->line;
				lx->p = p + 8;
				return;
			}
		}
		if (p == end) {
			t->type = R_END;
			t->s = p;
			t->line = lx->line;
			lx->p = p;
			return;
		}
		if (*p == '\n') {
			lx->line++;
			lx->bol = true;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f') {
			p++;
		} else if (p[0] == '/' && p + 1 < end && p[1] == '*') {
			for (p += 2; p < end && !(p[0] == '*' && p + 1 < end && p[1] == '/'); p++)
				lx->line += *p == '\n';
			p = p < end ? p + 2 : end;
		} else if (*p == '#' || (p[0] == '/' && p + 1 < end && p[1] == '/')) {
			q = memchr(p, '\n', (size_t)(end - p));
			if (q) {
				p = q;
				continue;
			}
			/* "(#|//).*$" wants the newline: '#' or '/' is garbage. */
			t->type = R_GARBAGE;
			t->s = p;
			t->n = 1;
			t->line = lx->line;
			lx->p = end; /* the rest: libconfig has stopped anyway */
			return;
		} else {
			break;
		}
	}
	t->s = p;
	t->line = lx->line;
	if (*p == '"') {
		t->type = R_STRING;
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			lx->line += *p == '\n';
		}
		p = p < end ? p + 1 : end;
	} else if (ref_integer(p, end, t)) {
		t->type = R_INT;
		p += t->n;
	} else if ((q = ref_float_end(p, end))) {
		t->type = R_FLOAT;
		p = q;
	} else if (isalpha((unsigned char)*p) || *p == '*') {
		t->type = R_NAME;
		while (p < end && ref_name_char(*p))
			p++;
	} else if (strchr("=:,{}[]();", *p)) {
		t->type = R_PUNCT;
		p++;
	} else {
		t->type = R_GARBAGE;
		p++;
	}
	t->n = (size_t)(p - t->s);
	lx->p = p;
}

/* The loader's refusals, as the text holds them (see the top of the file). */
struct ref_scan {
	bool include;			/* the first @include line */
	long include_line;
	struct ref_token *ints;		/* integers libconfig wraps, before it */
	size_t nints;
	const char *stop;		/* the leeway starts here (or NULL) */
	long stop_line;
	bool nul;			/* the first NUL byte */
	long nul_line;
	long settings;			/* names followed by '=' or ':', before it */
	struct ref_token cap;		/* the first beyond CONFIG_SETTINGS_MAX */
};

static void ref_scan(const char *text, size_t len, struct ref_scan *sc)
{
	struct ref_lexer lx;
	struct ref_token t, prev = { .type = R_END };
	const char *z = memchr(text, '\0', len);
	size_t cap = 0;

	memset(sc, 0, sizeof(*sc));
	if (z) {
		sc->nul = true;
		sc->nul_line = count_lines(text, (size_t)(z - text));
	}
	ref_lex_init(&lx, text, len);
	for (ref_lex(&lx, &t); t.type != R_END && t.type != R_INCLUDE; ref_lex(&lx, &t)) {
		if (!sc->stop) {
			/* A number right after a number or a name: a syntax error. */
			bool number = t.type == R_INT || t.type == R_FLOAT;

			if (t.type == R_GARBAGE ||
			    (number &&
				    (prev.type == R_INT || prev.type == R_FLOAT ||
					    prev.type == R_NAME) &&
				    prev.s + prev.n == t.s)) {
				sc->stop = t.s;
				sc->stop_line = t.line;
			}
		}
		if (t.type == R_PUNCT && (*t.s == '=' || *t.s == ':') && prev.type == R_NAME &&
		    ++sc->settings == CONFIG_SETTINGS_MAX + 1)
			sc->cap = prev;
		if (t.type == R_INT && t.wraps) {
			if (sc->nints == cap) {
				cap = cap ? 2 * cap : 8;
				sc->ints = realloc(sc->ints, cap * sizeof(*sc->ints));
				CHECK(sc->ints, "out of memory");
			}
			sc->ints[sc->nints++] = t;
		}
		prev = t;
	}
	if (t.type == R_INCLUDE) {
		sc->include = true;
		sc->include_line = t.line;
	}
}

/* Must the loader refuse the settings cap (it is before the leeway)? */
static bool ref_cap_due(const struct ref_scan *sc)
{
	return sc->cap.s && (!sc->stop || sc->cap.s < sc->stop);
}

/* Must the loader refuse the first wrapping integer (before the leeway and the cap)? */
static bool ref_first_int_due(const struct ref_scan *sc)
{
	return sc->nints > 0 && (!sc->stop || sc->ints[0].s < sc->stop) &&
	       (!ref_cap_due(sc) || sc->ints[0].s < sc->cap.s);
}

/* A libconfig boolean token: true or false, in any case. */
static bool ref_boolean(const struct ref_token *t, bool *value)
{
	if (t->type != R_NAME)
		return false;
	if (t->n == 4 && strncasecmp(t->s, "true", 4) == 0)
		*value = true;
	else if (t->n == 5 && strncasecmp(t->s, "false", 5) == 0)
		*value = false;
	else
		return false;
	return true;
}

/* What ref_find() found of the top-level setting NAME. */
struct ref_setting {
	bool found;
	long line;		/* of the name */
	bool is_int;		/* the value is an integer token */
	struct ref_token val;	/* the value token */
	const char *tok;	/* the value token as written */
	size_t toklen;
	struct ref_lexer after;	/* the lexer just after the value token */
};

/*
 * The first top-level setting NAME in text (libconfig syntax): its name's
 * line and its value token. Written from udp-replyd.conf(5) and libconfig's
 * manual, not from config.c.
 */
static void ref_find(const char *text, size_t len, const char *name, struct ref_setting *rs)
{
	struct ref_lexer lx;
	struct ref_token t;
	size_t nl = strlen(name);
	int depth = 0;

	memset(rs, 0, sizeof(*rs));
	rs->tok = "";
	ref_lex_init(&lx, text, len);
	for (ref_lex(&lx, &t); t.type != R_END; ref_lex(&lx, &t)) {
		if (t.type == R_PUNCT && strchr("{[(", *t.s))
			depth++;
		if (t.type == R_PUNCT && strchr("}])", *t.s))
			depth--;
		if (t.type != R_NAME || depth != 0 || t.n != nl || memcmp(t.s, name, nl) != 0)
			continue;
		rs->found = true;
		rs->line = t.line;
		ref_lex(&lx, &t);
		if (t.type != R_PUNCT || (*t.s != '=' && *t.s != ':'))
			return;
		ref_lex(&lx, &rs->val);
		rs->after = lx;
		rs->is_int = rs->val.type == R_INT;
		rs->tok = rs->val.s;
		rs->toklen = rs->val.n;
		return;
	}
}

/* The integer setting as loaded, against the file's text. */
static void check_int_loaded(const char *text, size_t len, const char *name, long long got,
	long long def)
{
	struct ref_setting rs;

	ref_find(text, len, name, &rs);
	if (!rs.found) {
		CHECK(got == def, "%s is %lld with no %s in the file", name, got, name);
		return;
	}
	CHECK(rs.is_int, "%s loaded as %lld from \"%.20s\", which is no integer", name, got,
		rs.tok);
	CHECK(!rs.val.wraps,
		"%s written as \"%.*s\" (line %ld), which libconfig wraps, loaded as %lld", name,
		(int)rs.toklen, rs.tok, rs.line, got);
	CHECK(got == rs.val.value, "%s written as \"%.*s\" (line %ld) loaded as %lld", name,
		(int)rs.toklen, rs.tok, rs.line, got);
}

static bool numeric_for_getaddrinfo(const char *text)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM }, *res;

	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return false;
	freeaddrinfo(res);
	return true;
}

/* What ref_array() found: an array's elements, up to its "]". */
struct ref_array {
	bool found;		/* the setting is there */
	bool is_array;		/* its value starts with "[" */
	size_t n;		/* elements */
	struct ref_token elem[CONFIG_GUARD_PORTS_MAX + 2]; /* the first of them */
};

/* The top-level setting NAME's array, element by element (any token between commas). */
static void ref_array(const char *text, size_t len, const char *name, struct ref_array *ra)
{
	struct ref_setting rs;
	struct ref_lexer lx;
	struct ref_token t;

	memset(ra, 0, sizeof(*ra));
	ref_find(text, len, name, &rs);
	ra->found = rs.found;
	if (!rs.found || rs.val.type != R_PUNCT || *rs.val.s != '[')
		return;
	ra->is_array = true;
	lx = rs.after;
	for (ref_lex(&lx, &t); t.type != R_END; ref_lex(&lx, &t)) {
		if (t.type == R_PUNCT && *t.s == ']')
			return;
		if (t.type == R_PUNCT && *t.s == ',')
			continue;
		if (ra->n < sizeof(ra->elem) / sizeof(ra->elem[0]))
			ra->elem[ra->n] = t;
		ra->n++;
	}
}

/* An element that is a port, as libconfig reads it. */
static bool ref_port(const struct ref_token *t)
{
	return t->type == R_INT && !t->wraps && t->value >= 1 && t->value <= 65535;
}

/* loop_guard, loop_guard_ports and max_amplification as loaded, against the text. */
static void check_guard_loaded(const struct config *cfg, const char *text, size_t len)
{
	static const uint16_t defaults[] = CONFIG_GUARD_PORTS_DEFAULT;
	uint16_t want[CONFIG_GUARD_PORTS_MAX];
	struct ref_setting rs;
	struct ref_array ra;
	size_t n = 0, i, j;
	bool b = true;

	ref_find(text, len, "loop_guard", &rs);
	CHECK(!rs.found || ref_boolean(&rs.val, &b), "loop_guard loaded from \"%.20s\"", rs.tok);
	CHECK(cfg->loop_guard == b, "loop_guard %d, written \"%.*s\"", cfg->loop_guard,
		(int)rs.toklen, rs.tok);

	CHECK(cfg->max_amplification <= CONFIG_MAX_AMPLIFICATION_MAX, "max_amplification %u",
		cfg->max_amplification);
	check_int_loaded(text, len, "max_amplification", cfg->max_amplification,
		CONFIG_MAX_AMPLIFICATION_DEFAULT);

	CHECK(cfg->nguard_ports <= CONFIG_GUARD_PORTS_MAX, "%zu guard ports", cfg->nguard_ports);
	ref_array(text, len, "loop_guard_ports", &ra);
	if (!ra.found) {
		memcpy(want, defaults, sizeof(defaults));
		n = sizeof(defaults) / sizeof(defaults[0]);
	} else {
		CHECK(ra.is_array, "loop_guard_ports loaded from no array");
		CHECK(ra.n <= CONFIG_GUARD_PORTS_MAX, "loop_guard_ports loaded from %zu elements",
			ra.n);
		for (i = 0; i < ra.n; i++) {
			CHECK(ref_port(&ra.elem[i]), "loop_guard_ports loaded with \"%.*s\" (line %ld)",
				(int)ra.elem[i].n, ra.elem[i].s, ra.elem[i].line);
			for (j = 0; j < n && want[j] != ra.elem[i].value; j++)
				;
			if (j == n)
				want[n++] = (uint16_t)ra.elem[i].value;
		}
	}
	CHECK(cfg->nguard_ports == n, "%zu guard ports, want %zu", cfg->nguard_ports, n);
	for (i = 0; i < n; i++)
		CHECK(cfg->guard_ports[i] == want[i], "guard port [%zu] is %u, want %u", i,
			cfg->guard_ports[i], want[i]);
}

/* log_datagrams, workers and receive_buffer as loaded, against the file's text. */
static void check_newer_loaded(const struct config *cfg, const char *text, size_t len)
{
	struct ref_setting rs;
	bool b = true;

	ref_find(text, len, "log_datagrams", &rs);
	CHECK(!rs.found || ref_boolean(&rs.val, &b), "log_datagrams loaded from \"%.20s\"",
		rs.tok);
	CHECK(cfg->log_datagrams == b, "log_datagrams %d, written \"%.*s\"", cfg->log_datagrams,
		(int)rs.toklen, rs.tok);

	CHECK(cfg->workers <= CONFIG_WORKERS_MAX, "workers %u", cfg->workers);
	ref_find(text, len, "workers", &rs);
	if (rs.found && rs.val.type == R_STRING)
		CHECK(cfg->workers == CONFIG_WORKERS_AUTO, "workers %u from a string", cfg->workers);
	else
		check_int_loaded(text, len, "workers", cfg->workers, CONFIG_WORKERS_AUTO);
	if (rs.found && rs.val.type != R_STRING)
		CHECK(cfg->workers >= 1, "workers %u written as \"%.*s\"", cfg->workers,
			(int)rs.toklen, rs.tok);

	CHECK(cfg->receive_buffer == 0 || (cfg->receive_buffer >= CONFIG_RECEIVE_BUFFER_MIN &&
						  cfg->receive_buffer <= CONFIG_RECEIVE_BUFFER_MAX),
		"receive_buffer %d", cfg->receive_buffer);
	check_int_loaded(text, len, "receive_buffer", cfg->receive_buffer, 0);
}

static void check_success(const struct config *cfg, const char *text, size_t len)
{
	long lines = count_lines(text, len);
	struct ref_setting rs;
	struct ref_scan sc;

	ref_scan(text, len, &sc);
	CHECK(!sc.include, "an @include on line %ld, but config_load succeeded", sc.include_line);
	CHECK(!sc.nul, "a NUL byte on line %ld, but config_load succeeded", sc.nul_line);
	CHECK(sc.nints == 0,
		"integer \"%.*s\" (line %ld) is beyond 32 bits, but config_load succeeded",
		(int)sc.ints[0].n, sc.ints[0].s, sc.ints[0].line);
	/* The reader's own check: libconfig never takes what it calls garbage. */
	CHECK(!sc.stop,
		"libconfig took \"%.10s\" (line %ld), which the harness reads as a syntax error",
		sc.stop, sc.stop_line);
	CHECK(sc.settings <= CONFIG_SETTINGS_MAX, "%ld settings, but config_load succeeded",
		sc.settings);
	free(sc.ints);

	CHECK(cfg, "config_load returned 0 without a config");
	CHECK(cfg->path && strcmp(cfg->path, path) == 0, "path \"%s\"", cfg->path);
	CHECK(cfg->port >= 1, "port %u", cfg->port);
	CHECK(cfg->buffer_size >= CONFIG_BUFFER_SIZE_MIN &&
		      cfg->buffer_size <= CONFIG_BUFFER_SIZE_MAX,
		"buffer_size %zu", cfg->buffer_size);
	CHECK(cfg->reply && strlen(cfg->reply) == cfg->reply_len, "reply_len %zu, strlen %zu",
		cfg->reply_len, cfg->reply ? strlen(cfg->reply) : 0);
	CHECK(cfg->reply_len <= CONFIG_REPLY_MAX, "reply_len %zu", cfg->reply_len);
	CHECK(cfg->address && cfg->address[0], "empty address");
	CHECK(netaddr_is_literal(cfg->address) || netaddr_valid_hostname(cfg->address),
		"address \"%s\" is neither a literal nor a host name", cfg->address);
	CHECK(netaddr_is_literal(cfg->address) || !numeric_for_getaddrinfo(cfg->address),
		"host name \"%s\" is a number to getaddrinfo()", cfg->address);
	CHECK(cfg->address_line >= 0 && cfg->port_line >= 0, "negative line");
	if (cfg->address_line == 0)
		CHECK(strcmp(cfg->address, CONFIG_DEFAULT_ADDRESS) == 0,
			"address \"%s\" on line 0", cfg->address);
	if (cfg->port_line == 0)
		CHECK(cfg->port == CONFIG_DEFAULT_PORT, "port %u on line 0", cfg->port);
	CHECK(config_same_endpoint(cfg, cfg), "config differs from itself");
	CHECK(cfg->address_line <= lines && cfg->port_line <= lines,
		"address line %d / port line %d beyond the %ld lines", cfg->address_line,
		cfg->port_line, lines);
	/* A setting's line is its name's, 0 when defaulted. */
	ref_find(text, len, "address", &rs);
	CHECK(cfg->address_line == (rs.found ? rs.line : 0),
		"address on line %d, its name is on line %ld", cfg->address_line,
		rs.found ? rs.line : 0);
	ref_find(text, len, "port", &rs);
	CHECK(cfg->port_line == (rs.found ? rs.line : 0),
		"port on line %d, its name is on line %ld", cfg->port_line, rs.found ? rs.line : 0);
	/* The number in the file is the number in the config (no 32-bit wrap). */
	check_int_loaded(text, len, "port", cfg->port, CONFIG_DEFAULT_PORT);
	check_int_loaded(text, len, "buffer_size", (long long)cfg->buffer_size,
		CONFIG_DEFAULT_BUFFER_SIZE);
	check_newer_loaded(cfg, text, len);
	check_guard_loaded(cfg, text, len);
}

/*
 * "NAME: must be an integer from MIN to MAX, not X" (what, at line) is about
 * NAME's value as libconfig reads it: out of range, X in decimal.
 * "NAME: must be an integer, not ...": the value is no integer token.
 */
static void check_int_error(const char *err, const char *what, long line, const char *text,
	size_t len, const char *name, long long min, long long max)
{
	char prefix[64], dec[32];
	struct ref_setting rs;
	long long emin = 0, emax = 0;
	const char *x;
	int n = -1;

	snprintf(prefix, sizeof(prefix), "%s: must be an integer", name);
	if (strncmp(what, prefix, strlen(prefix)) != 0)
		return;
	ref_find(text, len, name, &rs);
	CHECK(rs.found && rs.line == line, "\"%s\": the name %s is on line %ld", err, name,
		rs.found ? rs.line : 0);
	what += strlen(prefix);
	if (strncmp(what, ", not ", 6) == 0) {
		CHECK(!rs.is_int, "\"%s\", but \"%.*s\" is an integer", err, (int)rs.toklen,
			rs.tok);
		return;
	}
	CHECK(sscanf(what, " from %lld to %lld, not %n", &emin, &emax, &n) == 2 && n > 0 &&
		      emin == min && emax == max,
		"\"%s\": not the range %lld..%lld", err, min, max);
	x = what + n;
	CHECK(rs.is_int, "\"%s\", but \"%.20s\" is no integer", err, rs.tok);
	/* A wrapping integer is refused before libconfig reads it. */
	CHECK(!rs.val.wraps,
		"\"%s\", but %s is written as \"%.*s\" (line %ld), which libconfig wraps", err,
		name, (int)rs.toklen, rs.tok, rs.line);
	CHECK(rs.val.value < min || rs.val.value > max,
		"\"%s\", but %s is written as \"%.*s\" (line %ld), which is in range", err, name,
		(int)rs.toklen, rs.tok, rs.line);
	snprintf(dec, sizeof(dec), "%lld", rs.val.value);
	CHECK(strcmp(x, dec) == 0,
		"\"%s\": %s is written as \"%.*s\" (line %ld), libconfig reads %s, "
		"the message says \"%s\"",
		err, name, (int)rs.toklen, rs.tok, rs.line, dec, x);
}

/* "workers: must be an integer from 1 to 256 or "auto", not X" (what, at line). */
static void check_workers_error(const char *err, const char *what, long line, const char *text,
	size_t len)
{
	char prefix[96], dec[32];
	struct ref_setting rs;
	const char *x;

	snprintf(prefix, sizeof(prefix), "workers: must be an integer from 1 to %d or \"auto\", not ",
		CONFIG_WORKERS_MAX);
	if (strncmp(what, "workers: ", 9) != 0)
		return;
	CHECK(strncmp(what, prefix, strlen(prefix)) == 0, "\"%s\": not \"%s...\"", err, prefix);
	ref_find(text, len, "workers", &rs);
	CHECK(rs.found && rs.line == line, "\"%s\": the name workers is on line %ld", err,
		rs.found ? rs.line : 0);
	x = what + strlen(prefix);
	if (rs.val.type == R_STRING) {
		CHECK(*x == '"', "\"%s\", but the value \"%.20s\" is a string", err, rs.tok);
	} else if (rs.is_int) {
		CHECK(!rs.val.wraps, "\"%s\", but \"%.*s\" wraps", err, (int)rs.toklen, rs.tok);
		CHECK(rs.val.value < 1 || rs.val.value > CONFIG_WORKERS_MAX,
			"\"%s\", but \"%.*s\" is in range", err, (int)rs.toklen, rs.tok);
		snprintf(dec, sizeof(dec), "%lld", rs.val.value);
		CHECK(strcmp(x, dec) == 0, "\"%s\": \"%.*s\" is %s", err, (int)rs.toklen, rs.tok,
			dec);
	} else {
		CHECK(*x != '"' && !isdigit((unsigned char)*x) && *x != '-',
			"\"%s\", but the value \"%.20s\" is neither string nor integer", err, rs.tok);
	}
}

/* "NAME: must be a boolean, not ...": NAME's value is no boolean. */
static void check_boolean_error(const char *err, const char *what, long line, const char *text,
	size_t len, const char *name)
{
	char prefix[64];
	struct ref_setting rs;
	bool b;

	snprintf(prefix, sizeof(prefix), "%s: must be a boolean, not ", name);
	if (strncmp(what, prefix, strlen(prefix)) != 0)
		return;
	ref_find(text, len, name, &rs);
	CHECK(rs.found && rs.line == line, "\"%s\": the name %s is on line %ld", err, name,
		rs.found ? rs.line : 0);
	CHECK(!ref_boolean(&rs.val, &b), "\"%s\", but \"%.*s\" is a boolean", err,
		(int)rs.toklen, rs.tok);
}

#define GUARD_MUST "loop_guard_ports: must be an array of ports like [53, 123], not "

/* "loop_guard_ports: ..." (what, at line), against the array in the text. */
static void check_guard_ports_error(const char *err, const char *what, long line,
	const char *text, size_t len)
{
	char more[64], shown[32];
	struct ref_array ra;
	size_t i;

	if (strncmp(what, "loop_guard_ports: ", 18) != 0)
		return;
	ref_array(text, len, "loop_guard_ports", &ra);
	CHECK(ra.found, "\"%s\", but no loop_guard_ports", err);
	if (strncmp(what, GUARD_MUST, strlen(GUARD_MUST)) == 0) {
		CHECK(!ra.is_array || (ra.n > 0 && ra.elem[0].type != R_INT),
			"\"%s\", but the value is an array of integers", err);
		return;
	}
	CHECK(ra.is_array, "\"%s\", but the value is no array", err);
	snprintf(more, sizeof(more), "loop_guard_ports: more than %d ports",
		CONFIG_GUARD_PORTS_MAX);
	/* The elements before the one named are ports. */
	for (i = 0; i < ra.n && i <= CONFIG_GUARD_PORTS_MAX && ref_port(&ra.elem[i]); i++)
		;
	if (strcmp(what, more) == 0) {
		CHECK(i > CONFIG_GUARD_PORTS_MAX, "\"%s\", but %zu elements, element %zu \"%.*s\"",
			err, ra.n, i + 1, i < ra.n ? (int)ra.elem[i].n : 0,
			i < ra.n ? ra.elem[i].s : "");
		CHECK(ra.elem[CONFIG_GUARD_PORTS_MAX].line == line,
			"\"%s\", but element %d is on line %ld", err, CONFIG_GUARD_PORTS_MAX + 1,
			ra.elem[CONFIG_GUARD_PORTS_MAX].line);
		return;
	}
	CHECK(i < ra.n && i <= CONFIG_GUARD_PORTS_MAX && ra.elem[i].type == R_INT,
		"\"%s\", but the first %zu elements are ports", err, i);
	CHECK(ra.elem[i].line == line, "\"%s\", but element %zu is on line %ld", err, i + 1,
		ra.elem[i].line);
	snprintf(shown, sizeof(shown), "%lld", ra.elem[i].value);
	CHECK(!ra.elem[i].wraps && strncmp(what + 18, shown, strlen(shown)) == 0 &&
		      strcmp(what + 18 + strlen(shown), " is not a port (1 to 65535)") == 0,
		"\"%s\", but element %zu is \"%.*s\", libconfig reads %s", err, i + 1,
		(int)ra.elem[i].n, ra.elem[i].s, shown);
}

/* The loader's message "PATH:LINE: integer TOKEN is out of range" for t, cut as err is. */
static void int_message(const struct ref_token *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%ld: integer %.*s is out of range", path, t->line, (int)t->n, t->s);
}

/*
 * Is rest, "TOKEN is out of range" (maybe cut short), about text at or after
 * stop on line `line` that is an integer without L beyond 32 bits?
 */
static bool int_text_after(const char *text, size_t len, const char *stop, long line,
	const char *rest)
{
	static const char tail[] = " is out of range";
	const char *end = text + strnlen(text, len), *p;
	size_t n = strlen(rest), tl = strlen(tail);
	bool cut = n < tl || strcmp(rest + n - tl, tail) != 0;
	struct ref_token t;

	if (!stop)
		return false;
	if (!cut)
		n -= tl;
	for (p = stop; n > 0 && (size_t)(end - p) >= n; p++) {
		if (memcmp(p, rest, n) != 0 || count_lines(text, (size_t)(p - text)) != line)
			continue;
		memset(&t, 0, sizeof(t));
		if (ref_integer(p, end, &t) && (cut ? t.n >= n : t.n == n) && t.wraps)
			return true;
	}
	return false;
}

/*
 * libconfig's own verdict on text (which holds no @include line): the message
 * config_load gives for its parse error, or "" if it parses.
 */
static void libconfig_verdict(const char *text, char *buf, size_t size)
{
	config_t cf;

	config_init(&cf);
	if (config_read_string(&cf, text))
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s:%d: %s", path, config_error_line(&cf),
			config_error_text(&cf));
	config_destroy(&cf);
}

static void check_failure(const char *err, const char *text, size_t len)
{
	size_t plen = strlen(path), i;
	long line = 0;
	const char *p, *what, *why;
	char want[CONFIG_ERROR_MAX];
	struct ref_scan sc;

	CHECK(err[0], "config_load failed with an empty message");
	if (len > CONFIG_FILE_MAX) {
		snprintf(want, sizeof(want), "%s:0: larger than %d bytes", path, CONFIG_FILE_MAX);
		CHECK(strcmp(err, want) == 0, "%zu bytes, but \"%s\"", len, err);
		return;
	}
	CHECK(strncmp(err, path, plen) == 0 && err[plen] == ':',
		"message \"%s\" does not start with \"%s:\"", err, path);
	p = err + plen + 1;
	CHECK(isdigit((unsigned char)*p), "no line number in \"%s\"", err);
	while (isdigit((unsigned char)*p))
		line = line * 10 + (*p++ - '0');
	CHECK(p[0] == ':' && p[1] == ' ' && p[2], "no \": what\" after the line in \"%s\"",
		err);
	what = p + 2;
	CHECK(line <= count_lines(text, len), "line %ld beyond the %ld lines in \"%s\"", line,
		count_lines(text, len), err);
	why = text_problem(err, strlen(err), fuzz_strict);
	CHECK(!why, "message is not one plain line (%s): \"%s\"", why, err);

	/*
	 * Refused before libconfig parses it, in text order: an @include line,
	 * an integer libconfig would wrap or one setting too many; then a NUL
	 * byte.
	 */
	ref_scan(text, len, &sc);
	if (ref_cap_due(&sc) && !ref_first_int_due(&sc)) {
		snprintf(want, sizeof(want), "%s:%ld: " CAP_MSG, path, sc.cap.line,
			CONFIG_SETTINGS_MAX);
		CHECK(strcmp(err, want) == 0, "setting %d is \"%.*s\" on line %ld, but \"%s\"",
			CONFIG_SETTINGS_MAX + 1, (int)sc.cap.n, sc.cap.s, sc.cap.line, err);
		goto out;
	}
	if (ref_first_int_due(&sc)) {
		int_message(&sc.ints[0], want, sizeof(want));
		CHECK(strcmp(err, want) == 0,
			"integer \"%.*s\" on line %ld (before any %s), but \"%s\"",
			(int)sc.ints[0].n, sc.ints[0].s, sc.ints[0].line,
			sc.include ? "@include" : "syntax error", err);
		goto out;
	}
	if (strncmp(what, "integer ", 8) == 0) {
		/*
		 * Past the leeway's start: one of the wrapping integers there, or
		 * at least (libconfig's tokens are moot there: config.c's scan
		 * may start a name at "-" and so split "--3e+99999999999" other
		 * than libconfig would) integer-shaped text on that line.
		 */
		for (i = 0; i < sc.nints; i++) {
			int_message(&sc.ints[i], want, sizeof(want));
			if (strcmp(err, want) == 0)
				break;
		}
		CHECK(i < sc.nints || int_text_after(text, len, sc.stop, line, what + 8),
			"\"%s\", but no such integer (before any @include)", err);
		goto out;
	}
	snprintf(want, sizeof(want), CAP_MSG, CONFIG_SETTINGS_MAX);
	if (strcmp(what, want) == 0) {
		/* Past the leeway's start, where the count is moot. */
		CHECK(sc.stop && line >= sc.stop_line,
			"\"%s\", but %ld settings before any syntax error", err, sc.settings);
		goto out;
	}
	if (sc.include) {
		snprintf(want, sizeof(want), "%s:%ld: %s", path, sc.include_line, INCLUDE_MSG);
		CHECK(strcmp(err, want) == 0, "@include on line %ld, but \"%s\"", sc.include_line,
			err);
		goto out;
	}
	if (sc.nul) {
		snprintf(want, sizeof(want), "%s:%ld: %s", path, sc.nul_line, NUL_MSG);
		CHECK(strcmp(err, want) == 0, "a NUL byte on line %ld, but \"%s\"", sc.nul_line,
			err);
		goto out;
	}
	CHECK(strcmp(what, INCLUDE_MSG) != 0 && strcmp(what, NUL_MSG) != 0,
		"no @include line, no NUL byte and no integer libconfig wraps, but \"%s\"", err);
	if (sc.stop) {
		/* A syntax error at sc.stop at the latest: libconfig's message. */
		libconfig_verdict(text, want, sizeof(want));
		CHECK(want[0],
			"libconfig takes the text, though the harness reads \"%.10s\" (line %ld) "
			"as a syntax error",
			sc.stop, sc.stop_line);
		CHECK(strcmp(err, want) == 0, "libconfig says \"%s\", config_load \"%s\"", want,
			err);
	}
	check_int_error(err, what, line, text, len, "port", 1, 65535);
	check_int_error(err, what, line, text, len, "buffer_size", CONFIG_BUFFER_SIZE_MIN,
		CONFIG_BUFFER_SIZE_MAX);
	check_int_error(err, what, line, text, len, "receive_buffer", CONFIG_RECEIVE_BUFFER_MIN,
		CONFIG_RECEIVE_BUFFER_MAX);
	check_workers_error(err, what, line, text, len);
	check_boolean_error(err, what, line, text, len, "log_datagrams");
	check_boolean_error(err, what, line, text, len, "loop_guard");
	check_int_error(err, what, line, text, len, "max_amplification", 0,
		CONFIG_MAX_AMPLIFICATION_MAX);
	check_guard_ports_error(err, what, line, text, len);
out:
	free(sc.ints);
}

/*
 * The same failure into a small err (an exact heap block, size picked from
 * the input): NUL-terminated, the full message cut, nothing written at 0.
 */
static void check_short_err(const char *full, const uint8_t *data, size_t size)
{
	size_t errlen = 0, i, k;
	struct config *cfg = NULL;
	char *err;
	int rc;

	for (i = 0; i < size; i++)
		errlen = errlen * 31 + data[i];
	errlen %= 48;
	err = malloc(errlen ? errlen : 1);
	err[0] = 'Z';
	rc = config_load(path, &cfg, err, errlen);
	CHECK(rc == -1 && !cfg, "errlen %zu: config_load returned %d", errlen, rc);
	if (errlen == 0) {
		CHECK(err[0] == 'Z', "errlen 0 wrote into err");
	} else {
		k = strnlen(err, errlen);
		CHECK(k < errlen, "errlen %zu: no NUL", errlen);
		CHECK(strncmp(err, full, k) == 0 && k == (strlen(full) < errlen - 1 ?
				strlen(full) : errlen - 1),
			"errlen %zu: \"%s\" is not a cut of \"%s\"", errlen, err, full);
	}
	free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char err[CONFIG_ERROR_MAX], *text;
	int rc;

	/* The checks read the input as text, NUL bytes and all, plus a NUL. */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
	memset(err, 0x55, sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = config_load(path, &cfg, err, sizeof(err));
	CHECK(rc == 0 || rc == -1, "config_load returned %d", rc);
	if (rc == 0) {
		check_success(cfg, text, size);
	} else {
		CHECK(!cfg, "config_load failed but set a config");
		check_failure(err, text, size);
	}
	config_free(cfg);
	if (rc != 0)
		check_short_err(err, data, size);
	free(text);
	return 0;
}
