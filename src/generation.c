/* generation.c - config + sockets + buffers, built whole and swapped whole */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "generation.h"
#include "log.h"

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

unsigned generation_workers(const struct config *cfg)
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

/*
 * Sockets bound anew for g, once the port is known to be free or ours:
 * every socket set of the live generations counts as ours.
 */
static int bind_new(struct generation *g, const struct endpoint *ep, size_t nep,
	const struct generation *live, unsigned nworkers, struct listeners **ls, char *err,
	size_t errlen)
{
	const struct listeners **ours = NULL;
	const struct generation *h;
	size_t nours = 0;
	int rc;

	for (h = live; h; h = atomic_load(&h->next))
		nours++;
	if (nours && !(ours = calloc(nours, sizeof(*ours))))
		return EX_OSERR;
	nours = 0;
	for (h = live; h; h = atomic_load(&h->next))
		ours[nours++] = h->ls;
	rc = listeners_bind(ep, nep, nworkers, g->cfg->receive_buffer, g->cfg->send_buffer, ours,
		nours, ls, err, errlen);
	free(ours);
	return rc;
}

/* The policy of g's config, knowing every port g listens on. */
static void compile_policy(struct generation *g)
{
	uint16_t ports[POLICY_PORTS_MAX];
	size_t i, n = 0;

	for (i = 0; i < g->ls->n && n < POLICY_PORTS_MAX; i++)
		ports[n++] = g->ls->l[i].port;
	policy_init(&g->policy, g->cfg, ports, n);
}

int generation_build(struct config *cfg, struct listeners *ls, const struct generation *live,
	unsigned nworkers, struct generation **out, char *err, size_t errlen)
{
	struct endpoint ep[ENDPOINTS_MAX];
	struct generation *g = calloc(1, sizeof(*g));
	const struct generation *prev = live;
	int n = 0, rc = EX_OSERR;

	*out = NULL;
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (!g)
		goto fail;
	while (prev && atomic_load(&prev->next))
		prev = atomic_load(&prev->next);
	g->seq = prev ? prev->seq + 1 : 1;
	g->cfg = cfg;
	cfg = NULL;
	g->buffers = malloc((size_t)nworkers * BATCH * g->cfg->buffer_size);
	if (!g->buffers)
		goto fail;
	if (!ls && prev && prev->ls->activated) {
		ls = listeners_ref(prev->ls);
	} else if (!ls) {
		n = endpoint_resolve(g->cfg, ep, ENDPOINTS_MAX, err, errlen);
		if (n < 0) {
			rc = EX_CONFIG;
			goto fail;
		}
		if (prev && listeners_serve(prev->ls, ep, (size_t)n, nworkers,
					    g->cfg->receive_buffer, g->cfg->send_buffer)) {
			ls = listeners_ref(prev->ls);
		} else {
			rc = bind_new(g, ep, (size_t)n, live, nworkers, &ls, err, errlen);
			if (rc)
				goto fail;
		}
	}
	/* Said at start, and again only when the address or port changed. */
	if (ls->activated && (!prev || !config_same_endpoint(prev->cfg, g->cfg)) &&
	    (n = endpoint_resolve(g->cfg, ep, ENDPOINTS_MAX, err, errlen)) > 0)
		listeners_check_config(ls, ep, (size_t)n, g->cfg->path);
	g->ls = ls;
	ls = NULL;
	listeners_describe(g->ls, g->where, sizeof(g->where));
	compile_policy(g);
	listeners_steer(g->ls, g->cfg->ipv4_prefix, g->cfg->ipv6_prefix);
	*out = g;
	return 0;
fail:
	listeners_unref(ls);
	config_free(cfg);
	generation_free(g);
	return rc;
}

unsigned char *generation_buffers(const struct generation *g, unsigned w)
{
	return g->buffers + (size_t)w * BATCH * g->cfg->buffer_size;
}

void generation_free(struct generation *g)
{
	if (!g)
		return;
	listeners_unref(g->ls);
	config_free(g->cfg);
	free(g->buffers);
	free(g);
}
