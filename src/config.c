/* config.c - /etc/udp-replyd.conf into a validated, immutable struct config */
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-libconfig15.h"
#include "config.h"
#include "escape.h"
#include "netaddr.h"

struct loader {
	const char *path;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(const struct loader *ld, int line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (ld->errlen == 0)
		return -1;
	snprintf(ld->err, ld->errlen, "%s:%d: ", ld->path, line);
	n = strlen(ld->err);
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "of an unknown type";
	}
}

/* An integer min..max; errors name it as name ("rate_limit.rate" for one in a group). */
static int get_integer_named(const struct loader *ld, const config_setting_t *s,
	const char *name, long long min, long long max, long long *out)
{
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s);
	long long v = 0;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail(ld, line, "%s: must be an integer, not %s", name, type_name(type));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(ld, line, "%s: must be an integer from %lld to %lld, not %lld", name,
			min, max, v);
	*out = v;
	return 0;
}

static int get_integer(const struct loader *ld, const config_setting_t *s, long long min,
	long long max, long long *out)
{
	return get_integer_named(ld, s, config_setting_name(s), min, max, out);
}

static int get_boolean(const struct loader *ld, const config_setting_t *s, bool *out)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_BOOL)
		return fail(ld, (int)config_setting_source_line(s), "%s: must be a boolean, not %s",
			config_setting_name(s), type_name(type));
	*out = config_setting_get_bool(s);
	return 0;
}

static int get_string(const struct loader *ld, const config_setting_t *s, const char **out)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_STRING)
		return fail(ld, (int)config_setting_source_line(s), "%s: must be a string, not %s",
			config_setting_name(s), type_name(type));
	*out = config_setting_get_string(s);
	return 0;
}

#define WORKERS_MUST "workers: must be an integer from 1 to %d or \"auto\", not "

/* workers = 1..CONFIG_WORKERS_MAX, or "auto" (CONFIG_WORKERS_AUTO). */
static int get_workers(const struct loader *ld, const config_setting_t *s, unsigned *out)
{
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s);
	const char *str;
	long long v;
	char shown[256];

	if (type == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		if (!strcmp(str, "auto")) {
			*out = CONFIG_WORKERS_AUTO;
			return 0;
		}
		escape_text(shown, sizeof(shown), (const unsigned char *)str, strlen(str));
		return fail(ld, line, WORKERS_MUST "\"%s\"", CONFIG_WORKERS_MAX, shown);
	}
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail(ld, line, WORKERS_MUST "%s", CONFIG_WORKERS_MAX, type_name(type));
	v = config_setting_get_int64(s);
	if (v < 1 || v > CONFIG_WORKERS_MAX)
		return fail(ld, line, WORKERS_MUST "%lld", CONFIG_WORKERS_MAX, v);
	*out = (unsigned)v;
	return 0;
}

#define GUARD_PORTS_MUST "loop_guard_ports: must be an array of ports like [53, 123], not "

/* The type of an array's elements (libconfig makes them all one type), plural. */
static const char *elements_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "integers";
	case CONFIG_TYPE_FLOAT:
		return "floats";
	case CONFIG_TYPE_STRING:
		return "strings";
	case CONFIG_TYPE_BOOL:
		return "booleans";
	default:
		return "values of an unknown type";
	}
}

/*
 * loop_guard_ports = [ PORT, ... ]: an array (not a list) of 0 to
 * CONFIG_GUARD_PORTS_MAX integers 1..65535, each stored once, in the order
 * first written. Problems are named in text order, at the element's line.
 */
static int get_guard_ports(const struct loader *ld, const config_setting_t *s,
	struct config *cfg)
{
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s);
	uint16_t ports[CONFIG_GUARD_PORTS_MAX];
	size_t n = 0, j;
	int i, count;

	if (type != CONFIG_TYPE_ARRAY)
		return fail(ld, line, GUARD_PORTS_MUST "%s", type_name(type));
	count = config_setting_length(s);
	for (i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int eline = (int)config_setting_source_line(e);
		int etype = config_setting_type(e);
		long long v;

		if (etype != CONFIG_TYPE_INT && etype != CONFIG_TYPE_INT64)
			return fail(ld, eline, GUARD_PORTS_MUST "an array of %s",
				elements_name(etype));
		v = config_setting_get_int64(e);
		if (v < 1 || v > 65535)
			return fail(ld, eline, "loop_guard_ports: %lld is not a port (1 to 65535)",
				v);
		if (i >= CONFIG_GUARD_PORTS_MAX)
			return fail(ld, eline, "loop_guard_ports: more than %d ports",
				CONFIG_GUARD_PORTS_MAX);
		for (j = 0; j < n && ports[j] != (uint16_t)v; j++)
			;
		if (j == n)
			ports[n++] = (uint16_t)v;
	}
	memcpy(cfg->guard_ports, ports, n * sizeof(ports[0]));
	cfg->nguard_ports = n;
	return 0;
}

/*
 * allow / deny / rate_limit.exempt = [ "PREFIX", ... ]: an array of 0 to
 * CONFIG_ACL_MAX strings, each an address or a CIDR prefix; duplicates kept
 * once. Errors name the setting as name.
 */
static int get_prefixes(const struct loader *ld, const config_setting_t *s, const char *name,
	struct netaddr_prefix *out, size_t *nout)
{
	const char *text, *why;
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s), i, count;
	struct netaddr_prefix p;
	char shown[128];
	size_t n = 0, j;

	if (type != CONFIG_TYPE_ARRAY)
		return fail(ld, line, "%s: must be an array of prefixes like [\"192.0.2.0/24\"], "
			"not %s", name, type_name(type));
	count = config_setting_length(s);
	for (i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int eline = (int)config_setting_source_line(e);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(ld, eline, "%s: must be an array of prefixes like "
				"[\"192.0.2.0/24\"], not an array of %s", name,
				elements_name(config_setting_type(e)));
		text = config_setting_get_string(e);
		if (netaddr_parse_prefix(text, &p, &why) < 0) {
			escape_text(shown, sizeof(shown), (const unsigned char *)text, strlen(text));
			return fail(ld, eline, "%s: \"%s\": %s", name, shown, why);
		}
		if (i >= CONFIG_ACL_MAX)
			return fail(ld, eline, "%s: more than %d prefixes", name, CONFIG_ACL_MAX);
		for (j = 0; j < n && (out[j].len != p.len ||
				      memcmp(&out[j].addr, &p.addr, sizeof(p.addr))); j++)
			;
		if (j == n)
			out[n++] = p;
	}
	*nout = n;
	return 0;
}

/* The ranges of the rate_limit group's integers (udp-replyd.conf(5)). */
#define RATE_LIMIT_RATE_MAX 1000000
#define RATE_LIMIT_BURST_MAX 1000000
#define RATE_LIMIT_IPV4_PREFIX_MIN 8
#define RATE_LIMIT_IPV6_PREFIX_MIN 16

/*
 * rate_limit = { rate = N; burst = N; ipv4_prefix = N; ipv6_prefix = N;
 * exempt = [ "PREFIX", ... ]; }: every key optional, the defaults of
 * config_new() stay for those left out; rate = 0 turns the limit off.
 */
static int get_rate_limit(const struct loader *ld, const config_setting_t *s,
	struct config *cfg)
{
	int type = config_setting_type(s), i, count;
	long long v;

	if (type != CONFIG_TYPE_GROUP)
		return fail(ld, (int)config_setting_source_line(s),
			"rate_limit: must be a group like { rate = 100; }, not %s",
			type_name(type));
	count = config_setting_length(s);
	for (i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e);

		if (!strcmp(name, "rate")) {
			if (get_integer_named(ld, e, "rate_limit.rate", 0, RATE_LIMIT_RATE_MAX, &v))
				return -1;
			cfg->rate = (unsigned)v;
		} else if (!strcmp(name, "burst")) {
			if (get_integer_named(ld, e, "rate_limit.burst", 1, RATE_LIMIT_BURST_MAX,
				    &v))
				return -1;
			cfg->burst = (unsigned)v;
		} else if (!strcmp(name, "ipv4_prefix")) {
			if (get_integer_named(ld, e, "rate_limit.ipv4_prefix",
				    RATE_LIMIT_IPV4_PREFIX_MIN, 32, &v))
				return -1;
			cfg->ipv4_prefix = (unsigned)v;
		} else if (!strcmp(name, "ipv6_prefix")) {
			if (get_integer_named(ld, e, "rate_limit.ipv6_prefix",
				    RATE_LIMIT_IPV6_PREFIX_MIN, 128, &v))
				return -1;
			cfg->ipv6_prefix = (unsigned)v;
		} else if (!strcmp(name, "exempt")) {
			if (get_prefixes(ld, e, "rate_limit.exempt", cfg->exempt, &cfg->nexempt))
				return -1;
		} else {
			return fail(ld, (int)config_setting_source_line(e),
				"rate_limit: unknown setting \"%s\"", name);
		}
	}
	cfg->rate_limit = cfg->rate > 0;
	return 0;
}

static int set_string(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* A service's name: what a journal field and a message can carry. */
static bool valid_name(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > CONFIG_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f || name[i] == '"' || name[i] == '\\')
			return false;
	return true;
}

/*
 * Apply one of a service's settings (address, port, buffer_size, reply;
 * name only in a services group) to svc. 1 when s is not one of them.
 */
static int apply_service_key(const struct loader *ld, const config_setting_t *s,
	struct service *svc, bool in_group)
{
	const char *name = config_setting_name(s);
	int line = (int)config_setting_source_line(s);
	const char *str = NULL;
	char shown[256];
	long long v = 0;

	if (!strcmp(name, "address")) {
		if (get_string(ld, s, &str))
			return -1;
		if (!netaddr_is_literal(str) && !netaddr_valid_hostname(str)) {
			escape_text(shown, sizeof(shown), (const unsigned char *)str, strlen(str));
			return fail(ld, line, "address: \"%s\": not an IP address or host name",
				shown);
		}
		svc->address_line = line;
		return set_string(&svc->address, str) ? fail(ld, line, "%s", strerror(errno)) : 0;
	}
	if (!strcmp(name, "port")) {
		if (get_integer(ld, s, 1, 65535, &v))
			return -1;
		svc->port = (uint16_t)v;
		svc->port_line = line;
		return 0;
	}
	if (!strcmp(name, "buffer_size")) {
		if (get_integer(ld, s, CONFIG_BUFFER_SIZE_MIN, CONFIG_BUFFER_SIZE_MAX, &v))
			return -1;
		svc->buffer_size = (size_t)v;
		return 0;
	}
	if (!strcmp(name, "reply")) {
		if (get_string(ld, s, &str))
			return -1;
		if (strlen(str) > CONFIG_REPLY_MAX)
			return fail(ld, line, "reply: must be at most %d bytes, not %zu",
				CONFIG_REPLY_MAX, strlen(str));
		if (set_string(&svc->reply, str))
			return fail(ld, line, "%s", strerror(errno));
		svc->reply_len = strlen(str);
		svc->reply_line = line;
		return 0;
	}
	if (in_group && !strcmp(name, "name")) {
		if (get_string(ld, s, &str))
			return -1;
		if (!valid_name(str)) {
			escape_text(shown, sizeof(shown), (const unsigned char *)str, strlen(str));
			return fail(ld, line, "name: \"%s\": must be 1 to %d printable characters, "
				"without spaces, quotes or backslashes", shown, CONFIG_NAME_MAX);
		}
		return set_string(&svc->name, str) ? fail(ld, line, "%s", strerror(errno)) : 0;
	}
	return 1;
}

static void service_clear(struct service *svc)
{
	template_free(&svc->tmpl);
	free(svc->name);
	free(svc->address);
	free(svc->reply);
	memset(svc, 0, sizeof(*svc));
}

/* A service with the defaults: 127.0.0.1:20001, 1024 bytes, "Hello UDP Client". */
static int service_init(struct service *svc, int line)
{
	memset(svc, 0, sizeof(*svc));
	svc->line = line;
	svc->address = strdup(CONFIG_DEFAULT_ADDRESS);
	svc->reply = strdup(CONFIG_DEFAULT_REPLY);
	svc->port = CONFIG_DEFAULT_PORT;
	svc->buffer_size = CONFIG_DEFAULT_BUFFER_SIZE;
	svc->reply_len = strlen(CONFIG_DEFAULT_REPLY);
	if (!svc->address || !svc->reply) {
		service_clear(svc);
		return -1;
	}
	return 0;
}

static void services_free(struct service *svc, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		service_clear(&svc[i]);
	free(svc);
}

/*
 * services = ( { name = ...; address = ...; port = ...; buffer_size = ...;
 * reply = ...; }, ... ): 1 to CONFIG_SERVICES_MAX groups, each key
 * optional with the one-service defaults; replaces cfg's services.
 */
static int get_services(const struct loader *ld, const config_setting_t *s, struct config *cfg)
{
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s), count, i, j, rc;
	struct service *list;

	if (type != CONFIG_TYPE_LIST)
		return fail(ld, line, "services: must be a list of groups like "
			"( { port = 20001; reply = \"hi\"; } ), not %s", type_name(type));
	count = config_setting_length(s);
	if (count == 0)
		return fail(ld, line, "services: must list at least one service");
	if (count > CONFIG_SERVICES_MAX)
		return fail(ld, (int)config_setting_source_line(
			config_setting_get_elem(s, CONFIG_SERVICES_MAX)),
			"services: more than %d services", CONFIG_SERVICES_MAX);
	list = calloc((size_t)count, sizeof(*list));
	if (!list)
		return fail(ld, line, "%s", strerror(errno));
	for (i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		int gline = (int)config_setting_source_line(g);

		if (service_init(&list[i], gline)) {
			services_free(list, (size_t)i);
			return fail(ld, gline, "%s", strerror(errno));
		}
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			services_free(list, (size_t)i + 1);
			return fail(ld, gline, "services: each service must be a group like "
				"{ port = 20001; }, not %s", type_name(config_setting_type(g)));
		}
		for (j = 0; j < config_setting_length(g); j++) {
			const config_setting_t *e = config_setting_get_elem(g, (unsigned)j);

			rc = apply_service_key(ld, e, &list[i], true);
			if (rc > 0)
				rc = fail(ld, (int)config_setting_source_line(e),
					"services: unknown setting \"%s\" in a service (a service "
					"has name, address, port, buffer_size and reply)",
					config_setting_name(e));
			if (rc) {
				services_free(list, (size_t)i + 1);
				return -1;
			}
		}
	}
	services_free(cfg->services, cfg->nservices);
	cfg->services = list;
	cfg->nservices = (size_t)count;
	return 0;
}

/* Apply one top-level setting to cfg, validating it. */
static int apply_setting(const struct loader *ld, const config_setting_t *s, struct config *cfg)
{
	const char *name = config_setting_name(s);
	int line = (int)config_setting_source_line(s);
	long long v = 0;
	int rc;

	if (!strcmp(name, "services"))
		return get_services(ld, s, cfg);
	rc = apply_service_key(ld, s, &cfg->services[0], false);
	if (rc <= 0)
		return rc;
	if (!strcmp(name, "log_datagrams"))
		return get_boolean(ld, s, &cfg->log_datagrams);
	if (!strcmp(name, "workers"))
		return get_workers(ld, s, &cfg->workers);
	if (!strcmp(name, "receive_buffer")) {
		if (get_integer(ld, s, CONFIG_RECEIVE_BUFFER_MIN, CONFIG_RECEIVE_BUFFER_MAX, &v))
			return -1;
		cfg->receive_buffer = (int)v;
		return 0;
	}
	if (!strcmp(name, "loop_guard"))
		return get_boolean(ld, s, &cfg->loop_guard);
	if (!strcmp(name, "loop_guard_ports"))
		return get_guard_ports(ld, s, cfg);
	if (!strcmp(name, "allow"))
		return get_prefixes(ld, s, name, cfg->allow, &cfg->nallow);
	if (!strcmp(name, "deny"))
		return get_prefixes(ld, s, name, cfg->deny, &cfg->ndeny);
	if (!strcmp(name, "rate_limit"))
		return get_rate_limit(ld, s, cfg);
	if (!strcmp(name, "send_buffer")) {
		if (get_integer(ld, s, CONFIG_RECEIVE_BUFFER_MIN, CONFIG_RECEIVE_BUFFER_MAX, &v))
			return -1;
		cfg->send_buffer = (int)v;
		return 0;
	}
	if (!strcmp(name, "max_amplification")) {
		if (get_integer(ld, s, 0, CONFIG_MAX_AMPLIFICATION_MAX, &v))
			return -1;
		cfg->max_amplification = (unsigned)v;
		return 0;
	}
	return fail(ld, line, "unknown setting \"%s\"", name);
}

static struct config *config_new(const char *path)
{
	static const uint16_t guard_ports[] = CONFIG_GUARD_PORTS_DEFAULT;
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->path = strdup(path);
	cfg->services = calloc(1, sizeof(*cfg->services));
	if (!cfg->path || !cfg->services || service_init(&cfg->services[0], 0)) {
		config_free(cfg);
		return NULL;
	}
	cfg->nservices = 1;
	cfg->log_datagrams = true;
	cfg->workers = CONFIG_WORKERS_AUTO;
	cfg->loop_guard = true;
	memcpy(cfg->guard_ports, guard_ports, sizeof(guard_ports));
	cfg->nguard_ports = sizeof(guard_ports) / sizeof(guard_ports[0]);
	cfg->max_amplification = CONFIG_MAX_AMPLIFICATION_DEFAULT;
	cfg->rate_limit = true;
	cfg->rate = CONFIG_RATE_DEFAULT;
	cfg->burst = CONFIG_BURST_DEFAULT;
	cfg->ipv4_prefix = CONFIG_IPV4_PREFIX_DEFAULT;
	cfg->ipv6_prefix = CONFIG_IPV6_PREFIX_DEFAULT;
	/* Loopback: local tests, benchmarks and clients are not throttled. */
	if (netaddr_parse_prefix("127.0.0.0/8", &cfg->exempt[0], NULL) == 0 &&
	    netaddr_parse_prefix("::1", &cfg->exempt[1], NULL) == 0)
		cfg->nexempt = 2;
	return cfg;
}

/*
 * fd read to its end, NUL-terminated, whatever its size said (hint): a
 * file in /proc says 0. NULL after fail(), *rc = -ENOMEM if memory ran out.
 */
static char *read_to_end(const struct loader *ld, int fd, size_t hint, size_t *lenp, int *rc)
{
	/* Room for a byte more than the file should hold (to see its end) and the NUL. */
	size_t size = hint < 4096 ? 4096 : hint + 2, len = 0;
	char *text = NULL, *more;
	ssize_t n;

	for (;;) {
		if (!text || len + 1 == size) {
			if (text)
				size = size > CONFIG_FILE_MAX / 2 ? CONFIG_FILE_MAX + 2 : 2 * size;
			more = realloc(text, size);
			if (!more) {
				fail(ld, 0, "not enough memory to parse the file (%zu bytes)", size);
				*rc = -ENOMEM;
				free(text);
				return NULL;
			}
			text = more;
		}
		n = read(fd, text + len, size - 1 - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(ld, 0, "cannot read: %s", strerror(errno));
			free(text);
			return NULL;
		}
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			fail(ld, 0, "larger than %d bytes", CONFIG_FILE_MAX);
			free(text);
			return NULL;
		}
	}
	text[len] = '\0';
	*lenp = len;
	return text;
}

/*
 * The whole file, NUL-terminated, or NULL after fail() (*rc = -ENOMEM when
 * memory ran out). Opened non-blocking so a FIFO cannot hang us; only a
 * regular file is read (libconfig's scanner exits the process on a
 * directory).
 */
static char *read_file(const struct loader *ld, size_t *lenp, int *rc)
{
	struct stat st;
	char *text = NULL;
	int fd;

	fd = open(ld->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fail(ld, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		fail(ld, 0, "cannot open: %s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fail(ld, 0, "cannot open: %s", S_ISDIR(st.st_mode) ? strerror(EISDIR) :
			"not a regular file");
	} else if (st.st_size > CONFIG_FILE_MAX) {
		fail(ld, 0, "larger than %d bytes", CONFIG_FILE_MAX);
	} else {
		text = read_to_end(ld, fd, (size_t)st.st_size, lenp, rc);
	}
	close(fd);
	return text;
}

/*
 * libconfig 1.5 does not survive a failed allocation while it parses: its
 * scanner exits the process ("out of dynamic memory"), its string buffers
 * crash. So first make sure the memory is there (under a tight RLIMIT_AS):
 * measured, it needs less than 8 bytes per byte of text and 256 KiB.
 */
static bool parse_room(size_t len)
{
	void *room = malloc(CONFIG_PARSE_ROOM(len));

	free(room);
	return room != NULL;
}

/* A service key at the top level: the one-service shorthand. */
static bool service_key(const char *name)
{
	return !strcmp(name, "address") || !strcmp(name, "port") || !strcmp(name, "buffer_size") ||
	       !strcmp(name, "reply");
}

/*
 * Parse text (from ld->path, or the command line's --set) and apply its
 * settings to cfg. From the command line, a service key replaces a services
 * list with the one service it sets (*cmdline_service says one was made).
 */
static int apply_text(const struct loader *ld, const char *text, struct config *cfg,
	bool *cmdline_service)
{
	const config_setting_t *root, *e, *services = NULL;
	config_t cf;
	int i, rc = -1;

	config_init(&cf);
	if (!config_read_string(&cf, text)) {
		fail(ld, config_error_line(&cf), "%s", config_error_text(&cf));
		goto out;
	}
	root = config_root_setting(&cf);
	/* A file emptied or cut short while edited must not turn into the defaults. */
	if (!cmdline_service && config_setting_length(root) == 0) {
		fail(ld, 0, "no settings (an empty file is refused: to run on the defaults, "
			"set one of them, such as port = %d;)", CONFIG_DEFAULT_PORT);
		goto out;
	}
	for (i = 0; i < config_setting_length(root); i++)
		if (!strcmp(config_setting_name(config_setting_get_elem(root, (unsigned)i)),
			    "services"))
			services = config_setting_get_elem(root, (unsigned)i);
	for (i = 0; i < config_setting_length(root); i++) {
		e = config_setting_get_elem(root, (unsigned)i);
		if (services && service_key(config_setting_name(e))) {
			fail(ld, (int)config_setting_source_line(e),
				"%s: not allowed next to services (line %d): each service has its own",
				config_setting_name(e), (int)config_setting_source_line(services));
			goto out;
		}
		if (cmdline_service && !*cmdline_service && service_key(config_setting_name(e))) {
			struct service one;

			if (service_init(&one, 0)) {
				fail(ld, 0, "%s", strerror(errno));
				goto out;
			}
			if (cfg->nservices == 1 && cfg->services[0].line == 0) {
				service_clear(&one);	/* the file's shorthand: override it */
			} else {
				services_free(cfg->services, cfg->nservices);
				cfg->services = calloc(1, sizeof(*cfg->services));
				if (!cfg->services) {
					cfg->nservices = 0;
					service_clear(&one);
					fail(ld, 0, "%s", strerror(errno));
					goto out;
				}
				cfg->services[0] = one;
				cfg->nservices = 1;
			}
			*cmdline_service = true;
		}
		if (apply_setting(ld, e, cfg))
			goto out;
	}
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

/* "127.0.0.1:20001", "[::1]:20001": a service's address and port. */
static void format_endpoint(char *buf, size_t size, const struct service *svc)
{
	snprintf(buf, size, strchr(svc->address, ':') ? "[%s]:%u" : "%s:%u", svc->address,
		svc->port);
}

/* The same address (literals compared as addresses, names as text)? */
static bool same_address(const char *a, const char *b)
{
	struct netaddr_prefix pa, pb;

	if (netaddr_is_literal(a) && netaddr_is_literal(b) &&
	    netaddr_parse_prefix(a, &pa, NULL) == 0 && netaddr_parse_prefix(b, &pb, NULL) == 0)
		return pa.len == pb.len && !memcmp(&pa.addr, &pb.addr, sizeof(pa.addr));
	return !strcmp(a, b);
}

/* The reply as a template; a literal one is sent as its bytes. */
static int compile_reply(const struct loader *ld, struct service *svc)
{
	struct template_error terr;
	char shown[256];
	size_t from;
	int rc;

	template_free(&svc->tmpl);
	rc = template_compile(&svc->tmpl, svc->reply, svc->reply_len, &terr);
	if (rc == -ENOMEM)
		return fail(ld, svc->reply_line, "%s", strerror(ENOMEM));
	if (rc < 0) {
		/* The text around the bad %, as the file has it. */
		from = terr.offset > 16 ? terr.offset - 16 : 0;
		escape_text(shown, sizeof(shown), (const unsigned char *)svc->reply + from,
			svc->reply_len - from < 40 ? svc->reply_len - from : 40);
		return fail(ld, svc->reply_line, "reply: %s (byte %zu, in \"%s%s\")",
			terr.message, terr.offset + 1, from ? "..." : "", shown);
	}
	svc->literal = template_literal(&svc->tmpl, &svc->literal_len);
	return 0;
}

/* Names for the unnamed, the largest buffer, the replies compiled; no two services alike. */
static int finish_services(const struct loader *ld, struct config *cfg)
{
	char where[NI_MAXHOST + 16];	/* a default name: a host name and a port */
	struct service *a, *b;
	size_t i, j;

	cfg->buffer_max = 0;
	for (i = 0; i < cfg->nservices; i++) {
		a = &cfg->services[i];
		if (!a->name) {
			format_endpoint(where, sizeof(where), a);
			if (set_string(&a->name, where))
				return fail(ld, a->line, "%s", strerror(errno));
		}
		if (a->buffer_size > cfg->buffer_max)
			cfg->buffer_max = a->buffer_size;
		if (compile_reply(ld, a))
			return -1;
		for (j = 0; j < i; j++) {
			b = &cfg->services[j];
			if (a->port == b->port && same_address(a->address, b->address)) {
				format_endpoint(where, sizeof(where), a);
				return fail(ld, a->port_line ? a->port_line : a->line,
					"services: %s is also service \"%s\" (line %d)", where,
					b->name, b->line);
			}
			if (!strcmp(a->name, b->name))
				return fail(ld, a->line, "services: two services named \"%s\" "
					"(lines %d and %d)", a->name, b->line, a->line);
		}
	}
	return 0;
}

int config_load_set(const char *path, const char *set, struct config **out, char *err,
	size_t errlen)
{
	static const struct libconfig15_caps caps = { CONFIG_SETTINGS_MAX, CONFIG_DEPTH_MAX };
	struct loader ld = { .path = path ? path : CONFIG_CMDLINE, .err = err, .errlen = errlen };
	struct config *cfg = NULL;
	bool cmdline_service = false;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (path) {
		text = read_file(&ld, &len, &rc);
		if (!text)
			return rc;
		if (libconfig15_check_text(path, text, len, &caps, err, errlen) < 0)
			goto out;
		if (!parse_room(len)) {
			fail(&ld, 0, "not enough memory to parse the file (%zu bytes)", len);
			rc = -ENOMEM;
			goto out;
		}
	}
	cfg = config_new(ld.path);
	if (!cfg || (path && !(cfg->file = strdup(path))) || (set && !(cfg->set = strdup(set)))) {
		fail(&ld, 0, "%s", strerror(ENOMEM));
		rc = -ENOMEM;	/* these only allocate */
		goto out;
	}
	if (text && apply_text(&ld, text, cfg, NULL))
		goto out;
	if (set) {
		ld.path = CONFIG_CMDLINE;
		if (libconfig15_check_text(ld.path, set, strlen(set), &caps, err, errlen) < 0 ||
		    apply_text(&ld, set, cfg, &cmdline_service))
			goto out;
	}
	ld.path = cfg->path;
	if (finish_services(&ld, cfg))
		goto out;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	config_free(cfg);
	free(text);
	return rc;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	return config_load_set(path, NULL, out, err, errlen);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->file);
	free(cfg->set);
	services_free(cfg->services, cfg->nservices);
	free(cfg);
}

/* The reply, escaped, in pieces: no allocation, whatever its length. */
static void print_escaped(FILE *out, const char *data, size_t len)
{
	char piece[1024];
	size_t done = 0;

	while (done < len) {
		done += escape_text(piece, sizeof(piece), (const unsigned char *)data + done,
			len - done);
		fputs(piece, out);
	}
}

static void print_prefixes(FILE *out, const char *name, const struct netaddr_prefix *p, size_t n)
{
	char text[NETADDR_PREFIX_STRLEN];
	size_t i;

	fprintf(out, "%s [", name);
	for (i = 0; i < n; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "",
			netaddr_prefix_format(&p[i], text, sizeof(text)));
	fputs("]\n", out);
}

static void print_service(FILE *out, const struct service *svc, const char *indent)
{
	fprintf(out, "%saddress \"%s\"\n%sport %u\n%sbuffer_size %zu\n%sreply \"", indent,
		svc->address, indent, svc->port, indent, svc->buffer_size, indent);
	print_escaped(out, svc->reply, svc->reply_len);
	fputs("\"\n", out);
}

void config_print(FILE *out, const struct config *cfg)
{
	size_t i;

	fprintf(out, "%s: OK\n", cfg->path);
	if (cfg->nservices == 1 && cfg->services[0].line == 0) {
		print_service(out, &cfg->services[0], "");
	} else {
		for (i = 0; i < cfg->nservices; i++) {
			fprintf(out, "service \"%s\"\n", cfg->services[i].name);
			print_service(out, &cfg->services[i], "  ");
		}
	}
	fprintf(out, "log_datagrams %s\n", cfg->log_datagrams ? "true" : "false");
	if (cfg->workers == CONFIG_WORKERS_AUTO)
		fputs("workers auto\n", out);
	else
		fprintf(out, "workers %u\n", cfg->workers);
	if (cfg->receive_buffer == 0)
		fputs("receive_buffer default\n", out);
	else
		fprintf(out, "receive_buffer %d\n", cfg->receive_buffer);
	fprintf(out, "loop_guard %s\nloop_guard_ports [", cfg->loop_guard ? "true" : "false");
	for (i = 0; i < cfg->nguard_ports; i++)
		fprintf(out, "%s%u", i ? ", " : "", cfg->guard_ports[i]);
	fprintf(out, "]\nmax_amplification %u\n", cfg->max_amplification);
	print_prefixes(out, "allow", cfg->allow, cfg->nallow);
	print_prefixes(out, "deny", cfg->deny, cfg->ndeny);
	if (cfg->send_buffer == 0)
		fputs("send_buffer default\n", out);
	else
		fprintf(out, "send_buffer %d\n", cfg->send_buffer);
	if (cfg->rate_limit)
		fprintf(out, "rate_limit %u/s burst %u ipv4_prefix %u ipv6_prefix %u\n", cfg->rate,
			cfg->burst, cfg->ipv4_prefix, cfg->ipv6_prefix);
	else
		fputs("rate_limit off\n", out);
	print_prefixes(out, "rate_limit_exempt", cfg->exempt, cfg->nexempt);
}

int config_same_endpoint(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->nservices != b->nservices)
		return 0;
	for (i = 0; i < a->nservices; i++)
		if (a->services[i].port != b->services[i].port ||
		    strcmp(a->services[i].address, b->services[i].address))
			return 0;
	return 1;
}
