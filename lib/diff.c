/* SPDX-License-Identifier: MIT */
#include <bootseal/diff.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tree.h"
#include "hex.h"
#include "util.h"

/* Longest rendering: a 64 KiB xattr value, escaped, is cut at this length. */
#define VALUE_MAX 4096

struct walk {
	bs_diff_fn fn;
	void *ctx;
	size_t count;
	char path[PATH_MAX + 1];
	char a[VALUE_MAX], b[VALUE_MAX];
};

static const char *const field_names[] = {
	[BS_DIFF_ADDED] = "added",
	[BS_DIFF_REMOVED] = "removed",
	[BS_DIFF_TYPE] = "type",
	[BS_DIFF_MODE] = "mode",
	[BS_DIFF_UID] = "uid",
	[BS_DIFF_GID] = "gid",
	[BS_DIFF_MTIME] = "mtime",
	[BS_DIFF_SIZE] = "size",
	[BS_DIFF_CONTENT] = "content",
	[BS_DIFF_XATTR] = "xattr",
	[BS_DIFF_LINK_TARGET] = "link-target",
	[BS_DIFF_RDEV] = "rdev",
	[BS_DIFF_HARDLINK] = "hardlink",
};

const char *bs_diff_field_name(enum bs_diff_field field)
{
	return (size_t)field < BS_ARRAY_SIZE(field_names) ? field_names[field] : "unknown";
}

/* Printable bytes as they are, anything else as \xNN, cut with "..." when long. */
static void render(char *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (n + 8 >= VALUE_MAX) {
			memcpy(out + n, "...", 4);
			return;
		}
		if (p[i] >= 0x21 && p[i] < 0x7f && p[i] != '\\')
			out[n++] = (char)p[i];
		else
			n += (size_t)sprintf(out + n, "\\x%02x", p[i]);
	}
	out[n] = '\0';
}

static int emit(struct walk *w, enum bs_diff_field field, const char *name, const char *a, const char *b)
{
	struct bs_diff d = { w->path, field, name, a, b };

	w->count++;
	return w->fn ? w->fn(w->ctx, &d) : 0;
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "directory";
	case S_IFREG:
		return "file";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "char-device";
	case S_IFBLK:
		return "block-device";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "unknown";
}

static void render_content(char *out, const struct bs_tree_inode *i)
{
	if (i->digest_len) {
		memcpy(out, "digest:", 7);
		bs_hex_encode(i->digest, i->digest_len, out + 7);
	} else {
		render(out, i->content ? i->content : (const uint8_t *)"", i->content_len);
	}
}

static const struct bs_tree_xattr *find_xattr(const struct bs_tree_inode *i, const char *key)
{
	for (size_t k = 0; k < i->n_xattrs; k++)
		if (strcmp(i->xattrs[k].key, key) == 0)
			return &i->xattrs[k];
	return NULL;
}

static int diff_xattrs(struct walk *w, const struct bs_tree_inode *x, const struct bs_tree_inode *y)
{
	int r;

	for (size_t k = 0; k < x->n_xattrs; k++) {
		const struct bs_tree_xattr *ax = &x->xattrs[k], *bx = find_xattr(y, ax->key);

		if (bx && bx->value_len == ax->value_len && !memcmp(bx->value, ax->value, ax->value_len))
			continue;
		render(w->a, ax->value, ax->value_len);
		if (bx)
			render(w->b, bx->value, bx->value_len);
		r = emit(w, BS_DIFF_XATTR, ax->key, w->a, bx ? w->b : "-");
		if (r)
			return r;
	}
	for (size_t k = 0; k < y->n_xattrs; k++) {
		const struct bs_tree_xattr *bx = &y->xattrs[k];

		if (find_xattr(x, bx->key))
			continue;
		render(w->b, bx->value, bx->value_len);
		r = emit(w, BS_DIFF_XATTR, bx->key, "-", w->b);
		if (r)
			return r;
	}
	return 0;
}

/* The first name of a hardlinked inode, depth first; w_data is scratch here. */
static int note_first_names(struct bs_tree_inode *dir, char *path, size_t len)
{
	for (size_t i = 0; i < dir->n_children; i++) {
		struct bs_tree_dirent *d = &dir->children[i];
		size_t n = len + 1 + d->name_len;

		if (n > PATH_MAX)
			return -ENAMETOOLONG;
		path[len] = '/';
		memcpy(path + len + 1, d->name, d->name_len);
		path[n] = '\0';
		if (S_ISDIR(d->inode->st.mode)) {
			int r = note_first_names(d->inode, path, n);
			if (r < 0)
				return r;
		} else if (d->inode->links > 1 && !d->inode->w_data) {
			d->inode->w_data = strdup(path);
			if (!d->inode->w_data)
				return -ENOMEM;
		}
	}
	path[len] = '\0';
	return 0;
}

static void forget_first_names(struct bs_tree *t)
{
	for (struct bs_tree_inode *i = t->all; i; i = i->all_next) {
		free(i->w_data);
		i->w_data = NULL;
	}
}

static int diff_inode(struct walk *w, const struct bs_tree_inode *x, const struct bs_tree_inode *y)
{
	const struct bs_tree_stat *a = &x->st, *b = &y->st;
	int r = 0;

#define NUM(field, fmt, va, vb)                                              \
	do {                                                                 \
		snprintf(w->a, sizeof(w->a), fmt, va);                       \
		snprintf(w->b, sizeof(w->b), fmt, vb);                       \
		if ((r = emit(w, field, NULL, w->a, w->b)))                  \
			return r;                                            \
	} while (0)

	if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
		return emit(w, BS_DIFF_TYPE, NULL, type_name(a->mode), type_name(b->mode));
	if ((a->mode & 07777) != (b->mode & 07777))
		NUM(BS_DIFF_MODE, "%04o", a->mode & 07777, b->mode & 07777);
	if (a->uid != b->uid)
		NUM(BS_DIFF_UID, "%" PRIu32, a->uid, b->uid);
	if (a->gid != b->gid)
		NUM(BS_DIFF_GID, "%" PRIu32, a->gid, b->gid);
	if (a->mtime_sec != b->mtime_sec || a->mtime_nsec != b->mtime_nsec) {
		snprintf(w->a, sizeof(w->a), "%" PRId64 ".%09" PRIu32, a->mtime_sec, a->mtime_nsec);
		snprintf(w->b, sizeof(w->b), "%" PRId64 ".%09" PRIu32, b->mtime_sec, b->mtime_nsec);
		if ((r = emit(w, BS_DIFF_MTIME, NULL, w->a, w->b)))
			return r;
	}
	if (S_ISREG(a->mode)) {
		if (a->size != b->size)
			NUM(BS_DIFF_SIZE, "%" PRIu64, a->size, b->size);
		if (x->digest_len != y->digest_len || memcmp(x->digest, y->digest, x->digest_len) ||
		    x->content_len != y->content_len ||
		    (x->content_len && memcmp(x->content, y->content, x->content_len))) {
			render_content(w->a, x);
			render_content(w->b, y);
			if ((r = emit(w, BS_DIFF_CONTENT, NULL, w->a, w->b)))
				return r;
		}
	}
	if (S_ISLNK(a->mode) && (x->payload_len != y->payload_len ||
				  memcmp(x->payload, y->payload, x->payload_len))) {
		render(w->a, x->payload, x->payload_len);
		render(w->b, y->payload, y->payload_len);
		if ((r = emit(w, BS_DIFF_LINK_TARGET, NULL, w->a, w->b)))
			return r;
	}
	if ((S_ISCHR(a->mode) || S_ISBLK(a->mode)) && a->rdev != b->rdev) {
		snprintf(w->a, sizeof(w->a), "%u:%u", major(a->rdev), minor(a->rdev));
		snprintf(w->b, sizeof(w->b), "%u:%u", major(b->rdev), minor(b->rdev));
		if ((r = emit(w, BS_DIFF_RDEV, NULL, w->a, w->b)))
			return r;
	}
	if (!S_ISDIR(a->mode)) {
		const char *la = x->w_data ? x->w_data : "-", *lb = y->w_data ? y->w_data : "-";

		if (strcmp(la, lb) != 0 || x->links != y->links) {
			snprintf(w->a, sizeof(w->a), "%u name%s%s%s", x->links, x->links == 1 ? "" : "s, first ",
				 x->links == 1 ? "" : la, "");
			snprintf(w->b, sizeof(w->b), "%u name%s%s%s", y->links, y->links == 1 ? "" : "s, first ",
				 y->links == 1 ? "" : lb, "");
			if ((r = emit(w, BS_DIFF_HARDLINK, NULL, w->a, w->b)))
				return r;
		}
	}
	return diff_xattrs(w, x, y);
#undef NUM
}

static int diff_dir(struct walk *w, const struct bs_tree_inode *x, const struct bs_tree_inode *y, size_t len)
{
	size_t i = 0, j = 0;
	int r;

	while (i < x->n_children || j < y->n_children) {
		const struct bs_tree_dirent *dx = i < x->n_children ? &x->children[i] : NULL;
		const struct bs_tree_dirent *dy = j < y->n_children ? &y->children[j] : NULL;
		const struct bs_tree_dirent *d;
		int c = !dx ? 1 : !dy ? -1 : bsi_tree_name_cmp(dx->name, dx->name_len, dy->name, dy->name_len);
		size_t n;

		d = c <= 0 ? dx : dy;
		n = len + 1 + d->name_len;
		if (n > PATH_MAX)
			return -ENAMETOOLONG;
		w->path[len] = '/';
		memcpy(w->path + len + 1, d->name, d->name_len);
		w->path[n] = '\0';
		if (c < 0) {
			r = emit(w, BS_DIFF_REMOVED, NULL, type_name(dx->inode->st.mode), "-");
			i++;
		} else if (c > 0) {
			r = emit(w, BS_DIFF_ADDED, NULL, "-", type_name(dy->inode->st.mode));
			j++;
		} else {
			r = diff_inode(w, dx->inode, dy->inode);
			if (!r && S_ISDIR(dx->inode->st.mode) && S_ISDIR(dy->inode->st.mode))
				r = diff_dir(w, dx->inode, dy->inode, n);
			i++;
			j++;
		}
		if (r)
			return r;
	}
	w->path[len] = '\0';
	return 0;
}

int bs_diff_trees(struct bs_tree *a, struct bs_tree *b, bs_diff_fn fn, void *ctx, size_t *count)
{
	if (!a || !b)
		return -EINVAL;
	struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->ctx = ctx;
	r = note_first_names(a->root, w->path, 0);
	if (!r)
		r = note_first_names(b->root, w->path, 0);
	if (!r) {
		strcpy(w->path, "/");
		r = diff_inode(w, a->root, b->root);
		w->path[0] = '\0';
		if (!r)
			r = diff_dir(w, a->root, b->root, 0);
	}
	if (count)
		*count = w->count;
	forget_first_names(a);
	forget_first_names(b);
	free(w);
	return r;
}
