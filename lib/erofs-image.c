/* SPDX-License-Identifier: MIT */
/*
 * The composefs image writer's working state (erofs-write.h): the output
 * buffer, the image inodes and their xattrs. The bottom of the writer: the
 * build step (erofs-build.c), the shared xattr table (erofs-shared.c) and
 * the layouts (erofs-write.c, erofs-v2.c) call it, it calls none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-write.h"
#include "tree.h"
#include "util.h"

uint8_t *ew_reserve(struct ew *w, size_t len)
{
	uint8_t *p;

	if (w->oom)
		return NULL;
	if (w->cap - w->len < len) {
		size_t cap = w->cap ? w->cap : 65536;
		while (cap - w->len < len)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			w->oom = 1;
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	memset(p, 0, len);
	w->len += len;
	return p;
}

void ew_put(struct ew *w, const void *data, size_t len)
{
	uint8_t *p = ew_reserve(w, len);

	if (p && len)
		memcpy(p, data, len);
}

void ew_pad(struct ew *w, size_t len)
{
	ew_reserve(w, len);
}

void ew_align(struct ew *w, size_t align)
{
	ew_pad(w, (size_t)(bsi_round_up(w->len, align) - w->len));
}

uint8_t *ew_write_super(struct ew *w, uint32_t cfs_version, uint32_t flags, uint64_t data_start)
{
	uint8_t *p = ew_reserve(w, EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block));

	if (!p)
		return NULL;
	bsi_put_le32(p + CFS_HDR_MAGIC_OFF, COMPOSEFS_MAGIC);
	bsi_put_le32(p + CFS_HDR_VERSION_OFF, COMPOSEFS_HEADER_VERSION);
	bsi_put_le32(p + CFS_HDR_FLAGS_OFF, flags);
	bsi_put_le32(p + CFS_HDR_CFS_VERSION_OFF, cfs_version);
	p += EROFS_SUPER_OFFSET;
	bsi_put_le32(p + EROFS_SB_MAGIC_OFF, EROFS_SUPER_MAGIC_V1);
	bsi_put_le32(p + EROFS_SB_FEATURE_COMPAT_OFF,
		     EROFS_FEATURE_COMPAT_MTIME | EROFS_FEATURE_COMPAT_XATTR_FILTER);
	p[EROFS_SB_BLKSZBITS_OFF] = EROFS_BLKSIZ_BITS;
	bsi_put_le16(p + EROFS_SB_ROOT_NID_OFF, (uint16_t)w->nodes[0].nid);
	bsi_put_le64(p + EROFS_SB_INOS_OFF, w->n_nodes);
	bsi_put_le32(p + EROFS_SB_BLOCKS_OFF, (uint32_t)(data_start / EROFS_BLKSIZ + w->n_data_blocks));
	return p;
}

size_t ew_xattr_entry_size(const struct ew_xattr *x)
{
	return (size_t)bsi_round_up(sizeof(struct erofs_xattr_entry) + x->key_len - x->skip + x->value_len, 4);
}

size_t ew_count_xattrs(struct ew_node *n)
{
	size_t shared = 0, unshared = 0;

	for (size_t i = 0; i < n->n_xattrs; i++) {
		if (n->xattrs[i].shared >= 0)
			shared++;
		else
			unshared += ew_xattr_entry_size(&n->xattrs[i]);
	}
	n->n_shared = (uint32_t)shared;
	return unshared;
}

void ew_write_xattr(struct ew *w, const struct ew_xattr *x)
{
	uint8_t *p = ew_reserve(w, ew_xattr_entry_size(x));

	if (!p)
		return;
	p[0] = (uint8_t)(x->key_len - x->skip);
	p[1] = x->index;
	bsi_put_le16(p + 2, (uint16_t)x->value_len);
	memcpy(p + 4, x->key + x->skip, x->key_len - x->skip);
	if (x->value_len)
		memcpy(p + 4 + x->key_len - x->skip, x->value, x->value_len);
}

uint16_t ew_icount(uint32_t xattr_size)
{
	if (!xattr_size)
		return 0;
	return (uint16_t)((xattr_size - sizeof(struct erofs_xattr_ibody_header)) / 4 + 1);
}

uint8_t ew_file_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EROFS_FT_REG_FILE;
	case S_IFDIR: return EROFS_FT_DIR;
	case S_IFCHR: return EROFS_FT_CHRDEV;
	case S_IFBLK: return EROFS_FT_BLKDEV;
	case S_IFIFO: return EROFS_FT_FIFO;
	case S_IFSOCK: return EROFS_FT_SOCK;
	case S_IFLNK: return EROFS_FT_SYMLINK;
	}
	return EROFS_FT_UNKNOWN;
}

int ew_fail(struct ew *w, const struct ew_node *n, int code, const char *fmt, ...)
{
	char path[1024], msg[512];
	size_t pos = sizeof(path) - 1;
	uint32_t idx = (uint32_t)(n - w->nodes);
	va_list ap;

	path[pos] = 0;
	while (idx != 0 && pos > 1) {
		const struct ew_node *parent = &w->nodes[w->nodes[idx].parent];
		const struct ew_dirent *d = NULL;

		for (size_t k = 0; k < parent->n_dirents && !d; k++)
			if (parent->dirents[k].node == idx && parent->dirents[k].target)
				d = &parent->dirents[k];
		if (!d || d->name_len + 1 > pos)
			break;
		pos -= d->name_len;
		memcpy(path + pos, d->name, d->name_len);
		path[--pos] = '/';
		idx = w->nodes[idx].parent;
	}
	if (!path[pos])
		path[--pos] = '/';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bs_error_set(w->err, code, NULL, "%s: %s", path + pos, msg);
}

void *ew_keep(struct ew *w, void *p)
{
	if (!p)
		return NULL;
	if (BSI_GROW(w->allocs, w->allocs_cap, w->n_allocs, 64) < 0) {
		free(p);
		return NULL;
	}
	return w->allocs[w->n_allocs++] = p;
}

/* Adds or replaces, as lcfs_node_set_xattr does. */
int ew_set_xattr(struct ew *w, struct ew_node *n, const char *key, size_t key_len,
		 const void *value, size_t value_len)
{
	struct ew_xattr *x = NULL;

	for (size_t i = 0; i < n->n_xattrs; i++)
		if (n->xattrs[i].key_len == key_len && !memcmp(n->xattrs[i].key, key, key_len))
			x = &n->xattrs[i];
	if (!x) {
		if (BSI_GROW(n->xattrs, n->xattrs_cap, n->n_xattrs, 4) < 0)
			return -ENOMEM;
		x = &n->xattrs[n->n_xattrs++];
	}
	x->key = key;
	x->key_len = key_len;
	x->value = value;
	x->value_len = value_len;
	x->index = bsi_erofs_xattr_prefix(key, key_len, w->version >= 2, &x->skip);
	x->shared = -1;
	return 0;
}

int ew_set_escaped_xattr(struct ew *w, struct ew_node *n, const struct bs_tree_xattr *x)
{
	const char *key = x->key;
	size_t len = x->key_len;

	if (len >= strlen(OVL_TRUSTED) && !memcmp(key, OVL_TRUSTED, strlen(OVL_TRUSTED))) {
		char *esc = ew_keep(w, malloc(len + strlen("overlay.") + 1));

		if (!esc)
			return -ENOMEM;
		memcpy(esc, OVL_ESCAPED, strlen(OVL_ESCAPED));
		memcpy(esc + strlen(OVL_ESCAPED), key + strlen(OVL_TRUSTED), len - strlen(OVL_TRUSTED) + 1);
		key = esc;
		len += strlen("overlay.");
	}
	return ew_set_xattr(w, n, key, len, x->value, x->value_len);
}

int ew_check_node(struct ew *w, const struct ew_node *n)
{
	if (S_ISLNK(n->mode) && !n->link_len)
		return ew_fail(w, n, -EINVAL, "symlink without a target");
	if (n->content && n->src->content_len != n->size)
		return ew_fail(w, n, -EINVAL, "inline content does not match the file size");
	return 0;
}

int ew_add_node(struct ew *w, struct bs_tree_inode *src, uint32_t parent, uint32_t *out)
{
	struct ew_node *n;

	if (BSI_GROW(w->nodes, w->nodes_cap, w->n_nodes, 256) < 0)
		return -ENOMEM;
	n = &w->nodes[w->n_nodes];
	memset(n, 0, sizeof(*n));
	n->src = src;
	n->parent = parent;
	n->ino = (uint32_t)w->n_nodes;
	if (src) {
		n->mode = src->st.mode;
		n->uid = src->st.uid;
		n->gid = src->st.gid;
		n->nlink = src->st.nlink;
		n->size = src->st.size;
		n->rdev = src->st.rdev;
		n->mtime_sec = src->st.mtime_sec;
		n->mtime_nsec = src->st.mtime_nsec;
		if (S_ISREG(n->mode) && src->content)
			n->content = src->content;
		if (S_ISLNK(n->mode)) {
			n->link = src->payload;
			n->link_len = src->payload_len;
			n->size = src->payload_len;
		}
		src->w_index = (uint32_t)w->n_nodes;
	}
	*out = (uint32_t)w->n_nodes++;
	return 0;
}

/* struct ovl_metacopy (overlayfs): version 0, length, flags 0, fs-verity
 * algorithm, digest; empty when the file has no digest. */
static int metacopy(struct ew *w, const struct ew_node *n, uint8_t **value, size_t *len)
{
	enum bs_hash_alg alg = w->opts->hash_alg ? w->opts->hash_alg : BS_HASH_SHA256;
	size_t alg_size = bs_hash_alg_digest_size(alg);
	uint8_t *meta;

	*value = NULL;
	*len = 0;
	if (!n->src->digest_len)
		return 0;
	if (n->src->digest_len != alg_size)
		return ew_fail(w, n, -EINVAL, "file digest of %u bytes does not match the %zu-byte %s hash",
				    n->src->digest_len, alg_size, bs_hash_alg_name(alg));
	meta = ew_keep(w, malloc(4 + alg_size));
	if (!meta)
		return -ENOMEM;
	meta[0] = 0;
	meta[1] = (uint8_t)(4 + alg_size);
	meta[2] = 0;
	meta[3] = (uint8_t)alg;
	memcpy(meta + 4, n->src->digest, alg_size);
	*value = meta;
	*len = 4 + alg_size;
	return 0;
}

int ew_set_external(struct ew *w, struct ew_node *n, const char *target, size_t target_len)
{
	uint8_t *meta;
	size_t meta_len;
	char *redirect;
	int r;

	r = metacopy(w, n, &meta, &meta_len);
	if (r < 0)
		return r;
	r = ew_set_xattr(w, n, OVL_TRUSTED "metacopy", strlen(OVL_TRUSTED "metacopy"), meta, meta_len);
	if (r < 0 || !target_len)
		return r;
	redirect = ew_keep(w, malloc(target_len + 2));
	if (!redirect)
		return -ENOMEM;
	redirect[0] = '/';
	memcpy(redirect + 1, target, target_len);
	redirect[target_len + 1] = '\0';
	return ew_set_xattr(w, n, OVL_TRUSTED "redirect", strlen(OVL_TRUSTED "redirect"), redirect,
			    target_len + 1);
}
