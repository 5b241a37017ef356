/* SPDX-License-Identifier: MIT */
/*
 * Reads a composefs image back into a tree, undoing what the writers add, as
 * libcomposefs's image loader (v1.0.8) does for versions 0 and 1: the root's
 * whiteout stubs (char 0:0) are dropped, trusted.overlay.metacopy and
 * .redirect become the digest and payload, escaped
 * trusted.overlay.overlay.* xattrs lose one "overlay.", other
 * trusted.overlay.* and the whiteout markers are dropped, and an escaped
 * whiteout turns back into a char 0:0 device. Version 2 images keep
 * whiteouts as devices and have no stubs, so only the xattr rules apply.
 *
 * Every offset and length comes from the image, so each is checked against
 * the image size before use.
 */
#include <bootseal/erofs.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-internal.h"
#include "tree.h"
#include "util.h"

struct reader {
	const uint8_t *data;
	size_t size;
	const char *name;
	struct bs_error *err;
	struct bs_tree *tree;
	unsigned version;
	uint64_t meta, xattrs;          /* byte offsets of the metadata and shared xattr areas */
	int64_t build_sec;
	uint32_t build_nsec;
	/* nid -> inode, open addressing */
	uint64_t *keys;
	struct bs_tree_inode **vals;
	size_t mask, used;
	struct pending_dir *queue;      /* directories whose entries are still to read */
	size_t q_head, q_len, q_cap;
	uint64_t data_read;             /* bytes of inode data, all inodes */
};

struct pending_dir {
	struct bs_tree_inode *dir;
	uint64_t data_off, body, tail_off, tail;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct reader *rd, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bs_error_set(rd->err, -EBADMSG, rd->name, "corrupt composefs image: %s", msg);
}

static int in_image(const struct reader *rd, uint64_t off, uint64_t len)
{
	return off <= rd->size && len <= rd->size - off;
}

static struct bs_tree_inode **map_slot(struct reader *rd, uint64_t nid)
{
	for (size_t i = (size_t)(nid * 0x9E3779B97F4A7C15ull) & rd->mask;; i = (i + 1) & rd->mask)
		if (!rd->vals[i] || rd->keys[i] == nid) {
			rd->keys[i] = nid;
			return &rd->vals[i];
		}
}

static int map_grow(struct reader *rd)
{
	size_t n = rd->mask ? 2 * (rd->mask + 1) : 1024;
	uint64_t *keys = calloc(n, sizeof(*keys)), *ok = rd->keys;
	struct bs_tree_inode **vals = calloc(n, sizeof(*vals)), **ov = rd->vals;
	size_t old = rd->mask ? rd->mask + 1 : 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	rd->keys = keys;
	rd->vals = vals;
	rd->mask = n - 1;
	for (size_t i = 0; i < old; i++)
		if (ov[i])
			*map_slot(rd, ok[i]) = ov[i];
	free(ok);
	free(ov);
	return 0;
}

static int xattr_name(struct reader *rd, uint8_t index, const uint8_t *suffix, size_t len,
		      char *out, size_t *out_len)
{
	const char *prefix = bsi_erofs_xattr_prefix_name(index);
	size_t plen = strlen(prefix);

	if (index && !plen)
		return bad(rd, "unknown xattr prefix index %u", index);
	memcpy(out, prefix, plen);
	memcpy(out + plen, suffix, len);
	out[plen + len] = 0;
	*out_len = plen + len;
	if (memchr(out, 0, *out_len) || *out_len == 0)
		return bad(rd, "invalid xattr name");
	return 0;
}

#define STARTS(s, lit) (strncmp((s), (lit), strlen(lit)) == 0)

static int read_xattr(struct reader *rd, struct bs_tree_inode *ino, uint64_t off, uint64_t end)
{
	char name[300];
	size_t nlen = 0, vlen;
	const uint8_t *e, *value;
	int r;

	if (off + 4 > end || !in_image(rd, off, 4))
		return bad(rd, "xattr entry out of bounds");
	e = rd->data + off;
	vlen = bsi_get_le16(e + 2);
	if (off + 4 + e[0] + vlen > end)
		return bad(rd, "xattr entry out of bounds");
	r = xattr_name(rd, e[1], e + 4, e[0], name, &nlen);
	if (r < 0)
		return r;
	value = e + 4 + e[0];

	if (!strcmp(name, OVL_TRUSTED "redirect")) {
		if (S_ISREG(ino->st.mode)) {
			size_t skip = vlen > 1 && value[0] == '/';
			if (memchr(value, 0, vlen))
				return bad(rd, "redirect xattr contains a NUL byte");
			r = bs_tree_inode_set_payload(rd->tree, ino, (const char *)value + skip,
						      vlen - skip, NULL);
			return r == -EINVAL ? bad(rd, "invalid redirect xattr") : r;
		}
		return 0;
	}
	if (!strcmp(name, OVL_TRUSTED "metacopy")) {
		if (S_ISREG(ino->st.mode) && (vlen == 4 + 32 || vlen == 4 + 64))
			bs_tree_inode_set_digest(ino, value + 4, vlen - 4);
		return 0;
	}
	if (rd->version < 2) {
		if (!strcmp(name, OVL_ESCAPED "whiteout") && S_ISREG(ino->st.mode)) {
			ino->st.mode = (ino->st.mode & ~(uint32_t)S_IFMT) | S_IFCHR;
			ino->st.rdev = 0;
			ino->st.size = 0;
			return 0;
		}
		if (!strcmp(name, OVL_ESCAPED "whiteouts") || !strcmp(name, OVL_USER "whiteout") ||
		    !strcmp(name, OVL_USER "whiteouts"))
			return 0;
	}
	/* Both layouts escape the tree's own trusted.overlay.* xattrs. */
	if (STARTS(name, OVL_TRUSTED)) {
		if (!STARTS(name, OVL_ESCAPED))
			return 0;
		memmove(name + strlen("trusted."), name + strlen(OVL_TRUSTED),
			nlen - strlen(OVL_TRUSTED) + 1);
		nlen -= strlen("overlay.");
	}
	r = bs_tree_inode_add_xattr(rd->tree, ino, name, nlen, value, vlen, NULL);
	return r == -EINVAL ? bad(rd, "invalid xattr '%s'", name) : r;
}

/* Reads the inode at nid (once); *out is NULL for a skipped whiteout stub. */
/* Compact inodes carry no time: they take the superblock's build time. */
static void read_stat(const struct reader *rd, const uint8_t *p, int extended,
		      struct bs_tree_inode *ino, uint64_t *blkaddr)
{
	if (extended) {
		ino->st.size = bsi_get_le64(p + EROFS_IE_SIZE_OFF);
		ino->st.uid = bsi_get_le32(p + EROFS_IE_UID_OFF);
		ino->st.gid = bsi_get_le32(p + EROFS_IE_GID_OFF);
		ino->st.mtime_sec = (int64_t)bsi_get_le64(p + EROFS_IE_MTIME_OFF);
		ino->st.mtime_nsec = bsi_get_le32(p + EROFS_IE_MTIME_NSEC_OFF);
		ino->st.nlink = bsi_get_le32(p + EROFS_IE_NLINK_OFF);
		*blkaddr = bsi_get_le32(p + EROFS_IE_U_OFF);
	} else {
		ino->st.size = bsi_get_le32(p + EROFS_IC_SIZE_OFF);
		ino->st.uid = bsi_get_le16(p + EROFS_IC_UID_OFF);
		ino->st.gid = bsi_get_le16(p + EROFS_IC_GID_OFF);
		ino->st.mtime_sec = rd->build_sec;
		ino->st.mtime_nsec = rd->build_nsec;
		ino->st.nlink = bsi_get_le16(p + EROFS_IC_NLINK_OFF);
		*blkaddr = bsi_get_le32(p + EROFS_IC_U_OFF);
	}
	if (S_ISCHR(ino->st.mode) || S_ISBLK(ino->st.mode))
		ino->st.rdev = *blkaddr;
}

/*
 * The data of a flat inode: its blocks at blkaddr, then (inline layout) a
 * tail right after the inode's xattrs, at tail_off. A directory's is queued
 * for read_dirs, a symlink's and a file's inline content copied.
 */
static int read_data(struct reader *rd, struct bs_tree_inode *ino, uint64_t nid, unsigned layout,
		     uint64_t blkaddr, uint64_t tail_off)
{
	uint64_t size = ino->st.size, tail = layout == EROFS_INODE_FLAT_INLINE ? size % EROFS_BLKSIZ : 0;
	uint64_t body = size - tail, data_off = blkaddr * (uint64_t)EROFS_BLKSIZ;
	uint8_t *buf;
	int r;

	if (layout != EROFS_INODE_FLAT_INLINE && layout != EROFS_INODE_FLAT_PLAIN)
		return bad(rd, "inode %llu has data layout %u", (unsigned long long)nid, layout);
	if ((body && !in_image(rd, data_off, body)) || !in_image(rd, tail_off, tail))
		return bad(rd, "data of inode %llu is outside the image", (unsigned long long)nid);
	/* A writer stores each inode's data once, so all of it fits in the
	 * image; inodes that share blocks would each cost a copy (32-byte
	 * inodes over the same MiB: gigabytes from a small image). */
	if (size > rd->size - rd->data_read)
		return bad(rd, "data of inode %llu: the inodes' data adds up to more than the image",
			   (unsigned long long)nid);
	rd->data_read += size;
	if (S_ISDIR(ino->st.mode)) {
		/* Entries are read from a queue, not recursively: nesting depth
		 * is the image's choice. */
		if (BSI_GROW(rd->queue, rd->q_cap, rd->q_len, 64) < 0)
			return -ENOMEM;
		rd->queue[rd->q_len++] = (struct pending_dir){ ino, data_off, body, tail_off, tail };
		return 0;
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, rd->data + data_off, body);
	memcpy(buf + body, rd->data + tail_off, tail);
	if (!S_ISLNK(ino->st.mode))
		r = bs_tree_inode_set_content(rd->tree, ino, buf, size, NULL);
	else if (size && !memchr(buf, 0, size))
		r = bs_tree_inode_set_payload(rd->tree, ino, (char *)buf, size, NULL);
	else
		r = bad(rd, "invalid symlink target");
	free(buf);
	return r;
}

/* The inline xattrs in [start, end) after the inode, then the shared ones. */
static int read_xattrs(struct reader *rd, struct bs_tree_inode *ino, uint64_t nid, uint64_t start,
		       uint64_t end)
{
	const uint8_t *h = rd->data + start;
	uint8_t shared = h[4];
	uint64_t pos = start + sizeof(struct erofs_xattr_ibody_header) + 4u * shared;
	int r;

	if (pos > end)
		return bad(rd, "xattr header of inode %llu is invalid", (unsigned long long)nid);
	while (pos + sizeof(struct erofs_xattr_entry) < end) {
		const uint8_t *e = rd->data + pos;

		if ((r = read_xattr(rd, ino, pos, end)) < 0)
			return r;
		pos += bsi_round_up(4u + e[0] + bsi_get_le16(e + 2), 4);
	}
	for (unsigned i = 0; i < shared; i++) {
		uint64_t id = bsi_get_le32(h + sizeof(struct erofs_xattr_ibody_header) + 4 * i);

		if ((r = read_xattr(rd, ino, rd->xattrs + 4 * id, rd->size)) < 0)
			return r;
	}
	return 0;
}

static int read_inode(struct reader *rd, uint64_t nid, struct bs_tree_inode **out)
{
	struct bs_tree_inode **slot, *ino;
	uint64_t off = rd->meta + nid * EROFS_SLOTSIZE, isize, xsize, blkaddr;
	const uint8_t *p;
	uint16_t format, icount;
	unsigned layout;
	uint32_t mode;
	int r, extended;

	if (rd->used * 2 >= rd->mask && (r = map_grow(rd)) < 0)
		return r;
	slot = map_slot(rd, nid);
	if (*slot) {
		*out = *slot == (void *)rd ? NULL : *slot;
		return 0;
	}
	if (nid > UINT64_MAX / EROFS_SLOTSIZE || !in_image(rd, off, sizeof(struct erofs_inode_compact)))
		return bad(rd, "inode %llu is outside the image", (unsigned long long)nid);
	p = rd->data + off;
	format = bsi_get_le16(p);
	extended = format & 1;
	layout = (format >> EROFS_I_DATALAYOUT_BIT) & 7;
	isize = extended ? sizeof(struct erofs_inode_extended) : sizeof(struct erofs_inode_compact);
	if (!in_image(rd, off, isize))
		return bad(rd, "inode %llu is outside the image", (unsigned long long)nid);
	icount = bsi_get_le16(p + EROFS_IC_XATTR_ICOUNT_OFF);
	xsize = icount ? sizeof(struct erofs_xattr_ibody_header) + 4u * (icount - 1u) : 0;
	mode = bsi_get_le16(p + EROFS_IC_MODE_OFF);
	if (rd->version < 2 && S_ISCHR(mode) && bsi_get_le32(p + EROFS_IC_U_OFF) == 0) {
		*slot = (void *)rd;     /* marks a skipped stub */
		rd->used++;
		*out = NULL;
		return 0;
	}
	r = bs_tree_inode_new(rd->tree, mode, &ino, NULL);
	if (r < 0)
		return r == -EINVAL ? bad(rd, "inode %llu has mode 0%o", (unsigned long long)nid, mode) : r;
	*slot = ino;
	rd->used++;
	ino->w_nid = nid;
	read_stat(rd, p, extended, ino, &blkaddr);
	if (!in_image(rd, off, isize + xsize))
		return bad(rd, "xattrs of inode %llu are outside the image", (unsigned long long)nid);
	/* Chunk-based files are external: their data is not in the image. */
	if (S_ISDIR(mode) || S_ISLNK(mode) ||
	    (S_ISREG(mode) && ino->st.size && layout != EROFS_INODE_CHUNK_BASED)) {
		r = read_data(rd, ino, nid, layout, blkaddr, off + isize + xsize);
		if (r < 0)
			return r;
	}
	if (icount) {
		r = read_xattrs(rd, ino, nid, off + isize, off + isize + xsize);
		if (r < 0)
			return r;
	}
	*out = ino;
	return 0;
}

static int read_dir_block(struct reader *rd, struct bs_tree_inode *dir, uint64_t off, size_t len)
{
	const uint8_t *b = rd->data + off;
	size_t n;

	if (len < sizeof(struct erofs_dirent))
		return bad(rd, "directory block too small");
	n = bsi_get_le16(b + 8);
	if (n % sizeof(struct erofs_dirent) || n == 0 || n > len)
		return bad(rd, "invalid directory block");
	n /= sizeof(struct erofs_dirent);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *d = b + i * sizeof(struct erofs_dirent);
		uint64_t nid = bsi_get_le64(d);
		size_t nameoff = bsi_get_le16(d + 8), end;
		struct bs_tree_inode *child;
		const char *name;
		int r;

		end = i + 1 < n ? bsi_get_le16(d + sizeof(struct erofs_dirent) + 8) : len;
		if (nameoff < n * sizeof(struct erofs_dirent) || end > len || nameoff > end)
			return bad(rd, "invalid directory entry name");
		name = (const char *)b + nameoff;
		if (i + 1 == n)
			end = nameoff + strnlen(name, len - nameoff);
		if ((end - nameoff == 1 && name[0] == '.') ||
		    (end - nameoff == 2 && name[0] == '.' && name[1] == '.'))
			continue;
		r = read_inode(rd, nid, &child);
		if (r < 0)
			return r;
		if (!child)
			continue;
		if (S_ISDIR(child->st.mode) && (child->links || child == rd->tree->root))
			return bad(rd, "directory %.*s is linked twice", (int)(end - nameoff), name);
		r = bs_tree_dir_add(rd->tree, dir, name, end - nameoff, child, NULL);
		if (r < 0)
			return r == -ENOMEM ? r : bad(rd, "invalid directory entry '%.*s'",
						       (int)(end - nameoff), name);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Which name of a hardlinked inode is its primary: the writer places inodes
 * breadth first, each at the next inode slot, when it meets the primary
 * name. Replaying that walk, a name is primary when its inode is the next
 * unplaced one in nid order; writing the tree again then gives the same bytes.
 */
static int assign_primaries(struct reader *rd)
{
	struct bs_tree *t = rd->tree;
	_cleanup_free_ uint64_t *nids = malloc((t->n_inodes + 1) * sizeof(*nids));
	_cleanup_free_ struct bs_tree_inode **queue = malloc((t->n_inodes + 1) * sizeof(*queue));
	size_t n = 0, next = 0, q_head = 0, q_len = 0;

	if (!nids || !queue)
		return -ENOMEM;
	for (struct bs_tree_inode *i = t->all; i; i = i->all_next) {
		i->w_flags = 0;
		if (i->links || i == t->root)
			nids[n++] = i->w_nid;
		for (size_t c = 0; c < i->n_children; c++)
			if (i->children[c].inode->links > 1)
				i->children[c].primary = 0;
	}
	qsort(nids, n, sizeof(*nids), cmp_u64);
	queue[q_len++] = t->root;
	t->root->w_flags = 1;
	for (; q_head < q_len; q_head++) {
		struct bs_tree_inode *dir = queue[q_head];

		while (next < n && nids[next] <= dir->w_nid)
			next++;
		for (size_t c = 0; c < dir->n_children; c++) {
			struct bs_tree_dirent *d = &dir->children[c];
			struct bs_tree_inode *x = d->inode;

			if (x->w_flags)
				continue;
			if (x->links > 1 && next < n && x->w_nid != nids[next])
				continue;
			x->w_flags = 1;
			d->primary = 1;
			while (next < n && nids[next] <= x->w_nid)
				next++;
			if (S_ISDIR(x->st.mode))
				queue[q_len++] = x;
		}
	}
	/* An image from another writer may not follow that order: keep the
	 * first name then. */
	for (struct bs_tree_inode *i = t->all; i; i = i->all_next)
		for (size_t c = 0; c < i->n_children; c++) {
			struct bs_tree_inode *x = i->children[c].inode;
			if (!x->w_flags) {
				x->w_flags = 1;
				i->children[c].primary = 1;
			}
		}
	return 0;
}

int bs_erofs_read(const uint8_t *data, size_t size, const char *name, struct bs_tree **out,
		  struct bs_error *err)
{
	if ((!data && size) || !name || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_erofs_read: a NULL argument");
	struct reader rd = { .data = data, .size = size, .name = name, .err = err };
	struct bs_tree_inode *root;
	const uint8_t *sb = data + EROFS_SUPER_OFFSET;
	int r;

	if (size < EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block))
		return bad(&rd, "too small");
	if (bsi_get_le32(data + CFS_HDR_MAGIC_OFF) != COMPOSEFS_MAGIC)
		return bad(&rd, "no composefs header magic");
	if (bsi_get_le32(data + CFS_HDR_VERSION_OFF) != COMPOSEFS_HEADER_VERSION)
		return bad(&rd, "unsupported composefs header version %u",
			   bsi_get_le32(data + CFS_HDR_VERSION_OFF));
	if (bsi_get_le32(sb + EROFS_SB_MAGIC_OFF) != EROFS_SUPER_MAGIC_V1)
		return bad(&rd, "no EROFS superblock magic");
	if (sb[EROFS_SB_BLKSZBITS_OFF] != EROFS_BLKSIZ_BITS)
		return bad(&rd, "block size is not 4096");
	rd.version = bsi_get_le32(data + CFS_HDR_CFS_VERSION_OFF);
	rd.meta = (uint64_t)bsi_get_le32(sb + EROFS_SB_META_BLKADDR_OFF) * EROFS_BLKSIZ;
	rd.xattrs = (uint64_t)bsi_get_le32(sb + EROFS_SB_XATTR_BLKADDR_OFF) * EROFS_BLKSIZ;
	rd.build_sec = (int64_t)bsi_get_le64(sb + EROFS_SB_BUILD_TIME_OFF);
	rd.build_nsec = bsi_get_le32(sb + EROFS_SB_BUILD_TIME_NSEC_OFF);
	if (rd.meta >= size || rd.xattrs > size)
		return bad(&rd, "metadata area outside the image");

	r = bs_tree_new(&rd.tree);
	if (r < 0)
		return r;
	/* The tree's own root is replaced by the image's. */
	r = map_grow(&rd);
	if (r >= 0)
		r = read_inode(&rd, bsi_get_le16(sb + EROFS_SB_ROOT_NID_OFF), &root);
	if (r >= 0 && (!root || !S_ISDIR(root->st.mode)))
		r = bad(&rd, "the root is not a directory");
	if (r >= 0)
		rd.tree->root = root;
	while (r >= 0 && rd.q_head < rd.q_len) {
		struct pending_dir pd = rd.queue[rd.q_head++];

		for (uint64_t b = 0; r >= 0 && b < pd.body; b += EROFS_BLKSIZ)
			r = read_dir_block(&rd, pd.dir, pd.data_off + b,
					   pd.body - b < EROFS_BLKSIZ ? pd.body - b : EROFS_BLKSIZ);
		if (r >= 0 && pd.tail)
			r = read_dir_block(&rd, pd.dir, pd.tail_off, pd.tail);
	}
	if (r >= 0)
		r = assign_primaries(&rd);
	free(rd.keys);
	free(rd.vals);
	free(rd.queue);
	if (r < 0) {
		if (r == -ENOMEM)
			bs_error_set(err, r, name, "out of memory");
		bs_tree_free(rd.tree);
		return r;
	}
	*out = rd.tree;
	return 0;
}
