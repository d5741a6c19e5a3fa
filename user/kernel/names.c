// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kernel/names.c - kernel event to log record; shrinker names per docs/event-log.md. */
#include <stdio.h>
#include <string.h>

#include "kernel/names.h"
#include "lib/util.h"

int st_shrinker_name(const struct st_event *e, const struct ksyms *ks, char *out, size_t len)
{
	char tmp[ST_NAME_LEN + 1];

	out[0] = '\0';
	if (e->flags & ST_F_NAME) {
		st_copy_str(out, len, e->name, sizeof(e->name));
		return 0;
	}
	if (e->flags & ST_F_FSTYPE) {
		st_copy_str(tmp, sizeof(tmp), e->name, sizeof(e->name));
		snprintf(out, len, "sb-%s", tmp);
		return 0;
	}
	if (!(e->flags & ST_F_SCAN_FN) || !e->scan_fn)
		return -1;
	const struct ksym *sym = ksyms_lookup(ks, e->scan_fn);

	if (!sym) {
		snprintf(out, len, "scan@0x%llx", (unsigned long long)e->scan_fn);
		return 0;
	}
	/* "ext4_es_scan [ext4]" -> "ext4_es_scan"; "foo.isra.0" -> "foo". */
	size_t n = strcspn(sym->name, " .");

	if (n >= len)
		n = len - 1;
	memcpy(out, sym->name, n);
	out[n] = '\0';
	if (sym->addr != e->scan_fn) {
		size_t used = strlen(out);

		snprintf(out + used, len - used, "+0x%llx",
			 (unsigned long long)(e->scan_fn - sym->addr));
	}
	return 0;
}

/* Copies of a struct st_event member into a struct st_rec member (the FK rows
 * of the field table): strings as bounded strings, numbers bit for bit, a
 * narrower kernel member zero-extended. */
static void kcopy_str(void *dst, size_t dsz, const void *src, size_t ssz)
{
	st_copy_str(dst, dsz, src, ssz);
}

static void kcopy_num(void *dst, size_t dsz, const void *src, size_t ssz)
{
	memset(dst, 0, dsz);
	memcpy(dst, src, ssz < dsz ? ssz : dsz);
}

#define KCOPY(d, s) _Generic((d), char *: kcopy_str, default: kcopy_num)(&(d), sizeof(d), &(s), \
									    sizeof(s))

void st_rec_from_event(struct st_rec *r, const struct st_event *e, const struct ksyms *ks)
{
	uint32_t t;

	memset(r, 0, sizeof(*r));
	r->type = e->type < ST_EV_MAX_KERNEL ? (enum st_type)e->type : ST_UNKNOWN;
	r->id = -1;
	if (r->type == ST_UNKNOWN)
		return;
	t = ST_T(r->type);
	r->inferred = e->flags & ST_F_INFERRED;
	r->deferred = e->flags & ST_F_DEFERRED;
	/* every FK row of the field table: its member, on its event types, when
	 * the kernel side says it filled it */
#define NOCOPY(...)
#define COPY(m, ctype, dims, k, ft, lo, hi, h, in, rq, rd, o, km, kf)				\
	if (((in) & t) && (e->flags & (kf)) == (kf)) {						\
		KCOPY(r->m, e->km);								\
		r->has |= (h);									\
	}
	ST_FIELDS(NOCOPY, COPY)
#undef COPY
#undef NOCOPY
	/* a lost record may name the shrinker whose rcu_free went unseen */
	if (r->type == ST_LOST && (e->flags & ST_F_SHRINKER)) {
		r->shrinker = e->shrinker;
		r->has |= ST_HAS_SHRINKER;
	}
	/* how the tracepoint backend knows an inferred event */
	if (e->evidence && e->evidence < ST_EVID_MAX) {
		r->evidence = e->evidence;
		r->has |= ST_HAS_EVIDENCE;
	}
	/* fill_ids() reads flags and id on a real shrinker_alloc() and on every
	 * registration; an allocation inferred from kmem:kmalloc has neither */
	if (r->type == ST_SHRINKER_ALLOC && r->inferred) {
		r->has &= ~(ST_HAS_FLAGS | ST_HAS_ID);
		r->flags = 0;
		r->id = -1;
	}
	/* memcg_limit says something only for a walk of a memcg over a known limit */
	if ((r->has & ST_HAS_LIMIT) && (r->trigger != ST_TRIG_MEMCG || !r->memcg_limit)) {
		r->has &= ~ST_HAS_LIMIT;
		r->memcg_limit = 0;
	}
	if ((r->has & ST_HAS_SHRINKER) && r->type != ST_LOST &&
	    !st_shrinker_name(e, ks, r->name, sizeof(r->name)))
		r->has |= ST_HAS_NAME;
}

/* The kernel ABI (bpf/shrinktrace.h) is declared once; what user space
 * mirrors of it is checked here. */
_Static_assert(ST_EVID_MAX == ST_REC_EVIDENCE_N, "enum st_evidence and log/event.c differ");
_Static_assert((int)ST_SHRINKER_ALLOC == ST_EV_SHRINKER_ALLOC &&
	       (int)ST_SHRINKER_REGISTER == ST_EV_SHRINKER_REGISTER &&
	       (int)ST_WALK_BEGIN == ST_EV_WALK_BEGIN && (int)ST_WALK_END == ST_EV_WALK_END &&
	       (int)ST_SHRINK_BEGIN == ST_EV_SHRINK_BEGIN && (int)ST_SHRINK_END == ST_EV_SHRINK_END &&
	       (int)ST_FREE_BEGIN == ST_EV_FREE_BEGIN && (int)ST_FREE_END == ST_EV_FREE_END &&
	       (int)ST_RCU_FREE == ST_EV_RCU_FREE && (int)ST_LOST == ST_EV_LOST &&
	       (int)ST_VIOLATION == ST_EV_MAX_KERNEL,
	       "enum st_type (log/event.h) must extend enum st_event_type (bpf/shrinktrace.h)");
_Static_assert(ST_REC_COMM_LEN == ST_COMM_LEN, "comm lengths differ");
_Static_assert(sizeof(struct st_event) == 184, "struct st_event grew: every event pays for it in the ring (bpf/shrinktrace.h)");
_Static_assert(ST_REC_NAME_LEN >= ST_NAME_LEN + 4, "a kernel name plus \"sb-\" must fit");
