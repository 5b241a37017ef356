/* SPDX-License-Identifier: MIT */
/*
 * Putting a written image in place: a new oci: directory is renamed into
 * place whole; an existing layout gets our blobs and index entry, as skopeo
 * and umoci add to one; an oci-archive is the layout tarred in a fixed order
 * with fixed metadata and written through bs_atomicfile. The image is built
 * in a hidden directory beside the destination, so the renames stay on one
 * filesystem and a failure leaves the destination as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>

#include <bootseal/atomicfile.h>

#include "oci-write.h"
#include "tmpdir.h"
#include "util.h"

/* The names in DIR/blobs/sha256, DIR/blobs and DIR itself, each made durable. */
static int sync_layout_dirs(const char *dir, struct bs_error *err)
{
	static const char *const sub[] = { "/blobs/sha256", "/blobs", "" };
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < BS_ARRAY_SIZE(sub); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
		if ((r = bsi_sync_dir(path)) < 0)
			return bs_error_set(err, r, path, "cannot sync: %s", strerror(-r));
	}
	return 0;
}

/* A hidden directory beside dest: the rename at the end stays on one filesystem. */
int oci_make_tmp_layout(const char *dest, struct out_layout *o)
{
	const char *slash = strrchr(dest, '/');
	int dirlen = slash ? (int)(slash - dest + 1) : 0;
	_cleanup_free_ char *prefix = NULL;
	char blobs[PATH_MAX];
	int r;

	o->dest = dest;
	if (asprintf(&prefix, "%.*s.%s.tmp-", dirlen, dest, dest + dirlen) < 0)
		return -ENOMEM;
	/* Also removes what a killed run left beside the same destination. */
	r = bsi_tmpdir_create(&o->tmp, prefix);
	if (r < 0)
		return bs_error_set(o->err, r, dest, "cannot create a temporary directory beside it: %s", strerror(-r));
	/* The layout is public once in place; only keys need 0700. */
	chmod(o->tmp.path, 0755);
	snprintf(blobs, sizeof(blobs), "%s/blobs", o->tmp.path);
	if (mkdir(blobs, 0755) == 0)
		snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", o->tmp.path);
	if (errno = 0, mkdir(blobs, 0755) < 0)
		return bs_error_set(o->err, -errno, blobs, "cannot create: %s", strerror(errno));
	return 0;
}

static int is_layout(const char *dest)
{
	_cleanup_free_ char *marker = NULL;
	struct stat st;

	if (asprintf(&marker, "%s/oci-layout", dest) < 0)
		return 0;
	return lstat(dest, &st) == 0 && S_ISDIR(st.st_mode) && lstat(marker, &st) == 0 && S_ISREG(st.st_mode);
}

static json_object *read_index(const char *dir)
{
	_cleanup_free_ char *path = NULL;
	json_object *index, *list;

	if (asprintf(&path, "%s/index.json", dir) < 0)
		return NULL;
	index = json_object_from_file(path);
	if (!index || !json_object_object_get_ex(index, "manifests", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		json_object_put(index);
		return NULL;
	}
	return index;
}

static int tagged(json_object *m, const char *tag)
{
	json_object *ann, *name;

	return json_object_object_get_ex(m, "annotations", &ann) &&
	       json_object_object_get_ex(ann, REF_NAME_ANNOTATION, &name) &&
	       json_object_is_type(name, json_type_string) && !strcmp(json_object_get_string(name), tag);
}

/*
 * Like skopeo and umoci writing to an existing layout: our blobs join its
 * blobs (content-addressed, so one already there is the same), then its
 * index.json is replaced atomically with our entry in place of the one with
 * the same tag. On failure the blobs we added are removed again; killed, the
 * next run removes them (lib/oci-leftovers.c).
 */
static int merge_into(struct out_layout *o, const char *dest, const char *tag)
{
	char from[PATH_MAX], to[PATH_MAX], journal[OCI_JOURNAL_NAME] = "";
	char **added = NULL;
	int slots[64];                  /* a layout has a few blobs: config, manifest, layers */
	size_t n_added = 0, n_moved = 0;
	sigset_t old;
	json_object *ours = NULL, *theirs = NULL, *list, *merged, *ours_list;
	struct dirent *de;
	DIR *d = NULL;
	int r = 0, lock;

	/* Before index.json is read: a run adding another tag meanwhile would be lost. */
	lock = oci_layout_lock(dest, o->err);
	if (lock < 0)
		return lock;
	ours = read_index(o->tmp.path);
	theirs = read_index(dest);
	if (!ours || !theirs) {
		r = bs_error_set(o->err, -EBADMSG, dest, "index.json is not an image index");
		goto out;
	}
	snprintf(to, sizeof(to), "%s/blobs", dest);
	if (mkdir(to, 0755) < 0 && errno != EEXIST) {
		r = bs_error_set(o->err, -errno, to, "cannot create: %s", strerror(errno));
		goto out;
	}
	snprintf(to, sizeof(to), "%s/blobs/sha256", dest);
	if (mkdir(to, 0755) < 0 && errno != EEXIST) {
		r = bs_error_set(o->err, -errno, to, "cannot create: %s", strerror(errno));
		goto out;
	}
	snprintf(from, sizeof(from), "%s/blobs/sha256", o->tmp.path);
	if (!(d = opendir(from))) {
		r = bs_error_set(o->err, -errno, from, "cannot read: %s", strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) && r >= 0) {
		struct stat st;
		char **grown;

		if (de->d_name[0] == '.')
			continue;
		snprintf(to, sizeof(to), "%s/blobs/sha256/%s", dest, de->d_name);
		if (lstat(to, &st) == 0)
			continue;
		if (n_added == BS_ARRAY_SIZE(slots)) {
			r = bs_error_set(o->err, -EINVAL, from, "too many blobs");
			break;
		}
		if (!(grown = realloc(added, (n_added + 1) * sizeof(*added))) ||
		    !(grown[n_added] = strdup(de->d_name))) {
			if (grown)
				added = grown;
			r = -ENOMEM;
			break;
		}
		added = grown;
		n_added++;
	}
	/* The journal names every blob before the first one moves. */
	if (r >= 0 && n_added)
		r = oci_journal_write(dest, added, n_added, journal, o->err);
	for (; r >= 0 && n_moved < n_added; n_moved++) {
		snprintf(from, sizeof(from), "%s/blobs/sha256/%s", o->tmp.path, added[n_moved]);
		snprintf(to, sizeof(to), "%s/blobs/sha256/%s", dest, added[n_moved]);
		/* Until index.json names it, a signal takes the blob out again. */
		bsi_tmp_block_signals(&old);
		if (rename(from, to) < 0) {
			r = -errno;
			bsi_tmp_restore_signals(&old);
			r = bs_error_set(o->err, r, to, "cannot add blob: %s", strerror(-r));
			break;
		}
		slots[n_moved] = bsi_tmp_remember(to);
		bsi_tmp_restore_signals(&old);
	}
	/* The blobs are durable before an index.json names them. */
	if (r >= 0)
		r = sync_layout_dirs(dest, o->err);
	if (r >= 0) {
		merged = json_object_new_array();
		json_object_object_get_ex(theirs, "manifests", &list);
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *m = json_object_array_get_idx(list, i);
			if (!tagged(m, tag))
				json_object_array_add(merged, json_object_get(m));
		}
		json_object_object_get_ex(ours, "manifests", &ours_list);
		json_object_array_add(merged, json_object_get(json_object_array_get_idx(ours_list, 0)));
		json_object_object_add(theirs, "manifests", merged);
		snprintf(to, sizeof(to), "%s/index.json", dest);
		const char *text = json_object_to_json_string_ext(theirs, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE);
		/* Once index.json names the blobs a signal must not take them:
		 * no signal between the two. */
		bsi_tmp_block_signals(&old);
		r = bs_atomicfile_write_all(to, text, strlen(text), 0644, 0, o->err);
		for (size_t i = 0; i < n_added; i++) {
			bsi_tmp_forget(slots[i]);
			slots[i] = 0;
		}
		bsi_tmp_restore_signals(&old);
	}
	for (size_t i = 0; i < n_moved; i++) {
		snprintf(to, sizeof(to), "%s/blobs/sha256/%s", dest, added[i]);
		if (r < 0)
			unlink(to);
		bsi_tmp_forget(slots[i]);
	}
	if (journal[0])
		oci_journal_remove(lock, journal);
out:
	for (size_t i = 0; i < n_added; i++)
		free(added[i]);
	if (d)
		closedir(d);
	free(added);
	json_object_put(ours);
	json_object_put(theirs);
	close(lock);
	return r;
}

int oci_commit_dir(struct out_layout *o, const char *dest, const char *tag)
{
	int r;

	if ((r = sync_layout_dirs(o->tmp.path, o->err)) < 0)
		return r;
	if (renameat2(AT_FDCWD, o->tmp.path, AT_FDCWD, dest, RENAME_NOREPLACE) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			return bs_error_set(o->err, -errno, dest, "cannot rename into place: %s", strerror(errno));
		/* Only an image layout is written into, never some other directory. */
		if (!is_layout(dest))
			return bs_error_set(o->err, -EEXIST, dest, "exists and is not an OCI image layout");
		if ((r = merge_into(o, dest, tag)) < 0)
			return r;
		bsi_tmpdir_remove(&o->tmp);
	}
	bsi_tmpdir_keep(&o->tmp);
	if ((r = bsi_sync_parent_dir(dest)) < 0)
		return bs_error_set(o->err, r, dest, "cannot sync its directory: %s", strerror(-r));
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int archive_file(struct archive *a, struct archive_entry *e, const char *dir, const char *name,
			struct bs_error *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	uint8_t buf[1 << 16];
	struct stat st;
	ssize_t n;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, 0, 0);
	if (oci_entry_write(a, e, err) < 0)
		return -EIO;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n)
			return bs_error_set(err, -EIO, path, "cannot write: %s", archive_error_string(a));
	return n < 0 ? bs_error_set(err, -errno, path, "cannot read: %s", strerror(errno)) : 0;
}

struct archive_out {
	int fd;
	const char *dest;
	struct bs_error *err;
};

/* The error names the archive, not the blob being copied into it. */
static la_ssize_t fd_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct archive_out *out = arg;
	int r;

	(void)a;
	if (out->fd < 0)
		return -1;
	if ((r = bsi_write_full(out->fd, buf, len)) < 0) {
		bs_error_set(out->err, r, out->dest, "cannot write: %s", strerror(-r));
		out->fd = -1;
		return -1;
	}
	return (la_ssize_t)len;
}

/* oci-archive: the layout as one tar, in a fixed order with fixed metadata. */
int oci_commit_archive(struct out_layout *o, const char *dest)
{
	struct bs_atomicfile f;
	struct archive_out out = { .fd = -1, .dest = dest, .err = o->err };
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	char **names = NULL, blobs[PATH_MAX];
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", o->tmp.path);
	if (!(d = opendir(blobs)))
		return bs_error_set(o->err, -errno, blobs, "cannot read: %s", strerror(errno));
	/* A name missed here would be a blob missing from the archive. */
	while (r == 0 && (errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (BSI_GROW(names, cap, n, 16) < 0) {
			r = -ENOMEM;
			break;
		}
		if (asprintf(&names[n], "blobs/sha256/%s", de->d_name) < 0)
			r = -ENOMEM;
		else
			n++;
	}
	if (r == 0 && errno)
		r = bs_error_set(o->err, -errno, blobs, "cannot read: %s", strerror(errno));
	closedir(d);
	if (r < 0)
		goto out;
	qsort(names, n, sizeof(*names), name_cmp);
	r = bs_atomicfile_open(&f, dest, 0644, o->err);
	if (r < 0)
		goto out;
	a = archive_write_new();
	e = archive_entry_new();
	if (!a || !e) {
		r = -ENOMEM;
		goto abort;
	}
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	out.fd = f.fd;
	if (archive_write_open(a, &out, NULL, fd_write, NULL) != ARCHIVE_OK) {
		r = bs_error_set(o->err, -EIO, dest, "%s", archive_error_string(a));
		goto abort;
	}
	static const char *const dirs[] = { "blobs/", "blobs/sha256/" };
	r = archive_file(a, e, o->tmp.path, "oci-layout", o->err);
	for (size_t i = 0; i < 2 && r >= 0; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, dirs[i]);
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, 0755);
		archive_entry_set_mtime(e, 0, 0);
		r = oci_entry_write(a, e, o->err);
	}
	for (size_t i = 0; i < n && r >= 0; i++)
		r = archive_file(a, e, o->tmp.path, names[i], o->err);
	if (r >= 0)
		r = archive_file(a, e, o->tmp.path, "index.json", o->err);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = bs_error_set(o->err, -EIO, dest, "%s", archive_error_string(a));
	if (r >= 0)
		r = bs_atomicfile_commit(&f, 0, o->err);
abort:
	out.fd = -1;
	bs_atomicfile_abort(&f);
out:
	archive_write_free(a);
	archive_entry_free(e);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

