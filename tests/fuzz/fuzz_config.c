/*
 * fuzz_config.c - libFuzzer harness for config_load()
 *
 * The input is written to a memfd and loaded through /proc/self/fd/N, as the
 * daemon would load /etc/udp-replyd.conf. The checks read the text with
 * ref_lex() below, a small reader of libconfig 1.5's tokens written from its
 * scanner's rules, and ref_parse(), a reader of its grammar on those tokens
 * (both checked against libconfig itself on every file that loads), not from
 * config.c. A custom mutator writes, now and then, a services list from a
 * small grammar (gen_config()), so that names and endpoints collide often.
 * Checked:
 *
 * what the loader refuses before libconfig parses the text (udp-replyd.conf(5)
 * FILE FORMAT), reading the text up to its first NUL byte, the first in text
 * order of:
 *   - "@include" at the start of a line (after spaces and tabs) that is not
 *     inside a string or a C-style comment (both may span lines):
 *     "FILE:LINE: @include is not supported: keep the whole configuration in
 *     this file"; nothing is included, whatever the name (a directory, a
 *     FIFO, /dev/stdin, a missing file);
 *   - an integer token out of range, wherever it is (any setting, a list, a
 *     group): without the L suffix one that libconfig 1.5 would wrap to 32
 *     bits (decimal beyond INT_MIN..INT_MAX, hexadecimal beyond 0x7fffffff);
 *     with it, one beyond 64 bits, or a hexadecimal one above
 *     0x7FFFFFFFFFFFFFFFL: "FILE:LINE: integer TOKEN is out of range", TOKEN
 *     as written;
 *   - the (CONFIG_SETTINGS_MAX + 1)th setting, a name followed by "=" or ":"
 *     at any depth: "FILE:LINE: more than CONFIG_SETTINGS_MAX settings",
 *     LINE that name's line;
 *   - a "{", "(" or "[" 17 levels deep: "FILE:LINE: nested too deep (at most
 *     16 levels)";
 *   - a "/ *" comment never closed, up to the end of the file: "FILE:LINE: a
 *     / * comment that is never closed (the rest of the file would be
 *     ignored)", LINE the one it opens on ("/ *" in a string or after "#" or
 *     "//" opens none);
 * then, if none, a NUL byte: "FILE:LINE: a NUL byte in the file", LINE the
 * line of the first NUL (nothing after it is looked at; a comment cut short
 * by it is that); otherwise none of these messages.
 * Leeway: from the first thing libconfig's parser can never take (a character
 * that starts no token, such as "_", "@" or "-x"; a "#" or "//" comment with
 * no newline after it; a number right after a number or a name, as in
 * ".5e3-4294967296") libconfig stops whatever follows, so an out-of-range
 * integer from there on may be refused or not, and what is refused there
 * need only be integer-shaped text beyond range on the line named (how
 * that text splits into tokens is moot: "-" and "_" start no libconfig
 * token); likewise the settings counted from there on ("_x = 1" may count),
 * so "more than CONFIG_SETTINGS_MAX settings" may name any line from there.
 * Both only before the first refusal that has no leeway (@include, the
 * nesting, the comment, which the loader finds wherever they are).
 * Otherwise the message must be libconfig's own, and the harness asks
 * libconfig (config_read_string) that it is. A text libconfig takes with no
 * setting in it (empty, blanks, comments) is "FILE:0: no settings (an empty
 * file is refused: to run on the defaults, set one of them, such as port =
 * 20001;)". A file larger than CONFIG_FILE_MAX (-max_len permitting) is
 * refused whole: "FILE:0: larger than N bytes".
 *
 * on success (udp-replyd.conf(5), src/config.h):
 *   - none of the above, nothing libconfig's parser can never take, at least
 *     one setting;
 *   - the services: with a top-level `services`, a list of 1 to 64 groups,
 *     no top-level address, port, buffer_size or reply beside it, each group
 *     only name, address, port, buffer_size and reply, one service each, in
 *     order, its line the group's "{"; without it, one service of those four
 *     top-level settings, line 0. Each service's settings as written (a
 *     string's escapes read as libconfig does, an integer's value as
 *     written, no 32-bit wrap), the defaults (127.0.0.1, 20001, 1024, "Hello
 *     UDP Client") where left out, each setting's line its name's, 0 when
 *     defaulted; port 1..65535, buffer_size 1..65535, the reply at most 65507
 *     bytes and a valid template (%{name} with a documented name, %%; no
 *     other %), literal (sent as its bytes, %% as %) exactly when it has no
 *     placeholder; the address an IP literal or a valid host name, and a host
 *     name is not something getaddrinfo() reads as a number ("0x7f000001");
 *     the name 1 to 64 printable ASCII characters without spaces, quotes or
 *     backslashes, or, left out, "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6)
 *     with the address as written, whatever its length; no two services with
 *     one name, or one address (IP literals compared as addresses, an
 *     IPv4-mapped one as its IPv4 address) and port; buffer_max the largest
 *     buffer_size;
 *   - log_datagrams as written (true/false in any case), true if absent;
 *     workers 1..256 as written, or CONFIG_WORKERS_AUTO (absent, or a
 *     string, which can only have been "auto"); receive_buffer 0 if absent,
 *     else 4096..1073741824 as written;
 *   - loop_guard as written, true if absent; max_amplification 0..65535 as
 *     written, 10 if absent; loop_guard_ports, if written, an array ([...])
 *     of at most CONFIG_GUARD_PORTS_MAX integers 1..65535, loaded as the
 *     distinct ports in the order first written; if absent the default ports
 *     (CONFIG_GUARD_PORTS_DEFAULT);
 * on failure:
 *   - err is "FILE:LINE: what" with FILE our path, LINE digits within the
 *     file, then ": " and some text;
 *   - once libconfig has read the file, what is one of the messages below
 *     (and nothing else), each about a setting on line LINE that has that
 *     problem:
 *   - "NAME: must be an integer from MIN to MAX, not X": NAME's value (an
 *     integer in range of its token) is outside MIN..MAX, and X is that value
 *     in decimal (NAME port, buffer_size, at the top level or in a service;
 *     receive_buffer, send_buffer, max_amplification);
 *     "NAME: must be an integer, not TYPE": the value is no integer token,
 *     but TYPE;
 *   - "NAME: must be a string, not TYPE" (address, reply, and a service's
 *     name);
 *   - "address: "...": not an IP address or host name", "reply: must be at
 *     most 65507 bytes, not N", "name: "...": must be 1 to 64 printable
 *     characters, ...": a value that is none of these;
 *   - "workers: must be an integer from 1 to 256 or "auto", not X": X is the
 *     value in decimal (an integer outside 1..256), a string in quotes (a
 *     string token) or a type (neither);
 *   - "log_datagrams: must be a boolean, not ...", "loop_guard: must be a
 *     boolean, not ...": the value is no boolean;
 *   - "loop_guard_ports: must be an array of ports like [53, 123], not ...":
 *     the value does not start with "[", or its first element is no
 *     integer; "loop_guard_ports: X is not a port (1 to 65535)": an element
 *     on that line, among the first CONFIG_GUARD_PORTS_MAX + 1, is X outside
 *     1..65535, and no element before it is; "loop_guard_ports: more than
 *     CONFIG_GUARD_PORTS_MAX ports": element CONFIG_GUARD_PORTS_MAX + 1 is
 *     on that line and every element before it (and it) is a port;
 *   - "services: ..." about its shape: no list (and its type), an empty
 *     list, a 65th element (on its line), an element that is no group (and
 *     its type), a setting in a group that a service does not have;
 *     "KEY: not allowed next to services (line N) ...": a top-level address,
 *     port, buffer_size or reply with services on line N; "unknown setting
 *     "KEY"": a top-level KEY udp-replyd.conf(5) does not know;
 *   - once every service is well formed, the first in the services' order
 *     of: a reply that is no template ("reply: ... (byte N, ..." with N the
 *     bad % counted from 1, at the reply's line), an address and port a
 *     service before has ("services: ENDPOINT is also service "NAME" (line
 *     N)", at the port's line, else the group's), a name one before has
 *     ("services: two services named "NAME" (lines N and M)", at the
 *     group's line). Host names that differ only in case, or by a final
 *     dot, name one host: either outcome is taken for them, as it is for a
 *     name with bytes beyond ASCII;
 *   - allow, deny and rate_limit messages only name a setting the file has;
 *   - err is one line: valid UTF-8, no newline or other control character,
 *     no line separator or bidi control (spec: "one line on stderr");
 *   - with a short err (0..47 bytes) the same message, cut and NUL-terminated;
 * and always: the process does not exit or crash.
 */
#include <arpa/inet.h>
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
#define COMMENT_MSG "a /* comment that is never closed (the rest of the file would be ignored)"
#define DEPTH_MSG "nested too deep (at most 16 levels)"
#define EMPTY_MSG "no settings (an empty file is refused: to run on the defaults, " \
	"set one of them, such as port = 20001;)"

/* udp-replyd.conf(5): how deep groups, lists and arrays nest; services; a name. */
#define REF_DEPTH_MAX 16
#define REF_SERVICES_MAX 64
#define REF_NAME_MAX 64
#define REF_REPLY_MAX 65507

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
/* libFuzzer's own mutations; absent when tests/fuzz/replay.c runs the harness. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

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
	bool too_big;		/* out of range (see ref_integer): refused before libconfig */
	long long value;	/* as libconfig 1.5 reads it (0 if it wraps) */
};

struct ref_lexer {
	const char *p, *end;
	long line;
	bool bol;		/* at the start of a line */
	const char *open_comment;	/* a C-style comment that runs to the end */
	long open_comment_line;
	const char *open_string;	/* a string that runs to the end */
};

static void ref_lex_init(struct ref_lexer *lx, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
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
 * 2^64-1) taken as int64 -- as libconfig 1.5 does, checked with it. too_big
 * (udp-replyd.conf(5)): it wraps, or with L it is beyond 64 bits, or
 * hexadecimal above 0x7FFFFFFFFFFFFFFFL (libconfig would make it negative).
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
		if (hex) {
			t->too_big = over || mag > (unsigned long long)LLONG_MAX;
			t->value = over ? -1 : (long long)mag;
		} else if (neg) {
			t->too_big = over || mag > 1ULL << 63;
			t->value = over || mag >= 1ULL << 63 ? LLONG_MIN : -(long long)mag;
		} else {
			t->too_big = over || mag > (unsigned long long)LLONG_MAX;
			t->value = t->too_big ? LLONG_MAX : (long long)mag;
		}
	} else {
		t->too_big = over || mag > (hex || !neg ? 0x7fffffffULL : 0x80000000ULL);
		t->value = t->too_big ? 0 : neg ? -(long long)mag : (long long)mag;
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
	const char *p = lx->p, *end = lx->end, *q, *opened;
	long opened_line;

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
			opened = p;
			opened_line = lx->line;
			for (p += 2; p < end && !(p[0] == '*' && p + 1 < end && p[1] == '/'); p++)
				lx->line += *p == '\n';
			if (p < end) {
				p += 2;
			} else if (!lx->open_comment) {
				lx->open_comment = opened;
				lx->open_comment_line = opened_line;
			}
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
		if (p == end)
			lx->open_string = t->s;
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

/* Where in the text one of the loader's refusals is (s NULL: none). */
struct ref_event {
	const char *s;
	long line;
};

/* The loader's refusals before libconfig parses, as the text holds them (see the top). */
struct ref_scan {
	struct ref_event include;	/* the first @include line */
	struct ref_token *ints;		/* integers out of range, before it */
	size_t nints;
	const char *stop;		/* the leeway starts here (or NULL) */
	long stop_line;
	struct ref_event nul;		/* the first NUL byte */
	long settings;			/* names followed by '=' or ':', before it */
	struct ref_token cap;		/* the first beyond CONFIG_SETTINGS_MAX */
	struct ref_event deep;		/* the first '{', '(' or '[' nested too deep */
	struct ref_event comment;	/* a C-style comment never closed */
	struct ref_event string;	/* a string never closed */
};

static void ref_scan(const char *text, size_t len, struct ref_scan *sc)
{
	struct ref_lexer lx;
	struct ref_token t, prev = { .type = R_END };
	const char *z = memchr(text, '\0', len);
	size_t cap = 0;
	int depth = 0;

	memset(sc, 0, sizeof(*sc));
	if (z) {
		sc->nul.s = z;
		sc->nul.line = count_lines(text, (size_t)(z - text));
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
		if (t.type == R_PUNCT && strchr("{([", *t.s) && ++depth > REF_DEPTH_MAX &&
		    !sc->deep.s) {
			sc->deep.s = t.s;
			sc->deep.line = t.line;
		}
		if (t.type == R_PUNCT && strchr("})]", *t.s) && depth > 0)
			depth--;
		if (t.type == R_INT && t.too_big) {
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
		sc->include.s = t.s;
		sc->include.line = t.line;
	}
	/* One that a NUL byte cuts short is that NUL byte's. */
	if (lx.open_comment && !z) {
		sc->comment.s = lx.open_comment;
		sc->comment.line = lx.open_comment_line;
	}
	if (t.type == R_END && lx.open_string && !z) {
		sc->string.s = lx.open_string;
		sc->string.line = count_lines(text, (size_t)(lx.open_string - text));
	}
}

/* The loader's message "PATH:LINE: integer TOKEN is out of range" for t. */
static void int_message(const struct ref_token *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%ld: integer %.*s is out of range", path, t->line, (int)t->n, t->s);
}

/* Is s before the leeway (libconfig's tokens and the loader's agree up to there)? */
static bool ref_before_stop(const struct ref_scan *sc, const char *s)
{
	return s && (!sc->stop || s < sc->stop);
}

/*
 * The first refusal the loader must give whatever comes after the leeway's
 * start: where it is (NULL for none), its line and its message in want.
 * An integer or the settings cap count only before the leeway; @include,
 * the nesting and the open comment wherever they are.
 */
static const char *ref_first_due(const struct ref_scan *sc, char *want, size_t size,
	long *line)
{
	const char *first = NULL;

#define REF_EARLIER(pos) (pos && (!first || pos < first))
	if (sc->include.s) {
		first = sc->include.s;
		*line = sc->include.line;
		snprintf(want, size, "%s:%ld: %s", path, *line, INCLUDE_MSG);
	}
	if (sc->nints > 0 && ref_before_stop(sc, sc->ints[0].s) && REF_EARLIER(sc->ints[0].s)) {
		first = sc->ints[0].s;
		*line = sc->ints[0].line;
		int_message(&sc->ints[0], want, size);
	}
	if (ref_before_stop(sc, sc->cap.s) && REF_EARLIER(sc->cap.s)) {
		first = sc->cap.s;
		*line = sc->cap.line;
		snprintf(want, size, "%s:%ld: " CAP_MSG, path, *line, CONFIG_SETTINGS_MAX);
	}
	if (REF_EARLIER(sc->deep.s)) {
		first = sc->deep.s;
		*line = sc->deep.line;
		snprintf(want, size, "%s:%ld: %s", path, *line, DEPTH_MSG);
	}
	if (REF_EARLIER(sc->comment.s)) {
		first = sc->comment.s;
		*line = sc->comment.line;
		snprintf(want, size, "%s:%ld: %s", path, *line, COMMENT_MSG);
	}
#undef REF_EARLIER
	return first;
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
	CHECK(!rs.val.too_big,
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
	return t->type == R_INT && !t->too_big && t->value >= 1 && t->value <= 65535;
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

/*
 * A setting or an element of the file as libconfig's grammar (grammar.y)
 * reads it: a scalar, or an array, list or group of nodes.
 */
struct ref_node {
	const char *name;	/* a setting's name as written; NULL for an element */
	size_t name_len;
	long line;		/* the line libconfig gives it (see ref_parse) */
	char kind;		/* 's' a scalar, '[' an array, '(' a list, '{' a group */
	struct ref_token tok;	/* a scalar's token (a string's first); an opening */
	bool is_bool, bool_value;
	char *str;		/* a string's bytes, escapes read, joined, NUL-terminated */
	size_t str_len;
	struct ref_node *kids;	/* an aggregate's elements or settings */
	size_t nkids;
};

struct ref_parser {
	struct ref_token *tok;	/* the text's tokens, the last one R_END */
	size_t ntok, i;
	int depth;
};

static void ref_free_kids(struct ref_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		ref_free_kids(&n->kids[i]);
	free(n->kids);
	free(n->str);
}

static void ref_free(struct ref_node *root)
{
	if (root)
		ref_free_kids(root);
	free(root);
}

static struct ref_node *ref_add(struct ref_node *parent)
{
	struct ref_node *kids = realloc(parent->kids, (parent->nkids + 1) * sizeof(*kids));

	CHECK(kids, "out of memory");
	parent->kids = kids;
	memset(&kids[parent->nkids], 0, sizeof(*kids));
	return &kids[parent->nkids++];
}

static const struct ref_token *ref_cur(const struct ref_parser *ps)
{
	return &ps->tok[ps->i];
}

static bool ref_is(const struct ref_token *t, char punct)
{
	return t->type == R_PUNCT && *t->s == punct;
}

/*
 * A string token's bytes appended to n->str, as libconfig's scanner reads
 * them: \n \r \t \f \\ \" and \xHH (\x00 dropped: libconfig keeps C strings);
 * any other backslash is itself.
 */
static void ref_string_append(struct ref_node *n, const struct ref_token *t)
{
	const char *p = t->s + 1, *e = t->s + t->n;
	char c;

	if (t->n >= 2 && e[-1] == '"')
		e--;
	n->str = realloc(n->str, n->str_len + (size_t)(e - p) + 1);
	CHECK(n->str, "out of memory");
	while (p < e) {
		c = *p++;
		if (c == '\\' && p < e) {
			switch (*p) {
			case 'n': c = '\n'; p++; break;
			case 'r': c = '\r'; p++; break;
			case 't': c = '\t'; p++; break;
			case 'f': c = '\f'; p++; break;
			case '\\': c = '\\'; p++; break;
			case '"': c = '"'; p++; break;
			case 'x':
				if (e - p >= 3 && isxdigit((unsigned char)p[1]) &&
				    isxdigit((unsigned char)p[2])) {
					c = (char)strtol((char[]){ p[1], p[2], 0 }, NULL, 16);
					p += 3;
					if (c == '\0')
						continue;
				}
				break;
			default:
				break;
			}
		}
		n->str[n->str_len++] = c;
	}
	n->str[n->str_len] = '\0';
}

/*
 * A scalar: an integer, a float, a boolean, strings (joined). An element's
 * line is what libconfig gives it: the token's, but for a string the line
 * of the token after it (the parser looks ahead for another string first).
 */
static bool ref_parse_scalar(struct ref_parser *ps, struct ref_node *n)
{
	const struct ref_token *t = ref_cur(ps);
	bool b;

	n->kind = 's';
	n->tok = *t;
	if (t->type == R_INT || t->type == R_FLOAT) {
		ps->i++;
	} else if (ref_boolean(t, &b)) {
		n->is_bool = true;
		n->bool_value = b;
		ps->i++;
	} else if (t->type == R_STRING) {
		for (; ref_cur(ps)->type == R_STRING; ps->i++)
			ref_string_append(n, ref_cur(ps));
	} else {
		return false;
	}
	if (!n->name)
		n->line = t->type == R_STRING ? ref_cur(ps)->line : t->line;
	return true;
}

static bool ref_parse_value(struct ref_parser *ps, struct ref_node *n);

/* NAME (= or :) VALUE, then ';' or ',' or nothing, up to '}' (or the end, top). */
static bool ref_parse_settings(struct ref_parser *ps, struct ref_node *group, bool top)
{
	const struct ref_token *t;
	struct ref_node *s;
	bool b;

	for (;;) {
		t = ref_cur(ps);
		if (top ? t->type == R_END : ref_is(t, '}'))
			return true;
		/* "true" and "false" (any case) are booleans, never names. */
		if (t->type != R_NAME || ref_boolean(t, &b))
			return false;
		s = ref_add(group);
		s->name = t->s;
		s->name_len = t->n;
		s->line = t->line;
		ps->i++;
		if (!ref_is(ref_cur(ps), '=') && !ref_is(ref_cur(ps), ':'))
			return false;
		ps->i++;
		if (!ref_parse_value(ps, s))
			return false;
		if (ref_is(ref_cur(ps), ';') || ref_is(ref_cur(ps), ','))
			ps->i++;
	}
}

/* A value; an aggregate element's line is its opening's. */
static bool ref_parse_value(struct ref_parser *ps, struct ref_node *n)
{
	const struct ref_token *t = ref_cur(ps);
	struct ref_node *e;
	char close;

	if (!ref_is(t, '[') && !ref_is(t, '(') && !ref_is(t, '{'))
		return ref_parse_scalar(ps, n);
	if (ps->depth >= 4 * REF_DEPTH_MAX)
		return false;
	n->kind = *t->s;
	n->tok = *t;
	if (!n->name)
		n->line = t->line;
	ps->i++;
	ps->depth++;
	if (n->kind == '{') {
		if (!ref_parse_settings(ps, n, false))
			return false;
		ps->i++;
	} else if (ref_is(ref_cur(ps), n->kind == '[' ? ']' : ')')) {
		ps->i++;
	} else {
		close = n->kind == '[' ? ']' : ')';
		for (;;) {
			e = ref_add(n);
			if (n->kind == '[' ? !ref_parse_scalar(ps, e) : !ref_parse_value(ps, e))
				return false;
			t = ref_cur(ps);
			if (!ref_is(t, ',') && !ref_is(t, close))
				return false;
			ps->i++;
			if (*t->s == close)
				break;
		}
	}
	ps->depth--;
	return true;
}

/*
 * The file as a group of settings, or NULL where libconfig would refuse it
 * (not all of that: element types in an array and duplicate names are left
 * to libconfig, and this is only asked about texts libconfig takes).
 */
static struct ref_node *ref_parse(const char *text, size_t len)
{
	struct ref_parser ps = { .tok = NULL };
	struct ref_node *root = calloc(1, sizeof(*root));
	struct ref_lexer lx;
	size_t cap = 0;
	bool ok = true;

	CHECK(root, "out of memory");
	root->kind = '{';
	ref_lex_init(&lx, text, len);
	do {
		if (ps.ntok == cap) {
			cap = cap ? 2 * cap : 64;
			ps.tok = realloc(ps.tok, cap * sizeof(*ps.tok));
			CHECK(ps.tok, "out of memory");
		}
		ref_lex(&lx, &ps.tok[ps.ntok]);
		if (ps.tok[ps.ntok].type == R_GARBAGE || ps.tok[ps.ntok].type == R_INCLUDE)
			ok = false;
		/* libconfig 1.5 ends the text in an open string without a word. */
		if (ps.tok[ps.ntok].s == lx.open_string)
			ref_lex(&lx, &ps.tok[ps.ntok]);
	} while (ps.tok[ps.ntok++].type != R_END && ok);
	ok = ok && ref_parse_settings(&ps, root, true);
	free(ps.tok);
	if (!ok) {
		ref_free(root);
		return NULL;
	}
	return root;
}

static bool ref_named(const struct ref_node *n, const char *name)
{
	return n->name && n->name_len == strlen(name) && memcmp(n->name, name, n->name_len) == 0;
}

/* The setting name of group g, or NULL. */
static const struct ref_node *ref_child(const struct ref_node *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nkids; i++)
		if (ref_named(&g->kids[i], name))
			return &g->kids[i];
	return NULL;
}

/* "a group", "an integer", ...: how the loader names a value's type. */
static const char *ref_type_name(const struct ref_node *n)
{
	switch (n->kind) {
	case '{':
		return "a group";
	case '[':
		return "an array";
	case '(':
		return "a list";
	}
	if (n->is_bool)
		return "a boolean";
	switch (n->tok.type) {
	case R_INT:
		return "an integer";
	case R_FLOAT:
		return "a float";
	default:
		return "a string";
	}
}

static bool ref_is_string(const struct ref_node *n)
{
	return n->kind == 's' && n->tok.type == R_STRING;
}

static bool ref_is_int(const struct ref_node *n)
{
	return n->kind == 's' && n->tok.type == R_INT;
}

/* The reference reader against libconfig's own reading of a text it takes. */
static void ref_check_node(const struct ref_node *n, const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	int type = config_setting_type(s), want;
	size_t i;

	CHECK(n->name ? name && strlen(name) == n->name_len && !memcmp(name, n->name, n->name_len) :
			!name,
		"reference reader: setting \"%.*s\" (line %ld), libconfig \"%s\"",
		(int)n->name_len, n->name ? n->name : "", n->line, name ? name : "");
	CHECK(!config_setting_parent(s) || (long)config_setting_source_line(s) == n->line,
		"reference reader: \"%.*s\" on line %ld, libconfig line %u", (int)n->name_len,
		n->name ? n->name : "(element)", n->line, config_setting_source_line(s));
	switch (n->kind) {
	case '{': want = CONFIG_TYPE_GROUP; break;
	case '[': want = CONFIG_TYPE_ARRAY; break;
	case '(': want = CONFIG_TYPE_LIST; break;
	default:
		want = n->is_bool ? CONFIG_TYPE_BOOL : n->tok.type == R_FLOAT ? CONFIG_TYPE_FLOAT :
			n->tok.type == R_STRING ? CONFIG_TYPE_STRING : CONFIG_TYPE_INT;
	}
	if (want == CONFIG_TYPE_INT && type == CONFIG_TYPE_INT64)
		want = CONFIG_TYPE_INT64;
	CHECK(type == want, "reference reader: \"%.*s\" (line %ld) is type %d, libconfig %d",
		(int)n->name_len, n->name ? n->name : "(element)", n->line, want, type);
	if (n->kind != 's') {
		CHECK((size_t)config_setting_length(s) == n->nkids,
			"reference reader: %zu elements on line %ld, libconfig %d", n->nkids,
			n->line, config_setting_length(s));
		for (i = 0; i < n->nkids; i++)
			ref_check_node(&n->kids[i], config_setting_get_elem(s, (unsigned)i));
	} else if (type == CONFIG_TYPE_STRING) {
		CHECK(strlen(config_setting_get_string(s)) == n->str_len &&
			      !memcmp(config_setting_get_string(s), n->str, n->str_len),
			"reference reader: string on line %ld differs from libconfig's", n->line);
	} else if (type == CONFIG_TYPE_BOOL) {
		CHECK(config_setting_get_bool(s) == n->bool_value,
			"reference reader: boolean on line %ld", n->line);
	} else if (type != CONFIG_TYPE_FLOAT) {
		CHECK(config_setting_get_int64(s) == n->tok.value,
			"reference reader: \"%.*s\" (line %ld) is %lld, libconfig %lld",
			(int)n->tok.n, n->tok.s, n->line, n->tok.value,
			(long long)config_setting_get_int64(s));
	}
}

static void ref_check_libconfig(const struct ref_node *root, const char *text)
{
	config_t cf;

	config_init(&cf);
	CHECK(config_read_string(&cf, text), "config_load took a text libconfig refuses: %s",
		config_error_text(&cf));
	ref_check_node(root, config_root_setting(&cf));
	config_destroy(&cf);
}

/* udp-replyd.conf(5), reply: the placeholders' names. */
static const char *const ref_placeholders[] = {
	"remote_addr", "remote_port", "remote", "local_addr", "local_port", "local",
	"size", "payload", "time", "time_us", "hostname", "service",
};

/*
 * The reply s as a template: false with *bad the offset of the first bad
 * '%' if it is none; else *literal says whether it has no placeholder, and
 * lit (len + 1 bytes, if not NULL) gets its bytes with %% as %.
 */
static bool ref_template(const char *s, size_t len, size_t *bad, bool *literal, char *lit,
	size_t *litlen)
{
	const char *close;
	size_t i = 0, k, n = 0, nl;

	*literal = true;
	while (i < len) {
		if (s[i] != '%' || (i + 1 < len && s[i + 1] == '%')) {
			if (lit)
				lit[n] = s[i];
			n++;
			i += s[i] == '%' ? 2 : 1;
			continue;
		}
		close = i + 2 < len && s[i + 1] == '{' ? memchr(s + i + 2, '}', len - i - 2) : NULL;
		for (k = 0; close && k < sizeof(ref_placeholders) / sizeof(ref_placeholders[0]);
		     k++) {
			nl = (size_t)(close - (s + i + 2));
			if (strlen(ref_placeholders[k]) == nl &&
			    !memcmp(ref_placeholders[k], s + i + 2, nl))
				break;
		}
		if (!close || k == sizeof(ref_placeholders) / sizeof(ref_placeholders[0])) {
			*bad = i;
			return false;
		}
		*literal = false;
		i = (size_t)(close - s) + 1;
	}
	*litlen = n;
	return true;
}

/* A service's name as udp-replyd.conf(5) has it: 1 if valid, 0 if not, -1 beyond ASCII. */
static int ref_valid_name(const char *s, size_t len)
{
	size_t i;
	int ascii = 1;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			ascii = -1;
		else if (s[i] <= ' ' || s[i] == 0x7f || s[i] == '"' || s[i] == '\\')
			return 0;
	}
	/* 64 characters: bytes, for ASCII. */
	return ascii < 0 ? -1 : len <= REF_NAME_MAX;
}

/* One service as the file sets it (ref_services). */
struct ref_service {
	long line;		/* the group's "{", 0 for the top-level one */
	const char *name;	/* as written, or the endpoint */
	int name_valid;		/* ref_valid_name() of one written */
	const char *address;
	long address_line;
	long long port;
	long port_line;
	long long buffer_size;
	const char *reply;
	size_t reply_len;
	long reply_line;
	char endpoint[300];	/* "ADDRESS:PORT" or "[ADDRESS]:PORT" */
	const struct ref_node *bad;	/* a setting the loader must refuse, or NULL */
};

static bool ref_valid_address(const char *s)
{
	return netaddr_is_literal(s) || netaddr_valid_hostname(s);
}

/* The service of group g (the one-service shorthand: the top level, line 0). */
static void ref_service(struct ref_service *svc, const struct ref_node *g, bool in_group)
{
	const struct ref_node *k;
	size_t i;

	memset(svc, 0, sizeof(*svc));
	svc->line = in_group ? g->line : 0;
	svc->address = CONFIG_DEFAULT_ADDRESS;
	svc->port = CONFIG_DEFAULT_PORT;
	svc->buffer_size = CONFIG_DEFAULT_BUFFER_SIZE;
	svc->reply = CONFIG_DEFAULT_REPLY;
	svc->reply_len = strlen(CONFIG_DEFAULT_REPLY);
	svc->name_valid = 1;
	for (i = 0; i < g->nkids; i++) {
		k = &g->kids[i];
		if (ref_named(k, "address")) {
			if (!ref_is_string(k) || !ref_valid_address(k->str))
				goto bad;
			svc->address = k->str;
			svc->address_line = k->line;
		} else if (ref_named(k, "port")) {
			if (!ref_is_int(k) || k->tok.too_big || k->tok.value < 1 ||
			    k->tok.value > 65535)
				goto bad;
			svc->port = k->tok.value;
			svc->port_line = k->line;
		} else if (ref_named(k, "buffer_size")) {
			if (!ref_is_int(k) || k->tok.too_big ||
			    k->tok.value < CONFIG_BUFFER_SIZE_MIN ||
			    k->tok.value > CONFIG_BUFFER_SIZE_MAX)
				goto bad;
			svc->buffer_size = k->tok.value;
		} else if (ref_named(k, "reply")) {
			if (!ref_is_string(k) || k->str_len > REF_REPLY_MAX)
				goto bad;
			svc->reply = k->str;
			svc->reply_len = k->str_len;
			svc->reply_line = k->line;
		} else if (in_group && ref_named(k, "name")) {
			if (!ref_is_string(k))
				goto bad;
			svc->name_valid = ref_valid_name(k->str, k->str_len);
			if (!svc->name_valid)
				goto bad;
			svc->name = k->str;
		} else if (in_group) {
			goto bad;
		}
		continue;
bad:
		if (!svc->bad)
			svc->bad = k;
	}
	snprintf(svc->endpoint, sizeof(svc->endpoint),
		strchr(svc->address, ':') ? "[%s]:%lld" : "%s:%lld", svc->address, svc->port);
	if (!svc->name)
		svc->name = svc->endpoint;
}

/*
 * Why the file's services are not a list of 1 to 64 groups with no
 * one-service setting beside them, or NULL (also without services).
 */
static const char *ref_services_shape(const struct ref_node *root)
{
	static const char *const shorthand[] = { "address", "port", "buffer_size", "reply" };
	const struct ref_node *list = ref_child(root, "services");
	size_t i;

	if (!list)
		return NULL;
	if (list->kind != '(')
		return "services is no list";
	if (list->nkids == 0)
		return "services is empty";
	if (list->nkids > REF_SERVICES_MAX)
		return "more than 64 services";
	for (i = 0; i < list->nkids; i++)
		if (list->kids[i].kind != '{')
			return "a service is no group";
	for (i = 0; i < sizeof(shorthand) / sizeof(shorthand[0]); i++)
		if (ref_child(root, shorthand[i]))
			return "a one-service setting is next to services";
	return NULL;
}

/* The services of a well-shaped file into svc (REF_SERVICES_MAX of them); how many. */
static size_t ref_services(const struct ref_node *root, struct ref_service *svc)
{
	const struct ref_node *list = ref_child(root, "services");
	size_t i;

	if (!list) {
		ref_service(&svc[0], root, false);
		return 1;
	}
	for (i = 0; i < list->nkids; i++)
		ref_service(&svc[i], &list->kids[i], true);
	return list->nkids;
}

enum ref_same { SAME_NO, SAME_YES, SAME_MAYBE };

/* An IP literal as 16 bytes, IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d. */
static bool ref_literal(const char *s, unsigned char out[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return true;
	}
	return inet_pton(AF_INET6, s, out) == 1;
}

/* One host? Literals as addresses; names as text, or maybe (case, a final dot). */
static enum ref_same ref_same_address(const char *a, const char *b)
{
	unsigned char la[16], lb[16];
	size_t na = strlen(a), nb = strlen(b);
	bool lita = ref_literal(a, la), litb = ref_literal(b, lb);

	if (lita || litb)
		return lita && litb && !memcmp(la, lb, 16) ? SAME_YES : SAME_NO;
	if (!strcmp(a, b))
		return SAME_YES;
	na -= na > 0 && a[na - 1] == '.';
	nb -= nb > 0 && b[nb - 1] == '.';
	return na == nb && !strncasecmp(a, b, na) ? SAME_MAYBE : SAME_NO;
}

static enum ref_same ref_same_endpoint(const struct ref_service *a, const struct ref_service *b)
{
	return a->port == b->port ? ref_same_address(a->address, b->address) : SAME_NO;
}

/* The services loaded, against the model of the file (root) and its lines. */
static void check_services_loaded(const struct config *cfg, const struct ref_node *root,
	long lines)
{
	struct ref_service want[REF_SERVICES_MAX];
	const char *shape = ref_services_shape(root);
	const struct ref_service *w;
	const struct service *got;
	size_t n, i, j, bad, litlen = 0, buffer_max = 0;
	bool literal;
	char *lit;

	CHECK(!shape, "%s, but config_load succeeded", shape);
	n = ref_services(root, want);
	CHECK(cfg->services && cfg->nservices == n, "%zu services, the file has %zu",
		cfg->nservices, n);
	for (i = 0; i < n; i++) {
		w = &want[i];
		got = &cfg->services[i];
		CHECK(!w->bad, "service %zu: \"%.*s\" (line %ld) is not valid, but config_load "
			"succeeded", i + 1, (int)w->bad->name_len, w->bad->name, w->bad->line);
		CHECK(got->line == w->line && got->line >= 0 && got->line <= lines,
			"service %zu on line %d, its group is on line %ld", i + 1, got->line,
			w->line);
		CHECK(got->name && !strcmp(got->name, w->name),
			"service %zu named \"%s\", want \"%s\"", i + 1, got->name, w->name);
		CHECK(got->address && !strcmp(got->address, w->address),
			"service %zu: address \"%s\", want \"%s\"", i + 1, got->address,
			w->address);
		CHECK(netaddr_is_literal(got->address) || !numeric_for_getaddrinfo(got->address),
			"host name \"%s\" is a number to getaddrinfo()", got->address);
		CHECK(got->address_line == w->address_line && got->port_line == w->port_line &&
			      got->reply_line == w->reply_line,
			"service %zu: address, port, reply on lines %d, %d, %d, want %ld, %ld, %ld",
			i + 1, got->address_line, got->port_line, got->reply_line, w->address_line,
			w->port_line, w->reply_line);
		CHECK(got->port == w->port, "service %zu: port %u, want %lld", i + 1, got->port,
			w->port);
		CHECK(got->buffer_size == (size_t)w->buffer_size,
			"service %zu: buffer_size %zu, want %lld", i + 1, got->buffer_size,
			w->buffer_size);
		CHECK(got->reply && got->reply_len == w->reply_len &&
			      !memcmp(got->reply, w->reply, w->reply_len) &&
			      !got->reply[w->reply_len],
			"service %zu: reply of %zu bytes, want %zu: \"%.40s\"", i + 1,
			got->reply_len, w->reply_len, w->reply);
		CHECK(ref_template(w->reply, w->reply_len, &bad, &literal, NULL, &litlen),
			"service %zu: reply \"%.40s\" has a bad %% at byte %zu, but config_load "
			"succeeded", i + 1, w->reply, bad + 1);
		lit = malloc(w->reply_len + 1);
		CHECK(lit, "out of memory");
		ref_template(w->reply, w->reply_len, &bad, &literal, lit, &litlen);
		CHECK(literal ? got->literal && got->literal_len == litlen &&
					!memcmp(got->literal, lit, litlen) : !got->literal,
			"service %zu: reply \"%.40s\" is %sliteral, literal %p (%zu bytes)", i + 1,
			w->reply, literal ? "" : "not ", (const void *)got->literal,
			got->literal_len);
		free(lit);
		for (j = 0; j < i; j++) {
			CHECK(ref_same_endpoint(w, &want[j]) != SAME_YES,
				"services %zu and %zu are both %s", j + 1, i + 1, w->endpoint);
			CHECK(strcmp(w->name, want[j].name),
				"services %zu and %zu are both named \"%s\"", j + 1, i + 1,
				w->name);
		}
		if ((size_t)w->buffer_size > buffer_max)
			buffer_max = (size_t)w->buffer_size;
	}
	CHECK(cfg->buffer_max == buffer_max, "buffer_max %zu, want %zu", cfg->buffer_max,
		buffer_max);
}

static void check_success(const struct config *cfg, const char *text, size_t len)
{
	struct ref_node *root;
	struct ref_scan sc;

	ref_scan(text, len, &sc);
	CHECK(!sc.include.s, "an @include on line %ld, but config_load succeeded",
		sc.include.line);
	CHECK(!sc.nul.s, "a NUL byte on line %ld, but config_load succeeded", sc.nul.line);
	CHECK(sc.nints == 0,
		"integer \"%.*s\" (line %ld) is out of range, but config_load succeeded",
		(int)sc.ints[0].n, sc.ints[0].s, sc.ints[0].line);
	CHECK(!sc.deep.s, "nested too deep on line %ld, but config_load succeeded", sc.deep.line);
	CHECK(!sc.comment.s, "a comment never closed on line %ld, but config_load succeeded",
		sc.comment.line);
	/* "Strings are enclosed in double quotes": libconfig would drop the rest. */
	CHECK(!sc.string.s, "a string never closed on line %ld (the rest of the file is "
		"ignored), but config_load succeeded", sc.string.line);
	/* The reader's own check: libconfig never takes what it calls garbage. */
	CHECK(!sc.stop,
		"libconfig took \"%.10s\" (line %ld), which the harness reads as a syntax error",
		sc.stop, sc.stop_line);
	CHECK(sc.settings <= CONFIG_SETTINGS_MAX, "%ld settings, but config_load succeeded",
		sc.settings);
	free(sc.ints);

	CHECK(cfg, "config_load returned 0 without a config");
	CHECK(cfg->path && strcmp(cfg->path, path) == 0, "path \"%s\"", cfg->path);
	root = ref_parse(text, len);
	CHECK(root, "config_load took the text, the reference reader does not");
	ref_check_libconfig(root, text);
	CHECK(root->nkids > 0, "no settings, but config_load succeeded");
	check_services_loaded(cfg, root, count_lines(text, len));
	ref_free(root);
	CHECK(config_same_endpoint(cfg, cfg), "config differs from itself");
	check_newer_loaded(cfg, text, len);
	check_guard_loaded(cfg, text, len);
}

/* "workers: must be an integer from 1 to 256 or "auto", not X" (what, at line). */
static bool check_workers_error(const char *err, const char *what, long line, const char *text,
	size_t len)
{
	char prefix[96], dec[32];
	struct ref_setting rs;
	const char *x;

	snprintf(prefix, sizeof(prefix), "workers: must be an integer from 1 to %d or \"auto\", not ",
		CONFIG_WORKERS_MAX);
	if (strncmp(what, "workers: ", 9) != 0)
		return false;
	CHECK(strncmp(what, prefix, strlen(prefix)) == 0, "\"%s\": not \"%s...\"", err, prefix);
	ref_find(text, len, "workers", &rs);
	CHECK(rs.found && rs.line == line, "\"%s\": the name workers is on line %ld", err,
		rs.found ? rs.line : 0);
	x = what + strlen(prefix);
	if (rs.val.type == R_STRING) {
		CHECK(*x == '"', "\"%s\", but the value \"%.20s\" is a string", err, rs.tok);
	} else if (rs.is_int) {
		CHECK(!rs.val.too_big, "\"%s\", but \"%.*s\" is out of range", err,
			(int)rs.toklen, rs.tok);
		CHECK(rs.val.value < 1 || rs.val.value > CONFIG_WORKERS_MAX,
			"\"%s\", but \"%.*s\" is in range", err, (int)rs.toklen, rs.tok);
		snprintf(dec, sizeof(dec), "%lld", rs.val.value);
		CHECK(strcmp(x, dec) == 0, "\"%s\": \"%.*s\" is %s", err, (int)rs.toklen, rs.tok,
			dec);
	} else {
		CHECK(*x != '"' && !isdigit((unsigned char)*x) && *x != '-',
			"\"%s\", but the value \"%.20s\" is neither string nor integer", err, rs.tok);
	}
	return true;
}

/* "NAME: must be a boolean, not ...": NAME's value is no boolean. */
static bool check_boolean_error(const char *err, const char *what, long line, const char *text,
	size_t len, const char *name)
{
	char prefix[64];
	struct ref_setting rs;
	bool b;

	snprintf(prefix, sizeof(prefix), "%s: must be a boolean, not ", name);
	if (strncmp(what, prefix, strlen(prefix)) != 0)
		return false;
	ref_find(text, len, name, &rs);
	CHECK(rs.found && rs.line == line, "\"%s\": the name %s is on line %ld", err, name,
		rs.found ? rs.line : 0);
	CHECK(!ref_boolean(&rs.val, &b), "\"%s\", but \"%.*s\" is a boolean", err,
		(int)rs.toklen, rs.tok);
	return true;
}

#define GUARD_MUST "loop_guard_ports: must be an array of ports like [53, 123], not "

/* "loop_guard_ports: ..." (what, at line), against the array in the text. */
static bool check_guard_ports_error(const char *err, const char *what, long line,
	const char *text, size_t len)
{
	char more[64], shown[32];
	struct ref_array ra;
	size_t i;

	if (strncmp(what, "loop_guard_ports: ", 18) != 0)
		return false;
	ref_array(text, len, "loop_guard_ports", &ra);
	CHECK(ra.found, "\"%s\", but no loop_guard_ports", err);
	if (strncmp(what, GUARD_MUST, strlen(GUARD_MUST)) == 0) {
		CHECK(!ra.is_array || (ra.n > 0 && ra.elem[0].type != R_INT),
			"\"%s\", but the value is an array of integers", err);
		return true;
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
		return true;
	}
	CHECK(i < ra.n && i <= CONFIG_GUARD_PORTS_MAX && ra.elem[i].type == R_INT,
		"\"%s\", but the first %zu elements are ports", err, i);
	CHECK(ra.elem[i].line == line, "\"%s\", but element %zu is on line %ld", err, i + 1,
		ra.elem[i].line);
	snprintf(shown, sizeof(shown), "%lld", ra.elem[i].value);
	CHECK(!ra.elem[i].too_big && strncmp(what + 18, shown, strlen(shown)) == 0 &&
		      strcmp(what + 18 + strlen(shown), " is not a port (1 to 65535)") == 0,
		"\"%s\", but element %zu is \"%.*s\", libconfig reads %s", err, i + 1,
		(int)ra.elem[i].n, ra.elem[i].s, shown);
	return true;
}

/* Room for every setting the file may have: one more than the cap. */
#define REF_AT_MAX (CONFIG_SETTINGS_MAX + 1)

/*
 * The settings called name on line line: at the top level (top) and in the
 * groups of the services list (in_services); into out, how many.
 */
static size_t ref_at(const struct ref_node *root, const char *name, long line, bool top,
	bool in_services, const struct ref_node **out)
{
	const struct ref_node *list = ref_child(root, "services"), *g;
	size_t n = 0, i, j;

	for (i = 0; top && i < root->nkids; i++)
		if (ref_named(&root->kids[i], name) && root->kids[i].line == line && n < REF_AT_MAX)
			out[n++] = &root->kids[i];
	if (!in_services || !list || list->kind != '(')
		return n;
	for (i = 0; i < list->nkids; i++) {
		g = &list->kids[i];
		for (j = 0; g->kind == '{' && j < g->nkids; j++)
			if (ref_named(&g->kids[j], name) && g->kids[j].line == line &&
			    n < REF_AT_MAX)
				out[n++] = &g->kids[j];
	}
	return n;
}

/* What follows prefix in s, or NULL if s does not start with it. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/*
 * "NAME: must be an integer from MIN to MAX, not X" (what, at line) is about
 * a NAME on that line whose value, as written, is out of range, X in
 * decimal. "NAME: must be an integer, not TYPE": its value is TYPE. False
 * if what is about something else.
 */
static bool check_int_error(const char *err, const char *what, long line,
	const struct ref_node *root, const char *name, long long min, long long max,
	bool in_services)
{
	const struct ref_node *c[REF_AT_MAX];
	long long emin = 0, emax = 0;
	char prefix[64], dec[32];
	const char *rest;
	size_t n, i;
	int k = -1;

	snprintf(prefix, sizeof(prefix), "%s: must be an integer", name);
	rest = after(what, prefix);
	if (!rest)
		return false;
	n = ref_at(root, name, line, true, in_services, c);
	CHECK(n > 0, "\"%s\", but no %s on line %ld", err, name, line);
	if (after(rest, ", not ")) {
		for (i = 0; i < n && (ref_is_int(c[i]) || strcmp(rest + 6, ref_type_name(c[i])));
		     i++)
			;
		CHECK(i < n, "\"%s\", but %s on line %ld is %s", err, name, line,
			ref_type_name(c[0]));
		return true;
	}
	CHECK(sscanf(rest, " from %lld to %lld, not %n", &emin, &emax, &k) == 2 && k > 0 &&
		      emin == min && emax == max,
		"\"%s\": not the range %lld..%lld", err, min, max);
	for (i = 0; i < n; i++) {
		if (!ref_is_int(c[i]) || c[i]->tok.too_big ||
		    (c[i]->tok.value >= min && c[i]->tok.value <= max))
			continue;
		snprintf(dec, sizeof(dec), "%lld", c[i]->tok.value);
		if (!strcmp(rest + k, dec))
			break;
	}
	CHECK(i < n, "\"%s\", but %s on line %ld is \"%.*s\", which libconfig reads as %lld",
		err, name, line, (int)c[0]->tok.n, c[0]->tok.s, c[0]->tok.value);
	return true;
}

/* "NAME: must be a string, not TYPE": a NAME on that line whose value is TYPE. */
static bool check_string_error(const char *err, const char *what, long line,
	const struct ref_node *root, const char *name, bool top)
{
	const struct ref_node *c[REF_AT_MAX];
	char prefix[64];
	const char *rest;
	size_t n, i;

	snprintf(prefix, sizeof(prefix), "%s: must be a string, not ", name);
	rest = after(what, prefix);
	if (!rest)
		return false;
	n = ref_at(root, name, line, top, true, c);
	for (i = 0; i < n && (ref_is_string(c[i]) || strcmp(rest, ref_type_name(c[i]))); i++)
		;
	CHECK(i < n, "\"%s\", but no %s on line %ld is %s", err, name, line, rest);
	return true;
}

/*
 * "address: "...": not an IP address or host name", "reply: must be at most
 * 65507 bytes, not N", "name: "...": must be 1 to 64 printable characters
 * ...": a value on that line that is none.
 */
static bool check_value_error(const char *err, const char *what, long line,
	const struct ref_node *root)
{
	const struct ref_node *c[REF_AT_MAX];
	char want[64];
	size_t n, i;

	if (after(what, "address: \"")) {
		n = ref_at(root, "address", line, true, true, c);
		for (i = 0; i < n && (!ref_is_string(c[i]) || ref_valid_address(c[i]->str)); i++)
			;
		CHECK(i < n && strstr(what, "\": not an IP address or host name"),
			"\"%s\", but no address on line %ld is one", err, line);
		return true;
	}
	if (after(what, "reply: must be at most ")) {
		n = ref_at(root, "reply", line, true, true, c);
		for (i = 0; i < n; i++) {
			snprintf(want, sizeof(want), "reply: must be at most %d bytes, not %zu",
				REF_REPLY_MAX, c[i]->str_len);
			if (ref_is_string(c[i]) && c[i]->str_len > REF_REPLY_MAX &&
			    !strcmp(what, want))
				break;
		}
		CHECK(i < n, "\"%s\", but no reply on line %ld is that long", err, line);
		return true;
	}
	if (after(what, "name: \"")) {
		n = ref_at(root, "name", line, false, true, c);
		for (i = 0; i < n && (!ref_is_string(c[i]) || ref_valid_name(c[i]->str,
									 c[i]->str_len) == 1);
		     i++)
			;
		CHECK(i < n && strstr(what, "\": must be 1 to 64 printable characters"),
			"\"%s\", but no name on line %ld is unfit", err, line);
		return true;
	}
	return false;
}

/* The type named after the last ", not " in s, or "". */
static const char *type_after_not(const char *s)
{
	const char *p, *last = NULL;

	for (p = strstr(s, ", not "); p; p = strstr(p + 1, ", not "))
		last = p + 6;
	return last ? last : "";
}

static bool ref_service_key(const char *name, bool in_group)
{
	return !strcmp(name, "address") || !strcmp(name, "port") || !strcmp(name, "buffer_size") ||
	       !strcmp(name, "reply") || (in_group && !strcmp(name, "name"));
}

/*
 * "services: ..." about the list's shape, "KEY: not allowed next to
 * services (line N)...", "unknown setting "KEY"", at line.
 */
static bool check_shape_error(const char *err, const char *what, long line,
	const struct ref_node *root)
{
	static const char *const known[] = { "services", "address", "port", "buffer_size",
		"reply", "log_datagrams", "workers", "receive_buffer", "loop_guard",
		"loop_guard_ports", "max_amplification", "allow", "deny", "send_buffer",
		"rate_limit" };
	const struct ref_node *list = ref_child(root, "services"), *s = NULL, *g;
	const char *rest, *q;
	char key[CONFIG_ERROR_MAX];
	size_t i, j;
	long n = -1;
	int k = -1;

	if ((rest = after(what, "unknown setting \""))) {
		for (i = 0; i < root->nkids && !(root->kids[i].line == line &&
				root->kids[i].name_len + 1 == strlen(rest) &&
				!memcmp(root->kids[i].name, rest, root->kids[i].name_len) &&
				rest[root->kids[i].name_len] == '"');
		     i++)
			;
		CHECK(i < root->nkids, "\"%s\", but no such setting on line %ld", err, line);
		for (j = 0; j < sizeof(known) / sizeof(known[0]) && !ref_named(&root->kids[i],
								       known[j]);
		     j++)
			;
		CHECK(j == sizeof(known) / sizeof(known[0]), "\"%s\", but it is a setting", err);
		return true;
	}
	q = strstr(what, ": not allowed next to services (line ");
	if (q && (snprintf(key, sizeof(key), "%.*s", (int)(q - what), what),
		     ref_service_key(key, false))) {
		CHECK(sscanf(q, ": not allowed next to services (line %ld)%n", &n, &k) == 1 &&
			      k > 0,
			"\"%s\": no line of services", err);
		for (i = 0; i < root->nkids && !(ref_named(&root->kids[i], key) &&
				root->kids[i].line == line);
		     i++)
			;
		CHECK(i < root->nkids && list && list->line == n,
			"\"%s\", but no one-service setting %s on line %ld, or no services on "
			"line %ld", err, key, line, n);
		return true;
	}
	if (!(rest = after(what, "services: ")))
		return false;
	CHECK(list, "\"%s\", but no services", err);
	if (after(rest, "must be a list")) {
		CHECK(list->line == line && list->kind != '(' &&
			      !strcmp(type_after_not(rest), ref_type_name(list)),
			"\"%s\", but services on line %ld is %s", err, list->line,
			ref_type_name(list));
	} else if (after(rest, "must list at least one")) {
		CHECK(list->line == line && list->kind == '(' && list->nkids == 0,
			"\"%s\", but services on line %ld is %s of %zu", err, list->line,
			ref_type_name(list), list->nkids);
	} else if (after(rest, "more than ")) {
		snprintf(key, sizeof(key), "more than %d services", REF_SERVICES_MAX);
		CHECK(!strcmp(rest, key) && list->kind == '(' && list->nkids > REF_SERVICES_MAX &&
			      list->kids[REF_SERVICES_MAX].line == line,
			"\"%s\", but services has %zu elements, the 65th on line %ld", err,
			list->nkids,
			list->nkids > REF_SERVICES_MAX ? list->kids[REF_SERVICES_MAX].line : 0);
	} else if (after(rest, "each service must be a group")) {
		for (i = 0; list->kind == '(' && i < list->nkids; i++) {
			g = &list->kids[i];
			if (g->line == line && g->kind != '{' &&
			    !strcmp(type_after_not(rest), ref_type_name(g)))
				break;
		}
		CHECK(list->kind == '(' && i < list->nkids,
			"\"%s\", but no element on line %ld is that", err, line);
	} else if ((q = after(rest, "unknown setting \""))) {
		for (i = 0; list->kind == '(' && i < list->nkids && !s; i++) {
			g = &list->kids[i];
			for (j = 0; g->kind == '{' && j < g->nkids; j++) {
				if (g->kids[j].line == line &&
				    !strncmp(q, g->kids[j].name, g->kids[j].name_len) &&
				    q[g->kids[j].name_len] == '"') {
					s = &g->kids[j];
					break;
				}
			}
		}
		CHECK(s, "\"%s\", but no such setting in a service on line %ld", err, line);
		snprintf(key, sizeof(key), "%.*s", (int)s->name_len, s->name);
		CHECK(!ref_service_key(key, true), "\"%s\", but %s is a service's", err, key);
	} else {
		return false;
	}
	return true;
}

/*
 * After every setting was taken: in the services' order, a reply that is no
 * template, an endpoint or a name that a service before has. The first
 * certain one must be what (at line); one before it in doubt may be.
 */
static bool check_finish_error(const char *err, const char *what, long line,
	const struct ref_node *root)
{
	struct ref_service svc[REF_SERVICES_MAX];
	const struct ref_service *a, *b;
	const char *shape = ref_services_shape(root);
	char want[CONFIG_ERROR_MAX];
	enum ref_same same;
	size_t n, i, j, bad, litlen;
	bool literal;

	if (!((after(what, "reply: ") && !after(what, "reply: must be ")) ||
		    (after(what, "services: ") && (strstr(what, " is also service ") ||
							  strstr(what, " two services named ")))))
		return false;
	CHECK(!shape, "\"%s\", but %s: the loader would refuse that first", err, shape);
	n = ref_services(root, svc);
	for (i = 0; i < n; i++)
		CHECK(!svc[i].bad, "\"%s\", but \"%.*s\" on line %ld should be refused first", err,
			(int)svc[i].bad->name_len, svc[i].bad->name, svc[i].bad->line);
	for (i = 0; i < n; i++) {
		a = &svc[i];
		if (!ref_template(a->reply, a->reply_len, &bad, &literal, NULL, &litlen)) {
			snprintf(want, sizeof(want), "(byte %zu, ", bad + 1);
			CHECK(line == a->reply_line && after(what, "reply: ") && strstr(what, want),
				"service %zu: the reply on line %ld has a bad %% at byte %zu, but "
				"\"%s\"", i + 1, a->reply_line, bad + 1, err);
			return true;
		}
		for (j = 0; j < i; j++) {
			b = &svc[j];
			same = ref_same_endpoint(a, b);
			snprintf(want, sizeof(want),
				"services: %s is also service \"%s\" (line %ld)", a->endpoint,
				b->name, b->line);
			if (same != SAME_NO && line == (a->port_line ? a->port_line : a->line) &&
			    !strcmp(what, want))
				return true;
			CHECK(same != SAME_YES, "services %zu and %zu are both %s, but \"%s\"",
				j + 1, i + 1, a->endpoint, err);
			snprintf(want, sizeof(want),
				"services: two services named \"%s\" (lines %ld and %ld)", a->name,
				b->line, a->line);
			if (!strcmp(a->name, b->name)) {
				CHECK(line == a->line && !strcmp(what, want),
					"services %zu and %zu are both named \"%s\", but \"%s\"",
					j + 1, i + 1, a->name, err);
				return true;
			}
		}
	}
	CHECK(false, "\"%s\", but every service is fine", err);
	return true;
}

/* The other settings' messages name a setting the file has. */
static bool check_other_error(const char *err, const char *what, const struct ref_node *root)
{
	static const char *const names[] = { "allow", "deny", "rate_limit" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (!strncmp(what, names[i], n) && (what[n] == ':' || what[n] == '.')) {
			CHECK(ref_child(root, names[i]), "\"%s\", but no %s", err, names[i]);
			return true;
		}
	}
	return false;
}

/* A message about the settings of a text libconfig takes: one of those above, and true. */
static void check_settings_error(const char *err, const char *what, long line,
	const struct ref_node *root, const char *text, size_t len)
{
	bool known =
		check_int_error(err, what, line, root, "port", 1, 65535, true) ||
		check_int_error(err, what, line, root, "buffer_size", CONFIG_BUFFER_SIZE_MIN,
			CONFIG_BUFFER_SIZE_MAX, true) ||
		check_int_error(err, what, line, root, "receive_buffer", CONFIG_RECEIVE_BUFFER_MIN,
			CONFIG_RECEIVE_BUFFER_MAX, false) ||
		check_int_error(err, what, line, root, "send_buffer", CONFIG_RECEIVE_BUFFER_MIN,
			CONFIG_RECEIVE_BUFFER_MAX, false) ||
		check_int_error(err, what, line, root, "max_amplification", 0,
			CONFIG_MAX_AMPLIFICATION_MAX, false) ||
		check_string_error(err, what, line, root, "address", true) ||
		check_string_error(err, what, line, root, "reply", true) ||
		check_string_error(err, what, line, root, "name", false) ||
		check_value_error(err, what, line, root) ||
		check_workers_error(err, what, line, text, len) ||
		check_boolean_error(err, what, line, text, len, "log_datagrams") ||
		check_boolean_error(err, what, line, text, len, "loop_guard") ||
		check_guard_ports_error(err, what, line, text, len) ||
		check_shape_error(err, what, line, root) ||
		check_finish_error(err, what, line, root) ||
		check_other_error(err, what, root);

	CHECK(known, "\"%s\": no such message (udp-replyd.conf(5))", err);
}

/*
 * Is rest, "TOKEN is out of range" (maybe cut short), about text from stop
 * up to limit (NULL: the end) on line `line` that is an out-of-range integer?
 */
static bool int_text_after(const char *text, size_t len, const char *stop, const char *limit,
	long line, const char *rest)
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
	for (p = stop; n > 0 && (size_t)(end - p) >= n && (!limit || p < limit); p++) {
		if (memcmp(p, rest, n) != 0 || count_lines(text, (size_t)(p - text)) != line)
			continue;
		memset(&t, 0, sizeof(t));
		if (ref_integer(p, end, &t) && (cut ? t.n >= n : t.n == n) && t.too_big)
			return true;
	}
	return false;
}

/*
 * libconfig's own verdict on text (which holds no @include line): false and
 * the message config_load gives for its parse error; or true and how many
 * top-level settings it read.
 */
static bool libconfig_verdict(const char *text, char *buf, size_t size, int *settings)
{
	config_t cf;
	bool ok;

	config_init(&cf);
	ok = config_read_string(&cf, text);
	if (ok)
		*settings = config_setting_length(config_root_setting(&cf));
	else
		snprintf(buf, size, "%s:%d: %s", path, config_error_line(&cf),
			config_error_text(&cf));
	config_destroy(&cf);
	return ok;
}

static void check_failure(const char *err, const char *text, size_t len)
{
	size_t plen = strlen(path), i;
	long line = 0, first_line = 0;
	const char *p, *what, *why, *first;
	char want[CONFIG_ERROR_MAX], msg[CONFIG_ERROR_MAX];
	struct ref_node *root;
	struct ref_scan sc;
	int settings = 0;

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
	 * an integer out of range, one setting too many, nesting too deep, a
	 * comment never closed; then a NUL byte.
	 */
	ref_scan(text, len, &sc);
	first = ref_first_due(&sc, want, sizeof(want), &first_line);
	if (first && ref_before_stop(&sc, first)) {
		CHECK(strcmp(err, want) == 0, "\"%s\" (before any syntax error), but \"%s\"", want,
			err);
		goto out;
	}
	/* From sc.stop on (up to the first refusal without leeway), tokens are moot. */
	if (after(what, "integer ") && !(first && strcmp(err, want) == 0)) {
		/*
		 * One of the integers out of range there, or at least (config.c's
		 * scan may start a name at "-" and so split "--3e+99999999999"
		 * other than libconfig would) integer-shaped text on that line.
		 */
		for (i = 0; i < sc.nints; i++) {
			int_message(&sc.ints[i], msg, sizeof(msg));
			if (!ref_before_stop(&sc, sc.ints[i].s) &&
			    (!first || sc.ints[i].s < first) && strcmp(err, msg) == 0)
				break;
		}
		CHECK(i < sc.nints || int_text_after(text, len, sc.stop, first, line, what + 8),
			"\"%s\", but no such integer (before any %s)", err,
			first ? want : "syntax error");
		goto out;
	}
	snprintf(msg, sizeof(msg), CAP_MSG, CONFIG_SETTINGS_MAX);
	if (strcmp(what, msg) == 0 && !(first && strcmp(err, want) == 0)) {
		/* Past the leeway's start, where the count is moot. */
		CHECK(sc.stop && line >= sc.stop_line && (!first || line <= first_line),
			"\"%s\", but %ld settings before any syntax error", err, sc.settings);
		goto out;
	}
	if (first) {
		CHECK(strcmp(err, want) == 0, "\"%s\", but \"%s\"", want, err);
		goto out;
	}
	if (sc.nul.s) {
		snprintf(want, sizeof(want), "%s:%ld: %s", path, sc.nul.line, NUL_MSG);
		CHECK(strcmp(err, want) == 0, "a NUL byte on line %ld, but \"%s\"", sc.nul.line,
			err);
		goto out;
	}
	/* A string never closed is refused: as a syntax error, or as that. */
	if (sc.string.s && after(what, "a string") && strstr(what, "never closed")) {
		CHECK(line == sc.string.line, "a string never closed on line %ld, but \"%s\"",
			sc.string.line, err);
		goto out;
	}
	CHECK(strcmp(what, INCLUDE_MSG) != 0 && strcmp(what, NUL_MSG) != 0 &&
		      strcmp(what, DEPTH_MSG) != 0 && strcmp(what, COMMENT_MSG) != 0,
		"none of that in the text, but \"%s\"", err);
	/* libconfig reads it: its syntax error, else no settings, else the settings'. */
	if (!libconfig_verdict(text, want, sizeof(want), &settings)) {
		CHECK(strcmp(err, want) == 0, "libconfig says \"%s\", config_load \"%s\"", want,
			err);
		goto out;
	}
	CHECK(!sc.stop,
		"libconfig takes the text, though the harness reads \"%.10s\" (line %ld) "
		"as a syntax error",
		sc.stop, sc.stop_line);
	if (settings == 0) {
		snprintf(want, sizeof(want), "%s:0: %s", path, EMPTY_MSG);
		CHECK(strcmp(err, want) == 0, "a file without settings, but \"%s\"", err);
		goto out;
	}
	root = ref_parse(text, len);
	CHECK(root, "libconfig takes the text, the reference reader does not");
	check_settings_error(err, what, line, root, text, len);
	ref_free(root);
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

/*
 * The generator: a file of services (and, now and then, settings beside
 * them) from a small grammar, its values drawn from short lists so that
 * names and endpoints collide, and near the limits (64 services, a 64-byte
 * name, a long host name, templates good and bad).
 */
struct gen {
	uint32_t r;
	uint8_t *out;
	size_t n, max;
};

static uint32_t gen_rand(struct gen *g)
{
	g->r ^= g->r << 13;
	g->r ^= g->r >> 17;
	g->r ^= g->r << 5;
	return g->r;
}

static bool gen_one_in(struct gen *g, uint32_t n)
{
	return gen_rand(g) % n == 0;
}

static void gen_put(struct gen *g, const char *s)
{
	size_t k = strlen(s);

	if (k > g->max - g->n)
		k = g->max - g->n;
	memcpy(g->out + g->n, s, k);
	g->n += k;
}

#define GEN_PICK(g, list) ((list)[gen_rand(g) % (sizeof(list) / sizeof((list)[0]))])

/* 77 characters: "ADDRESS:PORT" longer than 64 + 16 bytes. */
#define GEN_LONG_HOST \
	"\"h123456789a123456789b123456789c123456789d123456789e123456789.long-example.org\""

static const char *const gen_names[] = {
	"\"a\"", "\"b\"", "\"echo\"", "\"127.0.0.1:20001\"", "\"[::1]:20001\"", "\"a b\"", "\"\"",
	"\"q\\\"uote\"", "\"caf\\xc3\\xa9\"", "\"tab\\t\"", "\"back\\\\slash\"", "5",
	"\"n123456789n123456789n123456789n123456789n123456789n123456789n123\"",
	"\"n123456789n123456789n123456789n123456789n123456789n123456789n1234\"",
};
static const char *const gen_addresses[] = {
	"\"127.0.0.1\"", "\"::1\"", "\"::\"", "\"0::0\"", "\"0.0.0.0\"", "\"::ffff:127.0.0.1\"",
	"\"localhost\"", "\"LOCALHOST\"", "\"localhost.\"", "\"not an address!\"",
	"\"0x7f000001\"", "\"fe80::1\"", "\"127.0.0.2\"", GEN_LONG_HOST, "1",
};
static const char *const gen_ports[] = {
	"20001", "20002", "20003", "1", "65535", "0", "65536", "20001L", "0x4E21", "\"20001\"",
	"-1",
};
static const char *const gen_buffers[] = {
	"1", "64", "1024", "65535", "0", "65536", "2048", "1.5",
};
static const char *const gen_replies[] = {
	"\"hi\"", "\"\"", "\"%{remote}\\n\"", "\"100%%\"", "\"50%\"", "\"%{nmae}\"",
	"\"%{service} at %{time}\"", "\"%\"", "\"%{\"", "\"a%\" \"{size}\"", "5",
	"\"Hello UDP Client\"", "\"%{payload}\"", "\"%%{remote}\"",
};
static const char *const gen_keys[] = { "name", "address", "port", "buffer_size", "reply" };
static const char *const gen_odd_keys[] = { "prot", "allow", "services", "Name" };
static const char *const gen_globals[] = {
	"port = 20002;", "address = \"::1\";", "reply = \"x\";", "buffer_size = 64;",
	"log_datagrams = false;", "workers = 2;", "max_amplification = 0;",
	"loop_guard_ports = [53];", "rate_limit = { rate = 0; };", "allow = [\"127.0.0.1\"];",
	"name = \"x\";", "send_buffer = 8192;",
};
static const char *const gen_seps[] = { "; ", ";\n", ", ", "\n", " ", ";\n/* c */ ", "; # c\n" };
static const char *const gen_odd_services[] = { "5", "\"x\"", "[1]", "()", "{}", "( { } )" };

static void gen_value(struct gen *g, const char *key)
{
	if (!strcmp(key, "name"))
		gen_put(g, GEN_PICK(g, gen_names));
	else if (!strcmp(key, "address"))
		gen_put(g, GEN_PICK(g, gen_addresses));
	else if (!strcmp(key, "port"))
		gen_put(g, GEN_PICK(g, gen_ports));
	else if (!strcmp(key, "buffer_size"))
		gen_put(g, GEN_PICK(g, gen_buffers));
	else
		gen_put(g, GEN_PICK(g, gen_replies));
}

/* One service's group: some of its keys, in some order. */
static void gen_service(struct gen *g)
{
	size_t order[5] = { 0, 1, 2, 3, 4 }, i, j, t;

	if (gen_one_in(g, 16)) {
		gen_put(g, GEN_PICK(g, gen_odd_services));
		return;
	}
	for (i = 4; i > 0; i--) {
		j = gen_rand(g) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	gen_put(g, gen_one_in(g, 3) ? "{\n\t" : "{ ");
	for (i = 0; i < 5; i++) {
		if (gen_one_in(g, 2))
			continue;
		gen_put(g, gen_keys[order[i]]);
		gen_put(g, gen_one_in(g, 4) ? ": " : " = ");
		gen_value(g, gen_keys[order[i]]);
		gen_put(g, GEN_PICK(g, gen_seps));
	}
	if (gen_one_in(g, 16)) {
		gen_put(g, GEN_PICK(g, gen_odd_keys));
		gen_put(g, " = 1; ");
	}
	gen_put(g, "}");
}

/* A file of services (or the one-service shorthand) at g->out + g->n. */
static void gen_file(struct gen *g)
{
	static const unsigned counts[] = { 0, 1, 1, 2, 2, 2, 3, 3, 4, 5, 64, 65 };
	unsigned n, i;

	if (gen_one_in(g, 4)) {
		gen_put(g, GEN_PICK(g, gen_globals));
		gen_put(g, "\n");
	}
	if (gen_one_in(g, 6)) {
		/* The shorthand: the four keys at the top level. */
		for (i = 1; i < 5; i++) {
			if (gen_one_in(g, 2))
				continue;
			gen_put(g, gen_keys[i]);
			gen_put(g, " = ");
			gen_value(g, gen_keys[i]);
			gen_put(g, ";\n");
		}
		return;
	}
	n = GEN_PICK(g, counts);
	gen_put(g, gen_one_in(g, 4) ? "services:\n(\n" : "services = (\n");
	for (i = 0; i < n; i++) {
		gen_put(g, i ? ",\n\t" : "\t");
		gen_service(g);
	}
	gen_put(g, gen_one_in(g, 8) ? ",\n);\n" : "\n);\n");
	if (gen_one_in(g, 4))
		gen_put(g, GEN_PICK(g, gen_globals));
}

/*
 * libFuzzer's mutations, but one time in 16 a generated file, and one in 16
 * one appended to the input.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct gen g = { .r = seed * 2654435761u + 1, .out = data, .max = max_size };

	switch (seed % 16) {
	case 0:
		gen_file(&g);
		return g.n;
	case 1:
		if (size < max_size) {
			g.n = size;
			gen_put(&g, "\n");
			gen_file(&g);
			return g.n;
		}
		break;
	}
	return LLVMFuzzerMutate ? LLVMFuzzerMutate(data, size, max_size) : size;
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
