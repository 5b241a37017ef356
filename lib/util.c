/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <bootseal/error.h>

int bsi_grow(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
	void **p = pv, *grown;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : first;
	if (c <= n || !(grown = reallocarray(*p, c, size)))
		return -ENOMEM;
	*p = grown;
	*cap = c;
	return 0;
}

int bsi_push(void *pv, size_t *n, void *item)
{
	void ***p = pv, **grown = reallocarray(*p, *n + 1, sizeof(void *));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = item;
	*p = grown;
	return 0;
}

int bsi_reserve(void *pv, size_t *cap, size_t need)
{
	void **p = pv, *grown;
	size_t c = *cap * 2 > need ? *cap * 2 : need;

	if (need <= *cap)
		return 0;
	if (!(grown = realloc(*p, c)))
		return -ENOMEM;
	*p = grown;
	*cap = c;
	return 0;
}

int bsi_strv_add(struct bsi_strv *l, char *s)
{
	if (!s || BSI_GROW(l->v, l->cap, l->n, 16) < 0) {
		free(s);
		return -ENOMEM;
	}
	l->v[l->n++] = s;
	return 0;
}

int bsi_strv_addn(struct bsi_strv *l, const char *s, size_t len)
{
	return bsi_strv_add(l, strndup(s, len));
}

int bsi_strv_contains(const struct bsi_strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void bsi_strv_sort(struct bsi_strv *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void bsi_strv_done(struct bsi_strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct bsi_strv){ 0 };
}

int bsi_strv_read_dir(struct bsi_strv *l, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int r = 0;

	if (!d)
		return -errno;
	while (r >= 0 && (errno = 0, e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = bsi_strv_add(l, strdup(e->d_name));
	if (r >= 0 && errno)
		r = -errno;
	closedir(d);
	if (r >= 0)
		bsi_strv_sort(l);
	return r;
}

int bsi_read_full(int fd, void *buf, size_t len, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

int bsi_write_full(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return 0;
}

int bsi_nomem(struct bs_error *err, int r, const char *path)
{
	return r == -ENOMEM ? bs_error_set(err, r, path, "out of memory") : r;
}

int bsi_open_regular(const char *path, int flags, struct stat *st, struct bs_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags), r;

	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	if (fstat(fd, st) < 0)
		r = bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	else if (!S_ISREG(st->st_mode))
		r = bs_error_set(err, -EINVAL, path, "not a regular file");
	else
		return fd;
	close(fd);
	return r;
}

static int read_fd(int fd, const char *path, size_t max, uint8_t **buf, size_t *len, struct bs_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct stat st;
	size_t got;
	int r;

	if (fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bs_error_set(err, -EINVAL, path, "not a regular file");
	if ((uint64_t)st.st_size > max)
		return bs_error_set(err, -EFBIG, path, "larger than %zu bytes", max);
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		return -ENOMEM;
	r = bsi_read_full(fd, data, (size_t)st.st_size, &got);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	if (got != (size_t)st.st_size)
		return bs_error_set(err, -EIO, path, "file changed while it was read");
	data[got] = 0;
	*buf = BS_STEAL(data);
	*len = got;
	return 0;
}

int bsi_read_file(const char *path, int open_flags, size_t max, uint8_t **buf, size_t *len,
		  struct bs_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | open_flags);

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	return read_fd(fd, path, max, buf, len, err);
}

/* Before openat2: each directory opened with O_NOFOLLOW, the last name too. */
static int open_beneath_walk(int dirfd, const char *path, int flags, mode_t mode)
{
	_cleanup_close_ int cur = -1;
	int at = dirfd;

	for (;;) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		char name[NAME_MAX + 1];
		int fd;

		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 2 && path[0] == '.' && path[1] == '.')
			return -EXDEV;
		memcpy(name, path, n);
		name[n] = 0;
		if (!slash) {
			fd = openat(at, n ? name : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
			/* O_PATH | O_NOFOLLOW opens the link itself: not what was asked for. */
			if (fd >= 0 && (flags & O_PATH)) {
				struct stat st;

				if (fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
					close(fd);
					return -ELOOP;
				}
			}
			return fd < 0 ? -errno : fd;
		}
		if (n) {
			fd = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				struct stat st;

				/* O_DIRECTORY | O_NOFOLLOW on a link says ENOTDIR: say what it is. */
				if (errno == ENOTDIR && fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode))
					return -ELOOP;
				return -errno;
			}
			if (cur >= 0)
				close(cur);
			at = cur = fd;
		}
		path = slash + 1;
	}
}

int bsi_open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	long fd;

	if (*path == '/')
		return -EXDEV;
	fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS)
		return open_beneath_walk(dirfd, path, flags, mode);
	return -errno;
}

int bsi_read_file_beneath(const char *root, const char *rel, size_t max, uint8_t **buf, size_t *len,
			  struct bs_error *err)
{
	_cleanup_close_ int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	char full[PATH_MAX + 256];

	*buf = NULL;
	*len = 0;
	snprintf(full, sizeof(full), "%s/%s", root, rel);
	if (dir < 0)
		return bs_error_set(err, -errno, root, "cannot open: %s", strerror(errno));
	fd = bsi_open_beneath(dir, rel, O_RDONLY | O_NOCTTY, 0);
	if (fd == -ELOOP)
		return bs_error_set(err, fd, full, "a symbolic link in the path: refused, the tree's own files only");
	if (fd == -EXDEV)
		return bs_error_set(err, fd, full, "the path leaves the tree: refused");
	if (fd < 0)
		return bs_error_set(err, fd, full, "cannot open: %s", strerror(-fd));
	return read_fd(fd, full, max, buf, len, err);
}

int bsi_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

size_t bsi_utf8_encode(uint32_t c, uint8_t out[4])
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (uint8_t)(0xe0 | c >> 12);
		out[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | c >> 18);
	out[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

int bsi_utf8_valid(const void *s, size_t len)
{
	const uint8_t *p = s, *end = p + len;

	while (p < end) {
		uint8_t c = *p;
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 2, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			n = 3, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			n = 4, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if ((size_t)(end - p) < n)
			return 0;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n;
	}
	return 1;
}

size_t bsi_utf8_space(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp;

	if (!len)
		return 0;
	if (p[0] < 0x80)
		return p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r');
	if (p[0] == 0xc2 && len >= 2)
		return p[1] == 0x85 || p[1] == 0xa0 ? 2 : 0;
	if ((p[0] & 0xf0) != 0xe0 || len < 3)
		return 0;
	cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000)
		return 3;
	return 0;
}

DIR *bsi_opendir_dup(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (!(d = fdopendir(fd))) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return d;
}

int bsi_sync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
}

int bsi_sync_parent_dir(const char *path)
{
	_cleanup_free_ char *dir = bsi_parent_dir(path);

	return dir ? bsi_sync_dir(dir) : -ENOMEM;
}
