/* SPDX-License-Identifier: MIT */
/* Internal helpers shared by the modules; not part of the public API. */
#ifndef BOOTSEAL_UTIL_H
#define BOOTSEAL_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>


static inline void bsi_freep(void *p) { free(*(void **)p); }
static inline void bsi_closep(int *fd) { if (*fd >= 0) close(*fd); }

#define _cleanup_free_ __attribute__((cleanup(bsi_freep)))
#define _cleanup_close_ __attribute__((cleanup(bsi_closep)))
#define _cleanup_(f) __attribute__((cleanup(f)))

#define BS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Hands ownership to the caller: the cleanup attribute then sees NULL. */
static inline void *bsi_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}
#define BS_STEAL(p) bsi_steal_ptr(&(p))

/*
 * Room for element n of the array *pv, of elements of size bytes and
 * capacity *cap: doubled when full (first elements when empty). 0, or
 * -ENOMEM with the array and *cap unchanged. BSI_GROW(arr, cap, n, first)
 * names the array itself.
 */
int bsi_grow(void *pv, size_t *cap, size_t n, size_t size, size_t first);
#define BSI_GROW(arr, cap, n, first) bsi_grow(&(arr), &(cap), (n), sizeof(*(arr)), (first))
/* Appends the pointer item to the array *pv of *n pointers, grown by one:
 * 0, or -ENOMEM with item still the caller's. */
int bsi_push(void *pv, size_t *n, void *item);
/* qsort's and bsearch's order of uint32_t values. */
int bsi_cmp_u32(const void *a, const void *b);
/* Room for need bytes in the buffer *pv of capacity *cap: at least doubled
 * when it grows. 0, or -ENOMEM with the buffer and *cap unchanged. */
int bsi_reserve(void *pv, size_t *cap, size_t need);

/* The directory part of PATH ("." for a bare name, "/" for "/x"); malloc'd, NULL without memory. */
static inline char *bsi_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

/* Every on-disk format bootseal touches is little-endian; never cast structs over bytes. */
static inline uint16_t bsi_get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t bsi_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t bsi_get_le64(const uint8_t *p)
{
	return (uint64_t)bsi_get_le32(p) | (uint64_t)bsi_get_le32(p + 4) << 32;
}
static inline void bsi_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void bsi_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void bsi_put_le64(uint8_t *p, uint64_t v)
{
	bsi_put_le32(p, (uint32_t)v);
	bsi_put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * A whole regular file into a malloc'ed buffer (NUL-terminated, not counted
 * in *len). open_flags are added to O_RDONLY (e.g. O_NOFOLLOW). Larger than
 * max: -EFBIG. Errors name path.
 */
struct bs_error;
int bsi_read_file(const char *path, int open_flags, size_t max, uint8_t **buf, size_t *len,
		  struct bs_error *err);

/*
 * fsync of a directory, so that names created in or renamed into it survive
 * a crash; bsi_sync_parent_dir syncs the one holding PATH. File systems that
 * cannot sync a directory (EINVAL) count as synced. 0 or -errno.
 */
int bsi_sync_dir(const char *dir);
int bsi_sync_parent_dir(const char *path);

/*
 * Opens path (relative) below the directory dirfd the way
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) does: no symbolic link in
 * any component, the last included, no "..", nothing absolute. A tree being
 * sealed or read is the image author's: a link in it must not send a read
 * or a write outside it. The fd or -errno: -ELOOP when a symlink was met,
 * -EXDEV for a path that would leave dirfd. Kernels without openat2 (before
 * 5.6) get the same rules component by component.
 */
int bsi_open_beneath(int dirfd, const char *path, int flags, mode_t mode);
/* bsi_read_file for ROOT/REL opened with bsi_open_beneath; errors name ROOT/REL
 * and say when a symlink was refused. */
int bsi_read_file_beneath(const char *root, const char *rel, size_t max, uint8_t **buf, size_t *len,
			  struct bs_error *err);

/* A list of malloc()ed strings; bsi_strv_done frees them and the list. */
struct bsi_strv {
	char **v;
	size_t n, cap;
};
/* Takes s (freed when the list cannot grow); 0 or -ENOMEM. */
int bsi_strv_add(struct bsi_strv *l, char *s);
/* Adds a copy of the len bytes at s. */
int bsi_strv_addn(struct bsi_strv *l, const char *s, size_t len);
int bsi_strv_contains(const struct bsi_strv *l, const char *s);
void bsi_strv_sort(struct bsi_strv *l);
void bsi_strv_done(struct bsi_strv *l);
/* The names in directory path, but . and .., in byte order: 0 or -errno
 * (the caller says what a missing directory means). */
int bsi_strv_read_dir(struct bsi_strv *l, const char *path);

/*
 * A directory stream over a duplicate of dirfd, so closedir() leaves dirfd
 * open for the *at() calls that go with the walk. NULL with errno set.
 */
#include <dirent.h>
DIR *bsi_opendir_dup(int dirfd);

/* r, naming -ENOMEM "out of memory" in err when nothing else is there. */
int bsi_nomem(struct bs_error *err, int r, const char *path);

/* path opened read-only (with flags), and *st: a descriptor, or -errno with
 * err naming path ("not a regular file" -EINVAL for anything else). */
int bsi_open_regular(const char *path, int flags, struct stat *st, struct bs_error *err);

/* Reads and writes that retry on EINTR and short counts; 0 or -errno. */
int bsi_read_full(int fd, void *buf, size_t len, size_t *got);
int bsi_write_full(int fd, const void *buf, size_t len);

/* Whether s is well-formed UTF-8 as Rust's str::from_utf8 takes it (no
 * overlong forms, surrogates or code points past U+10FFFF). */
int bsi_utf8_valid(const void *s, size_t len);
/* Scalar value c (not checked) as 1 to 4 bytes of UTF-8 at out; their number. */
size_t bsi_utf8_encode(uint32_t c, uint8_t out[4]);

/* The length of the whitespace character s starts with (Unicode White_Space,
 * what Rust's split_whitespace and trim split on), or 0. s is well-formed
 * UTF-8 of at least len bytes. */
size_t bsi_utf8_space(const char *s, size_t len);

#endif
