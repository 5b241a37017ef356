/* SPDX-License-Identifier: MIT */
#include <bootseal/deploy.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootseal/atomicfile.h>
#include <bootseal/db.h>
#include <bootseal/erofs.h>
#include <bootseal/kargs.h>
#include <bootseal/keygen.h>
#include <bootseal/mount.h>
#include <bootseal/oci.h>
#include <bootseal/pe.h>
#include <bootseal/repo.h>
#include <bootseal/source.h>

#include "hex.h"
#include "util.h"

/* One distinct content of the tree: its digest and a path holding it. */
struct want {
	const uint8_t *digest;
	size_t len;
	char *path;
	int done;
};

struct deploy {
	struct bs_repo *repo;
	struct want *w;
	size_t n, cap;
	struct want *cur;               /* the object being streamed */
	struct bs_deploy_result *res;
	struct bs_error *err;
};

static int want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->digest, y->digest, x->len);
}

static int collect(struct deploy *d, struct bs_tree_inode *dir, char *path, size_t len)
{
	for (size_t i = 0; i < bs_tree_dir_count(dir); i++) {
		const char *name;
		size_t name_len, dlen;
		struct bs_tree_inode *c = bs_tree_dir_child(dir, i, &name, &name_len);
		uint32_t mode = bs_tree_inode_stat(c)->mode;
		const uint8_t *digest;
		int r;

		if (len + name_len + 2 > PATH_MAX)
			return bs_error_set(d->err, -ENAMETOOLONG, path, "path too long");
		memcpy(path + len, name, name_len);
		path[len + name_len] = 0;
		if (S_ISDIR(mode)) {
			path[len + name_len] = '/';
			if ((r = collect(d, c, path, len + name_len + 1)) < 0)
				return r;
		} else if (S_ISREG(mode) && (digest = bs_tree_inode_digest(c, &dlen))) {
			if (BSI_GROW(d->w, d->cap, d->n, 256) < 0)
				return -ENOMEM;
			d->w[d->n] = (struct want){ digest, dlen, strdup(path), 0 };
			if (!d->w[d->n++].path)
				return -ENOMEM;
		}
	}
	return 0;
}

/* Sorted by digest, one entry per content (hardlinks and copies). */
static int collect_all(struct deploy *d, struct bs_tree *tree)
{
	char path[PATH_MAX];
	size_t k = 0;
	int r;

	path[0] = 0;
	if ((r = collect(d, bs_tree_root(tree), path, 0)) < 0)
		return r;
	if (d->n)
		qsort(d->w, d->n, sizeof(*d->w), want_cmp);
	for (size_t i = 0; i < d->n; i++) {
		if (k && want_cmp(&d->w[k - 1], &d->w[i]) == 0) {
			free(d->w[i].path);
			continue;
		}
		d->w[k++] = d->w[i];
	}
	d->n = k;
	d->res->objects = k;
	return 0;
}

static struct want *find(struct deploy *d, const uint8_t *digest, size_t len)
{
	struct want key = { .digest = digest, .len = len };

	return d->n ? bsearch(&key, d->w, d->n, sizeof(*d->w), want_cmp) : NULL;
}

/* bs_oci_file_reader: stores the bytes of wanted contents not yet stored. */
static int oci_begin(void *ctx, const char *path, const struct bs_tree_inode *inode)
{
	struct deploy *d = ctx;
	size_t len;
	const uint8_t *digest = bs_tree_inode_digest(inode, &len);
	struct want *w = digest ? find(d, digest, len) : NULL;
	int r;

	(void)path;
	if (!w || w->done)
		return 1;
	r = bs_repo_object_begin(d->repo, digest, len, d->err);
	if (r == 1)
		w->done = 1;
	d->cur = r == 0 ? w : NULL;
	return r;
}

static int oci_data(void *ctx, const void *buf, size_t len)
{
	struct deploy *d = ctx;

	d->res->bytes_written += len;
	return bs_repo_object_write(d->repo, buf, len, d->err);
}

static int oci_end(void *ctx)
{
	struct deploy *d = ctx;
	int r = bs_repo_object_commit(d->repo, d->err);

	if (r >= 0) {
		d->cur->done = 1;
		d->res->objects_written++;
	}
	return r;
}

/* A directory source: each content from one of its paths. (bs_store_fill
 * copies a tree's files into a store too, but without fs-verity and without
 * checking what it finds there; the object writer does both.) */
static int store_from_dir(struct deploy *d, const char *root)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[1 << 16];

	if (rootfd < 0)
		return bs_error_set(d->err, -errno, root, "cannot open: %s", strerror(errno));

	for (size_t i = 0; i < d->n; i++) {
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = -1;
		size_t got;
		int r = bs_repo_object_begin(d->repo, d->w[i].digest, d->w[i].len, d->err);

		if (r == 1)
			continue;
		if (r < 0)
			return r;
		if (asprintf(&path, "%s/%s", root, d->w[i].path) < 0)
			return -ENOMEM;
		/* A link on the way (the tree is the image author's) would read outside it. */
		if ((fd = bsi_open_beneath(rootfd, d->w[i].path, O_RDONLY, 0)) < 0)
			return bs_error_set(d->err, fd, path, "cannot open: %s", fd == -ELOOP ?
					    "a symbolic link in the path: refused" : strerror(-fd));
		while ((r = bsi_read_full(fd, buf, sizeof(buf), &got)) >= 0 && got) {
			if ((r = bs_repo_object_write(d->repo, buf, got, d->err)) < 0)
				return r;
			d->res->bytes_written += got;
		}
		if (r < 0)
			return bs_error_set(d->err, r, path, "cannot read: %s", strerror(-r));
		if ((r = bs_repo_object_commit(d->repo, d->err)) < 0)
			return r;
		d->w[i].done = 1;
		d->res->objects_written++;
	}
	return 0;
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

static int esp_write(const char *esp, const char *rel, const void *data, size_t len,
		     struct bs_deploy_result *res, struct bs_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "%s/%s", esp, rel) < 0)
		return -ENOMEM;
	if ((r = mkdir_p(path)) < 0)
		return bs_error_set(err, r, path, "cannot create its directory: %s", strerror(-r));
	if ((r = bs_atomicfile_write_all(path, data, len, 0644, 0, err)) < 0)
		return r;
	res->esp_files++;
	return 0;
}

/* What systemd-boot reads as a type #2 entry: a file right in EFI/Linux. */
static int is_uki(const char *path)
{
	return strncmp(path, "boot/EFI/Linux/", 15) == 0 && !strchr(path + 15, '/');
}

/* What the ESP's binaries are checked against: --db, and the db the keys
 * will enroll (once enrolled, the firmware runs nothing else). */
struct esp_dbs {
	const struct bs_db *db[2];
	struct bs_db *owned;
	size_t n;
};

static int load_dbs(const struct bs_deploy_options *opts, struct esp_dbs *dbs, struct bs_error *err)
{
	if (opts->db)
		dbs->db[dbs->n++] = opts->db;
	if (opts->keys) {
		_cleanup_free_ char *path = NULL;
		struct stat st;
		int r;

		if (bs_keygen_is_sbctl(opts->keys)) {
			/* sbctl's tree: the db certificate it enrolls. */
			if (asprintf(&path, "%s/keys/db/db.pem", opts->keys) < 0)
				return -ENOMEM;
		} else if (asprintf(&path, "%s/loader/keys/auto/db.auth", opts->keys) < 0) {
			return -ENOMEM;
		} else if (stat(path, &st) < 0) {
			free(path);
			if (asprintf(&path, "%s/db.auth", opts->keys) < 0) {
				path = NULL;
				return -ENOMEM;
			}
		}
		if ((r = bs_db_new(&dbs->owned)) < 0)
			return r;
		if ((r = bs_db_add_file(dbs->owned, path, err)) < 0)
			return r;
		dbs->db[dbs->n++] = dbs->owned;
	}
	return 0;
}

/* 0: every db accepts the binary; -EKEYREJECTED (err says why); another -errno. */
static int check_binary(const struct esp_dbs *dbs, const struct bs_source_file *f, struct bs_error *err)
{
	struct bs_error why = { 0 };
	struct bs_pe *pe = NULL;
	char signer[256];
	int r;

	if ((r = bs_pe_new(f->data, f->len, f->path, &pe, err)) < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < dbs->n; i++)
		r = bs_db_check_pe(dbs->db[i], pe, 0, signer, sizeof(signer), &why);
	bs_pe_free(pe);
	if (r < 0)
		bs_error_set(err, r, f->path, "%s%s", r == -EKEYREJECTED ? "does not verify against the db: " : "",
			     why.code ? why.message : strerror(-r));
	return r;
}

/*
 * Nothing covers /boot: the composefs digest leaves it out and no signature
 * names its files, so a layer added after the seal can put anything there
 * (a db-signed UKI of another seal as EFI/BOOT/BOOTX64.EFI, say). Only the
 * UKIs are taken from it, each checked; systemd-boot comes from the sealed
 * tree and must verify against the db the ESP will enforce.
 */
static int pick_bootloader(const struct bs_deploy_options *opts, const struct esp_dbs *dbs,
			   const struct bs_source_file *files, size_t n, const struct bs_source_file **boot,
			   struct bs_deploy_result *res, struct bs_error *err)
{
	static const char tree_boot[] = "usr/lib/systemd/boot/efi/systemd-bootx64.efi";
	const struct bs_source_file *fallback = NULL;
	struct bs_error why = { 0 };
	int r;

	*boot = NULL;
	res->bootloader_signed = -1;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(files[i].path, "boot/", 5) == 0 && !is_uki(files[i].path))
			return bs_error_set(err, -EKEYREJECTED, files[i].path,
					    "an EFI binary in /boot that is not a UKI: nothing signs /boot "
					    "(the digest leaves it out), refused");
		if (is_uki(files[i].path) && opts->esp && dbs->n &&
		    (r = check_binary(dbs, &files[i], err)) < 0)
			return r;
	}
	if (!opts->esp)
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* systemd-bootx64.efi, or the distribution's systemd-bootx64.efi.signed */
		if (strncmp(files[i].path, tree_boot, sizeof(tree_boot) - 1) != 0 ||
		    (files[i].path[sizeof(tree_boot) - 1] && strcmp(files[i].path + sizeof(tree_boot) - 1, ".signed")))
			continue;
		if (!fallback)
			fallback = &files[i];
		if (!dbs->n)
			continue;
		bs_error_clear(&why);
		r = check_binary(dbs, &files[i], &why);
		if (r >= 0) {
			*boot = &files[i];
			res->bootloader_signed = 1;
			return 0;
		}
		if (r != -EKEYREJECTED)
			return bs_error_set(err, r, why.path, "%s", why.message);
	}
	if (!fallback)
		return 0;
	if (opts->flags & BS_DEPLOY_ALLOW_UNSIGNED_BOOTLOADER) {
		*boot = fallback;
		res->bootloader_signed = 0;
		return 0;
	}
	/* Once the keys are enrolled the firmware would refuse it: an ESP that no longer boots. */
	if (!dbs->n)
		return bs_error_set(err, -EKEYREJECTED, fallback->path,
				    "no db to check systemd-boot against: give --db or --keys "
				    "(or --allow-unsigned-bootloader)");
	return bs_error_set(err, -EKEYREJECTED, fallback->path,
			    "systemd-boot %s: seal with --sign-bootloader, or give --allow-unsigned-bootloader",
			    why.message);
}

/* The UKIs must be sealed for this tree: refuse to deploy a stale pair. */
static int check_ukis(const struct bs_source_file *files, size_t n, const char *digest,
		      struct bs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct bs_pe_section *s;
		const uint8_t *cmdline;
		struct bs_pe *pe;
		struct bs_kargs_composefs karg;
		size_t len;
		int r;

		if (!is_uki(files[i].path))
			continue;
		if ((r = bs_pe_new(files[i].data, files[i].len, files[i].path, &pe, err)) < 0)
			return r;
		s = bs_pe_find_section(pe, ".cmdline");
		cmdline = s ? bs_pe_section_data(pe, s, &len) : NULL;
		r = cmdline ? bs_kargs_composefs((const char *)cmdline, len, &karg, NULL) : -ENOENT;
		bs_pe_free(pe);
		if (r < 0)
			return bs_error_set(err, -EBADMSG, files[i].path,
					    "the UKI's command line has no composefs= bootc's initramfs can read");
		if (strcmp(karg.hex, digest) != 0)
			return bs_error_set(err, -EBADE, files[i].path,
					    "the UKI is sealed for composefs=%.16s…, the image is %.16s…", karg.hex,
					    digest);
	}
	return 0;
}

/* An sbctl tree holds keys, not updates: signed here as keygen signs its .auth files. */
static int sbctl_keys(const char *esp, const char *keys, struct bs_deploy_result *res, struct bs_error *err)
{
	static const char *const roles[] = { "PK", "KEK", "db" };
	struct bs_efi_time t;
	int r = bs_efivar_time_default(&t, err);

	for (size_t i = 0; r >= 0 && i < BS_ARRAY_SIZE(roles); i++) {
		struct bs_efivar_buf auth = { 0 };
		_cleanup_free_ char *to = NULL;

		if (asprintf(&to, "loader/keys/auto/%s.auth", roles[i]) < 0)
			return -ENOMEM;
		r = bs_keygen_sbctl_auth(keys, roles[i], &t, &auth, err);
		if (r >= 0)
			r = esp_write(esp, to, auth.data, auth.len, res, err);
		bs_efivar_buf_release(&auth);
	}
	return r;
}

static int copy_keys(const char *esp, const char *keys, struct bs_deploy_result *res, struct bs_error *err)
{
	static const char *const names[] = { "PK.auth", "KEK.auth", "db.auth", "dbx.auth" };
	_cleanup_free_ char *auto_dir = NULL;
	const char *dir = keys;
	struct stat st;

	if (bs_keygen_is_sbctl(keys))
		return sbctl_keys(esp, keys, res, err);
	if (asprintf(&auto_dir, "%s/loader/keys/auto", keys) < 0)
		return -ENOMEM;
	if (stat(auto_dir, &st) == 0 && S_ISDIR(st.st_mode))
		dir = auto_dir;
	for (size_t i = 0; i < BS_ARRAY_SIZE(names); i++) {
		_cleanup_free_ char *from = NULL, *to = NULL;
		_cleanup_free_ uint8_t *data = NULL;
		_cleanup_close_ int fd = -1;
		size_t got;
		int r;

		if (asprintf(&from, "%s/%s", dir, names[i]) < 0 ||
		    asprintf(&to, "loader/keys/auto/%s", names[i]) < 0)
			return -ENOMEM;
		if ((fd = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT && i == 3)
				continue;       /* dbx is optional */
			return bs_error_set(err, -errno, from, "cannot open: %s", strerror(errno));
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))
			return bs_error_set(err, -EINVAL, from, "not a signed variable update");
		if (!(data = malloc((size_t)st.st_size + 1)))
			return -ENOMEM;
		if ((r = bsi_read_full(fd, data, (size_t)st.st_size, &got)) < 0)
			return bs_error_set(err, r, from, "cannot read: %s", strerror(-r));
		if ((r = esp_write(esp, to, data, got, res, err)) < 0)
			return r;
	}
	return 0;
}

static int write_esp(const struct bs_deploy_options *opts, const struct bs_source_file *files, size_t n,
		     const struct bs_source_file *boot, struct bs_deploy_result *res, struct bs_error *err)
{
	static const char conf[] = "secure-boot-enroll force\n";
	int r;

	for (size_t i = 0; i < n; i++) {
		const char *base = strrchr(files[i].path, '/') + 1;
		_cleanup_free_ char *rel = NULL;

		if (!is_uki(files[i].path))
			continue;
		if (asprintf(&rel, "EFI/Linux/%s", base) < 0)
			return -ENOMEM;
		if ((r = esp_write(opts->esp, rel, files[i].data, files[i].len, res, err)) < 0)
			return r;
	}
	if (boot && ((r = esp_write(opts->esp, "EFI/BOOT/BOOTX64.EFI", boot->data, boot->len, res, err)) < 0 ||
		     (r = esp_write(opts->esp, "EFI/systemd/systemd-bootx64.efi", boot->data, boot->len, res,
				    err)) < 0))
		return r;
	if (opts->keys && ((r = copy_keys(opts->esp, opts->keys, res, err)) < 0 ||
			   (r = esp_write(opts->esp, "loader/loader.conf", conf, sizeof(conf) - 1, res, err)) < 0))
		return r;
	return 0;
}

static int image_digest(const uint8_t *image, size_t size, char *hex)
{
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	int r = bs_composefs_image_digest(image, size, digest);

	if (r >= 0)
		bs_hex_encode(digest, sizeof(digest), hex);
	return r;
}

int bs_deploy(const struct bs_deploy_options *opts, struct bs_deploy_result *res, struct bs_error *err)
{
	if (!opts || !res)
		return bs_error_set(err, -EINVAL, NULL, "bs_deploy: a NULL argument");
	const struct bs_source_options sopts = { .flags = BS_SOURCE_BOOT_FILES, .jobs = opts->jobs };
	const struct bs_erofs_options erofs = { .min_version = 1, .max_version = 1, .hash_alg = BS_COMPOSEFS_HASH,
						.unsigned_mtime_order = 1 };
	struct deploy d = { .res = res, .err = err };
	struct esp_dbs dbs = { 0 };
	const struct bs_source_file *boot = NULL;
	struct bs_source *src = NULL;
	const struct bs_source_file *files = NULL;
	_cleanup_free_ uint8_t *image = NULL;
	size_t n_files = 0, size;
	struct bs_tree *tree;
	int r;

	memset(res, 0, sizeof(*res));
	if ((r = bs_source_open(opts->image, &sopts, &src, err)) < 0)
		return r;
	tree = bs_source_tree(src);
	bs_source_boot_files(src, &files, &n_files);
	/* The same image bs_composefs_tree_digest hashes: bootc's V1, SHA-512. */
	if ((r = bs_erofs_write(tree, &erofs, &image, &size, err)) < 0 ||
	    (r = image_digest(image, size, res->digest)) < 0 ||
	    (r = check_ukis(files, n_files, res->digest, err)) < 0 ||
	    (opts->esp && (r = load_dbs(opts, &dbs, err)) < 0) ||
	    (r = pick_bootloader(opts, &dbs, files, n_files, &boot, res, err)) < 0 ||
	    (r = bs_repo_open(opts->target, opts->flags & BS_REPO_INSECURE, 1, &d.repo, err)) < 0 ||
	    (r = collect_all(&d, tree)) < 0)
		goto out;
	if (bs_source_oci_image(src)) {
		const struct bs_oci_file_reader rd = { oci_begin, oci_data, oci_end, &d };
		r = bs_oci_image_read_files(bs_source_oci_image(src), &rd, err);
	} else if (bs_source_dir(src)) {
		r = store_from_dir(&d, bs_source_dir(src));
	} else {
		r = bs_error_set(err, -EINVAL, opts->image, "deploy needs an image or a directory");
	}
	for (size_t i = 0; r >= 0 && i < d.n; i++)
		if (!d.w[i].done)
			r = bs_error_set(err, -EBADMSG, d.w[i].path, "no content for this file in the image");
	/* The image goes in last, once every object it names is there. */
	if (r >= 0)
		r = bs_repo_sync(d.repo, err);
	if (r >= 0) {
		char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];

		r = bs_repo_add_image(d.repo, image, size, hex, err);
		if (r >= 0 && strcmp(hex, res->digest) != 0)
			r = bs_error_set(err, -EBADMSG, opts->target, "image stored as %s", hex);
	}
	if (r >= 0)
		r = bs_repo_sync(d.repo, err);
	if (r >= 0 && opts->esp)
		r = write_esp(opts, files, n_files, boot, res, err);
out:
	for (size_t i = 0; i < d.n; i++)
		free(d.w[i].path);
	free(d.w);
	bs_repo_free(d.repo);
	bs_db_free(dbs.owned);
	bs_source_free(src);
	return r < 0 ? r : 0;
}
