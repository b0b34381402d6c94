/*
 * config-libconfig15.c - what libconfig 1.5 would take silently, refused before it parses
 *
 * Debian 12 ships libconfig 1.5. One pass over the text, reading it as
 * libconfig's scanner does (comments, strings, names, numbers), refuses what
 * that version would take without a word but config_load() must not. Which
 * libconfig version makes each check unnecessary (tried with upstream's
 * 1.7.3 and 1.8.2 built from source):
 *
 *   @include      1.7: config_set_include_func() installs a hook that can
 *                 refuse every include, with libconfig's own line number
 *                 (without a hook, 1.7 and 1.8 still exit the process on an
 *                 included directory).
 *   32-bit wraps  1.8. 1.7 reads a decimal beyond 32 bits as a 64-bit
 *                 integer (beyond 64 bits: "syntax error"), but still
 *                 stores a hexadecimal one without L in an int
 *                 ("0x100004E21" is 20001); 1.8 widens both.
 *   64-bit ones   1.8 for those beyond 64 bits, which 1.5 stores as the
 *                 largest integer (decimal) or -1 (hexadecimal, so
 *                 "0x10000000000004E21L" was "not -1"); never for a
 *                 hexadecimal from 0x8000000000000000L, which 1.8 still
 *                 stores as a negative number (read in 1.8's scanner.l and
 *                 util.c, not tried).
 *   open comment  never: up to 1.8.2 and upstream's master, the scanner's
 *                 one <<EOF>> rule ends the text inside a comment as
 *                 anywhere else, without an error (read, not tried).
 *   nesting       never: not a 1.5 workaround (config-libconfig15.h).
 *   NUL byte      never: every version reads the text up to its first NUL.
 *   settings cap  never: not a 1.5 workaround. 1.7 and 1.8 still look each
 *                 new setting's name up among its siblings one by one, so
 *                 parsing stays quadratic (1.8: 143,364 settings in 62 s).
 *                 It is counted here because this is the one pass over the
 *                 text before libconfig reads it.
 *
 * So with libconfig 1.8 as the minimum this pass would shrink to the NUL
 * byte and the settings cap. On the way, beware 1.7: it reads "010" as
 * octal 8 (1.5 and 1.8 read 10).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-libconfig15.h"

struct scan {
	const char *path;
	const char *text;
	char *err;
	size_t errlen;
	size_t len;
	int line;
	unsigned settings;	/* names followed by '=' or ':' so far */
	unsigned depth;		/* groups, lists and arrays open here */
	const struct libconfig15_caps *caps;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct scan *sc, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (sc->errlen == 0)
		return -1;
	snprintf(sc->err, sc->errlen, "%s:%d: ", sc->path, sc->line);
	n = strlen(sc->err);
	va_start(ap, fmt);
	vsnprintf(sc->err + n, sc->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* "e5", "E-3": a float's exponent, as libconfig reads one ("5e" is 5 and a name). */
static bool is_exponent(const char *p)
{
	if (*p != 'e' && *p != 'E')
		return false;
	p += p[1] == '-' || p[1] == '+';
	return isdigit((unsigned char)p[1]);
}

/* The end of the float at p: [-+]?[0-9]*(\.[0-9]*)?, then an exponent if one follows. */
static const char *scan_float(const char *p)
{
	p += *p == '-' || *p == '+';
	p += strspn(p, "0123456789");
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if (is_exponent(p)) {
		p += p[1] == '-' || p[1] == '+' ? 2 : 1;
		p += strspn(p, "0123456789");
	}
	return p;
}

/*
 * The end of the number token at p. *too_big when it is an integer that
 * libconfig 1.5 would store as another value: beyond 32 bits without the
 * L suffix (it reads "port = 4294987297;" as port 20001); with it, beyond
 * 64 bits, or a hexadecimal beyond INT64_MAX (stored as a negative number).
 */
static const char *scan_number(const char *p, bool *too_big)
{
	bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	unsigned long long u = 0;
	long long v = 0;
	char *end;

	errno = 0;
	if (hex) {
		u = strtoull(p, &end, 16);
	} else {
		v = strtoll(p, &end, 10);
		if (*end == '.' || is_exponent(end)) {
			*too_big = false;
			return scan_float(p);
		}
	}
	if (*end == 'L') {
		*too_big = errno == ERANGE || (hex && u > LLONG_MAX);
		end += end[1] == 'L' ? 2 : 1;
	} else {
		*too_big = errno == ERANGE || (hex ? u > INT_MAX : v > INT_MAX || v < INT_MIN);
	}
	return end;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '*';
}

/* Past white space and comments from p (lines are not counted: a lookahead). */
static const char *skip_blanks(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\f\n");
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				;
			p += *p ? 2 : 0;
		} else {
			return p;
		}
	}
}

/*
 * A name just ended at p: one more setting if '=' or ':' follows. Not a 1.5
 * workaround: every libconfig version compares each new name with all of
 * its siblings', so more settings cost quadratic time (config.h).
 */
static int count_setting(struct scan *sc, const char *p)
{
	p = skip_blanks(p);
	if (*p != '=' && *p != ':')
		return 0;
	if (++sc->settings > sc->caps->settings)
		return fail(sc, "more than %u settings", sc->caps->settings);
	return 0;
}

/*
 * A group, list or array opens ('{', '(' or '['). Not a 1.5 workaround:
 * libconfig's parser stack (config.h).
 */
static int open_nesting(struct scan *sc)
{
	if (++sc->depth > sc->caps->depth)
		return fail(sc, "nested too deep (at most %u levels)", sc->caps->depth);
	return 0;
}

/*
 * Past the C-style comment that opens at p: libconfig would read the rest
 * of a file whose comment is never closed as part of it, silently. NULL
 * after fail(), at the line the comment opens on. One cut short by a NUL
 * byte is left to that check.
 */
static const char *skip_comment(struct scan *sc, const char *p)
{
	int line = sc->line;

	for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
		sc->line += *p == '\n';
	if (*p)
		return p + 2;
	if ((size_t)(p - sc->text) == sc->len) {
		sc->line = line;
		fail(sc, "a /* comment that is never closed (the rest of the file would be "
			 "ignored)");
		return NULL;
	}
	return p;
}

/*
 * Past the string that opens at p; NULL after fail() when the text ends
 * inside it: libconfig 1.5 (still 1.8) would take the rest of the file as
 * the string's, or ignore it, without a word.
 */
static const char *skip_string(struct scan *sc, const char *p)
{
	int line = sc->line;

	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		sc->line += *p == '\n';
	}
	if (*p)
		return p + 1;
	if ((size_t)(p - sc->text) == sc->len) {
		sc->line = line;
		fail(sc, "a string that is never closed (the rest of the file would be "
			 "ignored)");
		return NULL;
	}
	return p;
}

/* Scan the text up to its first NUL: where that is, or NULL after fail(). */
static const char *scan_text(struct scan *sc)
{
	const char *p = sc->text, *start;
	bool line_start = true, too_big;

	while (*p) {
		if (*p == '\n') {
			sc->line++;
			p++;
			line_start = true;
			continue;
		}
		if (line_start) {
			/*
			 * The configuration is this one file: an included
			 * directory or FIFO would stop the daemon. Unnecessary
			 * from libconfig 1.7 (config_set_include_func()).
			 */
			line_start = false;
			p += strspn(p, " \t");
			if (!strncmp(p, "@include", 8)) {
				fail(sc, "@include is not supported: "
					 "keep the whole configuration in this file");
				return NULL;
			}
			continue;
		}
		start = p;
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			p = skip_comment(sc, p);
			if (!p)
				return NULL;
		} else if (*p == '"') {
			p = skip_string(sc, p);
			if (!p)
				return NULL;
		} else if (*p == '.' && isdigit((unsigned char)p[1])) {
			p = scan_float(p); /* .5e3 */
		} else if (isdigit((unsigned char)*p) ||
			   ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
			p = scan_number(p, &too_big);
			if (too_big) {
				fail(sc, "integer %.*s is out of range", (int)(p - start), start);
				return NULL;
			}
		} else if (is_name_char(*p)) {
			while (is_name_char(*p))
				p++;
			if (count_setting(sc, p) < 0)
				return NULL;
		} else if (*p == '{' || *p == '(' || *p == '[') {
			if (open_nesting(sc) < 0)
				return NULL;
			p++;
		} else if (*p == '}' || *p == ')' || *p == ']') {
			sc->depth -= sc->depth > 0;
			p++;
		} else {
			p++;
		}
	}
	return p;
}

int libconfig15_check_text(const char *path, const char *text, size_t len,
	const struct libconfig15_caps *caps, char *err, size_t errlen)
{
	struct scan sc = { .path = path, .text = text, .len = len, .err = err, .errlen = errlen,
		.caps = caps,
		.line = 1 };
	const char *end, *p;

	end = scan_text(&sc);
	if (!end)
		return -1;
	/* libconfig (any version) would silently ignore the rest of the file. */
	if ((size_t)(end - text) != len) {
		for (sc.line = 1, p = text; *p; p++)
			sc.line += *p == '\n';
		return fail(&sc, "a NUL byte in the file");
	}
	return 0;
}
