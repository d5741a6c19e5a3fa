/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Unit tests of the table of sinks (sinks/registry.c): every row is well
 * formed (unique names, formats and option keys), the fronts' format lists,
 * which sinks a run opens and in what order, a row's own options through argp
 * children, and --metrics' port taken (or refused) in prepare(), before the
 * tracer attaches anything. */
#include <argp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "sinks/registry.h"
#include "sinks/top.h"

static void test_rows(void **state)
{
	(void)state;
	assert_true(sink_table_len > 0 && sink_table_len <= SINK_TABLE_MAX);
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct sink_desc *d = sink_table[i];

		assert_non_null(d->name);
		assert_non_null(d->open);
		assert_true(d->flags & (SINK_LIVE | SINK_REPLAY));
		/* flags that only a format can have */
		if (!d->format)
			assert_false(d->flags & (SINK_PAGED | SINK_ONE_LOG));
		/* a row that keeps state says how much; options need state */
		if (d->argp)
			assert_true(d->conf_size > 0);
		if (d->release || d->prepare || d->announce)
			assert_true(d->conf_size > 0);
		for (unsigned j = 0; j < i; j++) {
			const struct sink_desc *e = sink_table[j];

			assert_string_not_equal(d->name, e->name);
			if (d->format && e->format && (d->flags & e->flags & (SINK_LIVE | SINK_REPLAY)))
				assert_string_not_equal(d->format, e->format);
		}
	}
}

/* Option keys from SINK_OPT_KEY_MIN, and no key or long name twice. */
static void test_option_keys(void **state)
{
	int keys[256];
	const char *longs[256];
	unsigned n = 0;

	(void)state;
	for (unsigned i = 0; i < sink_table_len; i++) {
		const struct argp_option *o;

		if (!sink_table[i]->argp)
			continue;
		for (o = sink_table[i]->argp->options; o && (o->name || o->key || o->doc); o++) {
			if (!o->key)
				continue;	/* a group header */
			assert_true(o->key >= SINK_OPT_KEY_MIN);
			for (unsigned j = 0; j < n; j++) {
				assert_int_not_equal(keys[j], o->key);
				if (o->name && longs[j])
					assert_string_not_equal(longs[j], o->name);
			}
			assert_true(n < 256);
			keys[n] = o->key;
			longs[n++] = o->name;
		}
	}
	assert_true(n >= 2);	/* --rotate and --metrics at least */
}

static void test_formats(void **state)
{
	char buf[128], small[8];

	(void)state;
	assert_non_null(sink_format("jsonl", SINK_LIVE));
	assert_non_null(sink_format("perfetto", SINK_REPLAY));
	assert_ptr_equal(sink_format("csv", SINK_LIVE), sink_format("csv", SINK_REPLAY));
	assert_null(sink_format("text", SINK_LIVE));	/* replay's report only */
	assert_non_null(sink_format("text", SINK_REPLAY));
	assert_null(sink_format("xml", SINK_REPLAY));
	assert_string_equal(sink_format_names(SINK_LIVE, buf, sizeof(buf)),
			    "jsonl, csv, perfetto, folded");
	assert_string_equal(sink_format_names(SINK_REPLAY, buf, sizeof(buf)),
			    "text, jsonl, csv, perfetto, folded");
	/* cut at a name when short, always terminated */
	assert_string_equal(sink_format_names(SINK_LIVE, small, sizeof(small)), "jsonl");
	assert_true(sink_format("jsonl", SINK_LIVE)->flags & SINK_PAGED);
	assert_true(sink_format("csv", SINK_REPLAY)->flags & SINK_ONE_LOG);
	assert_true(sink_format("text", SINK_REPLAY)->flags & SINK_HUMAN);
}

/* The names of l's sinks, "a,b,c". */
static const char *names_of(const struct sinks *l, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < l->n; i++) {
		strncat(buf, i ? "," : "", len - strlen(buf) - 1);
		strncat(buf, l->s[i]->ops->name, len - strlen(buf) - 1);
	}
	return buf;
}

static void open_live(struct sink_args *a, const char *want)
{
	struct sink_setup ss;
	struct sinks l = { 0 };
	struct sink *fs;
	char err[256], names[256];

	assert_int_equal(sink_setup_init(&ss, SINK_LIVE), 0);
	assert_int_equal(sink_setup_open(&ss, a, &l, &fs, err, sizeof(err)), 0);
	assert_string_equal(names_of(&l, names, sizeof(names)), want);
	if (a->out)
		assert_ptr_equal(fs, l.s[0]);
	else
		assert_null(fs);
	assert_false(a->out_taken);
	sinks_free(&l);
	sink_setup_free(&ss);
}

static void test_open_live(void **state)
{
	FILE *f = tmpfile();
	struct sink_args a = { .live = true, .format = sink_format("jsonl", SINK_LIVE), .out = f };

	(void)state;
	assert_non_null(f);
	open_live(&a, "jsonl,text,summary");
	a.quiet = true;
	a.top = 1;
	open_live(&a, "jsonl,top,summary");
	a.format = sink_format("perfetto", SINK_LIVE);
	open_live(&a, "perfetto,top,summary");
	a.out = NULL;	/* no -o: no format sink */
	a.top = 0;
	open_live(&a, "summary");
	fclose(f);
}

/* Does a row's argp child of ss take the long option name? */
static bool takes(const struct sink_setup *ss, const char *name)
{
	for (unsigned c = 0; c < ss->nchildren; c++)
		for (const struct argp_option *o = ss->children[c].argp->options; o && o->name; o++)
			if (!strcmp(o->name, name))
				return true;
	return false;
}

static void test_open_replay(void **state)
{
	FILE *f = tmpfile();
	struct sink_setup ss;
	struct sinks l = { 0 };
	struct sink *fs;
	char err[256], names[64];
	struct sink_args a = { .format = sink_format("text", SINK_REPLAY), .out = f };

	(void)state;
	assert_non_null(f);
	assert_int_equal(sink_setup_init(&ss, SINK_REPLAY), 0);
	/* --rotate and --metrics are the tracer's */
	assert_false(takes(&ss, "rotate"));
	assert_false(takes(&ss, "metrics"));
	assert_int_equal(sink_setup_open(&ss, &a, &l, &fs, err, sizeof(err)), 0);
	assert_string_equal(names_of(&l, names, sizeof(names)), "report");
	assert_true(ss.opened & SINK_STATS);
	sinks_free(&l);
	sink_setup_free(&ss);

	a.format = sink_format("csv", SINK_REPLAY);
	assert_int_equal(sink_setup_init(&ss, SINK_REPLAY), 0);
	assert_int_equal(sink_setup_open(&ss, &a, &l, &fs, err, sizeof(err)), 0);
	assert_string_equal(names_of(&l, names, sizeof(names)), "csv");
	assert_false(ss.opened & SINK_STATS);	/* no statistics computed for it */
	sinks_free(&l);
	sink_setup_free(&ss);
	fclose(f);
}

/* The tracer's options with the rows' as children (as front/trace.c). */
struct front {
	struct sink_setup *ss;
};

static error_t front_parse(int key, char *arg, struct argp_state *st)
{
	struct front *fr = st->input;

	(void)arg;
	if (key == ARGP_KEY_INIT)
		sink_setup_argp_init(fr->ss, st);
	return ARGP_ERR_UNKNOWN;
}

static int parse(struct sink_setup *ss, int argc, char **argv)
{
	static const struct argp_option none[] = { { 0 } };
	struct argp argp = { none, front_parse, NULL, NULL, ss->children, NULL, NULL };
	struct front fr = { ss };

	return argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_ERRS | ARGP_NO_HELP, NULL, &fr);
}

static void test_own_options(void **state)
{
	struct sink_setup ss;
	struct sink_args a = { .live = true, .format = sink_format("jsonl", SINK_LIVE) };
	char why[256];

	(void)state;
	assert_int_equal(sink_setup_init(&ss, SINK_LIVE), 0);
	assert_true(takes(&ss, "rotate"));
	assert_true(takes(&ss, "metrics"));
	assert_int_not_equal(parse(&ss, 3, (char *[]){ "t", "--rotate", "1", NULL }), 0);
	assert_int_equal(parse(&ss, 3, (char *[]){ "t", "--rotate", "8K", NULL }), 0);
	/* --rotate without -o is jsonl's usage error, with its message */
	assert_int_equal(sink_setup_check(&ss, &a, why, sizeof(why)), -1);
	assert_string_equal(why, "--rotate rotates the -o FILE of the jsonl log: add -o FILE (and "
			    "no --format csv/perfetto)");
	a.out_path = "x.jsonl";
	assert_int_equal(sink_setup_check(&ss, &a, why, sizeof(why)), 0);
	a.format = sink_format("csv", SINK_LIVE);
	assert_int_equal(sink_setup_check(&ss, &a, why, sizeof(why)), -1);
	assert_int_not_equal(parse(&ss, 3, (char *[]){ "t", "--metrics", "9858", NULL }), 0);
	sink_setup_free(&ss);
}

/* A free TCP port on 127.0.0.1 (bound by the kernel, then closed). */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* --metrics: the port is bound in prepare() (a port in use is an error
 * there), announced, and the same sink is opened; freed once. */
static void test_metrics_prepare(void **state)
{
	struct sink_setup ss;
	struct sink_args a = { .live = true, .format = sink_format("jsonl", SINK_LIVE), .quiet = true };
	struct sinks l = { 0 };
	struct sink *fs;
	char addr[32], err[384], want[96], *text = NULL;
	size_t tlen = 0;
	FILE *mem;
	int port = free_port(), busy;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(sink_setup_init(&ss, SINK_LIVE), 0);
	assert_int_equal(parse(&ss, 3, (char *[]){ "t", "--metrics", addr, NULL }), 0);
	assert_int_equal(sink_setup_prepare(&ss, &a, err, sizeof(err)), 0);
	mem = open_memstream(&text, &tlen);
	assert_non_null(mem);
	sink_setup_announce(&ss, mem);
	fclose(mem);
	snprintf(want, sizeof(want), "shrinktrace: metrics on http://%s/metrics\n", addr);
	assert_string_equal(text, want);
	free(text);
	assert_int_equal(sink_setup_open(&ss, &a, &l, &fs, err, sizeof(err)), 0);
	assert_non_null(sinks_find(&l, "metrics"));
	sinks_free(&l);
	sink_setup_free(&ss);	/* the sink was the list's: not freed twice (ASan) */

	/* the same port, taken by another socket: prepare() refuses it */
	busy = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(busy, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(busy, 1), 0);
	assert_int_equal(sink_setup_init(&ss, SINK_LIVE), 0);
	assert_int_equal(parse(&ss, 3, (char *[]){ "t", "--metrics", addr, NULL }), 0);
	assert_int_equal(sink_setup_prepare(&ss, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--metrics: cannot listen on"));
	assert_non_null(strstr(err, "choose another --metrics port"));
	sink_setup_free(&ss);
	close(busy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_option_keys),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_open_live),
		cmocka_unit_test(test_open_replay),
		cmocka_unit_test(test_own_options),
		cmocka_unit_test(test_metrics_prepare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
