/* notify.h - the one place that talks to systemd's notification socket */
#ifndef UDP_REPLYD_NOTIFY_H
#define UDP_REPLYD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Is systemd listening (NOTIFY_SOCKET)? Without it every notice is a no-op. */
bool notify_enabled(void);
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Watchdog interval in microseconds when systemd asks for pings, else 0. */
uint64_t notify_watchdog_usec(void);
void notify_watchdog(void);

#endif
