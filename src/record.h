/*
 * record.h - the journal record of one datagram: MESSAGE text and fields
 * (pure apart from the sink it hands the record to)
 */
#ifndef UDP_REPLYD_RECORD_H
#define UDP_REPLYD_RECORD_H

#include <stddef.h>
#include <sys/socket.h>

#include "log.h"

/* How many payload bytes a record carries in UDP_PAYLOAD and in MESSAGE. */
#define RECORD_PAYLOAD_FIELD_MAX 4096
#define RECORD_PAYLOAD_MESSAGE_MAX 64

/* One received datagram, as its record describes it. */
struct datagram {
	const struct sockaddr *remote;
	const struct sockaddr *local;	/* NULL when unknown */
	const unsigned char *payload;	/* the bytes read */
	size_t len;			/* how many were read */
	size_t size;			/* how long the datagram was */
	int reply_errno;		/* 0: replied */
	const char *service;		/* the name of the service that answered */
	size_t service_len;
};

/* The MESSAGE= text of a datagram's record, into buf. */
void record_format_message(char *buf, size_t size, const struct datagram *dg);

/* Send the datagram's record through sink; what log_sink_send() returns. */
enum log_sent record_send(struct log_sink *sink, const struct datagram *dg);

#endif
