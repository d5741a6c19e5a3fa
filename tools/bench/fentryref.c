// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fentryref.c - loads tools/bench/fentry_ref.bpf.c (the reference fentry/fexit pair on
 * do_shrink_slab), keeps its ring buffer drained until SIGINT/SIGTERM, then prints the BPF
 * statistics of every tracing program on the system, one line each:
 *     prog NAME run_cnt=N run_time_ns=T
 * so that the 6.12 lab guest can compare shrinktrace's fe_shrink_begin/fx_shrink_end with
 * ref_fentry/ref_fexit measured in the same run (kernel.bpf_stats_enabled=1 is the caller's).
 * Not part of the tool; statically linked for the lab's initramfs (make fentryref-static).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "shrinktrace.h"
#include "fentry_ref.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int drop(void *ctx, void *data, size_t size)
{
	(void)ctx; (void)data; (void)size;
	return 0;
}

int main(void)
{
	struct fentry_ref_bpf *skel = fentry_ref_bpf__open_and_load();
	struct ring_buffer *rb;
	__u32 id = 0;

	if (!skel || fentry_ref_bpf__attach(skel)) {
		fprintf(stderr, "fentryref: cannot load/attach the reference pair: %s\n", strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.ref_events), drop, NULL, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "fentryref: attached\n");
	while (!stop) {
		if (rb)
			ring_buffer__poll(rb, 100);
		else
			usleep(100000);
	}
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_PROG_TYPE_TRACING)
			printf("prog %s run_cnt=%llu run_time_ns=%llu\n", info.name,
			       (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns);
		close(fd);
	}
	ring_buffer__free(rb);
	fentry_ref_bpf__destroy(skel);
	return 0;
}
