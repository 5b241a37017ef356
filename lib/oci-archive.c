/* SPDX-License-Identifier: MIT */
/*
 * Where the layout's files are read from: a directory (oci:), or an
 * uncompressed tar (oci-archive:) read in place — the tar is scanned once for
 * the data offset of each member, then blobs are read with pread at those
 * offsets, so nothing is extracted. A compressed archive has no usable
 * offsets: the members the index leads to are unpacked into the image's
 * private directory instead (unpack_archive, oci_archive_want).
 * An archive holds only the layout's files: anything else (links, devices,
 * other names, sparse or duplicate members) is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "hex.h"
#include "oci-internal.h"
#include "util.h"

/* The image's private directory: captured files, unpacked blobs. */
int oci_tmpdir(struct bs_oci_image *img, struct bs_error *err)
{
	_cleanup_free_ char *prefix = NULL;
	int r;

	if (img->tmp.path)
		return 0;
	if (asprintf(&prefix, "%s/bootseal-oci-", bs_tmpdir_base()) < 0)
		return -ENOMEM;
	/* 0700: captured files and unpacked blobs stay private. */
	r = bsi_tmpdir_create(&img->tmp, prefix);
	if (r < 0)
		return bs_error_set(err, r, NULL, "cannot create a temporary directory: %s", strerror(-r));
	return 0;
}

static int archive_dir_ok(const char *name)
{
	static const char *const dirs[] = { "", "blobs", "blobs/", "blobs/sha256", "blobs/sha256/" };

	for (size_t i = 0; i < BS_ARRAY_SIZE(dirs); i++)
		if (!strcmp(name, dirs[i]))
			return 1;
	return 0;
}

static int archive_name_ok(const char *name)
{
	if (!strcmp(name, "oci-layout") || !strcmp(name, "index.json"))
		return 1;
	return !strncmp(name, "blobs/sha256/", 13) && bsi_hex_lower(name + 13, 64);
}

static int member_cmp(const void *a, const void *b);

/*
 * A compressed archive cannot be read in place, and only the blobs the index
 * leads to are unpacked into our private directory (which bs_oci_image_free
 * removes): an archive of a few megabytes may hold gigabytes of zeros in a
 * member nothing references. The first pass unpacks oci-layout, index.json
 * and small members (JSON_MAX each, JSON_BUDGET together: the manifest and
 * config, usually) and notes the rest; oci_archive_want then unpacks what
 * the manifest names in one more pass. Skipped members are still
 * decompressed, never written.
 */
#define PACKED_JSON_BUDGET (16u << 20)

enum { MEMBER_NOTED, MEMBER_UNPACKED, MEMBER_WANTED };

static int open_packed(int fd, const char *file, struct archive **out, struct bs_error *err)
{
	struct archive *a;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return bs_error_set(err, -errno, file, "cannot seek: %s", strerror(errno));
	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		int r = bs_error_set(err, -EINVAL, file, "not an OCI archive: %s", archive_error_string(a));

		archive_read_free(a);
		return r;
	}
	*out = a;
	return 0;
}

/* After the last header (ar): the members sorted by name, each name once. */
static int members_end(struct bs_oci_image *img, struct archive *a, int ar, const char *file, struct bs_error *err)
{
	if (ar != ARCHIVE_EOF)
		return bs_error_set(err, -EBADMSG, file, "%s", archive_error_string(a));
	qsort(img->members, img->n_members, sizeof(*img->members), member_cmp);
	for (size_t i = 1; i < img->n_members; i++)
		if (!strcmp(img->members[i].name, img->members[i - 1].name))
			return bs_error_set(err, -EBADMSG, file, "%s: duplicate entry", img->members[i].name);
	return 0;
}

/* The entry's layout name, or NULL for a directory of the layout; an
 * entry that is neither is refused. */
static int entry_name(struct archive_entry *e, const char *file, const char **out, struct bs_error *err)
{
	const char *name = archive_entry_pathname(e);

	while (name && name[0] == '.' && name[1] == '/')
		name += 2;
	*out = NULL;
	if (name && archive_entry_filetype(e) == AE_IFDIR && archive_dir_ok(name))
		return 0;
	if (!name || archive_entry_filetype(e) != AE_IFREG || !archive_name_ok(name) ||
	    !archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return bs_error_set(err, -EBADMSG, file, "unexpected entry '%.200s' in an OCI archive",
				    name ? name : "");
	*out = name;
	return 0;
}

static int unpack_member(struct bs_oci_image *img, const char *file, struct archive *a,
			 struct archive_entry *e, const char *name, struct bs_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r = 0, ar;

	if (asprintf(&path, "%s/%s", img->tmp.path, name) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return bs_error_set(err, errno == EEXIST ? -EBADMSG : -errno, file, "%s: %s", name,
				    errno == EEXIST ? "duplicate entry" : strerror(errno));
	while ((ar = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
		if (lseek(fd, off, SEEK_SET) < 0 || (r = bsi_write_full(fd, buf, len)) < 0)
			return bs_error_set(err, r < 0 ? r : -errno, path, "cannot write: %s",
					    strerror(r < 0 ? -r : errno));
	if (ar != ARCHIVE_EOF || ftruncate(fd, archive_entry_size(e)) < 0)
		return bs_error_set(err, -EBADMSG, file, "%s: %s", name, archive_error_string(a));
	return 0;
}

static struct oci_member *find_member(const struct bs_oci_image *img, const char *name)
{
	struct oci_member key = { .name = (char *)name };

	return img->n_members ? bsearch(&key, img->members, img->n_members, sizeof(key), member_cmp) : NULL;
}

/* The first pass: every header checked and noted, the small members unpacked. */
static int unpack_archive(struct bs_oci_image *img, const char *file, struct archive *a,
			  struct bs_error *err)
{
	struct archive_entry *e;
	uint64_t budget = PACKED_JSON_BUDGET;
	size_t cap = 0;
	int r, ar;

	if ((r = oci_tmpdir(img, err)) < 0)
		return r;
	{
		char blobs[PATH_MAX];

		snprintf(blobs, sizeof(blobs), "%s/blobs", img->tmp.path);
		if (mkdir(blobs, 0700) == 0)
			snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", img->tmp.path);
		if (errno = 0, mkdir(blobs, 0700) < 0)
			return bs_error_set(err, -errno, blobs, "cannot create: %s", strerror(errno));
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name;
		uint64_t size;
		int small;

		if ((r = entry_name(e, file, &name, err)) < 0)
			return r;
		if (!name)
			continue;
		size = (uint64_t)archive_entry_size(e);
		small = !strcmp(name, "oci-layout") || !strcmp(name, "index.json");
		if (small && size > OCI_JSON_MAX)
			return bs_error_set(err, -EBADMSG, file, "%s: more than %u bytes", name, OCI_JSON_MAX);
		small = small || (size <= OCI_JSON_MAX && size <= budget);
		if (BSI_GROW(img->members, cap, img->n_members, 16) < 0)
			return -ENOMEM;
		img->members[img->n_members] = (struct oci_member){ strdup(name), MEMBER_NOTED, size };
		if (!img->members[img->n_members++].name)
			return -ENOMEM;
		if (!small)
			continue;
		if (size <= budget)
			budget -= size;
		img->members[img->n_members - 1].off = MEMBER_UNPACKED;
		if ((r = unpack_member(img, file, a, e, name, err)) < 0)
			return r;
	}
	r = members_end(img, a, ar, file, err);
	if (r < 0)
		return r;
	return (img->root = strdup(img->tmp.path)) ? 0 : -ENOMEM;
}

int oci_archive_want(struct bs_oci_image *img, const struct bs_oci_descriptor *const *d, size_t n,
		     struct bs_error *err)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	size_t wanted = 0;
	int r = 0, ar = ARCHIVE_OK;

	if (img->packed_fd < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char rel[OCI_DIGEST_LEN + 16];
		struct oci_member *m;

		snprintf(rel, sizeof(rel), "blobs/sha256/%s", d[i]->digest + 7);
		m = find_member(img, rel);
		/* A blob that is not there, or not of its descriptor's size, is
		 * left for oci_blob_open to report, without a pass. */
		if (m && m->off == MEMBER_NOTED && m->size == d[i]->size) {
			m->off = MEMBER_WANTED;
			wanted++;
		}
	}
	if (!wanted)
		return 0;
	if ((r = open_packed(img->packed_fd, img->packed, &a, err)) < 0)
		return r;
	while (wanted && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name;
		struct oci_member *m;

		if ((r = entry_name(e, img->packed, &name, err)) < 0)
			break;
		m = name ? find_member(img, name) : NULL;
		if (!m || m->off != MEMBER_WANTED)
			continue;
		/* The archive changed since the first pass: its blobs are checked
		 * by digest anyway, but not read past what was noted. */
		if ((uint64_t)archive_entry_size(e) != m->size) {
			r = bs_error_set(err, -EBADMSG, img->packed, "%s changed while it was read", name);
			break;
		}
		if ((r = unpack_member(img, img->packed, a, e, name, err)) < 0)
			break;
		m->off = MEMBER_UNPACKED;
		wanted--;
	}
	if (r >= 0 && wanted)
		r = bs_error_set(err, -EBADMSG, img->packed, "%s",
				 ar == ARCHIVE_EOF ? "changed while it was read" : archive_error_string(a));
	archive_read_free(a);
	return r;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct oci_member *)a)->name, ((const struct oci_member *)b)->name);
}

/* Member name → data offset and size; the tar itself stays open. */
static int index_archive(struct bs_oci_image *img, const char *file, struct archive *a,
			 struct bs_error *err)
{
	struct archive_entry *e;
	size_t cap = 0;
	int ar;

	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		while (name && name[0] == '.' && name[1] == '/')
			name += 2;
		if (name && archive_entry_filetype(e) == AE_IFDIR && archive_dir_ok(name))
			continue;
		if (!name || archive_entry_filetype(e) != AE_IFREG || !archive_name_ok(name) ||
		    archive_entry_sparse_count(e) || !archive_entry_size_is_set(e))
			return bs_error_set(err, -EBADMSG, file, "unexpected entry '%.200s' in an OCI archive",
					    name ? name : "");
		if (BSI_GROW(img->members, cap, img->n_members, 16) < 0)
			return -ENOMEM;
		/* Right after the header, the format reader stands at the data. */
		img->members[img->n_members] = (struct oci_member){
			strdup(name), (uint64_t)archive_filter_bytes(a, 0), (uint64_t)archive_entry_size(e) };
		if (!img->members[img->n_members++].name)
			return -ENOMEM;
	}
	return members_end(img, a, ar, file, err);
}

int oci_archive_open(struct bs_oci_image *img, const char *file, struct bs_error *err)
{
	struct archive *a = archive_read_new();
	struct stat st;
	int r = 0, fd;

	if (!a)
		return -ENOMEM;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, 0) < 0) {
		r = bs_error_set(err, fd < 0 ? -errno : -EINVAL, file, "cannot open: %s",
				 fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
		r = bs_error_set(err, -EINVAL, file, "not an OCI archive: %s", archive_error_string(a));
		goto out;
	}
	/* The first header has been read to detect the format and filter. */
	if (archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE) {
		r = index_archive(img, file, a, err);
		if (r >= 0 && !(img->root = strdup(file)))
			r = -ENOMEM;
		if (r >= 0) {
			img->archive_fd = fd;
			fd = -1;
		}
	} else {
		r = unpack_archive(img, file, a, err);
		if (r >= 0 && !(img->packed = strdup(file)))
			r = -ENOMEM;
		if (r >= 0) {
			img->packed_fd = fd;
			fd = -1;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	archive_read_free(a);
	return r;
}

int oci_file_open(const struct bs_oci_image *img, const char *name, struct oci_file *f)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	*f = (struct oci_file){ .fd = -1 };
	if (img->archive_fd >= 0) {
		struct oci_member key = { .name = (char *)name }, *m;

		m = img->n_members ? bsearch(&key, img->members, img->n_members, sizeof(key), member_cmp) : NULL;
		if (!m)
			return -ENOENT;
		*f = (struct oci_file){ .fd = img->archive_fd, .off = m->off, .size = m->size };
		return 0;
	}
	if (asprintf(&path, "%s/%s", img->root, name) < 0)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO in the layout is refused, not waited on. */
	f->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0)
		return -errno;
	f->owned = 1;
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(f->fd, F_SETFL, 0) < 0) {
		oci_file_close(f);
		return -EBADMSG;
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

ssize_t oci_file_read(struct oci_file *f, void *buf, size_t len)
{
	ssize_t n;

	if (len > f->size - f->pos)
		len = (size_t)(f->size - f->pos);
	if (!len)
		return 0;
	do
		n = pread(f->fd, buf, len, (off_t)(f->off + f->pos));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

int oci_file_read_full(struct oci_file *f, void *buf, size_t len, size_t *got)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = oci_file_read(f, (uint8_t *)buf + done, len - done);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

void oci_file_close(struct oci_file *f)
{
	if (f->owned && f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->owned = 0;
}
