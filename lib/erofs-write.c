/* SPDX-License-Identifier: MIT */
/*
 * composefs images in C mkcomposefs's layout (containers/composefs v1.0.8,
 * format versions 0 and 1), to the byte. The facts this follows, from its
 * writer:
 * - the root gets 256 whiteout stubs "00".."ff" (unless the name is taken)
 *   and trusted.overlay.opaque=y; user trusted.overlay.* xattrs are escaped to
 *   trusted.overlay.overlay.*; a user whiteout (char 0:0) becomes an empty
 *   regular file with escaped whiteout xattrs, its directory gets
 *   whiteouts markers (and, from version 1, opaque=x);
 * - inodes are laid out breadth first from the root, children in name order
 *   with "." and ".." among them, right after the superblock, 32-byte
 *   aligned; compact (32-byte) when mtime is the tree's oldest and ids, nlink
 *   and size are small, extended (64-byte) otherwise;
 * - a file's or directory's tail is inlined after the inode unless it is
 *   over half a block, and padding keeps a tail inside one block;
 * - external files are chunk-based with one null chunk pointer, content
 *   located by trusted.overlay.metacopy (digest) and .redirect;
 * - xattrs used by more than one inode go to the shared table after the
 *   inodes, sorted by key then value, descending.
 */
#include <bootseal/erofs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-write.h"
#include "tree.h"
#include "util.h"

void ew_dir_size(struct ew_node *n)
{
	size_t block = 0;

	n->n_blocks = 0;
	for (size_t i = 0; i < n->n_dirents; i++) {
		size_t len = sizeof(struct erofs_dirent) + n->dirents[i].name_len;
		if (block + len > EROFS_BLKSIZ) {
			n->n_blocks++;
			block = 0;
		}
		block += len;
	}
	/* both writers inline at most half a block */
	if (block > EROFS_BLKSIZ / 2) {
		n->n_blocks++;
		block = 0;
	}
	n->tailsize = (uint32_t)block;
}

static void node_size(struct ew_node *n)
{
	n->n_blocks = 0;
	n->tailsize = 0;
	if (S_ISDIR(n->mode)) {
		ew_dir_size(n);
	} else if (S_ISLNK(n->mode)) {
		n->tailsize = (uint32_t)n->link_len;
	} else if (S_ISREG(n->mode) && n->size > 0) {
		if (n->content) {
			n->n_blocks = (uint32_t)(n->size / EROFS_BLKSIZ);
			n->tailsize = (uint32_t)(n->size % EROFS_BLKSIZ);
			if (n->tailsize > EROFS_BLKSIZ / 2) {
				n->n_blocks++;
				n->tailsize = 0;
			}
		} else {
			n->tailsize = (uint32_t)(bsi_erofs_chunk_count(n->size) * 4);
		}
	}
}

static uint64_t node_disk_size(const struct ew_node *n)
{
	if (S_ISDIR(n->mode))
		return (uint64_t)n->n_blocks * EROFS_BLKSIZ + n->tailsize;
	return n->size;
}

static int fits_compact(const struct ew *w, const struct ew_node *n)
{
	return n->mtime_sec == w->min_sec && n->mtime_nsec == w->min_nsec && n->nlink <= UINT16_MAX &&
	       n->uid <= UINT16_MAX && n->gid <= UINT16_MAX && node_disk_size(n) <= UINT32_MAX;
}

/* Padding in front of an inode at pos so that its inline tail stays in one block. */
static uint64_t tail_padding(struct ew_node *n, uint64_t pos, size_t isize, size_t xsize)
{
	size_t head = isize + xsize, total = head + n->tailsize;
	uint64_t rem, pad;

	if (S_ISLNK(n->mode)) {
		/* A symlink keeps inode and target in one block; a target that
		 * cannot fit with its inode moves to a data block. */
		if (total / EROFS_BLKSIZ > 0) {
			n->n_blocks++;
			n->tailsize = 0;
		}
		if (pos / EROFS_BLKSIZ != (pos + total - 1) / EROFS_BLKSIZ)
			return bsi_round_up(pos, EROFS_BLKSIZ) - pos;
		return 0;
	}
	rem = EROFS_BLKSIZ - (pos + head) % EROFS_BLKSIZ;
	if (rem >= n->tailsize)
		return 0;
	pad = bsi_round_up(rem, EROFS_SLOTSIZE);
	if (n->tailsize <= EROFS_BLKSIZ - (pos + head + pad) % EROFS_BLKSIZ)
		return pad;
	n->n_blocks++;
	n->tailsize = 0;
	return bsi_round_up(pos, EROFS_BLKSIZ) - pos;
}

static void layout_inodes(struct ew *w)
{
	uint64_t pos = EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block);
	uint64_t meta_start = pos / EROFS_BLKSIZ * EROFS_BLKSIZ;

	for (size_t i = 0; i < w->n_nodes; i++) {
		struct ew_node *n = &w->nodes[i];
		size_t isize, unshared;
		uint64_t start;

		node_size(n);
		n->compact = fits_compact(w, n);
		isize = n->compact ? sizeof(struct erofs_inode_compact) : sizeof(struct erofs_inode_extended);
		unshared = ew_count_xattrs(n);
		n->xattr_size = (n->n_shared || unshared) ?
			(uint32_t)bsi_round_up(sizeof(struct erofs_xattr_ibody_header) + 4 * n->n_shared + unshared,
					       4) : 0;
		start = bsi_round_up(pos, EROFS_SLOTSIZE);
		start += tail_padding(n, start, isize, n->xattr_size);
		n->ipad = (uint32_t)(start - pos);
		n->isize = (uint32_t)(isize + n->xattr_size + n->tailsize);
		n->nid = (start - meta_start) / EROFS_SLOTSIZE;
		w->n_data_blocks += n->n_blocks;
		pos = start + n->isize;
	}
	w->inodes_end = bsi_round_up(pos, EROFS_SLOTSIZE);
}

static uint32_t name_filter(const struct ew_node *n)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < n->n_xattrs; i++) {
		const struct ew_xattr *x = &n->xattrs[i];
		uint32_t h = bsi_xxh32(x->key + x->skip, x->key_len - x->skip,
				       EROFS_XATTR_FILTER_SEED + x->index);
		bits |= 1u << (h & (EROFS_XATTR_FILTER_BITS - 1));
	}
	return ~bits;
}

static void write_dirent_block(struct ew *w, const struct ew_node *n, size_t first, size_t count,
			       size_t align)
{
	uint16_t nameoff = (uint16_t)(count * sizeof(struct erofs_dirent));

	for (size_t i = first; i < first + count; i++) {
		const struct ew_dirent *d = &n->dirents[i];
		const struct ew_node *t = &w->nodes[d->node];
		uint8_t *p = ew_reserve(w, sizeof(struct erofs_dirent));

		if (!p)
			return;
		bsi_put_le64(p, t->nid);
		bsi_put_le16(p + 8, nameoff);
		p[10] = ew_file_type(t->mode);
		nameoff = (uint16_t)(nameoff + d->name_len);
	}
	for (size_t i = first; i < first + count; i++)
		ew_put(w, n->dirents[i].name, n->dirents[i].name_len);
	ew_align(w, align);
}

/* Full dirent blocks (blocks) or the inline tail (!blocks). */
void ew_write_dirents(struct ew *w, const struct ew_node *n, int blocks)
{
	size_t block = 0, written = 0, first = 0;

	for (size_t i = 0; i < n->n_dirents; i++) {
		size_t len = sizeof(struct erofs_dirent) + n->dirents[i].name_len;
		if (block + len > EROFS_BLKSIZ) {
			if (blocks)
				write_dirent_block(w, n, first, i - first, EROFS_BLKSIZ);
			written++;
			block = 0;
			first = i;
		}
		block += len;
	}
	if (written < n->n_blocks) {
		if (blocks)
			write_dirent_block(w, n, first, n->n_dirents - first, EROFS_BLKSIZ);
		block = 0;
		first = n->n_dirents;
	}
	if (!blocks && block > 0)
		write_dirent_block(w, n, first, n->n_dirents - first, 1);
}

static void write_inode(struct ew *w, struct ew_node *n)
{
	uint32_t layout = n->tailsize ? EROFS_INODE_FLAT_INLINE : EROFS_INODE_FLAT_PLAIN;
	uint64_t size = 0;
	uint32_t u = 0;
	uint8_t *p;

	ew_pad(w, n->ipad);
	if (S_ISDIR(n->mode)) {
		size = node_disk_size(n);
	} else if (S_ISREG(n->mode)) {
		size = n->size;
		if (size > 0 && !n->content)
			layout = EROFS_INODE_CHUNK_BASED;
	} else if (S_ISLNK(n->mode)) {
		size = n->n_blocks ? n->link_len : n->tailsize;
	}
	if (n->n_blocks && (S_ISDIR(n->mode) || S_ISREG(n->mode) || S_ISLNK(n->mode))) {
		u = (uint32_t)(w->data_end / EROFS_BLKSIZ);
		w->data_end += (uint64_t)EROFS_BLKSIZ * n->n_blocks;
	}
	if (S_ISCHR(n->mode) || S_ISBLK(n->mode))
		u = (uint32_t)n->rdev;
	/* The chunk format shares the union with raw_blkaddr: only its low half. */
	if (layout == EROFS_INODE_CHUNK_BASED)
		u = (u & 0xffff0000u) | (bsi_erofs_chunk_bits(n->size) - EROFS_BLKSIZ_BITS);

	if (n->compact) {
		p = ew_reserve(w, sizeof(struct erofs_inode_compact));
		if (!p)
			return;
		bsi_put_le16(p + EROFS_IC_FORMAT_OFF, (uint16_t)(layout << EROFS_I_DATALAYOUT_BIT));
		bsi_put_le16(p + EROFS_IC_XATTR_ICOUNT_OFF, ew_icount(n->xattr_size));
		bsi_put_le16(p + EROFS_IC_MODE_OFF, (uint16_t)n->mode);
		bsi_put_le16(p + EROFS_IC_NLINK_OFF, (uint16_t)n->nlink);
		bsi_put_le32(p + EROFS_IC_SIZE_OFF, (uint32_t)size);
		bsi_put_le32(p + EROFS_IC_U_OFF, u);
		bsi_put_le32(p + EROFS_IC_INO_OFF, n->ino);
		bsi_put_le16(p + EROFS_IC_UID_OFF, (uint16_t)n->uid);
		bsi_put_le16(p + EROFS_IC_GID_OFF, (uint16_t)n->gid);
	} else {
		p = ew_reserve(w, sizeof(struct erofs_inode_extended));
		if (!p)
			return;
		bsi_put_le16(p + EROFS_IC_FORMAT_OFF,
			     (uint16_t)(layout << EROFS_I_DATALAYOUT_BIT | EROFS_INODE_LAYOUT_EXTENDED));
		bsi_put_le16(p + EROFS_IC_XATTR_ICOUNT_OFF, ew_icount(n->xattr_size));
		bsi_put_le16(p + EROFS_IC_MODE_OFF, (uint16_t)n->mode);
		bsi_put_le64(p + EROFS_IE_SIZE_OFF, size);
		bsi_put_le32(p + EROFS_IE_U_OFF, u);
		bsi_put_le32(p + EROFS_IE_INO_OFF, n->ino);
		bsi_put_le32(p + EROFS_IE_UID_OFF, n->uid);
		bsi_put_le32(p + EROFS_IE_GID_OFF, n->gid);
		bsi_put_le64(p + EROFS_IE_MTIME_OFF, (uint64_t)n->mtime_sec);
		bsi_put_le32(p + EROFS_IE_MTIME_NSEC_OFF, n->mtime_nsec);
		bsi_put_le32(p + EROFS_IE_NLINK_OFF, n->nlink);
	}

	if (n->xattr_size) {
		size_t start = w->len;

		p = ew_reserve(w, sizeof(struct erofs_xattr_ibody_header));
		if (!p)
			return;
		bsi_put_le32(p, name_filter(n));
		p[4] = (uint8_t)n->n_shared;
		for (size_t i = 0; i < n->n_xattrs; i++)
			if (n->xattrs[i].shared >= 0) {
				uint8_t ref[4];
				bsi_put_le32(ref, (uint32_t)((w->inodes_end % EROFS_BLKSIZ +
							      (uint64_t)n->xattrs[i].shared) / 4));
				ew_put(w, ref, 4);
			}
		for (size_t i = 0; i < n->n_xattrs; i++)
			if (n->xattrs[i].shared < 0)
				ew_write_xattr(w, &n->xattrs[i]);
		ew_pad(w, start + n->xattr_size - w->len);
	}

	if (S_ISDIR(n->mode)) {
		ew_write_dirents(w, n, 0);
	} else if (S_ISLNK(n->mode)) {
		if (!n->n_blocks)
			ew_put(w, n->link, n->link_len);
	} else if (S_ISREG(n->mode) && n->tailsize) {
		if (n->content) {
			ew_put(w, n->content + n->size - n->tailsize, n->tailsize);
		} else {
			for (uint32_t i = 0; i < n->tailsize / 4; i++)
				ew_put(w, "\xff\xff\xff\xff", 4);
		}
	}
}

static void write_data(struct ew *w, const struct ew_node *n)
{
	ew_write_dirents(w, n, 1);
	if (!n->n_blocks)
		return;
	if (S_ISREG(n->mode) && !n->content) {
		/* A chunk index pushed out of its inode: one block of null chunks. */
		for (uint32_t i = 0; i < EROFS_BLKSIZ / 4; i++)
			ew_put(w, "\xff\xff\xff\xff", 4);
	} else if (S_ISREG(n->mode)) {
		for (uint32_t b = 0; b < n->n_blocks; b++) {
			uint64_t off = (uint64_t)b * EROFS_BLKSIZ;
			if (off < n->size)
				ew_put(w, n->content + off,
				       n->size - off < EROFS_BLKSIZ ? n->size - off : EROFS_BLKSIZ);
			ew_align(w, EROFS_BLKSIZ);
		}
	} else if (S_ISLNK(n->mode)) {
		ew_put(w, n->link, n->link_len);
		ew_align(w, EROFS_BLKSIZ);
	}
}

int ew_write_c_layout(struct ew *w)
{
	uint64_t data_start;
	uint8_t *p;

	layout_inodes(w);

	data_start = bsi_round_up(w->inodes_end + w->shared_size, EROFS_BLKSIZ);
	p = ew_write_super(w, w->version, w->has_acl ? COMPOSEFS_FLAGS_HAS_ACL : 0, data_start);
	if (!p)
		return -ENOMEM;
	bsi_put_le64(p + EROFS_SB_BUILD_TIME_OFF, (uint64_t)w->min_sec);
	bsi_put_le32(p + EROFS_SB_BUILD_TIME_NSEC_OFF, w->min_nsec);
	bsi_put_le32(p + EROFS_SB_META_BLKADDR_OFF,
		     (EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block)) / EROFS_BLKSIZ);
	bsi_put_le32(p + EROFS_SB_XATTR_BLKADDR_OFF, (uint32_t)(w->inodes_end / EROFS_BLKSIZ));

	w->data_end = data_start;
	for (size_t i = 0; i < w->n_nodes; i++)
		write_inode(w, &w->nodes[i]);
	ew_align(w, EROFS_SLOTSIZE);
	for (size_t i = 0; i < w->n_shared; i++)
		ew_write_xattr(w, w->shared[i]);
	ew_align(w, EROFS_BLKSIZ);
	for (size_t i = 0; i < w->n_nodes; i++)
		write_data(w, &w->nodes[i]);
	if (w->oom)
		return -ENOMEM;
	if (w->len != data_start + w->n_data_blocks * EROFS_BLKSIZ || w->nodes[0].nid >= UINT16_MAX)
		return bs_error_set(w->err, -EINVAL, NULL, "internal layout error");
	return 0;
}
