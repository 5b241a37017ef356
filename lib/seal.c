/* SPDX-License-Identifier: MIT */
#include <bootseal/seal.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bootseal/atomicfile.h>
#include <bootseal/authenticode.h>
#include <bootseal/bootc.h>
#include <bootseal/epoch.h>
#include <bootseal/kargs.h>
#include <bootseal/oci.h>
#include <bootseal/source.h>
#include <bootseal/uki.h>

#include "hex.h"
#include "util.h"

/* What the UKI is built from, kept while the layers stream. */
static const char *const seal_captures[] = {
	"usr/lib/modules/*/vmlinuz",
	"usr/lib/modules/*/initramfs.img",
	"usr/lib/os-release",
	"etc/os-release",
	"usr/lib/bootc/kargs.d/*.toml",
	"usr/lib/systemd/boot/efi/linux*.efi.stub",
	"usr/lib/systemd/boot/efi/systemd-boot*.efi",
};

struct sealing {
	const struct bs_seal_options *o;
	struct bs_seal_result *res;
	struct bs_error *err;
	struct bs_source *src;
	const struct bs_uki_arch *arch;
	int64_t created;                /* image time: signatures and the new layer */
	int64_t epoch;                  /* SOURCE_DATE_EPOCH, when have_epoch */
	int have_epoch;
	struct bs_bootc_uki_kernel kernel;
	uint8_t *uki;
	size_t uki_len;
	uint8_t *bootloader_before;     /* dir: systemd-boot as found, put back on failure */
	size_t bootloader_before_len;
	char bootloader_path[128];
};

void bs_seal_result_clear(struct bs_seal_result *res)
{
	if (!res)
		return;
	free(res->cmdline);
	memset(res, 0, sizeof(*res));
}

/*
 * Image facts: architecture and time, from the config (SOURCE_DATE_EPOCH
 * wins). An architecture with no known EFI stub is refused by name: sealing
 * it as amd64 would pick another architecture's stub and kargs.d entries.
 */
static int read_config(struct sealing *s)
{
	struct bs_oci_image *img = bs_source_oci_image(s->src);
	const char *arch = "amd64";
	json_object *cfg = NULL, *v;
	int r;

	s->created = 0;
	if (img) {
		size_t len;
		const uint8_t *json = bs_oci_image_config_json(img, &len);
		json_tokener *tok = json_tokener_new();

		if (tok) {
			cfg = json_tokener_parse_ex(tok, (const char *)json, (int)len);
			json_tokener_free(tok);
		}
		if (cfg && json_object_object_get_ex(cfg, "architecture", &v) && json_object_is_type(v, json_type_string))
			arch = json_object_get_string(v);
		if (cfg && json_object_object_get_ex(cfg, "created", &v) && json_object_is_type(v, json_type_string)) {
			struct tm tm = { 0 };
			const char *end = strptime(json_object_get_string(v), "%Y-%m-%dT%H:%M:%S", &tm);
			if (end)
				s->created = (int64_t)timegm(&tm);
		}
	}
	r = bs_uki_arch_find(BS_UKI_ARCH_OCI, arch, s->o->src, &s->arch, s->err);
	if (s->have_epoch)
		s->created = s->epoch;
	json_object_put(cfg);
	return r;
}

/*
 * A file of the image, its size checked against max before a byte is read:
 * an image's kernel or initramfs may claim gigabytes of zeros that cost it
 * nothing.
 */
static int read_bounded(struct sealing *s, const char *path, uint64_t max, const char *what, uint8_t **data,
			size_t *len)
{
	struct bs_tree_inode *ino = bs_tree_lookup_path(bs_source_tree(s->src), path);
	uint64_t size = ino ? bs_tree_inode_stat(ino)->size : 0;
	int r;

	if (size <= max) {
		r = bs_source_read_file(s->src, path, data, len, s->err);
		if (r < 0)
			return r;
		size = *len;
	}
	if (size <= max)
		return 0;
	free(*data);
	*data = NULL;
	return bs_error_set(s->err, -EFBIG, path, "%s of %llu bytes, past the bound of %llu (%llu MiB)", what,
			    (unsigned long long)size, (unsigned long long)max, (unsigned long long)(max >> 20));
}

/* The kernel as bootc finds it; its version names the UKI. */
static int find_kernel(struct sealing *s)
{
	struct bs_bootc_root root = { .tree = bs_source_tree(s->src), .name = s->o->src };
	int r = bs_bootc_uki_kernel(&root, &s->kernel, s->err);

	if (r >= 0 && strlen(s->kernel.kver) >= sizeof(s->res->kver))
		r = bs_error_set(s->err, -EINVAL, s->o->src, "kernel version name too long");
	if (r >= 0)
		strcpy(s->res->kver, s->kernel.kver);
	return r;
}

static int sign_pe(struct sealing *s, struct bs_pe *pe)
{
	struct bs_authenticode_signer signer = {
		.key = bs_key_evp(s->o->key),
		.cert = bs_cert_x509(s->o->cert),
		/* A fixed time keeps the signature, and so the image, reproducible. */
		.signing_time = s->created > 0 ? (time_t)s->created : 1,
	};

	return bs_authenticode_sign(pe, &signer, s->err);
}

/* ROOT/REL as the user sees it, for messages. */
static const char *shown(struct sealing *s, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", s->o->src + strlen("dir:"), rel);
	return buf;
}

/* A directory of the dir: source, opened with no symlink on the way (item 7
 * of issue 17: a link at boot/EFI must not send the UKI outside the tree). */
static int open_tree_dir(struct sealing *s, int at, const char *rel, const char *whole, int *fd)
{
	char buf[PATH_MAX + 128];

	*fd = bsi_open_beneath(at, rel, O_RDONLY | O_DIRECTORY, 0);
	if (*fd == -ELOOP)
		return bs_error_set(s->err, *fd, shown(s, whole, buf, sizeof(buf)),
				    "a symbolic link in the path: refused, the tree's own directories only");
	if (*fd < 0)
		return bs_error_set(s->err, *fd, shown(s, whole, buf, sizeof(buf)), "cannot open: %s",
				    strerror(-*fd));
	return 0;
}

/* An atomic write of NAME into dirfd: through /proc/self/fd, so no path of
 * the tree is resolved again (it could have become a link meanwhile). */
static int write_at(struct sealing *s, int dirfd, const char *name, const char *whole, const void *data,
		    size_t len, mode_t mode, int noreplace)
{
	char path[64 + NAME_MAX], buf[PATH_MAX + 128];
	struct bs_error e = { 0 };
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dirfd, name);
	r = bs_atomicfile_write_all(path, data, len, mode, noreplace, &e);
	if (r < 0)
		bs_error_set(s->err, r, shown(s, whole, buf, sizeof(buf)), "%s", e.code ? e.message : strerror(-r));
	return r;
}

/*
 * Replaces a file of a dir: source. Only its content may differ from the
 * image, as in the OCI output: it keeps its mode, owner and times, and its
 * directory its times.
 */
static int write_in_place(struct sealing *s, const char *path, const uint8_t *data, size_t len)
{
	_cleanup_close_ int rootfd = -1, dirfd = -1;
	_cleanup_free_ char *parent = strdup(path);
	char buf[PATH_MAX + 128];
	const char *name;
	struct stat st, pst;
	int r;

	if (!parent)
		return -ENOMEM;
	*strrchr(parent, '/') = '\0';
	name = path + strlen(parent) + 1;
	/* The source may be closed (reopened after signing): its spec names the directory. */
	rootfd = open(s->o->src + strlen("dir:"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bs_error_set(s->err, -errno, s->o->src, "cannot open: %s", strerror(errno));
	if ((r = open_tree_dir(s, rootfd, parent, path, &dirfd)) < 0)
		return r;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || fstat(dirfd, &pst) < 0)
		return bs_error_set(s->err, -errno, shown(s, path, buf, sizeof(buf)), "cannot stat: %s",
				    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bs_error_set(s->err, -EINVAL, shown(s, path, buf, sizeof(buf)), "not a regular file");
	r = write_at(s, dirfd, name, path, data, len, st.st_mode & 07777, 0);
	if (r >= 0 && ((fchownat(dirfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM) ||
		       utimensat(dirfd, name, (const struct timespec[2]){ st.st_atim, st.st_mtim },
				 AT_SYMLINK_NOFOLLOW) < 0 ||
		       futimens(dirfd, (const struct timespec[2]){ pst.st_atim, pst.st_mtim }) < 0))
		r = bs_error_set(s->err, -errno, shown(s, path, buf, sizeof(buf)), "cannot restore its metadata: %s",
				 strerror(errno));
	return r;
}

/* systemd-boot of the image, signed with the db key: before the digest, since
 * it changes the tree. In a dir: source it is signed on disk, and put back as
 * it was if the seal then fails. */
static int sign_bootloader(struct sealing *s)
{
	_cleanup_free_ uint8_t *data = NULL;
	char path[128];
	struct bs_pe *pe = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "usr/lib/systemd/boot/efi/systemd-boot%s.efi", s->arch->efi);
	r = bs_source_read_file(s->src, path, &data, &len, s->err);
	if (r == -ENOENT)
		return bs_error_set(s->err, r, s->o->src, "--sign-bootloader: no %s in the image", path);
	if (r < 0)
		return r;
	r = bs_pe_new(data, len, path, &pe, s->err);
	if (r >= 0)
		r = sign_pe(s, pe);
	if (r >= 0 && bs_source_oci_image(s->src)) {
		r = bs_oci_image_set_file(bs_source_oci_image(s->src), path, pe->data, pe->size, s->err);
	} else if (r >= 0) {
		r = write_in_place(s, path, pe->data, pe->size);
		if (r >= 0) {
			s->bootloader_before = BS_STEAL(data);
			s->bootloader_before_len = len;
			snprintf(s->bootloader_path, sizeof(s->bootloader_path), "%s", path);
		}
	}
	bs_pe_free(pe);
	s->res->bootloader_signed = r >= 0;
	return r;
}

static int read_source_file(void *ctx, const char *path, const struct bs_tree_inode *inode,
			    uint8_t **data, size_t *len, struct bs_error *err)
{
	(void)inode;
	return bs_source_read_file(ctx, path, data, len, err);
}

static int compute_digest(struct sealing *s)
{
	struct bs_content_source content = { read_source_file, s->src };
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	struct bs_tree *copy = NULL;
	int r;

	/* The transforms empty /boot and drop xattrs: work on a copy, write the original. */
	r = bs_tree_dup(bs_source_tree(s->src), &copy, s->err);
	if (r < 0)
		return r;
	r = bs_bootc_transform(copy, s->o->bootc_flags, &content, s->o->src, s->err);
	if (r >= 0)
		r = bs_composefs_tree_digest(copy, digest, s->err);
	bs_tree_free(copy);
	if (r >= 0)
		bs_hex_encode(digest, sizeof(digest), s->res->digest);
	return r;
}

/* What bootc builds the UKI from, read from the image; then the UKI, signed. */
static int build_uki(struct sealing *s)
{
	struct bs_content_source content = { read_source_file, s->src };
	struct bs_bootc_root root = { .tree = bs_source_tree(s->src), .src = &content, .name = s->o->src };
	struct bs_bootc_cmdline in = {
		.arch = s->arch,
		.digest = s->res->digest,
		.allow_missing_verity = s->o->allow_missing_verity,
		.kargs = s->o->kargs,
		.n_kargs = s->o->n_kargs,
	};
	_cleanup_free_ uint8_t *kernel = NULL, *initrd = NULL, *stub = NULL, *osrel = NULL;
	size_t kernel_len = 0, initrd_len = 0, stub_len = 0, osrel_len = 0;
	char stub_path[128];
	const char *osrel_path;
	struct bs_uki_params params = { 0 };
	struct bs_pe *pe = NULL;
	int r;

	r = read_bounded(s, s->kernel.linux_path, BS_UKI_KERNEL_MAX, "kernel", &kernel, &kernel_len);
	if (r >= 0)
		r = read_bounded(s, s->kernel.initrd_path, BS_UKI_INITRD_MAX, "initramfs", &initrd, &initrd_len);
	snprintf(stub_path, sizeof(stub_path), BS_BOOTC_UKI_STUB, s->arch->efi);
	if (r >= 0 && !s->o->stub &&
	    (r = read_bounded(s, stub_path, 16u << 20, "systemd-stub", &stub, &stub_len)) == -ENOENT)
		r = bs_error_set(s->err, r, s->o->src, "no systemd-stub at %s (give --stub)", stub_path);
	osrel_path = bs_tree_lookup_path(root.tree, "usr/lib/os-release") ? "usr/lib/os-release" : "etc/os-release";
	if (r >= 0 && (r = read_bounded(s, osrel_path, 1u << 20, "os-release", &osrel, &osrel_len)) == -ENOENT)
		r = bs_error_set(s->err, r, s->o->src, "no os-release in usr/lib or etc");
	if (r >= 0)
		r = bs_bootc_uki_cmdline(&root, &in, &s->res->cmdline, s->err);
	if (r < 0)
		return r;

	params.stub = s->o->stub ? s->o->stub : stub_path;
	params.stub_data = s->o->stub ? NULL : stub;
	params.stub_len = stub_len;
	params.linux_path = s->kernel.linux_path;
	params.linux_data = kernel;
	params.linux_len = kernel_len;
	params.initrds = (const char *const *)&s->kernel.initrd_path;
	params.initrd_data = &(struct bs_uki_blob){ initrd, initrd_len };
	params.n_initrds = 1;
	params.cmdline = s->res->cmdline;
	params.cmdline_len = strlen(s->res->cmdline);
	params.os_release = (const char *)osrel;
	params.os_release_len = osrel_len;
	params.uname = s->res->kver;
	params.pcr = s->o->pcr;
	r = bs_uki_build(&params, &pe, s->err);
	if (r >= 0)
		r = sign_pe(s, pe);
	if (r >= 0) {
		s->uki = malloc(pe->size);
		if (!s->uki)
			r = -ENOMEM;
		else
			memcpy(s->uki, pe->data, s->uki_len = pe->size);
	}
	bs_pe_free(pe);
	return r;
}

static int write_oci(struct sealing *s)
{
	static const char *const labels[] = { "containers.bootc=1", "ostree.bootable=1" };
	struct bs_oci_file uki = {
		.path = s->res->uki_path,
		.mode = S_IFREG | 0644,
		.mtime_sec = s->created,
		.data = s->uki,
		.len = s->uki_len,
	};
	struct bs_oci_write_options w = {
		.dest = s->o->dest,
		.base = bs_source_oci_image(s->src),
		.extra = &uki,
		.n_extra = 1,
		.labels = labels,
		.n_labels = BS_ARRAY_SIZE(labels),
		.created_by = "bootseal seal",
		.compression = (enum bs_oci_compression)s->o->compression,
		.level = s->o->level,
		.jobs = s->o->jobs,
		.flags = s->o->rewrite_layer ? 0 : BS_OCI_REUSE_LAYER,
		.progress = s->o->progress,
		.progress_ctx = s->o->progress_ctx,
	};
	struct bs_oci_write_result res;
	int r;

	r = bs_oci_write_image(&w, &res, s->err);
	if (r >= 0)
		snprintf(s->res->manifest_digest, sizeof(s->res->manifest_digest), "%s", res.manifest_digest);
	return r;
}

/* A directory is sealed in place: the UKI goes into its /boot/EFI/Linux,
 * every directory on the way opened with no symlink followed. */
static int write_dir(struct sealing *s)
{
	_cleanup_close_ int rootfd = -1, bootfd = -1, efifd = -1, linuxfd = -1;
	char buf[PATH_MAX + 128];
	int made_efi = 0, made_linux = 0, r;
	struct stat st;

	rootfd = open(bs_source_dir(s->src), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bs_error_set(s->err, -errno, s->o->src, "cannot open: %s", strerror(errno));
	if ((r = open_tree_dir(s, rootfd, "boot", "boot", &bootfd)) < 0)
		return r;
	/* bootc empties /boot but keeps the sub-second part of its mtime: a
	 * new entry in it would change the digest just sealed. */
	if (fstat(bootfd, &st) < 0)
		return bs_error_set(s->err, -errno, shown(s, "boot", buf, sizeof(buf)), "cannot stat: %s",
				    strerror(errno));
	made_efi = mkdirat(bootfd, "EFI", 0755) == 0;
	if (!made_efi && errno != EEXIST)
		return bs_error_set(s->err, -errno, shown(s, "boot/EFI", buf, sizeof(buf)), "cannot create: %s",
				    strerror(errno));
	r = open_tree_dir(s, bootfd, "EFI", "boot/EFI", &efifd);
	if (r >= 0) {
		made_linux = mkdirat(efifd, "Linux", 0755) == 0;
		if (!made_linux && errno != EEXIST)
			r = bs_error_set(s->err, -errno, shown(s, "boot/EFI/Linux", buf, sizeof(buf)),
					 "cannot create: %s", strerror(errno));
	}
	if (r >= 0)
		r = open_tree_dir(s, efifd, "Linux", "boot/EFI/Linux", &linuxfd);
	if (r >= 0)
		r = write_at(s, linuxfd, s->res->uki_path + strlen("boot/EFI/Linux/"), s->res->uki_path, s->uki,
			     s->uki_len, 0644, 1);
	/* A failed seal leaves /boot as it found it. */
	if (r < 0 && made_linux)
		unlinkat(efifd, "Linux", AT_REMOVEDIR);
	if (r < 0 && made_efi)
		unlinkat(bootfd, "EFI", AT_REMOVEDIR);
	if (futimens(bootfd, (const struct timespec[2]){ st.st_atim, st.st_mtim }) < 0 && r >= 0)
		r = bs_error_set(s->err, -errno, shown(s, "boot", buf, sizeof(buf)), "cannot restore its times: %s",
				 strerror(errno));
	return r;
}

/* A step without counters: only its name is shown. */
static void show_phase(struct sealing *s, const char *phase)
{
	struct bs_progress p = { .phase = phase };

	if (s->o->progress)
		s->o->progress(s->o->progress_ctx, &p);
}

static int check_destination(const struct bs_seal_options *o, struct bs_error *err)
{
	const char *sd = strncmp(o->src, "dir:", 4) == 0 ? o->src + 4 : NULL;

	if (!o->key || !o->cert)
		return bs_error_set(err, -ENOKEY, NULL, "a db key and certificate are needed to sign the UKI");
	if (sd && o->dest && strcmp(o->dest, o->src) != 0 && strcmp(o->dest, sd) != 0)
		return bs_error_set(err, -EINVAL, o->dest,
				    "a dir: source is sealed in place: give no destination or the same directory");
	if (!sd && !o->dest)
		return bs_error_set(err, -EINVAL, NULL,
				    "no destination: an image is sealed into oci:DIR[:TAG] or oci-archive:FILE");
	if (!sd && strncmp(o->dest, "oci:", 4) && strncmp(o->dest, "oci-archive:", 12))
		return bs_error_set(err, -EINVAL, o->dest, "the destination must be oci:DIR[:TAG] or oci-archive:FILE");
	if (!sd && strncmp(o->src, "oci:", 4) && strncmp(o->src, "oci-archive:", 12))
		return bs_error_set(err, -EINVAL, o->src, "the source must be oci:, oci-archive: or dir:");
	/* Refused here, not after the digest and the UKI are built. */
	return sd ? 0 : bs_oci_level_check((enum bs_oci_compression)o->compression, o->level, o->dest, err);
}

int bs_seal(const struct bs_seal_options *o, struct bs_seal_result *res, struct bs_error *err)
{
	if (!o || !res)
		return bs_error_set(err, -EINVAL, NULL, "bs_seal: a NULL argument");
	struct bs_source_options sopts = {
		.flags = BS_SOURCE_RAW | BS_SOURCE_BOOT_FILES |
			 (o->rewrite_layer ? BS_SOURCE_SPOOL_ALWAYS : BS_SOURCE_SPOOL),
		.jobs = o->jobs,
		.capture = seal_captures,
		.n_capture = BS_ARRAY_SIZE(seal_captures),
		.progress = o->progress,
		.progress_ctx = o->progress_ctx,
	};
	struct sealing s = { .o = o, .res = res, .err = err };
	const struct bs_source_file *files;
	size_t n_files;
	int r;

	memset(res, 0, sizeof(*res));
	r = check_destination(o, err);
	for (size_t i = 0; r >= 0 && i < o->n_kargs; i++)
		r = bs_kargs_check_no_composefs(o->kargs[i], NULL, "--karg", err);
	if (r < 0)
		return r;
	r = bs_keys_check_match(o->key, o->cert, "the db certificate", err);
	if (r < 0)
		return r;
	/* Before any work: a malformed value must not cost a digest first. */
	r = bs_source_date_epoch(&s.epoch, err);
	if (r < 0)
		return r;
	s.have_epoch = r;
	r = bs_source_open(o->src, &sopts, &s.src, err);
	if (r < 0)
		return r;
	r = read_config(&s);
	if (r < 0)
		goto out;
	bs_source_boot_files(s.src, &files, &n_files);
	for (size_t i = 0; i < n_files; i++) {
		if (strncmp(files[i].path, "boot/EFI/Linux/", 15) == 0) {
			r = bs_error_set(err, -EEXIST, o->src, "already holds a UKI: %s", files[i].path);
			goto out;
		}
		/* verify-seal and deploy refuse any: nothing would sign it. */
		if (strncmp(files[i].path, "boot/", 5) == 0) {
			r = bs_error_set(err, -EINVAL, o->src,
					 "holds an EFI binary in /boot, which nothing signs: %s", files[i].path);
			goto out;
		}
	}
	r = find_kernel(&s);
	if (r >= 0 && o->sign_bootloader)
		r = sign_bootloader(&s);
	if (r >= 0 && o->sign_bootloader && bs_source_dir(s.src)) {
		/* The tree was read before the bootloader was signed on disk. */
		bs_source_free(s.src);
		s.src = NULL;
		r = bs_source_open(o->src, &sopts, &s.src, err);
	}
	if (r >= 0) {
		show_phase(&s, "computing the composefs digest");
		r = compute_digest(&s);
	}
	if (r >= 0) {
		show_phase(&s, "building and signing the UKI");
		r = build_uki(&s);
	}
	if (r >= 0) {
		snprintf(res->uki_path, sizeof(res->uki_path), "boot/EFI/Linux/%s.efi", res->kver);
		r = bs_source_dir(s.src) ? write_dir(&s) : write_oci(&s);
	}
out:
	if (r < 0 && s.bootloader_before)
		(void)write_in_place(&s, s.bootloader_path, s.bootloader_before, s.bootloader_before_len);
	free(s.bootloader_before);
	bs_bootc_uki_kernel_clear(&s.kernel);
	free(s.uki);
	bs_source_free(s.src);
	if (r < 0) {
		free(res->cmdline);
		res->cmdline = NULL;
	}
	return r;
}
