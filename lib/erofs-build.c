/* SPDX-License-Identifier: MIT */
/*
 * From a bs_tree to the list of image inodes: breadth-first order from the
 * root, children by name with "." and "..", the overlayfs xattrs composefs
 * relies on, and the shared xattr table. The layouts in erofs-write.c and
 * erofs-v2.c turn that into bytes.
 */
#include <bootseal/atomicfile.h>
#include <bootseal/erofs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-write.h"
#include "tree.h"
#include "util.h"

#define NO_NODE UINT32_MAX

static int set_xattr_str(struct ew *w, struct ew_node *n, const char *key, const char *value)
{
	return ew_set_xattr(w, n, key, strlen(key), value, strlen(value));
}

static const char hexdigits[] = "0123456789abcdef";

static int dirent_cmp(const void *a, const void *b)
{
	const struct ew_dirent *x = a, *y = b;

	return bsi_tree_name_cmp(x->name, x->name_len, y->name, y->name_len);
}

/* The root's 256 whiteout stubs, which C mkcomposefs adds so that overlayfs
 * treats the object directories "00".."ff" of a lower layer as absent. */
static int add_stubs(struct ew *w, struct ew_dirent *d, size_t *n)
{
	const struct bs_tree_inode *root = w->nodes[0].src;
	static char names[256][2];

	for (int i = 0; i < 256; i++) {
		names[i][0] = hexdigits[i >> 4];
		names[i][1] = hexdigits[i & 15];
		if (bs_tree_dir_lookup(root, names[i], 2))
			continue;
		d[*n] = (struct ew_dirent){ names[i], 2, NO_NODE, NULL, 0 };
		(*n)++;
	}
	return 0;
}

static int stub_node(struct ew *w, uint32_t *out)
{
	struct ew_node *root, *n;
	int r = ew_add_node(w, NULL, 0, out);

	if (r < 0)
		return r;
	root = &w->nodes[0];
	n = &w->nodes[*out];
	n->mode = S_IFCHR | 0644;
	n->nlink = 1;
	n->uid = root->src->st.uid;
	n->gid = root->src->st.gid;
	n->mtime_sec = root->src->st.mtime_sec;
	n->mtime_nsec = root->src->st.mtime_nsec;
	for (size_t i = 0; i < root->src->n_xattrs; i++) {
		const struct bs_tree_xattr *x = &root->src->xattrs[i];
		if (strcmp(x->key, "security.selinux") == 0)
			return ew_set_xattr(w, n, x->key, x->key_len, x->value, x->value_len);
	}
	return 0;
}

static int build_dirents(struct ew *w, uint32_t i)
{
	struct bs_tree_inode *src = w->nodes[i].src;
	size_t n = 0, max = src->n_children + 2 + (i == 0 && w->version < 2 ? 256 : 0);
	struct ew_dirent *d = calloc(max, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	for (size_t c = 0; c < src->n_children; c++) {
		const struct bs_tree_dirent *e = &src->children[c];
		d[n++] = (struct ew_dirent){ e->name, e->name_len, NO_NODE, e->inode, !e->primary };
	}
	if (i == 0 && w->version < 2)
		add_stubs(w, d, &n);
	d[n++] = (struct ew_dirent){ ".", 1, i, NULL, 1 };
	d[n++] = (struct ew_dirent){ "..", 2, w->nodes[i].parent, NULL, 1 };
	qsort(d, n, sizeof(*d), dirent_cmp);
	w->nodes[i].dirents = d;
	w->nodes[i].n_dirents = n;
	for (size_t k = 0; k < n; k++) {
		/* only the primary name of an inode places it */
		if (d[k].hardlink)
			continue;
		if (!d[k].target)
			r = stub_node(w, &d[k].node);
		else
			r = ew_add_node(w, d[k].target, i, &d[k].node);
		if (r < 0)
			return r;
	}
	return 0;
}

static int escape_xattrs(struct ew *w, struct ew_node *n)
{
	for (size_t i = 0; i < n->src->n_xattrs; i++) {
		const struct bs_tree_xattr *x = &n->src->xattrs[i];
		int r = w->version < 2 ? ew_set_escaped_xattr(w, n, x) :
			ew_set_xattr(w, n, x->key, x->key_len, x->value, x->value_len);

		if (r < 0)
			return r;
	}
	return 0;
}

static int overlay_xattrs(struct ew *w, uint32_t i)
{
	struct ew_node *n = &w->nodes[i];
	int r;

	if (S_ISREG(n->mode) && n->size > 0 && !n->content) {
		if (bsi_erofs_chunk_count(n->size) > BS_EROFS_MAX_CHUNKS)
			return ew_fail(w, n, -EFBIG, "file of %llu bytes is too big for a composefs image: at most %llu bytes",
				       (unsigned long long)n->size, (unsigned long long)BS_EROFS_MAX_FILE_SIZE);
		r = ew_set_external(w, n, n->src->payload, n->src->payload_len);
		if (r < 0)
			return r;
	}
	if (w->version < 2 && S_ISCHR(n->mode) && n->rdev == 0) {
		struct ew_node *parent = &w->nodes[n->parent];

		n->mode = S_IFREG | (n->mode & ~(uint32_t)S_IFMT);
		n->size = 0;
		if ((r = set_xattr_str(w, n, OVL_ESCAPED "whiteout", "")) < 0 ||
		    (r = set_xattr_str(w, n, OVL_USER "whiteout", "")) < 0 ||
		    (r = set_xattr_str(w, parent, OVL_ESCAPED "whiteouts", "")) < 0 ||
		    (r = set_xattr_str(w, parent, OVL_USER "whiteouts", "")) < 0)
			return r;
		if (w->version >= 1 &&
		    ((r = set_xattr_str(w, parent, OVL_ESCAPED "opaque", "x")) < 0 ||
		     (r = set_xattr_str(w, parent, OVL_USER "opaque", "x")) < 0))
			return r;
	}
	return 0;
}

static int xattr_key_cmp(const void *a, const void *b)
{
	const struct ew_xattr *x = a, *y = b;

	return bsi_tree_name_cmp(x->key, x->key_len, y->key, y->key_len);
}

static int mtime_older(const struct ew *w, int64_t sec, uint32_t nsec)
{
	if (sec != w->min_sec && w->opts->unsigned_mtime_order)
		return (uint64_t)sec < (uint64_t)w->min_sec;
	return sec < w->min_sec || (sec == w->min_sec && nsec < w->min_nsec);
}

static int build(struct ew *w, struct bs_tree *tree)
{
	uint32_t root;
	int r;

	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_index = NO_NODE;
	r = ew_add_node(w, tree->root, 0, &root);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		if (w->nodes[i].src && S_ISDIR(w->nodes[i].mode)) {
			r = build_dirents(w, i);
			if (r < 0)
				return r;
		}
	}
	/* mkcomposefs raises the version when it can, as version 1 changed
	 * how whiteouts are marked; its stubs (no src) do not count. */
	for (uint32_t i = 0; i < w->n_nodes && w->version < 1 && w->max_version >= 1; i++)
		if (w->nodes[i].src && S_ISCHR(w->nodes[i].mode) && w->nodes[i].rdev == 0)
			w->version = 1;
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		struct ew_node *n = &w->nodes[i];
		size_t subdirs = 0;

		for (size_t k = 0; k < n->n_dirents; k++) {
			struct ew_dirent *d = &n->dirents[k];
			if (d->node == NO_NODE) {
				d->node = d->target->w_index;
				if (d->node == NO_NODE)
					return bs_error_set(w->err, -EINVAL, NULL,
							    "hardlink '%.*s' points outside the tree",
							    (int)d->name_len, d->name);
				if (S_ISDIR(w->nodes[d->node].mode))
					return bs_error_set(w->err, -EINVAL, NULL,
							    "directory '%.*s' is hardlinked",
							    (int)d->name_len, d->name);
			} else if (d->target && !d->hardlink && S_ISDIR(w->nodes[d->node].mode)) {
				subdirs++;
			}
		}
		if (S_ISDIR(n->mode))
			n->nlink = (uint32_t)(2 + subdirs);
		if (n->src) {
			r = ew_check_node(w, n);
			if (r >= 0)
				r = escape_xattrs(w, n);
			if (r < 0)
				return r;
		}
	}
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		if (!w->nodes[i].src)
			continue;
		r = overlay_xattrs(w, i);
		if (r < 0)
			return r;
	}
	if (w->version < 2) {
		r = set_xattr_str(w, &w->nodes[0], OVL_TRUSTED "opaque", "y");
		if (r < 0)
			return r;
	}
	w->min_sec = w->nodes[0].mtime_sec;
	w->min_nsec = w->nodes[0].mtime_nsec;
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		struct ew_node *n = &w->nodes[i];

		if (n->n_xattrs > 1)
			qsort(n->xattrs, n->n_xattrs, sizeof(*n->xattrs), xattr_key_cmp);
		if (mtime_older(w, n->mtime_sec, n->mtime_nsec)) {
			w->min_sec = n->mtime_sec;
			w->min_nsec = n->mtime_nsec;
		}
		for (size_t k = 0; k < n->n_xattrs; k++)
			if (!strcmp(n->xattrs[k].key, "system.posix_acl_access") ||
			    !strcmp(n->xattrs[k].key, "system.posix_acl_default"))
				w->has_acl = 1;
	}
	return ew_build_shared(w);
}

int bs_erofs_write(struct bs_tree *tree, const struct bs_erofs_options *opts, uint8_t **data,
		   size_t *size, struct bs_error *err)
{
	if (!tree || !opts || !data || !size)
		return bs_error_set(err, -EINVAL, NULL, "bs_erofs_write: a NULL argument");
	struct ew w = { .opts = opts, .err = err };
	unsigned max = opts->max_version < opts->min_version ? opts->min_version : opts->max_version;
	int r;

	if (opts->min_version > BS_EROFS_VERSION_MAX || max > BS_EROFS_VERSION_MAX)
		return bs_error_set(err, -EINVAL, NULL, "format version %u is not 0, 1 or 2", max);
	if (opts->hash_alg && !bs_hash_alg_digest_size(opts->hash_alg))
		return bs_error_set(err, -EINVAL, NULL, "unknown hash algorithm");
	w.version = opts->min_version;
	if (w.version < 2 && max >= 2)
		max = 1;        /* 2 is a different layout, not a later C version */
	w.max_version = max;

	if (w.version >= 2) {
		r = ew_build_v2(&w, tree);
		if (r >= 0)
			r = ew_write_v2_layout(&w);
	} else {
		r = build(&w, tree);
		if (r >= 0)
			r = ew_write_c_layout(&w);
	}
	if (r >= 0 && w.oom)
		r = -ENOMEM;
	for (size_t i = 0; i < w.n_nodes; i++) {
		free(w.nodes[i].xattrs);
		free(w.nodes[i].dirents);
	}
	for (size_t i = 0; i < w.n_allocs; i++)
		free(w.allocs[i]);
	free(w.allocs);
	free(w.nodes);
	free(w.shared);
	if (r < 0) {
		if (r == -ENOMEM)
			bs_error_set(err, r, NULL, "out of memory");
		free(w.buf);
		return r;
	}
	*data = w.buf;
	*size = w.len;
	return 0;
}

int bs_erofs_write_file(struct bs_tree *tree, const struct bs_erofs_options *opts,
			const char *path, struct bs_error *err)
{
	if (!tree || !opts || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_erofs_write_file: a NULL argument");
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	int r;

	r = bs_erofs_write(tree, opts, &data, &size, err);
	if (r < 0)
		return r;
	return bs_atomicfile_write_all(path, data, size, 0644, 0, err);
}
