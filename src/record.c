/* record.c - the journal record of one datagram: MESSAGE text and fields */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "netaddr.h"
#include "record.h"

void record_format_message(char *buf, size_t size, const struct datagram *dg)
{
	char remote[NETADDR_STRLEN], local[NETADDR_STRLEN + 4] = "", trunc[48] = "";
	char payload[RECORD_PAYLOAD_MESSAGE_MAX * 4 + 1], failed[96] = "";
	size_t shown = dg->len < RECORD_PAYLOAD_MESSAGE_MAX ? dg->len : RECORD_PAYLOAD_MESSAGE_MAX;
	size_t used;

	used = escape_text(payload, sizeof(payload), dg->payload, shown);
	netaddr_format(dg->remote, remote, sizeof(remote));
	if (dg->local) {
		memcpy(local, " to ", 4);
		netaddr_format(dg->local, local + 4, sizeof(local) - 4);
	}
	if (dg->len < dg->size)
		snprintf(trunc, sizeof(trunc), " (truncated to %zu)", dg->len);
	if (dg->reply_errno)
		snprintf(failed, sizeof(failed), " (no reply: %s)", strerror(dg->reply_errno));
	snprintf(buf, size, "%zu byte%s%s from %s%s: \"%s\"%s%s", dg->size,
		dg->size == 1 ? "" : "s", trunc, remote, local, payload,
		used < dg->len ? "..." : "", failed);
}

enum log_sent record_send(struct log_sink *sink, const struct datagram *dg)
{
	char message[LOG_LINE_MAX], raddr[NETADDR_STRLEN], rport[8], laddr[NETADDR_STRLEN];
	char lport[8], size[24], error[64];
	bool truncated = dg->len < dg->size;
	struct log_record rec = {
		.priority = truncated ? LOG_NOTICE : LOG_INFO,
		.msgid = MSGID_DATAGRAM,
		.message = message,
	};

	record_format_message(message, sizeof(message), dg);
	if (log_target() == LOG_TARGET_JOURNAL) {
		netaddr_host(dg->remote, raddr, sizeof(raddr));
		log_field_bytes(&rec, "UDP_REMOTE_ADDR", raddr, strlen(raddr));
		log_field_printf(&rec, "UDP_REMOTE_PORT", rport, sizeof(rport), "%u",
			netaddr_port(dg->remote));
		if (dg->local) {
			netaddr_host(dg->local, laddr, sizeof(laddr));
			log_field_bytes(&rec, "UDP_LOCAL_ADDR", laddr, strlen(laddr));
			log_field_printf(&rec, "UDP_LOCAL_PORT", lport, sizeof(lport), "%u",
				netaddr_port(dg->local));
		}
		log_field_printf(&rec, "UDP_SIZE", size, sizeof(size), "%zu", dg->size);
		log_field_bytes(&rec, "UDP_TRUNCATED", truncated ? "1" : "0", 1);
		log_field_bytes(&rec, "UDP_PAYLOAD", dg->payload,
			dg->len < RECORD_PAYLOAD_FIELD_MAX ? dg->len : RECORD_PAYLOAD_FIELD_MAX);
		if (dg->service_len)
			log_field_bytes(&rec, "UDP_SERVICE", dg->service, dg->service_len);
		if (dg->reply_errno)
			log_field_printf(&rec, "UDP_REPLY_ERROR", error, sizeof(error), "%s",
				strerror(dg->reply_errno));
	}
	return log_sink_send(sink, &rec);
}
