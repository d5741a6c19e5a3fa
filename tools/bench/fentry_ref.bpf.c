// SPDX-License-Identifier: GPL-2.0
/*
 * fentry_ref.bpf.c - the reference pair of the fentry cost benchmark (issue 13 item 4):
 * fentry and fexit on do_shrink_slab() that each reserve one ring-buffer record of
 * shrinktrace's size and submit it, and nothing else.  Loaded next to shrinktrace in the
 * 6.12 lab guest (tools/lab/guest/case-fcost.sh) by tools/bench/fentryref.c; the BPF run
 * time per call of shrinktrace's fe_shrink_begin + fx_shrink_end is compared with this.
 */
#include "shrinker_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "shrinktrace.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ref_events SEC(".maps");

static __always_inline void one_record(void)
{
	struct st_event *e = bpf_ringbuf_reserve(&ref_events, sizeof(*e), 0);

	if (!e)
		return;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

SEC("fentry/do_shrink_slab")
int BPF_PROG(ref_fentry)
{
	one_record();
	return 0;
}

SEC("fexit/do_shrink_slab")
int BPF_PROG(ref_fexit)
{
	one_record();
	return 0;
}
