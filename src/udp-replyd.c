/* udp-replyd - answer every UDP datagram with the configured reply */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "endpoint.h"
#include "generation.h"
#include "log.h"
#include "server.h"

#define DEFAULT_CONFIG SYSCONFDIR "/udp-replyd.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udp-replyd [OPTIONS]\n"
		"Answer every UDP datagram with the configured reply.\n\n"
		"  -c, --config FILE         configuration file (default %s)\n"
		"  -t, --check-config        check the configuration, print it and exit\n"
		"      --log-target=TARGET   auto, journal or console (default auto)\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop.\n",
		DEFAULT_CONFIG);
}

/* Like nginx -t: a name that does not resolve fails the check. */
static int check_config(struct config *cfg)
{
	struct endpoint ep[ENDPOINTS_MAX];
	char err[CONFIG_ERROR_MAX];

	if (endpoint_resolve(cfg, ep, ENDPOINTS_MAX, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return EX_CONFIG;
	}
	config_print(stdout, cfg);
	config_free(cfg);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* The first generation: systemd's sockets, or our own; then serve it. */
static int serve(struct config *cfg)
{
	char err[CONFIG_ERROR_MAX];
	struct listeners *ls;
	struct generation *gen;
	unsigned workers;
	int rc;

	rc = listeners_activated(&ls);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	workers = generation_workers(cfg);
	if (ls && ls->nworkers != workers)
		log_notice("%s wants %u workers, but systemd passed %u socket%s per address: "
			   "serving with %u (after changing workers: systemctl daemon-reload "
			   "&& systemctl restart udp-replyd.socket)", cfg->path, workers,
			ls->nworkers, ls->nworkers == 1 ? "" : "s", ls->nworkers);
	if (ls)
		workers = ls->nworkers;
	rc = generation_build(cfg, ls, NULL, workers, &gen, err, sizeof(err));
	if (rc != 0) {
		log_errx("%s", err);
		return rc;
	}
	rc = server_run(gen, workers);
	log_close();
	return rc;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "log-target", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_target target = LOG_TARGET_AUTO;
	const char *path = DEFAULT_CONFIG;
	char err[CONFIG_ERROR_MAX];
	struct config *cfg;
	int opt, check = 0, rc;

	while ((opt = getopt_long(argc, argv, "c:thV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'L':
			if (log_target_parse(optarg, &target) < 0) {
				fprintf(stderr, "udp-replyd: --log-target: \"%s\": use auto, journal or console\n",
					optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			puts(PACKAGE_STRING);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "udp-replyd: unexpected argument \"%s\"\n", argv[optind]);
		return EX_USAGE;
	}
	log_open("udp-replyd", target);
	rc = config_load(path, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return rc == -ENOMEM ? EX_OSERR : EX_CONFIG;
	}
	if (check)
		return check_config(cfg);
	return serve(cfg);
}
