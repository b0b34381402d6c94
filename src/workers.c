/* workers.c - how many workers a config asks for: its number, or one per usable CPU */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workers.h"

/* The CPU limit of our cgroup (cgroup v2 cpu.max, all the way up), or 0. */
static unsigned cgroup_cpus(void)
{
	char line[4096], path[4400], *dir, *slash;
	unsigned long long quota, period;
	unsigned best = 0, n;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return 0;
	dir = NULL;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			dir = line + 3;
			dir[strcspn(dir, "\n")] = '\0';
			break;
		}
	fclose(f);
	while (dir) {
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.max", dir);
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%llu %llu", &quota, &period) == 2 && period > 0) {
				n = (unsigned)((quota + period - 1) / period);
				if (n > 0 && (best == 0 || n < best))
					best = n;
			}
			fclose(f);
		}
		/* Up to and including "/", the root of our cgroup namespace. */
		slash = strrchr(dir, '/');
		if (!slash || dir[1] == '\0')
			break;
		slash[slash == dir] = '\0';	/* "/a/b" -> "/a", "/a" -> "/" */
	}
	return best;
}

unsigned workers_wanted(const struct config *cfg)
{
	cpu_set_t set;
	unsigned n = 1, limit;
	long online;

	if (cfg->workers != CONFIG_WORKERS_AUTO)
		return cfg->workers;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		n = (unsigned)CPU_COUNT(&set);
	} else {
		online = sysconf(_SC_NPROCESSORS_ONLN);
		n = online > 0 ? (unsigned)online : 1;
	}
	limit = cgroup_cpus();
	if (limit && limit < n)
		n = limit;
	if (n > CONFIG_WORKERS_MAX)
		n = CONFIG_WORKERS_MAX;
	return n ? n : 1;
}
