/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/trace.h - the live tracer, `shrinktrace [OPTION...] [-- COMMAND]`.
 */
#ifndef ST_TRACE_H
#define ST_TRACE_H

/* Run the tracer: argv[0] is the program's name, the rest its options.
 * Returns the exit status: 0 clean, 1 error, 2 usage, 3 violations found. */
int trace_main(int argc, char **argv);

/* Print the tracer's --help and exit 0. */
void trace_help(void);

#endif /* ST_TRACE_H */
