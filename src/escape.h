/* escape.h - bytes into one safe line of text for log messages (pure, no I/O) */
#ifndef UDP_REPLYD_ESCAPE_H
#define UDP_REPLYD_ESCAPE_H

#include <stddef.h>

/*
 * Escape len bytes of data for a one-line human message: printable ASCII and
 * valid UTF-8 (but no control characters, line separators or bidi controls)
 * stay, the rest become \n, \t, \r, \\, \" or \xHH. Writes at most size-1
 * bytes plus NUL, never splitting an escape; returns how many input bytes
 * were consumed.
 */
size_t escape_text(char *buf, size_t size, const unsigned char *data, size_t len);

#endif
