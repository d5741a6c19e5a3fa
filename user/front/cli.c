// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* front/cli.c - option values shared by the tracer and replay (see front/cli.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "front/cli.h"
#include "log/outfile.h"
#include "log/redact.h"

int cli_parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))	/* also refuses NaN */
		return -1;
	*out = v;
	return 0;
}

int cli_parse_ns(const char *s, double unit_ns, double hi, bool positive, uint64_t *ns)
{
	double v, r;

	if (cli_parse_number(s, 0, hi, &v))
		return -1;
	r = nearbyint(v * unit_ns);
	if ((v > 0 && r < 1) || (positive && v == 0) || r >= 18446744073709551616.0)
		return -1;
	*ns = (uint64_t)r;
	return 0;
}

mode_t cli_parse_mode(struct argp_state *state, const char *arg)
{
	mode_t mode = 0;

	if (st_parse_mode(arg, &mode))
		argp_failure(state, ST_USAGE_STATUS, 0, "--mode: '%s' is not an octal file "
			     "mode from 0 to 0777 (e.g. 0600, 0640)", arg);
	return mode;
}

int cli_parse_redact(struct argp_state *state, const char *arg)
{
	int m = st_redact_mode_parse(arg);

	if (m < 0)
		argp_failure(state, ST_USAGE_STATUS, 0, "--redact: '%s' is not one of addrs, "
			     "all (write --redact=all)", arg);
	return m;
}

enum stats_sort cli_parse_sort(struct argp_state *state, const char *arg)
{
	int k = stats_sort_from_name(arg);

	if (k < 0)
		argp_error(state, "--sort: '%s' is not one of " STATS_SORT_KEYS, arg);
	return (enum stats_sort)k;
}
