/* SPDX-License-Identifier: MIT */
/*
 * The shared xattr table: an xattr (name and value) that more than one inode
 * carries is stored once after the inodes and referenced by its offset.
 * C mkcomposefs orders the table by name, then value length, then value
 * bytes, all descending, and an inode references at most 128 shared entries
 * (the rest stay inline). composefs-rs V2 orders it ascending by prefix
 * index, name suffix, then value (plain byte order) and has no such cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "erofs-write.h"
#include "tree.h"

struct slot {
	struct ew_xattr *x;             /* representative */
	uint32_t count;
	int64_t offset;
};

static uint64_t xattr_hash(const struct ew_xattr *x)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < x->key_len; i++)
		h = (h ^ (uint8_t)x->key[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (size_t i = 0; i < x->value_len; i++)
		h = (h ^ x->value[i]) * 1099511628211ull;
	return h;
}

static int xattr_eq(const struct ew_xattr *a, const struct ew_xattr *b)
{
	return a->key_len == b->key_len && a->value_len == b->value_len &&
	       !memcmp(a->key, b->key, a->key_len) &&
	       (!a->value_len || !memcmp(a->value, b->value, a->value_len));
}

static struct slot *find(struct slot *table, size_t mask, const struct ew_xattr *x)
{
	for (size_t i = xattr_hash(x) & mask;; i = (i + 1) & mask)
		if (!table[i].x || xattr_eq(table[i].x, x))
			return &table[i];
}

static int c_order(const void *a, const void *b)
{
	const struct ew_xattr *x = *(struct ew_xattr *const *)a, *y = *(struct ew_xattr *const *)b;
	int r = bsi_tree_name_cmp(y->key, y->key_len, x->key, x->key_len);

	if (r)
		return r;
	if (x->value_len != y->value_len)
		return y->value_len > x->value_len ? 1 : -1;
	return x->value_len ? memcmp(y->value, x->value, x->value_len) : 0;
}

static int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0;

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int v2_order(const void *a, const void *b)
{
	const struct ew_xattr *x = *(struct ew_xattr *const *)a, *y = *(struct ew_xattr *const *)b;
	int r;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	r = bytes_cmp(x->key + x->skip, x->key_len - x->skip, y->key + y->skip, y->key_len - y->skip);
	if (r)
		return r;
	return bytes_cmp(x->value, x->value_len, y->value, y->value_len);
}

int ew_build_shared(struct ew *w)
{
	size_t total = 0, size = 16, n_shared = 0;
	struct slot *table;
	uint64_t offset = 0;

	for (size_t i = 0; i < w->n_nodes; i++)
		total += w->nodes[i].n_xattrs;
	while (size < 2 * total)
		size *= 2;
	table = calloc(size, sizeof(*table));
	if (!table)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_nodes; i++)
		for (size_t k = 0; k < w->nodes[i].n_xattrs; k++) {
			struct ew_xattr *x = &w->nodes[i].xattrs[k];
			struct slot *s = find(table, size - 1, x);

			if (!s->x)
				s->x = x;
			if (++s->count == 2)
				n_shared++;
		}
	w->shared = calloc(n_shared ? n_shared : 1, sizeof(*w->shared));
	if (!w->shared) {
		free(table);
		return -ENOMEM;
	}
	for (size_t i = 0; i < size; i++)
		if (table[i].count > 1)
			w->shared[w->n_shared++] = table[i].x;
	qsort(w->shared, w->n_shared, sizeof(*w->shared), w->version >= 2 ? v2_order : c_order);
	for (size_t i = 0; i < w->n_shared; i++) {
		struct slot *s = find(table, size - 1, w->shared[i]);

		s->offset = (int64_t)offset;
		w->shared[i]->sid = (uint32_t)i;
		offset += ew_xattr_entry_size(w->shared[i]);
	}
	w->shared_size = offset;
	for (size_t i = 0; i < w->n_nodes; i++) {
		unsigned refs = 0;

		for (size_t k = 0; k < w->nodes[i].n_xattrs; k++) {
			struct ew_xattr *x = &w->nodes[i].xattrs[k];
			struct slot *s = find(table, size - 1, x);

			x->shared = -1;
			if (s->count > 1 && (w->version >= 2 || refs < EROFS_XATTR_LONG_PREFIX)) {
				x->shared = s->offset;
				x->sid = s->x->sid;
				refs++;
			}
		}
	}
	free(table);
	return 0;
}
