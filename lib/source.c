/* SPDX-License-Identifier: MIT */
#include <bootseal/source.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <bootseal/bootc.h>
#include <bootseal/composefs.h>
#include <bootseal/dump.h>
#include <bootseal/erofs.h>
#include <bootseal/oci.h>
#include <bootseal/rootfs.h>
#include <bootseal/uki.h>

#include "util.h"

#define EROFS_MAGIC_OFFSET 1024
#define EROFS_MAGIC 0xe0f5e1e2u
#define FILE_MAX (1ull << 32)

struct bs_source {
	struct bs_tree *tree;           /* owned unless img owns it */
	struct bs_oci_image *img;
	char *dir;                      /* a directory source */
	const struct bs_source_options *opts;   /* during open only */
	struct bs_source_file *files;
	size_t n_files;
};

/* What a seal check reads besides the tree: the signed boot binaries. */
static const char *const boot_patterns[] = {
	"boot/EFI/Linux/*.efi",
	"boot/EFI/systemd/*.efi",
	"boot/EFI/BOOT/*.[eE][fF][iI]",
	"usr/lib/systemd/boot/efi/systemd-boot*.efi",
	"usr/lib/systemd/boot/efi/*.efi.signed",
};

/* Any EFI binary in /boot: nothing signs /boot, so a seal check looks at all of them. */
static int is_boot_efi(const char *path, size_t len)
{
	return len > 9 && strncmp(path, "boot/", 5) == 0 && strcasecmp(path + len - 4, ".efi") == 0;
}

static int is_boot_file(const char *path)
{
	if (is_boot_efi(path, strlen(path)))
		return 1;
	for (size_t i = 0; i < BS_ARRAY_SIZE(boot_patterns); i++)
		if (fnmatch(boot_patterns[i], path, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

static int read_captured(void *ctx, const char *path, const struct bs_tree_inode *inode, uint8_t **data,
			 size_t *len, struct bs_error *err);
static int read_whole(const char *path, uint8_t **data, size_t *len, struct bs_error *err);

void bs_source_free(struct bs_source *src)
{
	if (!src)
		return;
	if (src->img)
		bs_oci_image_free(src->img);
	else
		bs_tree_free(src->tree);
	for (size_t i = 0; i < src->n_files; i++) {
		free(src->files[i].path);
		free(src->files[i].data);
	}
	free(src->files);
	free(src->dir);
	free(src);
}

struct bs_oci_image *bs_source_oci_image(struct bs_source *src)
{
	if (!src)
		return NULL;
	return src->img;
}

const char *bs_source_dir(const struct bs_source *src)
{
	if (!src)
		return NULL;
	return src->dir;
}

int bs_source_read_file(struct bs_source *src, const char *path, uint8_t **data, size_t *len,
			struct bs_error *err)
{
	if (!src || !path || !data || !len)
		return bs_error_set(err, -EINVAL, NULL, "bs_source_read_file: a NULL argument");
	char full[PATH_MAX];

	if (src->img)
		return read_captured(src->img, path, NULL, data, len, err);
	if (!src->dir)
		return bs_error_set(err, -ENODATA, path, "file contents are not available from this source");
	if (!bs_tree_lookup_path(src->tree, path))
		return -ENOENT;
	if (snprintf(full, sizeof(full), "%s/%s", src->dir, path) >= (int)sizeof(full))
		return bs_error_set(err, -ENAMETOOLONG, path, "path too long");
	return bsi_read_file_beneath(src->dir, path, FILE_MAX, data, len, err);
}

struct bs_tree *bs_source_tree(struct bs_source *src)
{
	if (!src)
		return NULL;
	return src->tree;
}

void bs_source_boot_files(const struct bs_source *src, const struct bs_source_file **files, size_t *n)
{
	if (!src || !files || !n)
		return;
	*files = src->files;
	*n = src->n_files;
}

static int add_file(struct bs_source *src, const char *path, const uint8_t *data, size_t len,
		    uint8_t *owned)
{
	struct bs_source_file *f = realloc(src->files, (src->n_files + 1) * sizeof(*f));

	if (!f)
		return -ENOMEM;
	src->files = f;
	f = &src->files[src->n_files];
	f->path = strdup(path);
	f->data = owned ? owned : malloc(len ? len : 1);
	if (!f->path || !f->data) {
		free(f->path);
		free(f->data);
		return -ENOMEM;
	}
	if (!owned && len)
		memcpy(f->data, data, len);
	f->len = len;
	src->n_files++;
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bs_source_file *)a)->path, ((const struct bs_source_file *)b)->path);
}

static int read_whole(const char *path, uint8_t **data, size_t *len, struct bs_error *err)
{
	return bsi_read_file(path, O_NOFOLLOW, FILE_MAX, data, len, err);
}

/* REL under root: a *.efi file of any depth below boot/, or a pattern's match. */
static int collect_dir(struct bs_source *src, const char *root, int rootfd, char *rel, size_t len, int depth,
		       struct bs_error *err)
{
	_cleanup_close_ int fd = bsi_open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY, 0);
	struct dirent *de;
	DIR *d;
	int r = 0;

	char full[PATH_MAX * 2];

	snprintf(full, sizeof(full), "%s/%s", root, rel);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd == -ELOOP)
		return bs_error_set(err, fd, full, "a symbolic link in the path: refused, the tree's own files only");
	if (fd < 0)
		return bs_error_set(err, fd, full, "cannot open: %s", strerror(-fd));
	if (depth > 32)
		return bs_error_set(err, -ELOOP, full, "directories nested too deep");
	if (!(d = fdopendir(fd)))
		return bs_error_set(err, -errno, full, "cannot read: %s", strerror(errno));
	fd = -1;
	while (!r && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		unsigned type = de->d_type;
		uint8_t *data;
		size_t dlen;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + 1 + n >= PATH_MAX) {
			r = bs_error_set(err, -ENAMETOOLONG, full, "path too long");
			break;
		}
		if (type == DT_UNKNOWN)
			type = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? DT_UNKNOWN
			       : S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		if (type == DT_DIR && strncmp(rel, "boot/", 5) == 0) {
			r = collect_dir(src, root, rootfd, rel, len + 1 + n, depth + 1, err);
		} else if (type == DT_REG && is_boot_file(rel)) {
			r = bsi_read_file_beneath(root, rel, BS_UKI_MAX, &data, &dlen, err);
			if (r == -EFBIG) {
				bs_error_clear(err);   /* a message that names the bound's purpose */
				char file[PATH_MAX * 2 + NAME_MAX + 2];

				snprintf(file, sizeof(file), "%s/%s", full, de->d_name);
				r = bs_error_set(err, r, file, "larger than %llu bytes (%llu MiB), the bound on a boot file",
						 BS_UKI_MAX, BS_UKI_MAX >> 20);
			}
			if (r >= 0 && (r = add_file(src, rel, NULL, dlen, data)) < 0)
				free(data);
		} else if (type != DT_DIR && is_boot_efi(rel, len + 1 + n)) {
			/* A link or device named like an EFI binary: listed, empty, for the checks to refuse. */
			r = add_file(src, rel, NULL, 0, NULL);
		}
		rel[len] = 0;
	}
	closedir(d);
	return r;
}

/* Boot files of a directory: every EFI binary in boot/, systemd-boot in usr. */
static int collect_dir_files(struct bs_source *src, const char *root, struct bs_error *err)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char rel[PATH_MAX];
	int r;

	if (rootfd < 0)
		return bs_error_set(err, -errno, root, "cannot open: %s", strerror(errno));
	strcpy(rel, "boot");
	r = collect_dir(src, root, rootfd, rel, strlen(rel), 0, err);
	if (r >= 0) {
		strcpy(rel, "usr/lib/systemd/boot/efi");
		r = collect_dir(src, root, rootfd, rel, strlen(rel), 0, err);
	}
	return r;
}

static int open_dir(struct bs_source *src, const char *path, const struct bs_source_options *opts,
		    struct bs_error *err)
{
	int raw = opts->flags & BS_SOURCE_RAW;
	struct bs_rootfs_options ropts = {
		.jobs = opts->jobs,
		.hash_alg = BS_COMPOSEFS_HASH,
		.flags = raw ? 0 : BS_ROOTFS_CAPABILITY_ONLY | BS_ROOTFS_SKIP_BOOT_DIRS,
		.progress = opts->progress,
		.progress_ctx = opts->progress_ctx,
	};
	struct bs_content_source content = { bs_rootfs_read_file, (void *)path };
	int r;

	src->dir = strdup(path);
	if (!src->dir)
		return -ENOMEM;
	if (opts->flags & BS_SOURCE_BOOT_FILES) {
		r = collect_dir_files(src, path, err);
		if (r < 0)
			return r;
	}
	r = bs_rootfs_read(path, &ropts, &src->tree, NULL, err);
	if (r < 0 || raw)
		return r;
	return bs_bootc_transform(src->tree,
				  opts->flags & BS_SOURCE_CREATE_MISSING ? BS_BOOTC_CREATE_MISSING : 0,
				  &content, path, err);
}

/* OCI layers: the policy and boot files are captured while the layers stream. */
struct oci_capture {
	struct bs_source *src;
	char **paths;
	size_t n;
	int failed;
};

static int want_file(void *ctx, const char *path)
{
	struct oci_capture *c = ctx;
	int boot = is_boot_file(path);

	for (size_t i = 0; i < c->src->opts->n_capture; i++)
		if (fnmatch(c->src->opts->capture[i], path, FNM_PATHNAME) == 0)
			return 1;

	if (boot) {
		char *copy = strdup(path);

		if (!copy || bsi_push(&c->paths, &c->n, copy) < 0) {
			free(copy);
			c->failed = 1;
			return 1;
		}
	}
	/* bs_bootc_transform reads the BLS entries, as bootc does. */
	return boot || strncmp(path, "etc/selinux/", 12) == 0 ||
	       fnmatch("boot/loader/entries/*.conf", path, FNM_PATHNAME) == 0;
}

static int read_captured(void *ctx, const char *path, const struct bs_tree_inode *inode, uint8_t **data,
			 size_t *len, struct bs_error *err)
{
	const uint8_t *bytes;
	int r;

	(void)inode;
	r = bs_oci_image_file(ctx, path, &bytes, len, err);
	if (r < 0)
		return r;
	*data = malloc(*len ? *len : 1);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, bytes, *len);
	return 0;
}

/* The layer reader's progress as a bs_progress: compressed bytes of all
 * layers, files hashed so far (their total is known only at the end). */
struct oci_progress {
	struct bs_source *src;
	unsigned long long blob_total;
	size_t files;
	char phase[48];
};

static void oci_progress(void *ctx, size_t layer, size_t n_layers, const struct bs_oci_flatten_stats *st)
{
	struct oci_progress *op = ctx;
	struct bs_progress p = { .phase = op->phase, .files_done = st->hashed_files,
				 .bytes_done = st->blob_bytes, .bytes_total = op->blob_total };

	snprintf(op->phase, sizeof(op->phase), "reading layer %zu/%zu", layer + 1, n_layers);
	op->files = st->hashed_files;
	op->src->opts->progress(op->src->opts->progress_ctx, &p);
}

/* EFI binaries of the image's /boot the capture missed. */
static int collect_tree(struct bs_source *src, struct bs_tree_inode *dir, char *rel, size_t len, int depth,
			struct bs_error *err)
{
	int r = 0;

	if (depth > 32)
		return bs_error_set(err, -ELOOP, rel, "directories nested too deep");
	for (size_t i = 0; r >= 0 && i < bs_tree_dir_count(dir); i++) {
		const char *name;
		size_t n, present = 0;
		struct bs_tree_inode *c = bs_tree_dir_child(dir, i, &name, &n);
		uint32_t mode = bs_tree_inode_stat(c)->mode;

		if (len + 1 + n >= PATH_MAX)
			return bs_error_set(err, -ENAMETOOLONG, rel, "path too long");
		rel[len] = '/';
		memcpy(rel + len + 1, name, n);
		rel[len + 1 + n] = 0;
		for (size_t j = 0; j < src->n_files; j++)
			present |= strcmp(src->files[j].path, rel) == 0;
		if (S_ISDIR(mode)) {
			r = collect_tree(src, c, rel, len + 1 + n, depth + 1, err);
		} else if (!present && is_boot_efi(rel, len + 1 + n)) {
			const uint8_t *data = NULL;
			size_t dlen = 0;

			if (S_ISREG(mode))
				r = bs_oci_image_file(src->img, rel, &data, &dlen, err);
			if (r >= 0)
				r = add_file(src, rel, data, dlen, NULL);
		}
		rel[len] = 0;
	}
	return r;
}

static int open_oci(struct bs_source *src, const char *spec, const struct bs_source_options *opts,
		    struct bs_error *err)
{
	struct oci_capture cap = { .src = src };
	struct oci_progress op = { .src = src };
	struct bs_oci_flatten_options fopts = { .hash_alg = BS_COMPOSEFS_HASH,
						.flags = opts->flags & BS_SOURCE_SPOOL_ALWAYS ? BS_OCI_FLATTEN_SPOOL
							 : opts->flags & BS_SOURCE_SPOOL ? BS_OCI_FLATTEN_SPOOL_LAYERED
											 : 0,
						.capture = want_file,
						.capture_ctx = &cap, .capture_max = BS_UKI_MAX,
						.entry = opts->layer_entry,
						.entry_ctx = opts->layer_entry_ctx,
						.progress = opts->progress ? oci_progress : NULL,
						.progress_ctx = &op };
	struct bs_content_source content;
	int r;

	r = bs_oci_image_open(spec, &src->img, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < bs_oci_image_layer_count(src->img); i++)
		op.blob_total += bs_oci_image_layer(src->img, i)->size;
	r = bs_oci_image_flatten(src->img, &fopts, NULL, err);
	if (r >= 0 && opts->progress) {
		struct bs_progress p = { .phase = op.phase, .files_done = op.files, .bytes_done = op.blob_total,
					 .bytes_total = op.blob_total, .done = 1 };

		opts->progress(opts->progress_ctx, &p);
	}
	if (r >= 0 && cap.failed)
		r = -ENOMEM;
	/* A captured path may have been replaced or deleted by a later layer. */
	for (size_t i = 0; r >= 0 && i < cap.n; i++) {
		const uint8_t *data;
		size_t len;
		int present = 0;

		for (size_t j = 0; j < src->n_files; j++)
			present |= strcmp(src->files[j].path, cap.paths[i]) == 0;
		if (present || !(opts->flags & BS_SOURCE_BOOT_FILES))
			continue;
		r = bs_oci_image_file(src->img, cap.paths[i], &data, &len, NULL);
		if (r == -ENOENT || r == -ENODATA) {
			r = 0;
			continue;
		}
		if (r >= 0)
			r = add_file(src, cap.paths[i], data, len, NULL);
	}
	for (size_t i = 0; i < cap.n; i++)
		free(cap.paths[i]);
	free(cap.paths);
	if (r < 0)
		return r;
	src->tree = bs_oci_image_tree(src->img);
	if (opts->flags & BS_SOURCE_BOOT_FILES) {
		/* Hardlinks and non-files in /boot are not seen by the capture. */
		char rel[PATH_MAX] = "boot";
		struct bs_tree_inode *boot = bs_tree_lookup_path(src->tree, "boot");

		if (boot && S_ISDIR(bs_tree_inode_stat(boot)->mode))
			r = collect_tree(src, boot, rel, 4, 0, err);
		if (r < 0)
			return r;
	}
	if (opts->flags & BS_SOURCE_RAW)
		return 0;
	content.read = read_captured;
	content.ctx = src->img;
	return bs_bootc_transform(src->tree,
				  opts->flags & BS_SOURCE_CREATE_MISSING ? BS_BOOTC_CREATE_MISSING : 0,
				  &content, spec, err);
}

static int open_file(struct bs_source *src, const char *path, int kind, struct bs_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = read_whole(path, &data, &len, err);
	if (r < 0)
		return r;
	/* 'c': composefs image, 'd': dump, 0: decide by the EROFS magic. */
	if (!kind)
		kind = len >= EROFS_MAGIC_OFFSET + 4 &&
			       bsi_get_le32(data + EROFS_MAGIC_OFFSET) == EROFS_MAGIC ? 'c' : 'd';
	if (kind == 'c')
		return bs_erofs_read(data, len, path, &src->tree, err);
	return bs_dump_parse((const char *)data, len, path, &src->tree, err);
}

int bs_source_open(const char *spec, const struct bs_source_options *opts, struct bs_source **out,
		   struct bs_error *err)
{
	if (!spec || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_source_open: a NULL argument");
	static const struct bs_source_options defaults = { 0 };
	struct bs_source *src;
	struct stat st;
	int r;

	if (!opts)
		opts = &defaults;
	src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	src->opts = opts;
	if (strncmp(spec, "dir:", 4) == 0)
		r = open_dir(src, spec + 4, opts, err);
	else if (strncmp(spec, "oci:", 4) == 0 || strncmp(spec, "oci-archive:", 12) == 0)
		r = open_oci(src, spec, opts, err);
	else if (strncmp(spec, "dump:", 5) == 0)
		r = open_file(src, spec + 5, 'd', err);
	else if (strncmp(spec, "cfs:", 4) == 0)
		r = open_file(src, spec + 4, 'c', err);
	else if (stat(spec, &st) < 0)
		r = bs_error_set(err, -errno, spec, "cannot open: %s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		r = open_dir(src, spec, opts, err);
	else
		r = open_file(src, spec, 0, err);
	if (r < 0) {
		bs_source_free(src);
		return r;
	}
	if (src->n_files)       /* qsort(NULL, 0, ...) is undefined (UBSan) */
		qsort(src->files, src->n_files, sizeof(*src->files), file_cmp);
	src->opts = NULL;
	*out = src;
	return 0;
}
