/* config-libconfig15.h - what libconfig 1.5 would take silently, refused before it parses */
#ifndef UDP_REPLYD_CONFIG_LIBCONFIG15_H
#define UDP_REPLYD_CONFIG_LIBCONFIG15_H

#include <stddef.h>

/*
 * Read text (len bytes, NUL-terminated at text[len]) as libconfig's scanner
 * does and refuse, naming the first in text order: an @include line, an
 * integer libconfig 1.5 would wrap to 32 bits, more than CONFIG_SETTINGS_MAX
 * settings (config.h); then a NUL byte anywhere. Returns 0, or -1 with err
 * holding "PATH:LINE: what is wrong" (cut to errlen, NUL-terminated).
 */
int libconfig15_check_text(const char *path, const char *text, size_t len, char *err,
	size_t errlen);

#endif
