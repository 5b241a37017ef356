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

#include <bootseal/workqueue.h>

#include "util.h"

#define CAPABILITY_XATTR "security.capability"

struct hash_job {
	struct bs_tree_inode *inode;
	char *relpath;
	int error;
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

	struct hash_job *jobs;
	size_t n_jobs, cap_jobs;
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

static int add_hash_job(struct scan *s, struct bs_tree_inode *inode, const char *rel)
{
	if (s->n_jobs == s->cap_jobs) {
		size_t cap = s->cap_jobs ? 2 * s->cap_jobs : 4096;
		struct hash_job *n = realloc(s->jobs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		s->jobs = n;
		s->cap_jobs = cap;
	}
	s->jobs[s->n_jobs].inode = inode;
	s->jobs[s->n_jobs].error = 0;
	s->jobs[s->n_jobs].relpath = strdup(rel);
	if (!s->jobs[s->n_jobs].relpath)
		return -ENOMEM;
	s->n_jobs++;
	return 0;
}

static void fill_stat(struct bs_tree_inode *inode, const struct stat *st)
{
	struct bs_tree_stat *t = bs_tree_inode_stat(inode);

	t->mode = (t->mode & S_IFMT) | (st->st_mode & 07777);
	t->uid = st->st_uid;
	t->gid = st->st_gid;
	t->mtime_sec = st->st_mtim.tv_sec;
	t->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
}

/* bootc keeps one xattr; the generic reader keeps them all. */
static int read_xattrs(struct scan *s, struct bs_tree_inode *inode, const char *rel)
{
	char full[PATH_MAX], names[65536], value[65536];
	ssize_t len;

	if (snprintf(full, sizeof(full), "%s/%s", s->root_path, rel) >= (int)sizeof(full))
		return fail(s, rel, -ENAMETOOLONG, "path too long");
	if (s->capability_only) {
		len = lgetxattr(full, CAPABILITY_XATTR, value, sizeof(value));
		if (len < 0)
			return errno == ENODATA || errno == ENOTSUP ? 0 : fail_errno(s, rel, "cannot read xattrs");
		return bs_tree_inode_add_xattr(s->tree, inode, CAPABILITY_XATTR, strlen(CAPABILITY_XATTR),
					       value, (size_t)len, s->err);
	}
	len = llistxattr(full, names, sizeof(names));
	if (len < 0)
		return errno == ENOTSUP ? 0 : fail_errno(s, rel, "cannot list xattrs");
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		ssize_t vlen = lgetxattr(full, name, value, sizeof(value));
		int r;

		if (vlen < 0)
			return fail_errno(s, rel, "cannot read xattr");
		r = bs_tree_inode_add_xattr(s->tree, inode, name, strlen(name), value, (size_t)vlen, s->err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_inline(struct scan *s, int dirfd, const char *name, const char *rel,
		       struct bs_tree_inode *inode, size_t size)
{
	_cleanup_close_ int fd = -1;
	uint8_t buf[256];
	size_t got;
	int r;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail_errno(s, rel, "cannot open");
	r = bs_read_full(fd, buf, size + 1, &got);
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

static int scan_entry(struct scan *s, int dirfd, struct bs_tree_inode *dir, const char *name,
		      char *rel, size_t rel_len)
{
	size_t name_len = strlen(name), child_rel_len;
	struct bs_tree_inode *inode = NULL;
	struct link *hard = NULL;
	struct stat st;
	int r;

	if (rel_len + name_len + 2 > PATH_MAX)
		return fail(s, rel, -ENAMETOOLONG, "path too long");
	child_rel_len = rel_len ? rel_len + 1 + name_len : name_len;
	if (rel_len)
		rel[rel_len] = '/';
	memcpy(rel + (rel_len ? rel_len + 1 : 0), name, name_len + 1);
	s->entries++;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_errno(s, rel, "cannot stat");
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
	fill_stat(inode, &st);
	r = read_xattrs(s, inode, rel);
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
			r = read_inline(s, dirfd, name, rel, inode, (size_t)st.st_size);
		} else {
			bs_tree_inode_stat(inode)->size = (uint64_t)st.st_size;
			r = add_hash_job(s, inode, rel);
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

	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(s, rel, "cannot open directory");
	return scan_dir(s, fd, inode, rel, child_rel_len);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct scan *s, int dirfd, struct bs_tree_inode *dir, char *rel, size_t rel_len)
{
	_cleanup_free_ char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (!(d = bs_opendir_dup(dirfd)))
		return fail_errno(s, rel_len ? rel : ".", "cannot read directory");
	/* composefs-rs orders entries by their name bytes (a BTreeMap). */
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (!r && errno)
		r = fail_errno(s, rel_len ? rel : ".", "cannot read directory");
	closedir(d);
	if (!r && n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !r; i++) {
		r = scan_entry(s, dirfd, dir, names[i], rel, rel_len);
		rel[rel_len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return r;
}

struct hasher {
	struct scan *scan;
	int rootfd;
	struct bs_fsverity_ctx **ctx;
	size_t *order;
	/* Progress, updated by every worker; reported by whichever worker
	 * takes the `reporting` flag, at most every 100 ms. */
	size_t files_done;
	unsigned long long bytes_done, bytes_total;
	long long last_report_ms;
	int reporting;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(struct hasher *h, int done)
{
	const struct bs_rootfs_options *o = h->scan->opts;
	struct bs_progress p = { .phase = "hashing", .files_total = h->scan->n_jobs,
				 .bytes_total = h->bytes_total, .done = done };
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
	o->progress(o->progress_ctx, &p);
	__atomic_store_n(&h->last_report_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&h->reporting, 0, __ATOMIC_RELEASE);
}

static int hash_one(void *arg, size_t worker, size_t item)
{
	struct hasher *h = arg;
	struct hash_job *job = &h->scan->jobs[h->order[item]];
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	fd = openat(h->rootfd, job->relpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return job->error = -errno;
	if ((uint64_t)st.st_size != bs_tree_inode_stat(job->inode)->size)
		return job->error = -EIO;
	r = bs_fsverity_digest_fd(h->ctx[worker], fd, digest);
	if (r < 0)
		return job->error = r;
	__atomic_add_fetch(&h->files_done, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->bytes_done, (unsigned long long)st.st_size, __ATOMIC_RELAXED);
	report(h, 0);
	return bs_tree_inode_set_digest(job->inode, digest, bs_fsverity_digest_size(h->ctx[worker]));
}

static int larger_first(const void *a, const void *b, void *arg)
{
	struct hash_job *jobs = arg;
	uint64_t x = bs_tree_inode_stat(jobs[*(const size_t *)a].inode)->size;
	uint64_t y = bs_tree_inode_stat(jobs[*(const size_t *)b].inode)->size;

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/*
 * Largest files first: a 500 MB file started last would leave the other
 * cores idle while one finishes it. Results go by job, so order is free.
 */
static int order_jobs(struct scan *s, size_t **order)
{
	*order = malloc((s->n_jobs ? s->n_jobs : 1) * sizeof(**order));
	if (!*order)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_jobs; i++)
		(*order)[i] = i;
	qsort_r(*order, s->n_jobs, sizeof(**order), larger_first, s->jobs);
	return 0;
}

static int hash_files(struct scan *s, int rootfd)
{
	struct bs_fsverity_params params = { .hash_alg = s->opts->hash_alg ? s->opts->hash_alg
									   : BS_HASH_SHA512 };
	size_t jobs = s->opts->jobs ? s->opts->jobs : bs_workqueue_default_jobs(), failed = 0;
	struct hasher h = { .scan = s, .rootfd = rootfd };
	int r = 0;

	h.ctx = calloc(jobs, sizeof(*h.ctx));
	if (!h.ctx || order_jobs(s, &h.order) < 0) {
		free(h.ctx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < jobs && !r; i++)
		r = bs_fsverity_new(&params, &h.ctx[i]);
	for (size_t i = 0; i < s->n_jobs; i++)
		h.bytes_total += bs_tree_inode_stat(s->jobs[i].inode)->size;
	if (!r)
		r = bs_workqueue_run(s->n_jobs, jobs, hash_one, &h, &failed);
	if (!r)
		report(&h, 1);
	for (size_t i = 0; i < jobs; i++)
		bs_fsverity_free(h.ctx[i]);
	free(h.ctx);
	if (r < 0)
		failed = h.order[failed];
	free(h.order);
	if (r < 0 && r != -ENOMEM) {
		errno = -r;
		return r == -EIO ? fail(s, s->jobs[failed].relpath, -EIO, "changed size while being read")
				 : fail_errno(s, s->jobs[failed].relpath, "cannot read");
	}
	if (r < 0)
		return r;
	/* Workers set only the digest; the redirect allocates from the tree. */
	for (size_t i = 0; i < s->n_jobs; i++) {
		struct bs_tree_inode *inode = s->jobs[i].inode;
		uint8_t digest[BS_TREE_DIGEST_MAX];
		size_t len;

		memcpy(digest, bs_tree_inode_digest(inode, &len), sizeof(digest));
		r = bs_tree_inode_set_external(s->tree, inode, bs_tree_inode_stat(inode)->size, digest, len, s->err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n_jobs; i++)
		free(s->jobs[i].relpath);
	free(s->jobs);
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
	fill_stat(bs_tree_root(s.tree), &st);
	r = read_xattrs(&s, bs_tree_root(s.tree), ".");
	if (r >= 0)
		r = scan_dir(&s, rootfd, bs_tree_root(s.tree), rel, 0);
	if (r >= 0)
		r = hash_files(&s, rootfd);
	if (r >= 0)
		bs_tree_update_link_counts(s.tree);
	if (r >= 0 && stats) {
		stats->entries = s.entries;
		stats->hashed_files = s.n_jobs;
		stats->hashed_bytes = 0;
		for (size_t i = 0; i < s.n_jobs; i++)
			stats->hashed_bytes += bs_tree_inode_stat(s.jobs[i].inode)->size;
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

		fd = rootfd < 0 ? -errno : bs_open_beneath(rootfd, path, O_RDONLY | O_NOCTTY, 0);
	}
	if (fd == -ELOOP)
		return bs_error_set(err, fd, full, "a symbolic link in the path: refused, the tree's own files only");
	if (fd < 0)
		return bs_error_set(err, fd, full, "cannot open: %s", strerror(-fd));
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	r = bs_read_full(fd, buf, (size_t)size + 1, &got);
	if (r < 0)
		return bs_error_set(err, r, full, "cannot read: %s", strerror(-r));
	if (got != size)
		return bs_error_set(err, -EIO, full, "changed size while being read");
	*data = BS_STEAL(buf);
	*len = got;
	return 0;
}
