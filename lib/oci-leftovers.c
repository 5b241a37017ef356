/* SPDX-License-Identifier: MIT */
/*
 * What a bootseal killed while adding an image to an existing layout leaves
 * there, and how the next one removes it. Adding is: blobs renamed in, then
 * index.json replaced. Before the first blob moves, their names go into a
 * journal (JOURNAL + 16 hex digits in the layout), removed once index.json
 * names them; the
 * index.json itself goes through bs_atomicfile, whose only leftover is a
 * hidden ".index.json.tmp-" + 16 hex digits. Both names are bootseal's own, so
 * the next run removes exactly what a killed one added and nothing any
 * index.json still reaches: other tags' blobs, and other tools' blobs, stay.
 * Runs hold an flock on the layout directory meanwhile, so no live run's
 * journal or temporary file is taken for a dead one's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/atomicfile.h>

#include "hex.h"
#include "oci-write.h"
#include "util.h"

#define JOURNAL ".bootseal-adding-blobs-"   /* + 16 hex digits */
#define INDEX_TMP ".index.json.tmp-"
#define MAX_JSON_BLOB (4u << 20)   /* larger is no manifest or index */
#define MAX_DEPTH 8

/* Digests (64 hex digits) that some index.json, manifest or nested index names. */
static int walk(const char *dir, json_object *obj, struct bsi_strv *r, int depth);

/* A descriptor's blob: remembered, and read in turn when it is a manifest or an index. */
static int add_descriptor(const char *dir, json_object *d, struct bsi_strv *r, int depth)
{
	json_object *v, *mt = NULL, *blob;
	_cleanup_free_ char *path = NULL;
	const char *hex, *type;
	struct stat st;
	int ret;

	if (!json_object_object_get_ex(d, "digest", &v) || !json_object_is_type(v, json_type_string))
		return 0;
	hex = json_object_get_string(v);
	if (strncmp(hex, "sha256:", 7) || !bsi_hex_lower(hex + 7, 64) || bsi_strv_contains(r, hex + 7))
		return 0;
	if (bsi_strv_add(r, strdup(hex + 7)) < 0)
		return -ENOMEM;
	json_object_object_get_ex(d, "mediaType", &mt);
	type = mt && json_object_is_type(mt, json_type_string) ? json_object_get_string(mt) : "";
	/* Layers and configs name no further blobs. */
	if (!strstr(type, "manifest") && !strstr(type, "index"))
		return 0;
	if (asprintf(&path, "%s/blobs/sha256/%s", dir, hex + 7) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	/* A manifest we cannot read might name anything: then nothing is removed. */
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_JSON_BLOB || depth >= MAX_DEPTH ||
	    !(blob = json_object_from_file(path)))
		return -EBADMSG;
	ret = walk(dir, blob, r, depth + 1);
	json_object_put(blob);
	return ret;
}

/* Every descriptor a manifest or index holds: config, layers, manifests, subject, blobs. */
static int walk(const char *dir, json_object *obj, struct bsi_strv *r, int depth)
{
	static const char *const singles[] = { "config", "subject" };
	static const char *const lists[] = { "manifests", "layers", "blobs" };
	json_object *v;
	int ret = 0;

	if (!json_object_is_type(obj, json_type_object))
		return -EBADMSG;
	for (size_t i = 0; i < BS_ARRAY_SIZE(singles) && ret == 0; i++)
		if (json_object_object_get_ex(obj, singles[i], &v) && json_object_is_type(v, json_type_object))
			ret = add_descriptor(dir, v, r, depth);
	for (size_t i = 0; i < BS_ARRAY_SIZE(lists) && ret == 0; i++) {
		if (!json_object_object_get_ex(obj, lists[i], &v) || !json_object_is_type(v, json_type_array))
			continue;
		for (size_t j = 0; j < json_object_array_length(v) && ret == 0; j++) {
			json_object *d = json_object_array_get_idx(v, j);

			if (json_object_is_type(d, json_type_object))
				ret = add_descriptor(dir, d, r, depth);
		}
	}
	return ret;
}

static int referenced(const char *dir, struct bsi_strv *r)
{
	_cleanup_free_ char *path = NULL;
	json_object *index;
	int ret;

	if (asprintf(&path, "%s/index.json", dir) < 0)
		return -ENOMEM;
	if (!(index = json_object_from_file(path)))
		return -EBADMSG;
	ret = walk(dir, index, r, 0);
	json_object_put(index);
	return ret;
}

/* The blobs a killed run's journal NAME lists that nothing references any more. */
static void remove_unreferenced(int dirfd, const char *name, const struct bsi_strv *r)
{
	char line[128], path[PATH_MAX];
	FILE *f;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!bsi_hex_lower(line, 64) || bsi_strv_contains(r, line))
			continue;
		snprintf(path, sizeof(path), "blobs/sha256/%s", line);
		(void)unlinkat(dirfd, path, 0);
	}
	fclose(f);
	(void)unlinkat(dirfd, name, 0);
}

/* NAME is PREFIX + 16 hex digits: a name bootseal made. */
static int ours(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	return !strncmp(name, prefix, len) && strlen(name) == len + 16 && bsi_hex_lower(name + len, 16);
}

static void remove_leftovers(int dirfd, const char *dir)
{
	struct bsi_strv r = { 0 };
	DIR *d = bsi_opendir_dup(dirfd);
	int known = -1;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if ((!ours(de->d_name, INDEX_TMP) && !ours(de->d_name, JOURNAL)) ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (ours(de->d_name, INDEX_TMP)) {
			(void)unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		/* Unsure what is referenced: every blob stays, and the journal for a later run. */
		if (known < 0)
			known = referenced(dir, &r) == 0;
		if (known)
			remove_unreferenced(dirfd, de->d_name, &r);
	}
	closedir(d);
	bsi_strv_done(&r);
}

int oci_layout_lock(const char *dest, struct bs_error *err)
{
	int fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return bs_error_set(err, -errno, dest, "cannot open: %s", strerror(errno));
	/* Blocking: two bootseal runs adding to one layout take turns. */
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;

		close(fd);
		return bs_error_set(err, r, dest, "cannot lock: %s", strerror(-r));
	}
	remove_leftovers(fd, dest);
	return fd;
}

int oci_journal_write(const char *dest, char *const *hex, size_t n, char name[OCI_JOURNAL_NAME],
		      struct bs_error *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	uint64_t nonce;
	size_t len = 0;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)getpid() * 2654435761u;
	snprintf(name, OCI_JOURNAL_NAME, JOURNAL "%016llx", (unsigned long long)nonce);
	if (asprintf(&path, "%s/%s", dest, name) < 0 || !(text = malloc(n * 65 + 1)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%.64s\n", hex[i]);
	return bs_atomicfile_write_all(path, text, len, 0644, 1, err);
}

void oci_journal_remove(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0)
		(void)fsync(dirfd);
}
