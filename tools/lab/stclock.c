// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stclock - pairs of CLOCK_MONOTONIC and the printk clock on the console, for the unstaged
 * race (tools/lab/race-wild, tools/lab/race_wild.py). Static, in the lab's initramfs.
 *
 *   stclock [INTERVAL_MS]        (default 200; runs until killed)
 *
 * Every INTERVAL_MS it reads CLOCK_MONOTONIC (the clock of shrinktrace's `ts`) as M, writes a
 * probe line to /dev/kmsg at KERN_DEBUG (kept out of the console, so that the write does not
 * wait for the serial port), reads CLOCK_MONOTONIC again as E, and reads the probe's record
 * back from /dev/kmsg: its timestamp is the printk clock (local_clock(), what the console
 * shows as [seconds.micros]) taken inside that write. Then it prints, at KERN_WARNING (on the
 * console),
 *
 *   shrinktrace-clock seq=N local_us=L mono=M end=E
 *
 * meaning: when local_clock() read L us (truncated), CLOCK_MONOTONIC was in [M, E]. /dev/kmsg
 * is opened for each write: its rate limit is per open file (the lab boots with
 * printk.devkmsg=on as well).
 *
 * Under QEMU TCG a system call costs tens of microseconds on each side of the stamp, so
 * [M, E] is some 100-250 us wide. A tighter lower bound comes from the kernel itself: in a
 * tracefs instance of its own (trace_clock "perf", which is local_clock(), the printk clock)
 * stclock enables timer:hrtimer_expire_entry, whose `now` is the CLOCK_MONOTONIC time the
 * hrtimer interrupt read just before the event was stamped. For the tick (tick_sched_timer,
 * tick_nohz_handler since 6.11: a CLOCK_MONOTONIC timer) CLOCK_MONOTONIC at the stamp T (us)
 * was therefore at least `now`.
 * The tightest such pair since the previous line is appended as
 *
 *   ... tick_local_us=T tick_mono=NOW
 *
 * (omitted when tracefs or the event is not there).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* Read /dev/kmsg records until the one whose text begins with WANT; its timestamp (us). */
static int find_record(int kr, const char *want, unsigned long long *ts_us)
{
	char rec[2048], *semi;
	unsigned long long ts;
	int tries = 0;
	ssize_t n;

	while (tries < 200) {
		n = read(kr, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)	/* records overwritten meanwhile: go on */
				continue;
			if (errno == EAGAIN || errno == EINTR) {
				tries++;
				usleep(100);
				continue;
			}
			return -1;
		}
		rec[n] = '\0';
		/* "PRI,SEQ,TS_USEC,FLAGS[,...];MESSAGE\n" */
		semi = strchr(rec, ';');
		if (!semi || sscanf(rec, "%*u,%*u,%llu", &ts) != 1)
			continue;
		if (!strncmp(semi + 1, want, strlen(want))) {
			*ts_us = ts;
			return 0;
		}
	}
	return -1;
}

/* ---- the hrtimer tick events (see above) ---------------------------------------------- */
#define TRACEFS "/sys/kernel/tracing/instances/stclock"

static int tick_fd = -1;

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void tick_setup(void)
{
	if (mkdir(TRACEFS, 0700) && errno != EEXIST)
		return;
	/* "perf" is local_clock(); without it the stamps would be another clock's */
	if (write_file(TRACEFS "/trace_clock", "perf") ||
	    write_file(TRACEFS "/events/timer/hrtimer_expire_entry/enable", "1"))
		return;
	tick_fd = open(TRACEFS "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/*
 * Drain the instance's trace_pipe; of the tick_sched_timer events in it, the one whose
 * now - stamp is largest (the tightest lower bound of mono - local). 0 when none.
 */
static int tick_best(unsigned long long *t_us, unsigned long long *now_ns)
{
	static char buf[1 << 16];
	static size_t have;
	long long best = 0;
	int found = 0;
	char *line, *nl;
	ssize_t n;

	if (tick_fd < 0)
		return 0;
	for (;;) {
		n = read(tick_fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned long sec, usec;
			unsigned long long now, t;
			char *p, *q;

			*nl = '\0';
			p = strstr(line, ": hrtimer_expire_entry:");
			q = strstr(line, "now=");
			/* the tick: tick_sched_timer, tick_nohz_handler since 6.11 (CLOCK_MONOTONIC) */
			if (!p || !q || (!strstr(line, "function=tick_sched_timer ") &&
					 !strstr(line, "function=tick_nohz_handler ")))
				continue;
			/* the stamp "SECONDS.MICROS" just before ": hrtimer_expire_entry" */
			while (p > line && p[-1] != ' ')
				p--;
			if (sscanf(p, "%lu.%lu", &sec, &usec) != 2 ||
			    sscanf(q + 4, "%llu", &now) != 1)
				continue;
			t = (unsigned long long)sec * 1000000ULL + usec;
			if (!found || (long long)(now - t * 1000) > best) {
				best = (long long)(now - t * 1000);
				*t_us = t;
				*now_ns = now;
				found = 1;
			}
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (have >= sizeof(buf) - 1)
			have = 0;	/* a line longer than the buffer: drop it */
	}
	return found;
}

int main(int argc, char **argv)
{
	unsigned long long m;
	long interval_ms = 200;
	struct timespec nap;
	char line[256];
	unsigned seq;
	int fd, kr, n;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fprintf(stderr, "usage: stclock [INTERVAL_MS]: CLOCK_MONOTONIC/printk clock pairs "
			"on /dev/kmsg every INTERVAL_MS (default 200) until killed\n");
		return argc == 2 ? 0 : 2;
	}
	if (argc == 2) {
		char *end;

		interval_ms = strtol(argv[1], &end, 10);
		if (*end || interval_ms < 1 || interval_ms > 60000) {
			fprintf(stderr, "stclock: INTERVAL_MS '%s' is not a number from 1 to 60000\n",
				argv[1]);
			return 2;
		}
	}
	tick_setup();
	kr = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kr < 0 || lseek(kr, 0, SEEK_END) < 0) {
		fprintf(stderr, "stclock: read /dev/kmsg: %s: mount devtmpfs on /dev\n", strerror(errno));
		return 1;
	}
	for (seq = 1;; seq++) {
		char want[64];
		unsigned long long end, ts_us;

		fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "stclock: open /dev/kmsg: %s: mount devtmpfs on /dev\n",
				strerror(errno));
			return 1;
		}
		snprintf(want, sizeof(want), "shrinktrace-clock-probe seq=%u\n", seq);
		n = snprintf(line, sizeof(line), "<7>%s", want);
		m = mono_ns();
		if (write(fd, line, (size_t)n) != n) {
			fprintf(stderr, "stclock: write /dev/kmsg: %s\n", strerror(errno));
			return 1;
		}
		end = mono_ns();
		if (!find_record(kr, want, &ts_us)) {
			unsigned long long tt, tn;

			n = snprintf(line, sizeof(line),
				     "<4>shrinktrace-clock seq=%u local_us=%llu mono=%llu end=%llu",
				     seq, ts_us, m, end);
			if (tick_best(&tt, &tn))
				n += snprintf(line + n, sizeof(line) - n,
					      " tick_local_us=%llu tick_mono=%llu", tt, tn);
			n += snprintf(line + n, sizeof(line) - n, "\n");
			if (write(fd, line, (size_t)n) != n) {
				fprintf(stderr, "stclock: write /dev/kmsg: %s\n", strerror(errno));
				return 1;
			}
		}
		close(fd);
		nap.tv_sec = interval_ms / 1000;
		nap.tv_nsec = (interval_ms % 1000) * 1000000L;
		while (nanosleep(&nap, &nap) && errno == EINTR)
			;
	}
}
