/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sinks/metrics.h - `--metrics [ADDR]:PORT`: the statistics as a Prometheus
 * exporter (text exposition format 0.0.4 on GET /metrics), docs/metrics.md.
 *
 * The HTTP server (libmicrohttpd) runs in threads of its own and never calls
 * into the pipeline: at a tick the sink renders the whole exposition into a
 * buffer of its own (only when a scrape asked since the last rendering, and
 * at most once per MIN_INTERVAL), and swaps it in under a mutex; the HTTP
 * threads serve the latest buffer.  A scrape waits at most METRICS_WAIT_MS
 * for a fresh one.  A slow or hostile client costs the event loop nothing
 * but one atomic load per tick: connections are limited in number (in all
 * and per client address), in time (closed after METRICS_TIMEOUT_S without
 * progress) and in memory.
 *
 * Numbers are those of the summary and replay (engine/stats.c,
 * engine/lifecycle.c, the correlator's counters); label values are bounded:
 * one series per shrinker name up to max_names names (in the order they
 * first appear), the rest summed under shrinker="other".
 */
#ifndef ST_METRICS_H
#define ST_METRICS_H

#include <stdint.h>

#include "sinks/sink.h"

#define METRICS_DEFAULT_PORT 9858
#define METRICS_DEFAULT_NAMES 200	/* shrinker label values before "other" */
#define METRICS_MIN_INTERVAL_NS 1000000000ULL	/* renderings at most this often */
#define METRICS_WAIT_MS 500		/* a scrape waits this long for a fresh rendering */
/* A scraper sends its whole request at once and has one connection open
 * (an HA pair, two addresses; a proxy or NAT, a few behind one address).  A
 * connection that makes no progress for METRICS_TIMEOUT_S (a half-sent
 * request, a client that stopped reading, an idle keep-alive) is closed, so
 * half-sent requests block their address's scrapes for at most that long,
 * and only once METRICS_MAX_PER_IP of them are open. */
#define METRICS_MAX_CONNECTIONS 128	/* at once, in all (one thread each) */
#define METRICS_MAX_PER_IP 32		/* at once, per client address */
#define METRICS_TIMEOUT_S 3		/* no progress for this long: closed */
#define METRICS_CONN_MEMORY (32 * 1024)	/* bytes per connection for the request */

struct metrics_opts {
	const char *listen;		/* "[ADDR]:PORT": ":9858" all addresses, "127.0.0.1:9858",
					 * "[::1]:9858"; borrowed during metrics_sink_new() */
	unsigned max_names;		/* 0: METRICS_DEFAULT_NAMES */
	uint64_t min_interval_ns;	/* 0: METRICS_MIN_INTERVAL_NS */
};

/* Check a --metrics argument ("[ADDR]:PORT", PORT 1..65535, ADDR numeric
 * IPv4, IPv6 in brackets, or "localhost"); 0, or -1 with a reason in why. */
int metrics_parse_listen(const char *s, char *why, size_t len);

/* Bind and listen on o->listen and start the HTTP threads (serving an empty
 * exposition until the first rendering).  Call before anything is attached:
 * a port in use or a bad address is an error here.  NULL with a one-line
 * reason in err (errlen bytes) on failure.  The sink owns the socket and the
 * threads; free stops them. */
struct sink *metrics_sink_new(const struct metrics_opts *o, char *err, size_t errlen);

/* The exposition of st (and what begin said) into a malloc'ed string, *len
 * bytes (NUL-terminated); the sink's own rendering, for tests and the
 * benchmark.  s must be a metrics sink.  NULL on ENOMEM. */
char *metrics_render(struct sink *s, const struct sink_state *st, size_t *len);

/* The address actually bound ("127.0.0.1:9858"), for messages. */
const char *metrics_sink_address(const struct sink *s);

#endif /* ST_METRICS_H */
