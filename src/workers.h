/*
 * workers.h - how many serving threads a config asks for (no sockets, no
 * logging: the generator uses it too)
 */
#ifndef UDP_REPLYD_WORKERS_H
#define UDP_REPLYD_WORKERS_H

#include "config.h"

/*
 * cfg's workers, or for "auto" one per CPU we may use: the affinity mask,
 * capped by the cgroup v2 cpu.max of our cgroup and its parents.
 */
unsigned workers_wanted(const struct config *cfg);

#endif
