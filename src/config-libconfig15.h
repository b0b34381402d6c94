/* config-libconfig15.h - what libconfig 1.5 would take silently, refused before it parses */
#ifndef UDP_REPLYD_CONFIG_LIBCONFIG15_H
#define UDP_REPLYD_CONFIG_LIBCONFIG15_H

#include <stddef.h>

/* The caps the scan applies (config.h's CONFIG_SETTINGS_MAX, CONFIG_DEPTH_MAX). */
struct libconfig15_caps {
	unsigned settings;	/* names followed by '=' or ':', at any depth */
	unsigned depth;		/* groups, lists and arrays inside one another */
};

/*
 * Read text (len bytes, NUL-terminated at text[len]) as libconfig's scanner
 * does and refuse, naming the first in text order: an @include line, an
 * integer libconfig 1.5 would wrap to 32 bits or store as another value, a
 * comment or a string that is never closed, more than caps->depth levels
 * of nesting, more than caps->settings settings; then a NUL byte anywhere.
 * Returns 0, or -1 with err holding "PATH:LINE: what is wrong" (cut to
 * errlen, NUL-terminated).
 */
int libconfig15_check_text(const char *path, const char *text, size_t len,
	const struct libconfig15_caps *caps, char *err, size_t errlen);

#endif
