/* SPDX-License-Identifier: MIT */
#include <bootseal/store.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootseal/atomicfile.h>
#include <bootseal/workqueue.h>

#include "util.h"

struct object {
	char *path;                     /* relative to the source root */
	const char *payload;            /* owned by the tree */
};

struct fill {
	const char *src_root, *store;
	struct object *objects;
	size_t n, cap;
	struct bs_error *errors;        /* one per object: the lowest failing one is reported */
};

static int add_object(struct fill *f, const char *path, const char *payload)
{
	if (BSI_GROW(f->objects, f->cap, f->n, 64) < 0)
		return -ENOMEM;
	f->objects[f->n].path = strdup(path);
	if (!f->objects[f->n].path)
		return -ENOMEM;
	f->objects[f->n++].payload = payload;
	return 0;
}

/* Hardlinks give the same payload twice; copying it twice is harmless. */
static int collect(struct fill *f, struct bs_tree_inode *dir, char *path, size_t len,
		   struct bs_error *err)
{
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		const char *name, *payload;
		size_t name_len, plen, dlen;
		struct bs_tree_inode *c = bs_tree_dir_child(dir, i, &name, &name_len);
		uint32_t mode = bs_tree_inode_stat(c)->mode;
		int r = 0;

		if (len + name_len + 2 > PATH_MAX)
			return bs_error_set(err, -ENAMETOOLONG, path, "path too long");
		memcpy(path + len, name, name_len);
		path[len + name_len] = 0;
		if (S_ISDIR(mode)) {
			path[len + name_len] = '/';
			r = collect(f, c, path, len + name_len + 1, err);
		} else if (S_ISREG(mode) && (payload = bs_tree_inode_payload(c, &plen)) && plen &&
			   bs_tree_inode_digest(c, &dlen)) {
			if (payload[0] == '/' || strstr(payload, ".."))
				return bs_error_set(err, -EINVAL, path, "object name '%s' leaves the store",
						    payload);
			r = add_object(f, path, payload);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int copy_one(void *ctx, size_t worker, size_t item)
{
	struct fill *f = ctx;
	struct object *o = &f->objects[item];
	struct bs_error *err = &f->errors[item];
	_cleanup_free_ char *from = NULL, *to = NULL, *dir = NULL;
	_cleanup_close_ int in = -1;
	const char *slash = strrchr(o->payload, '/');
	struct bs_atomicfile af;
	char buf[1 << 16];
	int r;

	(void)worker;
	if (asprintf(&from, "%s/%s", f->src_root, o->path) < 0 ||
	    asprintf(&to, "%s/%s", f->store, o->payload) < 0 ||
	    asprintf(&dir, "%s/%.*s", f->store, slash ? (int)(slash - o->payload) : 0, o->payload) < 0)
		return -ENOMEM;
	if (access(to, F_OK) == 0)
		return 0;
	if (slash && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return bs_error_set(err, -errno, dir, "cannot create: %s", strerror(errno));
	in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return bs_error_set(err, -errno, from, "cannot open: %s", strerror(errno));
	r = bs_atomicfile_open(&af, to, 0644, err);
	if (r < 0)
		return r;
	for (;;) {
		size_t got;

		r = bsi_read_full(in, buf, sizeof(buf), &got);
		if (r < 0) {
			bs_error_set(err, r, from, "cannot read: %s", strerror(-r));
			break;
		}
		if (!got)
			break;
		r = bsi_write_full(af.fd, buf, got);
		if (r < 0) {
			bs_error_set(err, r, to, "cannot write: %s", strerror(-r));
			break;
		}
	}
	if (r < 0) {
		bs_atomicfile_abort(&af);
		return r;
	}
	/* Another worker (a hardlink) may have stored it first. */
	r = bs_atomicfile_commit(&af, 1, NULL);
	if (r < 0 && r != -EEXIST)
		return bs_error_set(err, r, to, "cannot store: %s", strerror(-r));
	return 0;
}

int bs_store_fill(struct bs_tree *tree, const char *src_root, const char *store, size_t jobs,
		  struct bs_error *err)
{
	if (!tree || !src_root || !store)
		return bs_error_set(err, -EINVAL, NULL, "bs_store_fill: a NULL argument");
	struct fill f = { .src_root = src_root, .store = store };
	char path[PATH_MAX];
	size_t failed = 0;
	int r;

	if (mkdir(store, 0755) < 0 && errno != EEXIST)
		return bs_error_set(err, -errno, store, "cannot create: %s", strerror(errno));
	path[0] = 0;
	r = collect(&f, bs_tree_root(tree), path, 0, err);
	if (r >= 0 && f.n) {
		f.errors = calloc(f.n, sizeof(*f.errors));
		r = f.errors ? bs_workqueue_run(f.n, jobs, copy_one, &f, &failed) : -ENOMEM;
		if (r < 0 && f.errors && f.errors[failed].code)
			*err = f.errors[failed];
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.objects[i].path);
	free(f.objects);
	free(f.errors);
	return r;
}
