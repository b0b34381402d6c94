/* generation.c - config + sockets + buffers, built whole and swapped whole */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "generation.h"
#include "log.h"

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

/*
 * Which service answers on each of g's sockets: the one whose address and
 * port it is bound to; for a socket systemd passed that no service names,
 * the first with its port, else the first (said once, at start or when the
 * services changed).
 */
static int map_services(struct generation *g, const struct endpoint *ep, size_t nep, bool say)
{
	const struct listener *l;
	char where[NETADDR_STRLEN];
	size_t i, j;

	g->service = calloc(g->ls->n ? g->ls->n : 1, sizeof(*g->service));
	if (!g->service)
		return -1;
	for (i = 0; i < g->ls->n; i++) {
		l = &g->ls->l[i];
		for (j = 0; j < nep; j++)
			if (ep[j].len == l->addrlen && !memcmp(&ep[j].addr, &l->addr, l->addrlen))
				break;
		if (j < nep) {
			g->service[i] = ep[j].service;
			continue;
		}
		for (j = 0; j < g->cfg->nservices && g->cfg->services[j].port != l->port; j++)
			;
		g->service[i] = j < g->cfg->nservices ? (unsigned)j : 0;
		if (say && g->cfg->nservices > 1 && l->worker == 0) {
			netaddr_format(&l->addr.sa, where, sizeof(where));
			log_notice("socket-activated on %s, which no service in %s names: service "
				"\"%s\" answers there", where, g->cfg->path,
				g->cfg->services[g->service[i]].name);
		}
	}
	return 0;
}

/* Room for the templated replies of every worker's batch, and the host name. */
static int reply_room(struct generation *g, unsigned nworkers)
{
	const struct service *svc;
	size_t i, max;

	for (i = 0; i < g->cfg->nservices; i++) {
		svc = &g->cfg->services[i];
		if (svc->literal)
			continue;
		max = template_reply_max(&svc->tmpl, svc->buffer_size, GENERATION_HOSTNAME_MAX);
		if (max > CONFIG_REPLY_MAX)
			max = CONFIG_REPLY_MAX;
		if (max > g->reply_max)
			g->reply_max = max;
	}
	if (gethostname(g->hostname, sizeof(g->hostname) - 1) < 0)
		g->hostname[0] = '\0';
	if (!g->reply_max)
		return 0;
	g->replies = malloc((size_t)nworkers * BATCH * g->reply_max);
	return g->replies ? 0 : -1;
}

int generation_build(struct config *cfg, struct listeners *ls, const struct generation *live,
	unsigned nworkers, struct generation **out, char *err, size_t errlen)
{
	struct endpoint ep[ENDPOINTS_MAX];
	struct generation *g = calloc(1, sizeof(*g));
	const struct generation *prev = live;
	int n = 0, rc = EX_OSERR;
	bool say;

	*out = NULL;
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (!g)
		goto fail;
	while (prev && atomic_load(&prev->next))
		prev = atomic_load(&prev->next);
	g->seq = prev ? prev->seq + 1 : 1;
	g->cfg = cfg;
	cfg = NULL;
	g->buffers = malloc((size_t)nworkers * BATCH * g->cfg->buffer_max);
	if (!g->buffers || reply_room(g, nworkers))
		goto fail;
	n = endpoint_resolve_all(g->cfg, ep, ENDPOINTS_MAX, err, errlen);
	if (!ls && prev && prev->ls->activated) {
		ls = listeners_ref(prev->ls);
	} else if (!ls) {
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
	/* Said at start, and again only when the addresses or ports changed. */
	say = ls->activated && (!prev || !config_same_endpoint(prev->cfg, g->cfg));
	if (say && n > 0)
		listeners_check_config(ls, ep, (size_t)n, g->cfg->path);
	g->ls = ls;
	ls = NULL;
	rc = EX_OSERR;
	snprintf(err, errlen, "%s", strerror(ENOMEM));
	if (map_services(g, ep, n > 0 ? (size_t)n : 0, say))
		goto fail;
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

void generation_describe(const struct generation *g, const char *from, char *buf, size_t len)
{
	const struct service *svc;
	char one[NETADDR_STRLEN];
	size_t i, s, used, before;

	if (g->cfg->nservices == 1) {
		svc = &g->cfg->services[0];
		snprintf(buf, len, "%s%s (buffer %zu bytes, reply %zu bytes)", g->where, from,
			svc->buffer_size, svc->reply_len);
		return;
	}
	used = (size_t)snprintf(buf, len, "%zu services%s:", g->cfg->nservices, from);
	for (s = 0; s < g->cfg->nservices && used < len; s++) {
		svc = &g->cfg->services[s];
		used += (size_t)snprintf(buf + used, len - used, "%s %s on", s ? "," : "",
			svc->name);
		before = used;
		for (i = 0; i < g->ls->n && used < len; i++) {
			if (g->service[i] != s || g->ls->l[i].worker != 0)
				continue;
			netaddr_format(&g->ls->l[i].addr.sa, one, sizeof(one));
			used += (size_t)snprintf(buf + used, len - used, "%s %s",
				used > before ? "," : "", one);
		}
		if (used == before && used < len)
			used += (size_t)snprintf(buf + used, len - used, " no socket");
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used,
				" (buffer %zu bytes, reply %zu bytes)", svc->buffer_size,
				svc->reply_len);
	}
}

unsigned char *generation_buffers(const struct generation *g, unsigned w)
{
	return g->buffers + (size_t)w * BATCH * g->cfg->buffer_max;
}

void generation_free(struct generation *g)
{
	if (!g)
		return;
	listeners_unref(g->ls);
	config_free(g->cfg);
	free(g->service);
	free(g->buffers);
	free(g->replies);
	free(g);
}
