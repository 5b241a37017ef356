/* SPDX-License-Identifier: MIT */
/*
 * Layers → one bs_tree, the way image-spec layer.md applies changesets:
 * entries in stream order, whiteouts and opaque markers hiding what the
 * layers below (never the same layer) put there. File contents are hashed
 * (fs-verity) as the tar data blocks go by; nothing is extracted.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>

#include <bootseal/workqueue.h>

#include "oci-stream.h"
#include "tree.h"
#include "util.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define SYMLINK_MAX 4095
#define PATH_MAX_LEN 4096

/* Paths this layer has written (or walked through): a whiteout or opaque
 * marker of the same layer must not hide them. */
struct strset {
	char **slots;
	size_t n, cap;
};

/*
 * Files up to BATCH_FILE_MAX are copied into a batch and hashed on all cores
 * when it fills (bootseal/workqueue.h); bigger ones are hashed as they
 * stream. Inflating stays on this thread, which waits while a batch is
 * hashed: a simple split that still takes most of the hashing off it.
 */
#define BATCH_BYTES (64u << 20)
#define BATCH_FILE_MAX (8u << 20)
#define BATCH_FILES 8192u

/*
 * The holes of sparse entries, all layers together. A hole costs nothing in
 * a layer (2 TiB fit in one header) but becomes zeros that are hashed, and
 * that deploy stores as a real object. Container tools do not write sparse
 * entries; GNU tar --sparse does, and a lastlog of a high UID is the one
 * real case: tens of GiB of zeros, better refused than stored.
 */
#define HOLE_BYTES_MAX (1ull << 30)

/* Spool writes are gathered into blocks this big: most files are small. */
#define SPOOL_BLOCK (4u << 20)

struct hash_job {
	struct bs_tree_inode *inode;
	size_t off, len;
};

struct batch {
	struct bs_tree *tree;
	uint8_t *buf;
	size_t used;
	struct hash_job *jobs;
	size_t n;
	struct bs_fsverity_ctx **ctx;   /* one per worker */
	size_t workers;
};

struct flat {
	struct bs_oci_image *img;
	const struct bs_oci_flatten_options *opts;
	struct bs_error *err;
	struct bs_tree *tree;
	struct bs_fsverity_ctx *vctx;
	struct strset touched;
	size_t layer, ordinal;
	const char *entry;              /* raw name, for messages */
	size_t capture_mem_max;
	struct bs_oci_flatten_stats st;
	struct batch batch;
	uint64_t hole_bytes;
	uint8_t *spool_buf;             /* NULL: not spooling (any more) */
	size_t spool_used;
};

static int hash_one(void *arg, size_t worker, size_t item)
{
	struct batch *b = arg;
	struct hash_job *j = &b->jobs[item];
	struct bs_fsverity_ctx *ctx = b->ctx[worker];
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	int r;

	bs_fsverity_reset(ctx);
	if ((r = bs_fsverity_update(ctx, b->buf + j->off, j->len)) < 0 || (r = bs_fsverity_final(ctx, digest)) < 0)
		return r;
	/* Allocates under the tree's lock; each job owns its inode. */
	return bs_tree_inode_set_external(b->tree, j->inode, j->len, digest, bs_fsverity_digest_size(ctx), NULL);
}

static int batch_flush(struct batch *b)
{
	int r = 0;

	if (b->n)
		r = bs_workqueue_run(b->n, b->workers, hash_one, b, NULL);
	b->n = 0;
	b->used = 0;
	return r;
}

static int batch_init(struct batch *b, struct bs_tree *tree, const struct bs_fsverity_params *params,
		      size_t workers)
{
	int r = 0;

	b->tree = tree;
	b->workers = workers;
	if (workers < 2)
		return 0;       /* nothing to gain: hash as the data streams */
	b->buf = malloc(BATCH_BYTES);
	b->jobs = calloc(BATCH_FILES, sizeof(*b->jobs));
	b->ctx = calloc(workers, sizeof(*b->ctx));
	if (!b->buf || !b->jobs || !b->ctx)
		return -ENOMEM;
	for (size_t i = 0; i < workers && r >= 0; i++)
		r = bs_fsverity_new(params, &b->ctx[i]);
	return r;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; b->ctx && i < b->workers; i++)
		bs_fsverity_free(b->ctx[i]);
	free(b->ctx);
	free(b->jobs);
	free(b->buf);
}

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

static void strset_clear(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

static char **strset_slot(const struct strset *set, const char *s, size_t len)
{
	for (size_t i = hash_str(s, len) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		char *k = set->slots[i];
		if (!k || (strlen(k) == len && memcmp(k, s, len) == 0))
			return &set->slots[i];
	}
}

static int strset_has(const struct strset *set, const char *s, size_t len)
{
	return set->cap && *strset_slot(set, s, len);
}

static int strset_add(struct strset *set, const char *s, size_t len)
{
	char **slot;

	if (2 * (set->n + 1) > set->cap) {
		struct strset grown = { calloc(set->cap ? 2 * set->cap : 1024, sizeof(char *)), 0,
					set->cap ? 2 * set->cap : 1024 };
		if (!grown.slots)
			return -ENOMEM;
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i])
				*strset_slot(&grown, set->slots[i], strlen(set->slots[i])) = set->slots[i];
		grown.n = set->n;
		free(set->slots);
		*set = grown;
	}
	slot = strset_slot(set, s, len);
	if (*slot)
		return 0;
	if (!(*slot = strndup(s, len)))
		return -ENOMEM;
	set->n++;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int reject(struct flat *f, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	char where[64 + PATH_MAX_LEN];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(where, sizeof(where), "layer %zu: %s", f->layer + 1, f->entry);
	return bs_error_set(f->err, -EBADMSG, where, "%s", msg);
}

/*
 * "./a//b/" → "a/b". A leading '/' or "./" is the layer root, as tar writers
 * emit either; ".." anywhere is refused, whatever it would resolve to.
 */
static int normalise(struct flat *f, const char *in, char *out)
{
	size_t len = 0;

	while (*in) {
		const char *slash = strchr(in, '/');
		size_t n = slash ? (size_t)(slash - in) : strlen(in);

		if (n == 2 && in[0] == '.' && in[1] == '.')
			return reject(f, "%s", "path has a '..' component");
		if (n > BS_TREE_NAME_MAX)
			return reject(f, "%s", "name longer than 255 bytes");
		if (n && !(n == 1 && in[0] == '.')) {
			if (len + n + 2 > PATH_MAX_LEN)
				return reject(f, "%s", "path too long");
			if (len)
				out[len++] = '/';
			memcpy(out + len, in, n);
			len += n;
		}
		in += n + (slash ? 1 : 0);
	}
	out[len] = 0;
	return 0;
}

/* Parent directories missing from every layer so far: fixed metadata (see oci.h). */
static int new_dir(struct flat *f, struct bs_tree_inode *parent, const char *name, size_t len,
		   struct bs_tree_inode **out)
{
	int r = bs_tree_inode_new(f->tree, S_IFDIR | 0755, out, f->err);

	if (r >= 0)
		r = bs_tree_dir_add(f->tree, parent, name, len, *out, f->err);
	return r;
}

/*
 * The directory at path (normalised), created when missing if create is set,
 * else *out = NULL. A symlink or other non-directory on the way is refused:
 * following it could put the entry anywhere, even outside the tree.
 */
static int walk(struct flat *f, const char *path, int create, struct bs_tree_inode **out)
{
	struct bs_tree_inode *cur = bs_tree_root(f->tree);
	const char *p = path;
	int r;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		struct bs_tree_inode *next = bs_tree_dir_lookup(cur, p, n);

		if (!next) {
			if (!create) {
				*out = NULL;
				return 0;
			}
			if ((r = new_dir(f, cur, p, n, &next)) < 0)
				return r;
		} else if (S_ISLNK(bs_tree_inode_stat(next)->mode)) {
			return reject(f, "path goes through the symlink '%s'", path);
		} else if (!S_ISDIR(bs_tree_inode_stat(next)->mode)) {
			return reject(f, "path goes through the non-directory '%s'", path);
		}
		if (create && (r = strset_add(&f->touched, path, (size_t)(p + n - path))) < 0)
			return r;
		cur = next;
		p += n + (slash ? 1 : 0);
	}
	*out = cur;
	return 0;
}

/* Removes what lower layers put under dir (path is dir's own path). */
static int opaque_clear(struct flat *f, struct bs_tree_inode *dir, char *path, size_t len)
{
	for (size_t i = bs_tree_dir_count(dir); i-- > 0;) {
		const char *name;
		size_t name_len;
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, &name, &name_len);
		size_t child_len = len ? len + 1 + name_len : name_len;
		int r;

		if (child_len + 1 > PATH_MAX_LEN)
			return reject(f, "%s", "path too long");
		if (len)
			path[len] = '/';
		memcpy(path + (len ? len + 1 : 0), name, name_len);
		path[child_len] = 0;
		if (!strset_has(&f->touched, path, child_len))
			bs_tree_dir_remove(dir, name, name_len);
		else if (S_ISDIR(bs_tree_inode_stat(child)->mode) &&
			 (r = opaque_clear(f, child, path, child_len)) < 0)
			return r;
		path[len] = 0;
	}
	return 0;
}

static void fill_stat(struct bs_tree_inode *inode, struct archive_entry *e)
{
	struct bs_tree_stat *st = bs_tree_inode_stat(inode);

	st->mode = (st->mode & S_IFMT) | ((uint32_t)archive_entry_perm(e) & 07777);
	st->uid = (uint32_t)archive_entry_uid(e);
	st->gid = (uint32_t)archive_entry_gid(e);
	st->mtime_sec = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	st->mtime_nsec = archive_entry_mtime_is_set(e) ? (uint32_t)archive_entry_mtime_nsec(e) : 0;
}

static int never(const char *key)
{
	(void)key;
	return 0;
}

/* PAX SCHILY.xattr.* / LIBARCHIVE.xattr.*, which libarchive decodes for us. */
static int set_xattrs(struct flat *f, struct bs_tree_inode *inode, struct archive_entry *e)
{
	const char *name;
	const void *value;
	size_t len;

	bs_tree_inode_keep_xattrs(inode, never);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &len) == ARCHIVE_OK) {
		int r = bs_tree_inode_add_xattr(f->tree, inode, name, strlen(name), value, len, f->err);
		if (r < 0)
			return r == -ENOMEM ? r : reject(f, "bad xattr '%.100s'", name);
	}
	return 0;
}

struct sink {
	uint8_t small[128];
	uint8_t *batch;                 /* the file's place in the hash batch */
	uint8_t *mem;                   /* capture in memory */
	int fd;                         /* capture in a temp file */
	uint64_t pos;
};

/*
 * The spool is an optimisation, never a requirement: when it cannot be
 * created or written (no space, a quota), it is dropped and the writer
 * reads the layers again.
 */
static void spool_begin(struct flat *f)
{
	struct bs_error ignored = { 0 };
	unsigned flags = f->opts->flags;

	if (!(flags & BS_OCI_FLATTEN_SPOOL) && !((flags & BS_OCI_FLATTEN_SPOOL_LAYERED) && f->img->n_layers > 1))
		return;
	if (oci_tmpdir(f->img, &ignored) < 0)
		return;
	f->img->spool.fd = open(f->img->tmp.path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (f->img->spool.fd < 0)
		return;
	if (!(f->spool_buf = malloc(SPOOL_BLOCK)))
		oci_spool_drop(&f->img->spool);
}

static void spool_stop(struct flat *f)
{
	free(f->spool_buf);
	f->spool_buf = NULL;
	f->spool_used = 0;
	oci_spool_drop(&f->img->spool);
}

static void spool_flush(struct flat *f)
{
	if (f->spool_buf && f->spool_used) {
		if (bsi_write_full(f->img->spool.fd, f->spool_buf, f->spool_used) < 0) {
			spool_stop(f);
			return;
		}
		f->spool_used = 0;
	}
}

static void spool_put(struct flat *f, const void *buf, size_t len)
{
	if (!f->spool_buf)
		return;
	if (f->spool_used + len > SPOOL_BLOCK) {
		spool_flush(f);
		if (!f->spool_buf)
			return;
		if (len > SPOOL_BLOCK) {
			if (bsi_write_full(f->img->spool.fd, buf, len) < 0)
				spool_stop(f);
			else
				f->img->spool.size += len;
			return;
		}
	}
	memcpy(f->spool_buf + f->spool_used, buf, len);
	f->spool_used += len;
	f->img->spool.size += len;
}

/* The spool is complete: the writer reads it when it needs it. */
static void spool_end(struct flat *f)
{
	spool_flush(f);
	free(f->spool_buf);
	f->spool_buf = NULL;
}

static int sink_write(struct flat *f, struct sink *k, const void *buf, size_t len, size_t inline_max,
		      uint64_t size)
{
	int r;

	if (size <= inline_max)
		memcpy(k->small + k->pos, buf, len);
	else if (k->batch)
		memcpy(k->batch + k->pos, buf, len);
	else if ((r = bs_fsverity_update(f->vctx, buf, len)) < 0)
		return r;
	if (size > inline_max)
		spool_put(f, buf, len);
	if (k->mem)
		memcpy(k->mem + k->pos, buf, len);
	else if (k->fd >= 0 && (r = bsi_write_full(k->fd, buf, len)) < 0)
		return bs_error_set(f->err, r, f->img->tmp.path, "cannot write a captured file: %s", strerror(-r));
	k->pos += len;
	return 0;
}

static int capture_open(struct flat *f, const char *path, uint64_t size, struct sink *k)
{
	char name[64];

	k->fd = -1;
	if (!f->opts->capture || !f->opts->capture(f->opts->capture_ctx, path))
		return 0;
	if (f->opts->capture_max && size > f->opts->capture_max) {
		char where[64 + PATH_MAX_LEN];

		snprintf(where, sizeof(where), "layer %zu: %s", f->layer + 1, f->entry);
		return bs_error_set(f->err, -EFBIG, where, "%llu bytes, past the bound of %llu (%llu MiB) on a boot file",
				    (unsigned long long)size, (unsigned long long)f->opts->capture_max,
				    (unsigned long long)(f->opts->capture_max >> 20));
	}
	if (size <= f->capture_mem_max) {
		k->mem = malloc(size ? size : 1);
		return k->mem ? 0 : -ENOMEM;
	}
	int r = oci_tmpdir(f->img, f->err);
	if (r < 0)
		return r;
	snprintf(name, sizeof(name), "/capture-%u", f->img->tmp_seq++);
	_cleanup_free_ char *p = malloc(strlen(f->img->tmp.path) + sizeof(name));
	if (!p)
		return -ENOMEM;
	strcat(strcpy(p, f->img->tmp.path), name);
	k->fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (k->fd < 0)
		return bs_error_set(f->err, -errno, p, "cannot create: %s", strerror(errno));
	return 0;
}

static int capture_close(struct flat *f, struct sink *k, struct bs_tree_inode *inode, uint64_t size)
{
	uint8_t *map = NULL;
	int r;

	if (k->fd >= 0) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, k->fd, 0);
		close(k->fd);
		k->fd = -1;
		if (map == MAP_FAILED)
			return bs_error_set(f->err, -errno, f->img->tmp.path, "cannot map a captured file: %s",
					    strerror(errno));
		r = oci_capture_add(f->img, inode, 1, map, size, NULL);
		if (r < 0)
			munmap(map, size);
		return r;
	}
	if (!k->mem)
		return 0;
	r = oci_capture_add(f->img, inode, 0, k->mem, size, NULL);
	if (r < 0)
		free(k->mem);
	k->mem = NULL;
	return r;
}

/* The zeros of a sparse entry's hole, up to END. */
static int write_hole(struct flat *f, struct sink *k, uint64_t end, size_t inline_max, uint64_t size)
{
	static const uint8_t zeros[65536];
	int r;

	if (end - k->pos > HOLE_BYTES_MAX - f->hole_bytes)
		return reject(f, "sparse file: more than %llu MiB of holes in the image",
			      HOLE_BYTES_MAX >> 20);
	f->hole_bytes += end - k->pos;
	while (k->pos < end) {
		size_t n = end - k->pos < sizeof(zeros) ? (size_t)(end - k->pos) : sizeof(zeros);
		if ((r = sink_write(f, k, zeros, n, inline_max, size)) < 0)
			return r;
	}
	return 0;
}

static int read_file(struct flat *f, struct archive *a, struct archive_entry *e, const char *path,
		     struct bs_tree_inode *inode)
{
	uint64_t size = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
	size_t inline_max = f->img->inline_max;
	struct sink k = { .fd = -1 };
	uint64_t spool_off = f->img->spool.size;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ar;

	if ((r = capture_open(f, path, size, &k)) < 0)
		goto out;
	if (f->batch.buf && size > inline_max && size <= BATCH_FILE_MAX) {
		if ((f->batch.used + size > BATCH_BYTES || f->batch.n == BATCH_FILES) &&
		    (r = batch_flush(&f->batch)) < 0)
			goto out;
		k.batch = f->batch.buf + f->batch.used;
	}
	bs_fsverity_reset(f->vctx);
	while ((ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		/* Sparse entries: holes read as zeros, as the extracted file would. */
		if (off < 0 || (uint64_t)off < k.pos || (uint64_t)off > size || len > size - (uint64_t)off) {
			r = reject(f, "%s", "file data outside its size");
			goto out;
		}
		if ((r = write_hole(f, &k, (uint64_t)off, inline_max, size)) < 0 ||
		    (r = sink_write(f, &k, buf, len, inline_max, size)) < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF) {
		r = reject(f, "corrupt layer: %s", archive_error_string(a) ? archive_error_string(a) : "read error");
		goto out;
	}
	if ((r = write_hole(f, &k, size, inline_max, size)) < 0)
		goto out;
	if (size <= inline_max) {
		r = bs_tree_inode_set_content(f->tree, inode, k.small, (size_t)size, f->err);
	} else {
		uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];

		bs_tree_inode_stat(inode)->size = size;
		if (k.batch) {
			f->batch.jobs[f->batch.n++] = (struct hash_job){ inode, f->batch.used, (size_t)size };
			f->batch.used += size;
		} else if ((r = bs_fsverity_final(f->vctx, digest)) < 0 ||
			   (r = bs_tree_inode_set_external(f->tree, inode, size, digest,
							   bs_fsverity_digest_size(f->vctx), f->err)) < 0) {
			goto out;
		}
		f->st.hashed_files++;
		f->st.hashed_bytes += size;
		r = oci_origin_add(f->img, f->layer, f->ordinal, inode, spool_off);
	}
	if (r >= 0)
		r = capture_close(f, &k, inode, size);
out:
	free(k.mem);
	if (k.fd >= 0)
		close(k.fd);
	return r;
}

static int add_hardlink(struct flat *f, struct bs_tree_inode *dir, const char *name, size_t name_len,
			const char *target_raw)
{
	char target[PATH_MAX_LEN];
	struct bs_tree_inode *tdir, *t;
	char *slash;
	int r;

	if ((r = normalise(f, target_raw, target)) < 0)
		return r;
	slash = strrchr(target, '/');
	if (!*target)
		return reject(f, "%s", "hardlink to the root directory");
	if (slash)
		*slash = 0;
	if ((r = walk(f, slash ? target : "", 0, &tdir)) < 0)
		return r;
	t = tdir ? bs_tree_dir_lookup(tdir, slash ? slash + 1 : target, strlen(slash ? slash + 1 : target)) : NULL;
	if (slash)
		*slash = '/';
	if (!t)
		return reject(f, "hardlink to '%s', which does not exist", target);
	if (S_ISDIR(bs_tree_inode_stat(t)->mode))
		return reject(f, "hardlink to the directory '%s'", target);
	if (bs_tree_dir_lookup(dir, name, name_len) == t)
		return 0;
	bs_tree_dir_remove(dir, name, name_len);
	return bs_tree_dir_add(f->tree, dir, name, name_len, t, f->err);
}

static int apply_entry(struct flat *f, struct archive *a, struct archive_entry *e)
{
	char path[PATH_MAX_LEN];
	const char *name, *raw = archive_entry_pathname(e);
	struct bs_tree_inode *dir, *old, *inode;
	unsigned type = archive_entry_filetype(e);
	size_t name_len;
	char *slash;
	int r;

	f->entry = raw ? raw : "";
	if (!raw || !*raw)
		return reject(f, "%s", "entry without a name");
	if ((r = normalise(f, raw, path)) < 0)
		return r;
	if (f->opts->entry &&
	    (r = f->opts->entry(f->opts->entry_ctx, f->layer, path, type, archive_entry_hardlink(e))) < 0)
		return r;
	if (!*path) {
		if (type != AE_IFDIR)
			return reject(f, "%s", "the root is not a directory");
		fill_stat(bs_tree_root(f->tree), e);
		return set_xattrs(f, bs_tree_root(f->tree), e);
	}
	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	name_len = strlen(name);
	if (slash)
		*slash = 0;

	if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
		/* Markers are not entries: they change the layers below. */
		if (strcmp(name, WH_OPAQUE) == 0) {
			if ((r = walk(f, slash ? path : "", 1, &dir)) < 0)
				return r;
			return opaque_clear(f, dir, path, slash ? strlen(path) : 0);
		}
		if (name_len == strlen(WH_PREFIX))
			return reject(f, "%s", "whiteout without a name");
		if ((r = walk(f, slash ? path : "", 0, &dir)) < 0 || !dir)
			return r;
		if (slash)
			*slash = '/';
		memmove((char *)name, name + strlen(WH_PREFIX), name_len - strlen(WH_PREFIX) + 1);
		if (!strset_has(&f->touched, path, strlen(path)))
			bs_tree_dir_remove(dir, name, strlen(name));
		return 0;
	}

	if ((r = walk(f, slash ? path : "", 1, &dir)) < 0)
		return r;
	if (slash)
		*slash = '/';
	if ((r = strset_add(&f->touched, path, strlen(path))) < 0)
		return r;
	if (archive_entry_hardlink(e))
		return add_hardlink(f, dir, name, name_len, archive_entry_hardlink(e));

	old = bs_tree_dir_lookup(dir, name, name_len);
	if (type == AE_IFDIR && old && S_ISDIR(bs_tree_inode_stat(old)->mode)) {
		fill_stat(old, e);
		return set_xattrs(f, old, e);
	}
	switch (type) {
	case AE_IFREG: case AE_IFDIR: case AE_IFLNK: case AE_IFCHR: case AE_IFBLK: case AE_IFIFO:
		break;
	default:
		return reject(f, "%s", "unsupported entry type (socket or unknown)");
	}
	if ((r = bs_tree_inode_new(f->tree, type, &inode, f->err)) < 0)
		return r;
	fill_stat(inode, e);
	if ((r = set_xattrs(f, inode, e)) < 0)
		return r;
	if (type == AE_IFREG) {
		r = read_file(f, a, e, path, inode);
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);
		size_t len = target ? strlen(target) : 0;

		if (!len || len > SYMLINK_MAX)
			return reject(f, "%s", "symlink target empty or longer than 4095 bytes");
		r = bs_tree_inode_set_payload(f->tree, inode, target, len, f->err);
		bs_tree_inode_stat(inode)->size = len;
	} else if (type == AE_IFCHR || type == AE_IFBLK) {
		bs_tree_inode_stat(inode)->rdev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	}
	if (r < 0)
		return r;
	if (old)
		bs_tree_dir_remove(dir, name, name_len);
	return bs_tree_dir_add(f->tree, dir, name, name_len, inode, f->err);
}

static int flatten_layer(struct flat *f)
{
	struct oci_stream *s = NULL;
	struct archive *a = NULL;
	struct archive_entry *e;
	int r, ar;

	r = oci_stream_open(f->img, f->layer, &s, &a, f->err);
	if (r < 0)
		return r;
	f->ordinal = 0;
	while ((ar = oci_tar_read_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		r = apply_entry(f, a, e);
		if (r < 0)
			goto out;
		f->ordinal++;
		f->st.layer_entries++;
		if (f->opts->progress && f->ordinal % 256 == 0) {
			struct bs_oci_flatten_stats now = f->st;

			now.blob_bytes += oci_stream_bytes(s);
			f->opts->progress(f->opts->progress_ctx, f->layer, f->img->n_layers, &now);
		}
	}
	if (ar != ARCHIVE_EOF) {
		r = oci_stream_error(s, a, f->layer, NULL, f->err);
		goto out;
	}
	r = oci_stream_finish(s, f->layer, f->err);
	f->st.blob_bytes += f->img->layers[f->layer].d.size;
	if (r >= 0 && f->opts->progress)
		f->opts->progress(f->opts->progress_ctx, f->layer, f->img->n_layers, &f->st);
out:
	oci_stream_close(s, a);
	strset_clear(&f->touched);
	return r;
}

/* nlink as a fresh checkout would have it, and the entry count. */
static size_t finish_tree(struct bs_tree_inode *dir)
{
	size_t n = 0;

	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, NULL, NULL);
		struct bs_tree_stat *st = bs_tree_inode_stat(child);

		n++;
		if (S_ISDIR(st->mode))
			n += finish_tree(child);
		else
			st->nlink = bs_tree_link_count(child);
	}
	return n;
}

int bs_oci_image_flatten(struct bs_oci_image *img, const struct bs_oci_flatten_options *opts,
			 struct bs_oci_flatten_stats *stats, struct bs_error *err)
{
	if (!img)
		return bs_error_set(err, -EINVAL, NULL, "bs_oci_image_flatten: a NULL argument");
	static const struct bs_oci_flatten_options defaults = { 0 };
	struct flat f = { .img = img, .opts = opts ? opts : &defaults, .err = err };
	struct bs_fsverity_params params = { 0 };
	int r;

	if (img->tree)
		return bs_error_set(err, -EINVAL, NULL, "image already flattened");
	img->hash_alg = f.opts->hash_alg ? f.opts->hash_alg : BS_HASH_SHA256;
	img->inline_max = f.opts->inline_max ? f.opts->inline_max : 64;
	if (img->inline_max > 128)
		return bs_error_set(err, -EINVAL, NULL, "inline limit %zu is above 128 bytes", img->inline_max);
	f.capture_mem_max = f.opts->capture_mem_max ? f.opts->capture_mem_max : 16u << 20;
	params.hash_alg = img->hash_alg;
	if ((r = bs_fsverity_params_check(&params, err)) < 0)
		return r;
	if ((r = bs_fsverity_new(&params, &f.vctx)) < 0)
		return r;
	r = bs_tree_new(&img->tree);
	f.tree = img->tree;
	if (r >= 0)
		r = batch_init(&f.batch, f.tree, &params, f.opts->jobs ? f.opts->jobs : bs_workqueue_default_jobs());
	if (r >= 0)
		spool_begin(&f);
	for (f.layer = 0; r >= 0 && f.layer < img->n_layers; f.layer++)
		r = flatten_layer(&f);
	if (r >= 0)
		r = batch_flush(&f.batch);
	spool_end(&f);
	batch_free(&f.batch);
	bs_fsverity_free(f.vctx);
	if (r < 0) {
		oci_capture_reset(img);
		bs_tree_free(img->tree);
		img->tree = NULL;
		return r;
	}
	f.st.entries = finish_tree(bs_tree_root(img->tree));
	bs_tree_recompute_primaries(img->tree);
	oci_capture_prune(img);
	r = oci_tree_copy(img->tree, f.st.entries, &img->view, err);
	if (r < 0) {
		oci_capture_reset(img);
		bs_tree_free(img->tree);
		img->tree = NULL;
		return r;
	}
	if (stats)
		*stats = f.st;
	return 0;
}
