/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * front/replay.h - `shrinktrace replay`: the correlator over saved event logs.
 */
#ifndef ST_REPLAY_H
#define ST_REPLAY_H

/* Exit statuses, shared by the tracer and replay. */
#define ST_EXIT_CLEAN 0
#define ST_EXIT_ERROR 1
#define ST_EXIT_USAGE 2
#define ST_EXIT_VIOLATIONS 3

/* Run `shrinktrace replay`: argv[0] is "replay", the rest its options and
 * files.  Writes to stdout/stderr (or -o OUT).  Returns an ST_EXIT_* status. */
int replay_main(int argc, char **argv);

#endif /* ST_REPLAY_H */
