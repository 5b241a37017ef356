/* SPDX-License-Identifier: MIT */
/*
 * Directory → bs_tree with composefs-rs's read rules (crates/composefs/src/fs.rs,
 * generic_tree.rs transform_for_oci, composefs-boot transform_for_boot and
 * selabel.rs at 0fbc8533, the revision bootc 534c76ea uses). The bootc
 * transforms are applied while reading rather than afterwards: the result is
 * the same tree, and emptied directories are never walked or hashed.
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

#include <bootseal/selabel.h>
#include <bootseal/workqueue.h>

#include "util.h"

#define CAPABILITY_XATTR "security.capability"
#define SELINUX_XATTR "security.selinux"

struct hash_job {
	struct bs_tree_inode *inode;
	char *relpath;
	int error;
};

/* A hardlinked file seen once, with the label its first link got. */
struct link {
	dev_t dev;
	ino_t ino;
	struct bs_tree_inode *inode;
	const char *label;
	size_t job;             /* its hash job, or SIZE_MAX when inline */
};

struct scan {
	struct bs_tree *tree;
	const struct bs_rootfs_options *opts;
	const char *root_path;
	struct bs_selabel *sel;
	struct bs_error *err;
	size_t inline_max;
	struct stat usr;
	int bootc;

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
	if (s->bootc) {
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

static int set_label(struct scan *s, struct bs_tree_inode *inode, const char *label)
{
	if (!label)
		return 0;
	return bs_tree_inode_add_xattr(s->tree, inode, SELINUX_XATTR, strlen(SELINUX_XATTR), label,
				       strlen(label), s->err);
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

/*
 * Clones a hardlinked leaf whose second link gets another label: composefs-rs
 * breaks the link there, and the clone gets its own content reference.
 */
static int clone_leaf(struct scan *s, const struct link *l, const char *rel, struct bs_tree_inode **out)
{
	struct bs_tree_inode *src = l->inode, *dst;
	const uint8_t *data;
	const char *payload;
	size_t len;
	int r;

	r = bs_tree_inode_new(s->tree, bs_tree_inode_stat(src)->mode, &dst, s->err);
	if (r < 0)
		return r;
	*bs_tree_inode_stat(dst) = *bs_tree_inode_stat(src);
	for (size_t i = 0; i < bs_tree_inode_xattr_count(src); i++) {
		const char *key;
		size_t key_len;

		bs_tree_inode_xattr(src, i, &key, &key_len, &data, &len);
		if (strcmp(key, SELINUX_XATTR) == 0)
			continue;
		r = bs_tree_inode_add_xattr(s->tree, dst, key, key_len, data, len, s->err);
		if (r < 0)
			return r;
	}
	data = bs_tree_inode_content(src, &len);
	if (data || (S_ISREG(bs_tree_inode_stat(src)->mode) && l->job == SIZE_MAX))
		r = bs_tree_inode_set_content(s->tree, dst, data, len, s->err);
	else if ((payload = bs_tree_inode_payload(src, &len)))
		r = bs_tree_inode_set_payload(s->tree, dst, payload, len, s->err);
	if (r < 0)
		return r;
	if (l->job != SIZE_MAX) {
		bs_tree_inode_stat(dst)->size = bs_tree_inode_stat(src)->size;
		r = add_hash_job(s, dst, rel);
		if (r < 0)
			return r;
	}
	*out = dst;
	return 0;
}

static int scan_dir(struct scan *s, int dirfd, struct bs_tree_inode *dir, char *rel, size_t rel_len,
		    char *label_path, size_t label_len);

/* The directories bootc empties, and whether / takes /usr's mtime nanoseconds too. */
static int bootc_emptied(const char *rel, int *whole_mtime)
{
	*whole_mtime = strcmp(rel, "run") == 0;
	return *whole_mtime || strcmp(rel, "boot") == 0 || strcmp(rel, "sysroot") == 0;
}

static int scan_entry(struct scan *s, int dirfd, struct bs_tree_inode *dir, const char *name,
		      char *rel, size_t rel_len, char *label_path, size_t label_len)
{
	size_t name_len = strlen(name), child_rel_len, child_label_len;
	struct bs_tree_inode *inode = NULL;
	const char *label = NULL, *alias;
	struct link *hard = NULL;
	struct stat st;
	int r;

	if (rel_len + name_len + 2 > PATH_MAX || label_len + name_len + 2 > PATH_MAX)
		return fail(s, rel, -ENAMETOOLONG, "path too long");
	child_rel_len = rel_len ? rel_len + 1 + name_len : name_len;
	if (rel_len)
		rel[rel_len] = '/';
	memcpy(rel + (rel_len ? rel_len + 1 : 0), name, name_len + 1);
	child_label_len = label_len == 1 ? 1 + name_len : label_len + 1 + name_len;
	label_path[label_len == 1 ? 1 : label_len] = '/';
	memcpy(label_path + child_label_len - name_len, name, name_len + 1);
	if (s->sel && (alias = bs_selabel_alias(s->sel, label_path, child_label_len))) {
		child_label_len = strlen(alias);
		if (child_label_len >= PATH_MAX)
			return fail(s, rel, -ENAMETOOLONG, "alias too long");
		memcpy(label_path, alias, child_label_len + 1);
	}
	s->entries++;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_errno(s, rel, "cannot stat");
	if (s->sel)
		label = bs_selabel_lookup(s->sel, label_path, child_label_len,
					  bs_selabel_type_of_mode(st.st_mode));

	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		if (s->n_links * 2 >= s->cap_links && (r = link_table_grow(s)) < 0)
			return r;
		hard = &s->links[link_slot(s, st.st_dev, st.st_ino)];
		if (hard->inode) {
			int same = (!label && !hard->label) ||
				   (label && hard->label && strcmp(label, hard->label) == 0);
			if (same)
				inode = hard->inode;
			else if ((r = clone_leaf(s, hard, rel, &inode)) < 0 || (r = set_label(s, inode, label)) < 0)
				return r;
			return bs_tree_dir_add(s->tree, dir, name, name_len, inode, s->err);
		}
	}

	r = bs_tree_inode_new(s->tree, st.st_mode & S_IFMT, &inode, s->err);
	if (r < 0)
		return fail(s, rel, r, "unsupported file type");
	fill_stat(inode, &st);
	r = read_xattrs(s, inode, rel);
	if (r < 0)
		return r;
	if ((r = set_label(s, inode, label)) < 0)
		return r;
	if (hard) {
		hard->dev = st.st_dev;
		hard->ino = st.st_ino;
		hard->inode = inode;
		hard->label = label;
		hard->job = SIZE_MAX;
		s->n_links++;
	}

	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		if ((size_t)st.st_size <= s->inline_max) {
			r = read_inline(s, dirfd, name, rel, inode, (size_t)st.st_size);
		} else {
			bs_tree_inode_stat(inode)->size = (uint64_t)st.st_size;
			if (hard)
				hard->job = s->n_jobs;
			r = add_hash_job(s, inode, rel);
		}
		break;
	case S_IFLNK: {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target));

		if (n < 0)
			return fail_errno(s, rel, "cannot read link");
		if ((size_t)n > PATH_MAX)
			return fail(s, rel, -ENAMETOOLONG, "symlink target too long");
		r = bs_tree_inode_set_payload(s->tree, inode, target, (size_t)n, s->err);
		bs_tree_inode_stat(inode)->size = (uint64_t)n;
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		bs_tree_inode_stat(inode)->rdev = st.st_rdev;
		break;
	default:
		break;
	}
	if (r < 0)
		return r;
	r = bs_tree_dir_add(s->tree, dir, name, name_len, inode, s->err);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return r;

	int whole_mtime;
	if (s->bootc && dir == bs_tree_root(s->tree) && bootc_emptied(rel, &whole_mtime)) {
		bs_tree_inode_stat(inode)->mtime_sec = s->usr.st_mtim.tv_sec;
		if (whole_mtime)
			bs_tree_inode_stat(inode)->mtime_nsec = (uint32_t)s->usr.st_mtim.tv_nsec;
		return 0;
	}
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(s, rel, "cannot open directory");
	return scan_dir(s, fd, inode, rel, child_rel_len, label_path, child_label_len);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct scan *s, int dirfd, struct bs_tree_inode *dir, char *rel, size_t rel_len,
		    char *label_path, size_t label_len)
{
	_cleanup_free_ char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0, fd;

	fd = dup(dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail_errno(s, rel_len ? rel : ".", "cannot read directory");
	}
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
	if (!r)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n && !r; i++) {
		r = scan_entry(s, dirfd, dir, names[i], rel, rel_len, label_path, label_len);
		rel[rel_len] = '\0';
		label_path[label_len] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return r;
}

struct hasher {
	struct scan *scan;
	int rootfd;
	struct bs_fsverity_ctx **ctx;
};

static int hash_one(void *arg, size_t worker, size_t item)
{
	struct hasher *h = arg;
	struct hash_job *job = &h->scan->jobs[item];
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
	return bs_tree_inode_set_digest(job->inode, digest, bs_fsverity_digest_size(h->ctx[worker]));
}

static int hash_files(struct scan *s, int rootfd)
{
	struct bs_fsverity_params params = { .hash_alg = s->opts->hash_alg ? s->opts->hash_alg
									   : BS_HASH_SHA512 };
	size_t jobs = s->opts->jobs ? s->opts->jobs : bs_workqueue_default_jobs(), failed = 0;
	struct hasher h = { .scan = s, .rootfd = rootfd };
	int r = 0;

	h.ctx = calloc(jobs, sizeof(*h.ctx));
	if (!h.ctx)
		return -ENOMEM;
	for (size_t i = 0; i < jobs && !r; i++)
		r = bs_fsverity_new(&params, &h.ctx[i]);
	if (!r)
		r = bs_workqueue_run(s->n_jobs, jobs, hash_one, &h, &failed);
	for (size_t i = 0; i < jobs; i++)
		bs_fsverity_free(h.ctx[i]);
	free(h.ctx);
	if (r < 0 && r != -ENOMEM) {
		errno = -r;
		return r == -EIO ? fail(s, s->jobs[failed].relpath, -EIO, "changed size while being read")
				 : fail_errno(s, s->jobs[failed].relpath, "cannot read");
	}
	if (r < 0)
		return r;
	/* The redirect composefs stores for external content: the digest as an object path. */
	for (size_t i = 0; i < s->n_jobs; i++) {
		size_t len;
		const uint8_t *d = bs_tree_inode_digest(s->jobs[i].inode, &len);
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 2];

		hex[0] = "0123456789abcdef"[d[0] >> 4];
		hex[1] = "0123456789abcdef"[d[0] & 15];
		hex[2] = '/';
		bs_hex_encode(d + 1, len - 1, hex + 3);
		r = bs_tree_inode_set_payload(s->tree, s->jobs[i].inode, hex, 2 * len + 1, s->err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* / takes /usr's metadata and xattrs (generic_tree.rs copy_root_metadata_from_usr). */
static int root_from_usr(struct scan *s, int rootfd)
{
	struct bs_tree_inode *root = bs_tree_root(s->tree);

	if (fstatat(rootfd, "usr", &s->usr, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? fail(s, "usr", -ENOENT, "missing: a bootc root filesystem needs /usr")
				       : fail_errno(s, "usr", "cannot stat");
	if (!S_ISDIR(s->usr.st_mode))
		return fail(s, "usr", -ENOTDIR, "not a directory");
	fill_stat(root, &s->usr);
	return read_xattrs(s, root, "usr");
}

static int bootc_required_dirs(struct scan *s, int rootfd)
{
	static const char *const required[] = { "boot", "sysroot" };
	struct bs_tree_inode *root = bs_tree_root(s->tree), *dir;
	struct stat st;
	int r;

	for (size_t i = 0; i < BS_ARRAY_SIZE(required); i++) {
		const char *name = required[i];

		if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!S_ISDIR(st.st_mode))
				return fail(s, name, -ENOTDIR, "not a directory");
			continue;
		}
		if (errno != ENOENT)
			return fail_errno(s, name, "cannot stat");
		if (!(s->opts->flags & BS_ROOTFS_CREATE_MISSING))
			return fail(s, name, -ENOENT,
				    "missing: bootc needs /boot and /sysroot (--create-missing-dirs creates them empty)");
		r = bs_tree_inode_new(s->tree, S_IFDIR, &dir, s->err);
		if (r < 0)
			return r;
		st = s->usr;
		st.st_mode = S_IFDIR | 0755;
		st.st_uid = st.st_gid = 0;
		fill_stat(dir, &st);
		if (s->sel) {
			char path[16];
			snprintf(path, sizeof(path), "/%s", name);
			r = set_label(s, dir, bs_selabel_lookup(s->sel, path, strlen(path), 'd'));
			if (r < 0)
				return r;
		}
		r = bs_tree_dir_add(s->tree, root, name, strlen(name), dir, s->err);
		if (r < 0)
			return r;
	}
	if (fstatat(rootfd, "run", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		return fail(s, "run", -ENOTDIR, "not a directory");
	return 0;
}

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n_jobs; i++)
		free(s->jobs[i].relpath);
	free(s->jobs);
	free(s->links);
	bs_selabel_free(s->sel);
}

static int set_link_counts(struct bs_tree_inode *dir)
{
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		struct bs_tree_inode *child = bs_tree_dir_child(dir, i, NULL, NULL);
		struct bs_tree_stat *st = bs_tree_inode_stat(child);

		if (S_ISDIR(st->mode))
			set_link_counts(child);
		else
			st->nlink = bs_tree_link_count(child);
	}
	return 0;
}

int bs_rootfs_read(const char *path, const struct bs_rootfs_options *opts, struct bs_tree **out,
		   struct bs_rootfs_stats *stats, struct bs_error *err)
{
	struct scan s = { .opts = opts, .root_path = path, .err = err };
	_cleanup_close_ int rootfd = -1;
	char rel[PATH_MAX + 1] = "", label_path[PATH_MAX + 1] = "/";
	struct stat st;
	int r;

	s.bootc = !!(opts->flags & BS_ROOTFS_BOOTC);
	s.inline_max = opts->inline_max ? opts->inline_max : 64;
	if (s.inline_max > 128)
		return bs_error_set(err, -EINVAL, path, "inline limit %zu is above 128 bytes", s.inline_max);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bs_error_set(err, -errno, path, "cannot open directory: %s", strerror(errno));
	r = bs_tree_new(&s.tree);
	if (r < 0)
		return r;
	if (s.bootc) {
		r = root_from_usr(&s, rootfd);
		if (r >= 0)
			r = bs_selabel_load(rootfd, path, &s.sel, err);
		if (r >= 0)
			r = bootc_required_dirs(&s, rootfd);
	} else if (fstat(rootfd, &st) < 0) {
		r = bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	} else {
		fill_stat(bs_tree_root(s.tree), &st);
		r = read_xattrs(&s, bs_tree_root(s.tree), ".");
	}
	if (r >= 0 && s.sel)
		r = set_label(&s, bs_tree_root(s.tree), bs_selabel_lookup(s.sel, "/", 1, 'd'));
	if (r >= 0)
		r = scan_dir(&s, rootfd, bs_tree_root(s.tree), rel, 0, label_path, 1);
	if (r >= 0)
		r = hash_files(&s, rootfd);
	if (r >= 0)
		r = set_link_counts(bs_tree_root(s.tree));
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
