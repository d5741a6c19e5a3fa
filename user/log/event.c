/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * log/event.c - names of event types and violation kinds (docs/event-log.md).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log/event.h"

static const char *const type_names[ST_NTYPES] = {
	[ST_UNKNOWN] = "unknown",
	[ST_SHRINKER_ALLOC] = "shrinker_alloc",
	[ST_SHRINKER_REGISTER] = "shrinker_register",
	[ST_WALK_BEGIN] = "walk_begin",
	[ST_WALK_END] = "walk_end",
	[ST_SHRINK_BEGIN] = "shrink_begin",
	[ST_SHRINK_END] = "shrink_end",
	[ST_FREE_BEGIN] = "free_begin",
	[ST_FREE_END] = "free_end",
	[ST_RCU_FREE] = "rcu_free",
	[ST_LOST] = "lost",
	[ST_VIOLATION] = "violation",
	[ST_HEADER] = "header",
	[ST_MEMCG] = "memcg",
	[ST_STACK] = "stack",
};

static const char *const vkind_names[ST_V_NKINDS] = {
	[ST_V_USE_AFTER_FREE] = "use_after_free",
	[ST_V_WALK_ONTO_QUEUED] = "walk_onto_queued",
	[ST_V_FREE_WHILE_RUNNING] = "free_while_running",
	[ST_V_STALE_NEXT] = "stale_next",
	[ST_V_DOUBLE_FREE] = "double_free",
	[ST_V_STUCK_FREE] = "stuck_free",
};

const char *st_type_name(enum st_type t)
{
	if ((unsigned)t >= ST_NTYPES)
		return "unknown";
	return type_names[t];
}

enum st_type st_type_from_name(const char *name)
{
	return name ? st_type_from_name_n(name, strlen(name)) : ST_UNKNOWN;
}

enum st_type st_type_from_name_n(const char *name, size_t len)
{
	static const unsigned char len_of[ST_NTYPES] = {
		[ST_SHRINKER_ALLOC] = 14, [ST_SHRINKER_REGISTER] = 17, [ST_WALK_BEGIN] = 10,
		[ST_WALK_END] = 8, [ST_SHRINK_BEGIN] = 12, [ST_SHRINK_END] = 10,
		[ST_FREE_BEGIN] = 10, [ST_FREE_END] = 8, [ST_RCU_FREE] = 8, [ST_LOST] = 4,
		[ST_VIOLATION] = 9, [ST_HEADER] = 6, [ST_MEMCG] = 5, [ST_STACK] = 5,
	};

	for (int t = 1; t < ST_NTYPES; t++)
		if (len_of[t] == len && !memcmp(name, type_names[t], len))
			return (enum st_type)t;
	return ST_UNKNOWN;
}

/* Indexed by enum st_evidence (bpf/shrinktrace.h). */
static const char *const evidence_names[ST_EVID_MAX] = {
	[ST_EVID_KMALLOC] = "kmalloc", [ST_EVID_CALL] = "call", [ST_EVID_KFREE] = "kfree",
	[ST_EVID_CENSUS] = "census", [ST_EVID_REUSE] = "reuse", [ST_EVID_UNLISTED] = "unlisted",
};

/* Indexed by enum st_trigger (bpf/shrinktrace.h). */
static const char *const trigger_names[ST_TRIG_MAX] = {
	[ST_TRIG_UNKNOWN] = "unknown", [ST_TRIG_KSWAPD] = "kswapd", [ST_TRIG_DIRECT] = "direct",
	[ST_TRIG_NODE_RECLAIM] = "node_reclaim", [ST_TRIG_MEMCG] = "memcg",
	[ST_TRIG_DROP_CACHES] = "drop_caches",
};

/* Indexed by enum st_memcg_limit (bpf/shrinktrace.h). */
static const char *const limit_names[ST_LIMIT_N] = {
	[ST_LIMIT_HIGH] = "memory.high", [ST_LIMIT_MAX] = "memory.max",
	[ST_LIMIT_RECLAIM] = "memory.reclaim",
};

/* The names table of each ST_FT_ENUM field (by member; ST_ROW below). */
#define ST_NAMES_evidence evidence_names
#define ST_NAMES_trigger trigger_names
#define ST_NAMES_memcg_limit limit_names

const char *st_trigger_name(unsigned t)
{
	return t < ST_TRIG_MAX ? trigger_names[t] : NULL;
}

const char *st_limit_name(unsigned l)
{
	return l < ST_LIMIT_N ? limit_names[l] : NULL;
}

const char *st_enum_name(const struct st_field *f, unsigned v)
{
	if (!f->names || (int64_t)v < f->min || (int64_t)v >= f->max)
		return NULL;
	return f->names[v];
}

int st_enum_value(const struct st_field *f, const char *name, size_t n)
{
	if (!f->names)
		return -1;
	for (int64_t v = f->min; v < f->max; v++) {
		const char *s = f->names[v];

		if (s && strlen(s) == n && !memcmp(s, name, n))
			return (int)v;
	}
	return -1;
}

const char *st_evidence_name(unsigned e)
{
	return e < ST_EVID_MAX ? evidence_names[e] : NULL;
}

unsigned st_evidence_from_name(const char *name)
{
	return name ? st_evidence_from_name_n(name, strlen(name)) : 0;
}

unsigned st_evidence_from_name_n(const char *name, size_t n)
{
	for (unsigned e = 1; e < ST_EVID_MAX; e++)
		if (strlen(evidence_names[e]) == n && !memcmp(name, evidence_names[e], n))
			return e;
	return 0;
}

const char *st_vkind_name(enum st_vkind k)
{
	if ((unsigned)k >= ST_V_NKINDS)
		return "unknown";
	return vkind_names[k];
}

int st_vkind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int k = 0; k < ST_V_NKINDS; k++)
		if (strcmp(name, vkind_names[k]) == 0)
			return k;
	return -1;
}

/* .names: the table ST_NAMES_<member> of an ST_FT_ENUM field (an enumeration
 * without one does not compile), NULL for every other type. */
#define ST_NAMES_ST_FT_ENUM(m) ST_NAMES_##m
#define ST_NAMES_ST_FT_U64(m) NULL
#define ST_NAMES_ST_FT_U32(m) NULL
#define ST_NAMES_ST_FT_I32(m) NULL
#define ST_NAMES_ST_FT_PTR(m) NULL
#define ST_NAMES_ST_FT_STR(m) NULL
#define ST_NAMES_ST_FT_FLAG(m) NULL
#define ST_NAMES_ST_FT_FREED(m) NULL
#define ST_ROW(m, ctype, dims, k, ft, lo, hi, h, i, rq, rd, o, ...)				\
	[ST_FI_##m] = { .key = k, .klen = sizeof(k) - 1, .ftype = ft, .min = lo, .max = hi, .has = h, .in = i,		\
			.req = rq, .redact = rd, .out = o,					\
			.off = offsetof(struct st_rec, m),					\
			.size = sizeof(((struct st_rec *)0)->m),				\
			.names = ST_NAMES_##ft(m) },
const struct st_field st_fields[ST_NFIELDS] = { ST_FIELDS(ST_ROW, ST_ROW) };
#undef ST_ROW

/* The keys hashed on (length, first byte, last byte) into 256 buckets of
 * two, built once before main(): a lookup (the reader does one per member of
 * every line) compares against one or two keys. */
#define KEY_BUCKETS 256
#define KEY_WAYS 2
static const struct st_field *key_index[KEY_BUCKETS][KEY_WAYS];

static unsigned key_hash(const char *key, size_t len)
{
	return ((unsigned)len * 7u + (unsigned char)key[0] * 3u + (unsigned char)key[len - 1]) &
	       (KEY_BUCKETS - 1);
}

__attribute__((constructor)) static void index_keys(void)
{
	for (int f = 0; f < ST_NFIELDS; f++) {
		const struct st_field **b = key_index[key_hash(st_fields[f].key, st_fields[f].klen)];
		int k = 0;

		while (k < KEY_WAYS && b[k])
			k++;
		if (k == KEY_WAYS)
			abort();	/* three keys in one bucket: change key_hash() */
		b[k] = &st_fields[f];
	}
}

static bool same_key(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

const struct st_field *st_field_by_key(const char *key, size_t len)
{
	const struct st_field *const *b;

	if (!len)
		return NULL;
	b = key_index[key_hash(key, len)];
	if (b[0] && b[0]->klen == len && same_key(b[0]->key, key, len))
		return b[0];
	if (b[1] && b[1]->klen == len && same_key(b[1]->key, key, len))
		return b[1];
	return NULL;
}
