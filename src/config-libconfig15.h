/* config-libconfig15.h - what libconfig 1.5 would take silently, refused before it parses */
#ifndef UDP_REPLYD_CONFIG_LIBCONFIG15_H
#define UDP_REPLYD_CONFIG_LIBCONFIG15_H

#include <stddef.h>

/*
 * Groups, lists and arrays inside one another: libconfig (every version)
 * runs out of parser stack (bison's 10,000 states: 4,996 lists in one
 * another) and says only "memory exhausted"; services need 2 levels.
 * Belongs next to CONFIG_SETTINGS_MAX in config.h.
 */
#ifndef CONFIG_DEPTH_MAX
#define CONFIG_DEPTH_MAX 16
#endif

/*
 * Read text (len bytes, NUL-terminated at text[len]) as libconfig's scanner
 * does and refuse, naming the first in text order: an @include line, an
 * integer libconfig 1.5 would wrap to 32 bits or store as another value, a
 * comment that is never closed, more than CONFIG_DEPTH_MAX levels of
 * nesting, more than CONFIG_SETTINGS_MAX settings (config.h); then a NUL
 * byte anywhere. Returns 0, or -1 with err holding "PATH:LINE: what is
 * wrong" (cut to errlen, NUL-terminated).
 */
int libconfig15_check_text(const char *path, const char *text, size_t len, char *err,
	size_t errlen);

#endif
