// SPDX-License-Identifier: GPL-2.0
/*
 * report_index.c - the report's hash indexes, for merging: from an item's
 * identity to the first site, race or hook with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "xalloc.h"

/*
 * Open addressing with linear probing, from an item's identity hash to the
 * index of the first item with that identity in r->sites, r->races or
 * r->hooks. It covers the first r->indexed[i] items and catches up with the
 * rest when next used; report__sort() and report__merge_last() reset it
 * when items it covers move. (json-c's lh_table does not fit: its hash and
 * equality callbacks get no context, and the items live in arrays that
 * move as they grow.)
 */

/* FNV-1a over the bytes */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t la_hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s) + 1);
}

uint64_t la_hash_u64(uint64_t h, uint64_t v)
{
	return hash_bytes(h, &v, sizeof(v));
}

/* first probe: FNV's low bits are weak, mix the high ones in */
static size_t slot_of(const struct la_index *x, uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (x->cap - 1);
}

size_t la_index_find(const struct la_index *x, uint64_t h, idx_eq_fn eq,
		     const struct la_report *r, const void *key)
{
	size_t i;

	if (!x->cap)
		return SIZE_MAX;
	for (i = slot_of(x, h); x->slot[i].idx1; i = (i + 1) & (x->cap - 1))
		if (x->slot[i].hash == h && eq(r, x->slot[i].idx1 - 1, key))
			return x->slot[i].idx1 - 1;
	return SIZE_MAX;
}

static void slot_put(struct la_index *x, uint64_t h, size_t idx1)
{
	size_t i;

	for (i = slot_of(x, h); x->slot[i].idx1; i = (i + 1) & (x->cap - 1))
		;
	x->slot[i].hash = h;
	x->slot[i].idx1 = idx1;
	x->used++;
}

/* Add item idx, whose identity is not in x yet; at most half full. */
void la_index_put(struct la_index *x, uint64_t h, size_t idx)
{
	if ((x->used + 1) * 2 > x->cap) {
		struct la_index old = *x;
		size_t i;

		x->cap = old.cap ? old.cap * 2 : 64;
		x->used = 0;
		x->slot = xcalloc(x->cap, sizeof(*x->slot));
		for (i = 0; i < old.cap; i++)
			if (old.slot[i].idx1)
				slot_put(x, old.slot[i].hash, old.slot[i].idx1);
		free(old.slot);
	}
	slot_put(x, h, idx + 1);
}

/*
 * Index number `which` of r, brought up to date with the first n items:
 * they are added in order and only when their identity is new, so each
 * identity maps to its first item, the one a linear search would find.
 */
struct la_index *la_index_sync(struct la_report *r, int which, size_t n,
			       const void *items, size_t size,
			       uint64_t (*hash)(const void *item), idx_eq_fn eq)
{
	struct la_index *x = r->index[which];
	size_t i;

	if (!x) {
		x = xcalloc(1, sizeof(*x));
		r->index[which] = x;
	}
	if (r->indexed[which] > n || !r->indexed[which]) {
		/* the items it covered moved or went: start over */
		if (x->used)
			memset(x->slot, 0, x->cap * sizeof(*x->slot));
		x->used = 0;
		r->indexed[which] = 0;
	}
	for (i = r->indexed[which]; i < n; i++) {
		const void *item = (const char *)items + i * size;
		uint64_t h = hash(item);

		if (la_index_find(x, h, eq, r, item) == SIZE_MAX)
			la_index_put(x, h, i);
	}
	r->indexed[which] = n;
	return x;
}

void la_index_free(struct la_index *x)
{
	if (x)
		free(x->slot);
	free(x);
}
