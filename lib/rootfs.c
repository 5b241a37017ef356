/* SPDX-License-Identifier: MIT */
/*
 * Directory → bs_tree with composefs-rs's read rules (crates/composefs/src/fs.rs
 * at 0fbc8533, the revision bootc 534c76ea uses): stat fields, xattrs,
 * hardlinks by (st_dev, st_ino), inline limit, fs-verity digests.
 */
#include <bootseal/rootfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <bootseal/workqueue.h>

#include "util.h"

#define CAPABILITY_XATTR "security.capability"

struct hash_job {
	struct bs_tree_inode *inode;
	char *relpath;          /* for messages */
	int fd;                 /* opened by the scan; closed once hashed */
	uint64_t size;          /* from fstat of that same open file */
};

/*
 * Files go from the scan to the hashing threads a batch at a time, so the
 * scan reads the next directories while the previous batch is hashed: on a
 * tree of small files the walk is half the work, and it would otherwise
 * leave every other core idle. A batch holds its files open, which is why
 * it is bounded in files as well as bytes.
 */
#define BATCH_FILES 128
#define BATCH_BYTES (32u << 20)

struct hasher;

struct batch {
	struct hasher *hasher;
	struct hash_job *jobs;
	size_t n, cap;
	size_t *order;
	unsigned long long bytes;
	struct bs_workqueue_job *running;
};

struct hasher {
	const struct bs_rootfs_options *opts;
	size_t jobs;
	struct bs_fsverity_ctx **ctx;   /* one per worker; one batch runs at a time */
	/* Progress, updated by every worker; reported by whichever worker
	 * takes the `reporting` flag, at most every 100 ms. The totals grow
	 * as the scan finds files. */
	size_t files_done, files_total;
	unsigned long long bytes_done, bytes_total;
	long long last_report_ms;
	int reporting;
};

/* A hardlinked file seen once. */
struct link {
	dev_t dev;
	ino_t ino;
	struct bs_tree_inode *inode;
};

struct scan {
	struct bs_tree *tree;
	const struct bs_rootfs_options *opts;
	const char *root_path;
	struct bs_error *err;
	size_t inline_max;
	int capability_only;

	struct hasher hasher;
	struct batch batch[2];          /* filling, and the one hashing */
	int filling;

	struct link *links;
	size_t n_links, cap_links;      /* open addressing, cap is a power of two */
	size_t entries;
};

static int fail_errno(struct scan *s, const char *rel, const char *what)
{
	int r = -errno;
	char where[PATH_MAX];

	snprintf(where, sizeof(where), "%s/%s", s->root_path, rel);
	return bs_error_set(s->err, r, where, "%s: %s", what, strerror(-r));
}

static int fail(struct scan *s, const char *rel, int r, const char *msg)
{
	char where[PATH_MAX];

	snprintf(where, sizeof(where), "%s/%s", s->root_path, rel);
	return bs_error_set(s->err, r, where, "%s", msg);
}

static size_t link_slot(const struct scan *s, dev_t dev, ino_t ino)
{
	size_t h = (size_t)(ino * 0x9e3779b97f4a7c15ull ^ dev);

	for (size_t i = h & (s->cap_links - 1);; i = (i + 1) & (s->cap_links - 1))
		if (!s->links[i].inode || (s->links[i].dev == dev && s->links[i].ino == ino))
			return i;
}

static int link_table_grow(struct scan *s)
{
	size_t old_cap = s->cap_links, cap = old_cap ? 2 * old_cap : 1024;
	struct link *old = s->links;

	s->links = calloc(cap, sizeof(*s->links));
	if (!s->links) {
		s->links = old;
		return -ENOMEM;
	}
	s->cap_links = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].inode)
			s->links[link_slot(s, old[i].dev, old[i].ino)] = old[i];
	free(old);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(struct hasher *h, int done)
{
	const struct bs_rootfs_options *o = h->opts;
	struct bs_progress p = { .phase = "hashing", .done = done };
	long long now = now_ms();
	int idle = 0;

	if (!o->progress)
		return;
	if (!done && now - __atomic_load_n(&h->last_report_ms, __ATOMIC_RELAXED) < 100)
		return;
	if (!__atomic_compare_exchange_n(&h->reporting, &idle, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	p.files_done = __atomic_load_n(&h->files_done, __ATOMIC_RELAXED);
	p.bytes_done = __atomic_load_n(&h->bytes_done, __ATOMIC_RELAXED);
	p.files_total = __atomic_load_n(&h->files_total, __ATOMIC_RELAXED);
	p.bytes_total = __atomic_load_n(&h->bytes_total, __ATOMIC_RELAXED);
	o->progress(o->progress_ctx, &p);
	__atomic_store_n(&h->last_report_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&h->reporting, 0, __ATOMIC_RELEASE);
}

static int hash_one(void *arg, size_t worker, size_t item)
{
	struct batch *b = arg;
	struct hasher *h = b->hasher;
	struct hash_job *job = &b->jobs[b->order[item]];
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	int r;

	r = bs_fsverity_digest_file(h->ctx[worker], job->fd, job->size, digest);
	close(job->fd);
	job->fd = -1;
	if (r < 0)
		return r;
	__atomic_add_fetch(&h->files_done, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->bytes_done, (unsigned long long)job->size, __ATOMIC_RELAXED);
	report(h, 0);
	return bs_tree_inode_set_digest(job->inode, digest, bs_fsverity_digest_size(h->ctx[worker]));
}

static int larger_first(const void *a, const void *b, void *arg)
{
	struct hash_job *jobs = arg;
	uint64_t x = jobs[*(const size_t *)a].size;
	uint64_t y = jobs[*(const size_t *)b].size;

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->jobs[i].fd >= 0)
			close(b->jobs[i].fd);
		free(b->jobs[i].relpath);
	}
	b->n = 0;
	b->bytes = 0;
}

static void batch_free(struct batch *b)
{
	batch_clear(b);
	free(b->jobs);
	free(b->order);
}

/*
 * Largest files first: a 500 MB file started last would leave the other
 * cores idle while one finishes it. Results go by job, so order is free.
 */
static int batch_start(struct scan *s, struct batch *b)
{
	size_t *order = realloc(b->order, (b->n ? b->n : 1) * sizeof(*order));

	if (!order)
		return -ENOMEM;
	b->order = order;
	for (size_t i = 0; i < b->n; i++)
		order[i] = i;
	qsort_r(order, b->n, sizeof(*order), larger_first, b->jobs);
	b->hasher = &s->hasher;
	return bs_workqueue_start(b->n, s->hasher.jobs, hash_one, b, &b->running);
}

/* Joins a started batch; the redirects allocate from the tree, so they are
 * set here, on the scan's thread, not by the workers. */
static int batch_finish(struct scan *s, struct batch *b)
{
	size_t failed = 0;
	int r;

	if (!b->running)
		return 0;
	r = bs_workqueue_wait(b->running, &failed);
	b->running = NULL;
	if (r < 0 && r != -ENOMEM) {
		const char *rel = b->jobs[b->order[failed]].relpath;

		errno = -r;
		r = r == -EIO ? fail(s, rel, -EIO, "changed size while being read") : fail_errno(s, rel, "cannot read");
	}
	for (size_t i = 0; i < b->n && r >= 0; i++) {
		struct bs_tree_inode *inode = b->jobs[i].inode;
		uint8_t digest[BS_TREE_DIGEST_MAX];
		size_t len;

		memcpy(digest, bs_tree_inode_digest(inode, &len), sizeof(digest));
		r = bs_tree_inode_set_external(s->tree, inode, b->jobs[i].size, digest, len, s->err);
	}
	batch_clear(b);
	return r;
}

/* Hands the filling batch to the workers once the previous one is done. */
static int batch_send(struct scan *s)
{
	struct batch *b = &s->batch[s->filling];
	int r;

	r = batch_finish(s, &s->batch[!s->filling]);
	if (r < 0 || !b->n)
		return r;
	r = batch_start(s, b);
	if (r < 0)
		return r;
	s->filling = !s->filling;
	return 0;
}

/* Hashes everything queued; the error of the earliest file in walk order wins. */
static int batch_drain(struct scan *s)
{
	int r = batch_send(s);

	return r < 0 ? r : batch_finish(s, &s->batch[!s->filling]);
}

/* Takes fd: the batch closes it. */
static int add_hash_job(struct scan *s, struct bs_tree_inode *inode, const char *rel, int fd, uint64_t size)
{
	struct batch *b = &s->batch[s->filling];

	if (BSI_GROW(b->jobs, b->cap, b->n, BATCH_FILES) < 0) {
		close(fd);
		return -ENOMEM;
	}
	b->jobs[b->n] = (struct hash_job){ .inode = inode, .fd = fd, .size = size, .relpath = strdup(rel) };
	if (!b->jobs[b->n].relpath) {
		close(fd);
		return -ENOMEM;
	}
	b->n++;
	b->bytes += size;
	__atomic_add_fetch(&s->hasher.files_total, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->hasher.bytes_total, (unsigned long long)size, __ATOMIC_RELAXED);
	if (b->n >= BATCH_FILES || b->bytes >= BATCH_BYTES)
		return batch_send(s);
	return 0;
}

static int hasher_init(struct scan *s)
{
	struct bs_fsverity_params params = { .hash_alg = s->opts->hash_alg };
	struct hasher *h = &s->hasher;
	int r = 0;

	h->opts = s->opts;
	h->jobs = s->opts->jobs ? s->opts->jobs : bs_workqueue_default_jobs();
	h->ctx = calloc(h->jobs, sizeof(*h->ctx));
	if (!h->ctx)
		return -ENOMEM;
	for (size_t i = 0; i < h->jobs && r >= 0; i++)
		r = bs_fsverity_new(&params, &h->ctx[i]);
	return r;
}

static void hasher_free(struct hasher *h)
{
	for (size_t i = 0; h->ctx && i < h->jobs; i++)
		bs_fsverity_free(h->ctx[i]);
	free(h->ctx);
}

static void fill_stat(const struct scan *s, struct bs_tree_inode *inode, const struct stat *st)
{
	struct bs_tree_stat *t = bs_tree_inode_stat(inode);
	int epoch = !!(s->opts->flags & BS_ROOTFS_USE_EPOCH);

	t->mode = (t->mode & S_IFMT) | (st->st_mode & 07777);
	t->uid = st->st_uid;
	t->gid = st->st_gid;
	t->mtime_sec = epoch ? 0 : st->st_mtim.tv_sec;
	t->mtime_nsec = epoch ? 0 : (uint32_t)st->st_mtim.tv_nsec;
}

/*
 * bootc keeps one xattr; the generic reader keeps them all. Through fd when
 * the entry is open anyway (a file or directory); a symlink or device is
 * named by its path, there being no xattr call relative to a directory.
 */
static int read_xattrs(struct scan *s, struct bs_tree_inode *inode, const char *rel, int fd)
{
	char full[PATH_MAX], names[65536], value[65536];
	ssize_t len;

	if (s->opts->flags & BS_ROOTFS_SKIP_XATTRS)
		return 0;
	if (fd < 0 && snprintf(full, sizeof(full), "%s/%s", s->root_path, rel) >= (int)sizeof(full))
		return fail(s, rel, -ENAMETOOLONG, "path too long");
	if (s->capability_only) {
		len = fd >= 0 ? fgetxattr(fd, CAPABILITY_XATTR, value, sizeof(value))
			      : lgetxattr(full, CAPABILITY_XATTR, value, sizeof(value));
		if (len < 0)
			return errno == ENODATA || errno == ENOTSUP ? 0 : fail_errno(s, rel, "cannot read xattrs");
		return bs_tree_inode_add_xattr(s->tree, inode, CAPABILITY_XATTR, strlen(CAPABILITY_XATTR),
					       value, (size_t)len, s->err);
	}
	len = fd >= 0 ? flistxattr(fd, names, sizeof(names)) : llistxattr(full, names, sizeof(names));
	if (len < 0)
		return errno == ENOTSUP ? 0 : fail_errno(s, rel, "cannot list xattrs");
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		ssize_t vlen = fd >= 0 ? fgetxattr(fd, name, value, sizeof(value))
				       : lgetxattr(full, name, value, sizeof(value));
		int r;

		/* mkcomposefs --user-xattrs: the user namespace only. */
		if ((s->opts->flags & BS_ROOTFS_USER_XATTRS) && strncmp(name, "user.", 5) != 0)
			continue;
		if (vlen < 0)
			return fail_errno(s, rel, "cannot read xattr");
		r = bs_tree_inode_add_xattr(s->tree, inode, name, strlen(name), value, (size_t)vlen, s->err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_inline(struct scan *s, int fd, const char *rel, struct bs_tree_inode *inode, size_t size)
{
	uint8_t buf[256];
	size_t got;
	int r;

	r = bsi_read_full(fd, buf, size + 1, &got);
	if (r < 0) {
		errno = -r;
		return fail_errno(s, rel, "cannot read");
	}
	if (got != size)
		return fail(s, rel, -EIO, "changed size while being read");
	return bs_tree_inode_set_content(s->tree, inode, buf, size, s->err);
}

static int scan_dir(struct scan *s, int dirfd, struct bs_tree_inode *dir, char *rel, size_t rel_len);

/* bootc empties these: reading what they hold would be wasted work. /boot
 * is read, since bootc checks the boot entries there before emptying it. */
static int skipped_dir(const struct scan *s, const struct bs_tree_inode *dir, const char *name)
{
	return (s->opts->flags & BS_ROOTFS_SKIP_BOOT_DIRS) && dir == bs_tree_root(s->tree) &&
	       (strcmp(name, "sysroot") == 0 || strcmp(name, "run") == 0);
}

/* On the heap: scan_entry recurses once per directory level, and a 4 KiB
 * buffer in each frame would take a 2000-level tree past an 8 MiB stack. */
static int read_symlink(struct scan *s, int dirfd, const char *name, const char *rel,
			struct bs_tree_inode *inode)
{
	_cleanup_free_ char *target = malloc(PATH_MAX + 1);
	ssize_t n;

	if (!target)
		return -ENOMEM;
	n = readlinkat(dirfd, name, target, PATH_MAX + 1);
	if (n < 0)
		return fail_errno(s, rel, "cannot read link");
	if ((size_t)n > PATH_MAX)
		return fail(s, rel, -ENAMETOOLONG, "symlink target too long");
	bs_tree_inode_stat(inode)->size = (uint64_t)n;
	return bs_tree_inode_set_payload(s->tree, inode, target, (size_t)n, s->err);
}

/*
 * A file or directory is opened first and asked through its descriptor:
 * one open, one fstat, one xattr call, and the descriptor then serves the
 * read, the hash and the directory walk; a path is resolved once. Anything
 * else (or a name whose type the directory did not say) is stat'ed by name.
 * *fd is -1 when the entry is not open.
 */
static int open_entry(struct scan *s, int dirfd, const char *name, unsigned char type, const char *rel,
		      struct stat *st, int *fd)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	*fd = -1;
	if (type != DT_REG && type != DT_DIR) {
		if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
			return fail_errno(s, rel, "cannot stat");
		if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
			return 0;
		type = S_ISDIR(st->st_mode) ? DT_DIR : DT_REG;
	}
	if (type == DT_DIR)
		flags |= O_DIRECTORY;
	*fd = openat(dirfd, name, flags);
	if (*fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		/* The batches hold files open: hash them, then try again. */
		int r = batch_drain(s);

		if (r < 0)
			return r;
		*fd = openat(dirfd, name, flags);
	}
	if (*fd < 0)
		return fail_errno(s, rel, type == DT_DIR ? "cannot open directory" : "cannot open");
	if (fstat(*fd, st) < 0) {
		int r = fail_errno(s, rel, "cannot stat");

		close(*fd);
		*fd = -1;
		return r;
	}
	/* O_NONBLOCK kept a FIFO swapped in from blocking the open; reads of a
	 * regular file ignore it. */
	return 0;
}

static int scan_entry(struct scan *s, int dirfd, struct bs_tree_inode *dir, const char *name,
		      unsigned char type, char *rel, size_t rel_len)
{
	size_t name_len = strlen(name), child_rel_len;
	struct bs_tree_inode *inode = NULL;
	struct link *hard = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	if (rel_len + name_len + 2 > PATH_MAX)
		return fail(s, rel, -ENAMETOOLONG, "path too long");
	child_rel_len = rel_len ? rel_len + 1 + name_len : name_len;
	if (rel_len)
		rel[rel_len] = '/';
	memcpy(rel + (rel_len ? rel_len + 1 : 0), name, name_len + 1);
	s->entries++;

	r = open_entry(s, dirfd, name, type, rel, &st, &fd);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		if (s->n_links * 2 >= s->cap_links && (r = link_table_grow(s)) < 0)
			return r;
		hard = &s->links[link_slot(s, st.st_dev, st.st_ino)];
		if (hard->inode)
			return bs_tree_dir_add(s->tree, dir, name, name_len, hard->inode, s->err);
	}

	r = bs_tree_inode_new(s->tree, st.st_mode & S_IFMT, &inode, s->err);
	if (r < 0)
		return fail(s, rel, r, "unsupported file type");
	fill_stat(s, inode, &st);
	r = read_xattrs(s, inode, rel, fd);
	if (r < 0)
		return r;
	if (hard) {
		hard->dev = st.st_dev;
		hard->ino = st.st_ino;
		hard->inode = inode;
		s->n_links++;
	}

	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		if ((size_t)st.st_size <= s->inline_max) {
			r = read_inline(s, fd, rel, inode, (size_t)st.st_size);
		} else {
			bs_tree_inode_stat(inode)->size = (uint64_t)st.st_size;
			r = add_hash_job(s, inode, rel, fd, (uint64_t)st.st_size);
			fd = -1;        /* the batch's now, even on failure */
		}
		break;
	case S_IFLNK:
		r = read_symlink(s, dirfd, name, rel, inode);
		break;
	case S_IFCHR:
	case S_IFBLK:
		bs_tree_inode_stat(inode)->rdev = st.st_rdev;
		break;
	default:
		break;
	}
	if (r >= 0)
		r = bs_tree_dir_add(s->tree, dir, name, name_len, inode, s->err);
	if (r < 0)
		return r == -EINVAL || r == -EEXIST ? fail(s, rel, r, s->err && s->err->code ? s->err->message : "invalid entry") : r;
	if (!S_ISDIR(st.st_mode) || skipped_dir(s, dir, name))
		return 0;
	return scan_dir(s, fd, inode, rel, child_rel_len);
}

/* A directory's entry, its d_type byte first, then the NUL-terminated name. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static int scan_dir(struct scan *s, int dirfd, struct bs_tree_inode *dir, char *rel, size_t rel_len)
{
	_cleanup_free_ char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!(d = bsi_opendir_dup(dirfd)))
		return fail_errno(s, rel_len ? rel : ".", "cannot read directory");
	/* composefs-rs orders entries by their name bytes (a BTreeMap). */
	while ((errno = 0, de = readdir(d))) {
		size_t len;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (BSI_GROW(names, cap, n, 64) < 0) {
			r = -ENOMEM;
			break;
		}
		len = strlen(de->d_name);
		if (!(names[n] = malloc(len + 2))) {
			r = -ENOMEM;
			break;
		}
		names[n][0] = (char)de->d_type;
		memcpy(names[n] + 1, de->d_name, len + 1);
		n++;
	}
	if (!r && errno)
		r = fail_errno(s, rel_len ? rel : ".", "cannot read directory");
	closedir(d);
	if (!r && n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !r; i++) {
		r = scan_entry(s, dirfd, dir, names[i] + 1, (unsigned char)names[i][0], rel, rel_len);
		rel[rel_len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return r;
}

static void scan_free(struct scan *s)
{
	/* A scan that failed may have a batch still hashing. */
	for (int i = 0; i < 2; i++) {
		if (s->batch[i].running)
			(void)bs_workqueue_wait(s->batch[i].running, NULL);
		batch_free(&s->batch[i]);
	}
	hasher_free(&s->hasher);
	free(s->links);
}

int bs_rootfs_read(const char *path, const struct bs_rootfs_options *opts, struct bs_tree **out,
		   struct bs_rootfs_stats *stats, struct bs_error *err)
{
	struct scan s = { .opts = opts, .root_path = path, .err = err };
	_cleanup_close_ int rootfd = -1;
	char rel[PATH_MAX + 1] = "";
	struct stat st;
	int r;

	if (!path || !opts || !out)
		return -EINVAL;
	s.capability_only = !!(opts->flags & BS_ROOTFS_CAPABILITY_ONLY);
	s.inline_max = opts->inline_max ? opts->inline_max : 64;
	if (s.inline_max > 128)
		return bs_error_set(err, -EINVAL, path, "inline limit %zu is above 128 bytes", s.inline_max);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bs_error_set(err, -errno, path, "cannot open directory: %s", strerror(errno));
	if (fstat(rootfd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	r = bs_tree_new(&s.tree);
	if (r < 0)
		return r;
	r = hasher_init(&s);
	if (r >= 0) {
		fill_stat(&s, bs_tree_root(s.tree), &st);
		r = read_xattrs(&s, bs_tree_root(s.tree), ".", rootfd);
	}
	if (r >= 0)
		r = scan_dir(&s, rootfd, bs_tree_root(s.tree), rel, 0);
	/* Batches are sent at points of the walk, never of timing, so which
	 * error is reported does not depend on how fast the threads ran. */
	if (r >= 0)
		r = batch_drain(&s);
	if (r >= 0)
		report(&s.hasher, 1);
	if (r >= 0)
		bs_tree_update_link_counts(s.tree);
	if (r >= 0 && stats) {
		stats->entries = s.entries;
		stats->hashed_files = s.hasher.files_total;
		stats->hashed_bytes = s.hasher.bytes_total;
	}
	scan_free(&s);
	if (r < 0) {
		bs_tree_free(s.tree);
		return r;
	}
	*out = s.tree;
	return 0;
}

int bs_rootfs_read_file(void *ctx, const char *path, const struct bs_tree_inode *inode,
			uint8_t **data, size_t *len, struct bs_error *err)
{
	if (!ctx || !path || !inode || !data || !len)
		return bs_error_set(err, -EINVAL, NULL, "bs_rootfs_read_file: a NULL argument");
	const char *root = ctx;
	char full[PATH_MAX];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	uint64_t size = bs_tree_inode_stat((struct bs_tree_inode *)inode)->size;
	size_t got;
	int r;

	if (snprintf(full, sizeof(full), "%s/%s", root, path) >= (int)sizeof(full))
		return bs_error_set(err, -ENAMETOOLONG, path, "path too long");
	if (size > SIZE_MAX - 1)
		return bs_error_set(err, -EFBIG, full, "too large");
	{
		_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

		fd = rootfd < 0 ? -errno : bsi_open_beneath(rootfd, path, O_RDONLY | O_NOCTTY, 0);
	}
	if (fd == -ELOOP)
		return bs_error_set(err, fd, full, "a symbolic link in the path: refused, the tree's own files only");
	if (fd < 0)
		return bs_error_set(err, fd, full, "cannot open: %s", strerror(-fd));
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	r = bsi_read_full(fd, buf, (size_t)size + 1, &got);
	if (r < 0)
		return bs_error_set(err, r, full, "cannot read: %s", strerror(-r));
	if (got != size)
		return bs_error_set(err, -EIO, full, "changed size while being read");
	*data = BS_STEAL(buf);
	*len = got;
	return 0;
}
