/* SPDX-License-Identifier: MIT */
/*
 * composefs-rs's own image layout, composefs header version 2 (the default
 * of older bootc releases), as its writer at 0fbc8533 produces it:
 * - inodes depth first from the root (a directory before its children), a
 *   hardlinked file at its first name in that walk; always 64-byte inodes,
 *   i_ino = nid, no sub-second mtime, nlink counted from the tree;
 * - no whiteout stubs, no root opaque marker, whiteouts kept as char
 *   devices; trusted.overlay.* still escaped; an external file's metacopy
 *   and redirect come first, then its xattrs by name;
 * - inline data is never split into blocks; an inode whose inline data
 *   would cross a block moves to start where the data fits;
 * - external files: chunk format 31 with one null chunk when they have a
 *   digest, none otherwise;
 * - the shared xattr table is sorted ascending by (prefix, suffix, value)
 *   and referenced by absolute offset / 4; build_time and flags are 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-write.h"
#include "tree.h"
#include "hex.h"
#include "util.h"

#define NO_NODE UINT32_MAX
#define V2_CHUNK_FORMAT 31

static int dirent_cmp(const void *a, const void *b)
{
	const struct ew_dirent *x = a, *y = b;

	return bsi_tree_name_cmp(x->name, x->name_len, y->name, y->name_len);
}

static int src_xattr_cmp(const void *a, const void *b)
{
	const struct bs_tree_xattr *x = *(struct bs_tree_xattr *const *)a;
	const struct bs_tree_xattr *y = *(struct bs_tree_xattr *const *)b;

	return bsi_tree_name_cmp(x->key, x->key_len, y->key, y->key_len);
}

static int is_external(const struct ew_node *n)
{
	return S_ISREG(n->mode) && n->size > 0 && !n->content;
}

static int v2_xattrs(struct ew *w, uint32_t i)
{
	struct ew_node *n = &w->nodes[i];
	struct bs_tree_inode *src = n->src;
	const struct bs_tree_xattr **sorted;
	int r;

	if (is_external(n)) {
		char target[2 * BS_TREE_DIGEST_MAX + 2];
		const char *payload = src->payload;
		size_t payload_len = src->payload_len;

		/* V2 stores one chunk of the largest size (2^43 bytes) */
		if (n->size > 1ull << (EROFS_BLKSIZ_BITS + V2_CHUNK_FORMAT))
			return ew_fail(w, n, -EFBIG, "file of %llu bytes is too big for a V2 composefs image",
					    (unsigned long long)n->size);
		/* composefs-rs names external content by digest: "xx/yyyy…" */
		if (!payload_len && src->digest_len) {
			char hex[2 * BS_TREE_DIGEST_MAX + 1];

			bs_hex_encode(src->digest, src->digest_len, hex);
			memcpy(target, hex, 2);
			target[2] = '/';
			memcpy(target + 3, hex + 2, 2 * (size_t)src->digest_len - 2 + 1);
			payload = target;
			payload_len = 2 * (size_t)src->digest_len + 1;
		}
		r = ew_set_external(w, n, payload, payload_len);
		if (r < 0)
			return r;
	}
	if (!src->n_xattrs)
		return 0;
	sorted = malloc(src->n_xattrs * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t k = 0; k < src->n_xattrs; k++)
		sorted[k] = &src->xattrs[k];
	qsort(sorted, src->n_xattrs, sizeof(*sorted), src_xattr_cmp);
	for (size_t k = 0; k < src->n_xattrs; k++) {
		r = ew_set_escaped_xattr(w, n, sorted[k]);
		if (r < 0) {
			free(sorted);
			return r;
		}
	}
	free(sorted);
	return 0;
}

static int collect(struct ew *w, struct bs_tree_inode *dir, uint32_t parent, uint32_t *out)
{
	uint32_t me;
	struct ew_dirent *d;
	size_t n = 0, subdirs = 0;
	int r = ew_add_node(w, dir, parent, &me);

	if (r < 0)
		return r;
	d = calloc(dir->n_children + 2, sizeof(*d));
	if (!d)
		return -ENOMEM;
	w->nodes[me].dirents = d;
	d[n++] = (struct ew_dirent){ ".", 1, me, NULL, 1 };
	d[n++] = (struct ew_dirent){ "..", 2, parent == NO_NODE ? me : parent, NULL, 1 };
	for (size_t c = 0; c < dir->n_children; c++) {
		const struct bs_tree_dirent *e = &dir->children[c];
		struct bs_tree_inode *x = e->inode;
		uint32_t idx = x->w_index;

		if (S_ISDIR(x->st.mode)) {
			if (idx != NO_NODE)
				return bs_error_set(w->err, -EINVAL, NULL, "directory '%.*s' is hardlinked",
						    (int)e->name_len, e->name);
			r = collect(w, x, me, &idx);
			subdirs++;
		} else if (idx == NO_NODE) {
			r = ew_add_node(w, x, me, &idx);
			if (r >= 0)
				w->nodes[idx].nlink = x->links;
		}
		if (r < 0)
			return r;
		d[n++] = (struct ew_dirent){ e->name, e->name_len, idx, x, 0 };
	}
	qsort(d, n, sizeof(*d), dirent_cmp);
	w->nodes[me].n_dirents = n;
	w->nodes[me].nlink = (uint32_t)(2 + subdirs);
	*out = me;
	return 0;
}

int ew_build_v2(struct ew *w, struct bs_tree *tree)
{
	uint32_t root;
	int r;

	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_index = NO_NODE;
	r = collect(w, tree->root, NO_NODE, &root);
	if (r < 0)
		return r;
	w->nodes[0].parent = 0;
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		struct ew_node *n = &w->nodes[i];

		r = ew_check_node(w, n);
		if (r >= 0)
			r = v2_xattrs(w, i);
		if (r < 0)
			return r;
	}
	return ew_build_shared(w);
}

/* Inline bytes after the inode (and whether the data layout is FLAT_INLINE). */
static size_t inline_len(const struct ew_node *n, int *flat_inline)
{
	*flat_inline = 0;
	if (S_ISDIR(n->mode)) {
		*flat_inline = n->tailsize > 0;
		return n->tailsize;
	}
	if (S_ISLNK(n->mode) || (S_ISREG(n->mode) && n->content && n->size)) {
		*flat_inline = 1;
		return S_ISLNK(n->mode) ? n->link_len : n->size;
	}
	if (is_external(n) && n->src->digest_len)
		return 4;
	return 0;
}

static uint64_t v2_size(const struct ew_node *n)
{
	if (S_ISDIR(n->mode))
		return (uint64_t)n->n_blocks * EROFS_BLKSIZ + n->tailsize;
	if (S_ISREG(n->mode) || S_ISLNK(n->mode))
		return n->size;
	return 0;
}

/*
 * Where each inode goes: slot-aligned one after another, moved on to the
 * next block where its inline tail would cross one (as composefs-rs does).
 * Sets w->inodes_end.
 */
static int v2_place_inodes(struct ew *w)
{
	uint64_t pos = EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block);

	for (size_t i = 0; i < w->n_nodes; i++) {
		struct ew_node *n = &w->nodes[i];
		size_t unshared, inl;
		int flat_inline;
		uint64_t start;

		if (S_ISDIR(n->mode))
			ew_dir_size(n);
		unshared = ew_count_xattrs(n);
		n->xattr_size = n->n_xattrs ?
			(uint32_t)(sizeof(struct erofs_xattr_ibody_header) + 4 * n->n_shared + unshared) : 0;
		inl = inline_len(n, &flat_inline);
		start = bsi_round_up(pos, EROFS_SLOTSIZE);
		if (flat_inline) {
			uint64_t istart = start + sizeof(struct erofs_inode_extended) + n->xattr_size;
			uint64_t iend = istart + v2_size(n) % EROFS_BLKSIZ;

			if ((istart - 1) / EROFS_BLKSIZ != iend / EROFS_BLKSIZ)
				start = bsi_round_up(start + EROFS_BLKSIZ - (istart - 1) % EROFS_BLKSIZ,
						     EROFS_SLOTSIZE);
		}
		/* composefs-rs would write such an inode anyway; the kernel and
		 * fsck.erofs reject inline data that crosses a block. */
		if (flat_inline && inl) {
			uint64_t istart = start + sizeof(struct erofs_inode_extended) + n->xattr_size;
			if (istart / EROFS_BLKSIZ != (istart + inl - 1) / EROFS_BLKSIZ)
				return ew_fail(w, n, -EINVAL, "%zu bytes of inline data do not fit in one block of a V2 image",
						    inl);
		}
		n->ipad = (uint32_t)(start - pos);
		n->nid = start / EROFS_SLOTSIZE;
		n->isize = (uint32_t)(sizeof(struct erofs_inode_extended) + n->xattr_size + inl);
		w->n_data_blocks += S_ISDIR(n->mode) ? n->n_blocks : 0;
		pos = start + n->isize;
	}
	w->inodes_end = bsi_round_up(pos, EROFS_SLOTSIZE);
	return 0;
}

static int v2_write_superblock(struct ew *w, uint64_t data_start)
{
	return ew_write_super(w, 2, 0, data_start) ? 0 : -ENOMEM;
}

/* The inode's xattr body: the filter, references to shared ones, its own. */
static int v2_write_xattrs(struct ew *w, const struct ew_node *n)
{
	uint32_t filter = 0;
	uint8_t *p;

	for (size_t k = 0; k < n->n_xattrs; k++) {
		const struct ew_xattr *x = &n->xattrs[k];
		uint32_t h = bsi_xxh32(x->key + x->skip, x->key_len - x->skip,
				       EROFS_XATTR_FILTER_SEED + x->index);
		filter |= 1u << (h % EROFS_XATTR_FILTER_BITS);
	}
	p = ew_reserve(w, sizeof(struct erofs_xattr_ibody_header));
	if (!p)
		return -ENOMEM;
	bsi_put_le32(p, ~filter);
	p[4] = (uint8_t)n->n_shared;
	for (size_t k = 0; k < n->n_xattrs; k++)
		if (n->xattrs[k].shared >= 0) {
			uint8_t ref[4];
			bsi_put_le32(ref, (uint32_t)((w->inodes_end + (uint64_t)n->xattrs[k].shared) / 4));
			ew_put(w, ref, 4);
		}
	for (size_t k = 0; k < n->n_xattrs; k++)
		if (n->xattrs[k].shared < 0)
			ew_write_xattr(w, &n->xattrs[k]);
	return 0;
}

/* An extended inode, its xattrs and inline data; directory blocks are
 * numbered from w->data_end on. */
static int v2_write_inode(struct ew *w, struct ew_node *n)
{
	int flat_inline;
	size_t inl = inline_len(n, &flat_inline);
	uint32_t layout = flat_inline ? EROFS_INODE_FLAT_INLINE : EROFS_INODE_FLAT_PLAIN, u = 0;
	uint8_t *p;

	ew_pad(w, n->ipad);
	if (S_ISDIR(n->mode)) {
		if (n->n_blocks) {
			u = (uint32_t)(w->data_end / EROFS_BLKSIZ);
			w->data_end += (uint64_t)n->n_blocks * EROFS_BLKSIZ;
		}
	} else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) {
		u = (uint32_t)n->rdev;
	} else if (is_external(n)) {
		layout = EROFS_INODE_CHUNK_BASED;
		u = V2_CHUNK_FORMAT;
	}
	p = ew_reserve(w, sizeof(struct erofs_inode_extended));
	if (!p)
		return -ENOMEM;
	bsi_put_le16(p + EROFS_IC_FORMAT_OFF,
		     (uint16_t)(layout << EROFS_I_DATALAYOUT_BIT | EROFS_INODE_LAYOUT_EXTENDED));
	bsi_put_le16(p + EROFS_IC_XATTR_ICOUNT_OFF, ew_icount(n->xattr_size));
	bsi_put_le16(p + EROFS_IC_MODE_OFF, (uint16_t)n->mode);
	bsi_put_le64(p + EROFS_IE_SIZE_OFF, v2_size(n));
	bsi_put_le32(p + EROFS_IE_U_OFF, u);
	bsi_put_le32(p + EROFS_IE_INO_OFF, (uint32_t)n->nid);
	bsi_put_le32(p + EROFS_IE_UID_OFF, n->uid);
	bsi_put_le32(p + EROFS_IE_GID_OFF, n->gid);
	bsi_put_le64(p + EROFS_IE_MTIME_OFF, (uint64_t)n->mtime_sec);
	bsi_put_le32(p + EROFS_IE_NLINK_OFF, n->nlink);
	if (n->xattr_size && v2_write_xattrs(w, n) < 0)
		return -ENOMEM;
	if (S_ISDIR(n->mode))
		ew_write_dirents(w, n, 0);
	else if (S_ISLNK(n->mode))
		ew_put(w, n->link, n->link_len);
	else if (inl && n->content)
		ew_put(w, n->content, inl);
	else if (inl)
		ew_put(w, "\xff\xff\xff\xff", 4);
	return 0;
}

int ew_write_v2_layout(struct ew *w)
{
	uint64_t data_start;
	int r;

	r = v2_place_inodes(w);
	if (r < 0)
		return r;
	data_start = bsi_round_up(w->inodes_end + w->shared_size, EROFS_BLKSIZ);
	r = v2_write_superblock(w, data_start);
	if (r < 0)
		return r;
	w->data_end = data_start;
	for (size_t i = 0; i < w->n_nodes; i++) {
		r = v2_write_inode(w, &w->nodes[i]);
		if (r < 0)
			return r;
	}
	ew_align(w, EROFS_SLOTSIZE);
	for (size_t i = 0; i < w->n_shared; i++)
		ew_write_xattr(w, w->shared[i]);
	ew_align(w, EROFS_BLKSIZ);
	for (size_t i = 0; i < w->n_nodes; i++)
		if (S_ISDIR(w->nodes[i].mode))
			ew_write_dirents(w, &w->nodes[i], 1);
	if (w->oom)
		return -ENOMEM;
	if (w->len != data_start + w->n_data_blocks * EROFS_BLKSIZ || w->nodes[0].nid >= UINT16_MAX)
		return bs_error_set(w->err, -EINVAL, NULL, "internal layout error");
	return 0;
}
