/* SPDX-License-Identifier: MIT */
/*
 * The owner's Secure Boot hierarchy (PK signs KEK, KEK signs db) with the
 * files the usual enrollment paths want: .cer for firmware setup screens,
 * .auth for systemd-boot and efivarfs, .esl for efitools.
 */
#include <bootseal/keygen.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootseal/atomicfile.h>

#include "tmpdir.h"
#include "util.h"

#define N_ROLES 3
static const char *const roles[N_ROLES] = { "PK", "KEK", "db" };
/* Which role's key signs each role's .auth (UEFI 2.10 §32.3.1): PK signs
 * itself and KEK, a KEK signs db. */
static const int auth_signer[N_ROLES] = { 0, 0, 1 };
static const char *const role_suffixes[] = { ".key", ".crt", ".cer", ".esl", ".auth" };
#define ENROLL_DIR "loader/keys/auto"

struct role {
	struct bs_key *key;
	struct bs_cert *cert;
};

static void role_free(struct role *r)
{
	bs_key_free(r->key);
	bs_cert_free(r->cert);
	r->key = NULL;
	r->cert = NULL;
}

static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }

/*
 * sbctl's tree (Foxboron/sbctl config.MkConfig, backend SaveKey, CreateGUID):
 * keys/NAME/NAME.key (PKCS#8 PEM) and keys/NAME/NAME.pem (certificate PEM),
 * both mode 0400, and GUID holding the owner GUID with no newline.
 */
#define SBCTL_GUID "GUID"
static const char *const sbctl_suffixes[] = { ".key", ".pem" };

/* The directories each layout's files go in, deepest first (the order they are synced in). */
static const char *const *layout_dirs(enum bs_keygen_layout layout, size_t *n)
{
	static const char *const bootseal[] = { ENROLL_DIR, "loader/keys", "loader" };
	static const char *const sbctl[] = { "keys/PK", "keys/KEK", "keys/db", "keys" };

	*n = layout == BS_KEYGEN_LAYOUT_SBCTL ? BS_ARRAY_SIZE(sbctl) : BS_ARRAY_SIZE(bootseal);
	return layout == BS_KEYGEN_LAYOUT_SBCTL ? sbctl : bootseal;
}

/* Every path keygen writes, relative to the output directory. */
static int list_outputs(enum bs_keygen_layout layout, char ***out, size_t *n)
{
	size_t cap = N_ROLES * (BS_ARRAY_SIZE(role_suffixes) + 3) + 1, k = 0;
	char **names = calloc(cap, sizeof(*names));

	if (!names)
		return -ENOMEM;
	if (layout == BS_KEYGEN_LAYOUT_SBCTL) {
		for (int i = 0; i < N_ROLES; i++)
			for (size_t s = 0; s < BS_ARRAY_SIZE(sbctl_suffixes); s++)
				if (asprintf(&names[k++], "keys/%s/%s%s", roles[i], roles[i], sbctl_suffixes[s]) < 0)
					goto oom;
		if (!(names[k++] = strdup(SBCTL_GUID)))
			goto oom;
		*out = names;
		*n = k;
		return 0;
	}
	for (int i = 0; i < N_ROLES; i++) {
		for (size_t s = 0; s < BS_ARRAY_SIZE(role_suffixes); s++)
			if (asprintf(&names[k++], "%s%s", roles[i], role_suffixes[s]) < 0)
				goto oom;
		if (asprintf(&names[k++], "sb-%s.key", roles[i]) < 0 ||
		    asprintf(&names[k++], "sb-%s.crt", roles[i]) < 0 ||
		    asprintf(&names[k++], ENROLL_DIR "/%s.auth", roles[i]) < 0)
			goto oom;
	}
	if (!(names[k++] = strdup("GUID.txt")))
		goto oom;
	*out = names;
	*n = k;
	return 0;
oom:
	for (size_t i = 0; i < cap; i++)
		free(names[i]);
	free(names);
	return -ENOMEM;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n && names; i++)
		free(names[i]);
	free(names);
}

/* mkdir -p for the directories leading to path (not path itself). */
static int mkdir_parents(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int make_role(const struct bs_keygen_params *p, const char *name, unsigned int days,
		     struct role *r, struct bs_error *err)
{
	_cleanup_free_ char *cn = NULL;
	struct bs_cert_params cp = { .days = days };
	int ret;

	if (asprintf(&cn, "%s%s", p->subject_prefix ? p->subject_prefix : "", name) < 0)
		return -ENOMEM;
	cp.common_name = cn;
	ret = bs_keys_generate(p->key_type ? p->key_type : BS_KEY_RSA2048, &r->key, err);
	if (ret < 0)
		return ret;
	return bs_keys_self_sign(r->key, &cp, &r->cert, err);
}

static char *join(const char *dir, const char *name)
{
	char *s;

	return asprintf(&s, "%s/%s", dir, name) < 0 ? NULL : s;
}

/* Writes NAME.key/.crt/.cer/.esl for one role into dir. */
static int write_role(const char *dir, const char *name, const struct role *r,
		      const struct bs_efi_guid *owner, struct bs_error *err)
{
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	char *path[4] = { 0 };
	const uint8_t *der;
	size_t len;
	int ret = -ENOMEM;

	for (int i = 0; i < 4; i++)
		if (asprintf(&path[i], "%s/%s%s", dir, name, role_suffixes[i]) < 0)
			goto out;
	der = bs_cert_der(r->cert, &len);
	ret = bs_efivar_esl_add_x509(&esl, owner, der, len);
	if (ret == 0)
		ret = bs_keys_write_private(r->key, path[0], 1, err);
	if (ret == 0)
		ret = bs_keys_write_cert_pem(r->cert, path[1], 1, err);
	if (ret == 0)
		ret = bs_keys_write_cert_der(r->cert, path[2], 1, err);
	if (ret == 0)
		ret = bs_atomicfile_write_all(path[3], esl.data, esl.len, 0644, 1, err);
out:
	for (int i = 0; i < 4; i++)
		free(path[i]);
	return ret;
}

static int write_auth(const char *dir, int i, const struct role *r, const struct bs_keygen_params *p,
		      const struct bs_efi_guid *owner, struct bs_error *err)
{
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 }, out = { 0 };
	_cleanup_free_ char *path = NULL, *enroll = NULL;
	struct bs_efivar_update u = { .name = roles[i], .attributes = BS_EFIVAR_ATTRS_REPLACE,
				      .time = p->time };
	const struct role *s = &r[auth_signer[i]];
	const uint8_t *der;
	size_t len;
	int ret;

	der = bs_cert_der(r[i].cert, &len);
	ret = bs_efivar_esl_add_x509(&esl, owner, der, len);
	if (ret < 0)
		return ret;
	bs_efivar_vendor_for_name(roles[i], &u.vendor);
	u.data = esl.data;
	u.data_len = esl.len;
	ret = bs_efivar_auth_sign(&u, s->key, s->cert, &out, err);
	if (ret < 0)
		return ret;
	if (asprintf(&path, "%s/%s.auth", dir, roles[i]) < 0 ||
	    asprintf(&enroll, "%s/" ENROLL_DIR "/%s.auth", dir, roles[i]) < 0)
		return -ENOMEM;
	ret = bs_atomicfile_write_all(path, out.data, out.len, 0644, 1, err);
	/* A copy, not a link: the ESP is FAT. */
	if (ret == 0)
		ret = bs_atomicfile_write_all(enroll, out.data, out.len, 0644, 1, err);
	return ret;
}

static int write_aliases(const char *dir, struct bs_error *err)
{
	for (int i = 0; i < N_ROLES; i++)
		for (int s = 0; s < 2; s++) {
			_cleanup_free_ char *from = NULL, *to = NULL;

			if (asprintf(&from, "%s/%s%s", dir, roles[i], role_suffixes[s]) < 0 ||
			    asprintf(&to, "%s/sb-%s%s", dir, roles[i], role_suffixes[s]) < 0)
				return -ENOMEM;
			/* A hard link: one key file, one mode, nothing to keep in sync. */
			if (link(from, to) < 0)
				return bs_error_set(err, -errno, to, "cannot link: %s", strerror(errno));
		}
	return 0;
}

static int generate_sbctl(const char *dir, const struct bs_keygen_params *p,
			  const struct bs_efi_guid *owner, struct bs_error *err)
{
	char guid_text[BS_EFI_GUID_STRING_SIZE];
	_cleanup_free_ char *guid_path = join(dir, SBCTL_GUID);
	int ret = guid_path ? 0 : -ENOMEM;

	for (int i = 0; i < N_ROLES && ret == 0; i++) {
		_cleanup_free_ char *key = NULL, *pem = NULL;
		struct role r = { 0 };

		if (asprintf(&key, "%s/keys/%s/%s.key", dir, roles[i], roles[i]) < 0 ||
		    asprintf(&pem, "%s/keys/%s/%s.pem", dir, roles[i], roles[i]) < 0) {
			key = NULL;
			return -ENOMEM;
		}
		ret = mkdir_parents(key, 0755);
		if (ret < 0)
			bs_error_set(err, ret, key, "cannot create directory: %s", strerror(-ret));
		if (ret == 0)
			ret = make_role(p, roles[i], p->days ? p->days : 3650, &r, err);
		if (ret == 0)
			ret = bs_keys_write_private(r.key, key, 1, err);
		if (ret == 0)
			ret = bs_keys_write_cert_pem(r.cert, pem, 1, err);
		/* sbctl writes both read-only. */
		if (ret == 0 && (chmod(key, 0400) < 0 || chmod(pem, 0400) < 0))
			ret = bs_error_set(err, -errno, key, "cannot chmod: %s", strerror(errno));
		role_free(&r);
	}
	if (ret == 0) {
		bs_efivar_guid_format(owner, guid_text);
		ret = bs_atomicfile_write_all(guid_path, guid_text, strlen(guid_text), 0644, 1, err);
	}
	return ret;
}

static int generate_into(const char *dir, const struct bs_keygen_params *p,
			 const struct bs_efi_guid *owner, struct bs_error *err)
{
	struct role r[N_ROLES] = { 0 };
	char guid_text[BS_EFI_GUID_STRING_SIZE + 1];
	_cleanup_free_ char *enroll = NULL, *guid_path = NULL;
	int ret = 0;

	if (p->layout == BS_KEYGEN_LAYOUT_SBCTL)
		return generate_sbctl(dir, p, owner, err);
	/* mkdir_parents creates the directories leading to this (unused) name. */
	enroll = join(dir, ENROLL_DIR "/.");
	guid_path = join(dir, "GUID.txt");
	if (!enroll || !guid_path)
		return -ENOMEM;
	for (int i = 0; i < N_ROLES && ret == 0; i++)
		ret = make_role(p, roles[i], p->days ? p->days : 3650, &r[i], err);
	for (int i = 0; i < N_ROLES && ret == 0; i++)
		ret = write_role(dir, roles[i], &r[i], owner, err);
	if (ret == 0) {
		ret = mkdir_parents(enroll, 0755);
		if (ret < 0)
			bs_error_set(err, ret, enroll, "cannot create directory: %s", strerror(-ret));
	}
	for (int i = 0; i < N_ROLES && ret == 0; i++)
		ret = write_auth(dir, i, r, p, owner, err);
	for (int i = 0; i < N_ROLES; i++)
		role_free(&r[i]);
	if (ret == 0)
		ret = write_aliases(dir, err);
	if (ret == 0) {
		bs_efivar_guid_format(owner, guid_text);
		strcat(guid_text, "\n");
		ret = bs_atomicfile_write_all(guid_path, guid_text, strlen(guid_text), 0644, 1, err);
	}
	return ret;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Puts back the first N files move_files moved: old ones from TMP/NAME.old. */
static void unmove_files(const char *tmp, const char *out, char **names, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		_cleanup_free_ char *old = NULL, *to = join(out, names[i]);

		if (!to || asprintf(&old, "%s/%s.old", tmp, names[i]) < 0) {
			old = NULL;
			continue;
		}
		if (rename(old, to) < 0)
			unlink(to);
	}
}

/*
 * Moves each generated file into an existing output directory, all or
 * nothing: PK signs KEK.auth and KEK signs db.auth, so a set mixed from two
 * runs would not enroll. Each file it replaces is first linked to
 * TMP/NAME.old, and a failure midway renames those back.
 */
static int move_files(const char *tmp, const char *out, char **names, size_t n, int force,
		      struct bs_error *err)
{
	size_t moved;
	int r = 0;

	/* Directories first, so a path that cannot be made fails before any file moves. */
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *to = join(out, names[i]);

		if (!to)
			return -ENOMEM;
		r = mkdir_parents(to, 0755);
		if (r < 0)
			return bs_error_set(err, r, to, "cannot create directory: %s", strerror(-r));
	}
	for (moved = 0; moved < n && r == 0; moved++) {
		_cleanup_free_ char *from = join(tmp, names[moved]), *to = join(out, names[moved]), *old = NULL;

		if (!from || !to || asprintf(&old, "%s.old", from) < 0) {
			old = NULL;
			r = -ENOMEM;
		} else if (!force) {
			if (link(from, to) < 0)
				r = bs_error_set(err, -errno, to, "%s", errno == EEXIST ?
						 "already exists (use --force to replace)" : strerror(errno));
		} else if (link(to, old) < 0 && errno != ENOENT) {
			r = bs_error_set(err, -errno, to, "cannot keep the old file until the new ones are in place: %s",
					 strerror(errno));
		} else if (rename(from, to) < 0) {
			r = bs_error_set(err, -errno, to, "cannot rename into place: %s", strerror(errno));
			unlink(old);
		}
	}
	if (r < 0)
		unmove_files(tmp, out, names, moved - 1);
	return r;
}

/* New names are durable once their directories are: each one of
 * ENROLL_DIR, out, and out's entry in its parent. */
static int sync_tree(const char *out, enum bs_keygen_layout layout, struct bs_error *err)
{
	size_t n_dirs;
	const char *const *dirs = layout_dirs(layout, &n_dirs);
	int r = 0;

	for (size_t i = 0; i <= n_dirs && r == 0; i++) {
		_cleanup_free_ char *dir = join(out, i < n_dirs ? dirs[i] : ".");

		r = dir ? bsi_sync_dir(dir) : -ENOMEM;
		if (r < 0 && r != -ENOMEM)
			return bs_error_set(err, r, dir, "cannot sync: %s", strerror(-r));
	}
	if (r == 0 && (r = bsi_sync_parent_dir(out)) < 0 && r != -ENOMEM)
		bs_error_set(err, r, out, "cannot sync its directory: %s", strerror(-r));
	return r;
}

static int is_output(char **names, size_t n, const char *rel)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], rel) == 0)
			return 1;
	return 0;
}

/*
 * Gives NEW everything in OLD that keygen does not write: a hard link for
 * each file, the same directories with their modes and owners. The new set
 * then replaces the whole directory with one exchange and nothing else the
 * directory held is lost.
 */
static int mirror_others(int oldfd, int newfd, const char *out, const char *rel, char **names, size_t n,
			 int depth, struct bs_error *err)
{
	struct dirent *de;
	DIR *d;
	int dupfd, r = 0;

	if (depth > 32)
		return bs_error_set(err, -ELOOP, out, "directories nested too deep to keep");
	if ((dupfd = dup(oldfd)) < 0 || !(d = fdopendir(dupfd))) {
		r = -errno;
		if (dupfd >= 0)
			close(dupfd);
		return bs_error_set(err, r, out, "cannot read: %s", strerror(-r));
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		_cleanup_free_ char *child = NULL, *full = NULL;
		_cleanup_close_ int from = -1, to = -1;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			child = NULL;
			r = -ENOMEM;
			break;
		}
		if (is_output(names, n, child))
			continue;
		if (!(full = join(out, child))) {
			r = -ENOMEM;
			break;
		}
		if (fstatat(oldfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = bs_error_set(err, -errno, full, "cannot stat: %s", strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			/* Not following symlinks: a symlink is kept as a symlink. */
			if (linkat(oldfd, de->d_name, newfd, de->d_name, 0) < 0)
				r = bs_error_set(err, -errno, full, "cannot keep it in the new key set: %s",
						 strerror(errno));
			continue;
		}
		if (mkdirat(newfd, de->d_name, 0700) < 0 && errno != EEXIST) {
			r = bs_error_set(err, -errno, full, "cannot create: %s", strerror(errno));
			break;
		}
		from = openat(oldfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		to = openat(newfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (from < 0 || to < 0) {
			r = bs_error_set(err, -errno, full, "cannot open: %s", strerror(errno));
			break;
		}
		r = mirror_others(from, to, out, child, names, n, depth + 1, err);
		if (r == 0 && ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
			       fchown(to, st.st_uid, st.st_gid) < 0))
			r = bs_error_set(err, -errno, full, "cannot give it its owner: %s", strerror(errno));
		if (r == 0 && (fchmod(to, st.st_mode & 07777) < 0 || fsync(to) < 0))
			r = bs_error_set(err, -errno, full, "cannot keep it in the new key set: %s", strerror(errno));
	}
	if (r == 0 && errno)
		r = bs_error_set(err, -errno, out, "cannot read: %s", strerror(errno));
	closedir(d);
	return r;
}

/*
 * Replaces an existing output directory by the new one TMP in one step, so
 * that a run killed at any point leaves either the old set or the new one,
 * never files of both: PK signs KEK.auth and KEK signs db.auth, a mixed set
 * would not enroll. RENAME_EXCHANGE swaps the two directories; the old set,
 * now at TMP's name, is removed by this run or, killed, by the next one.
 * -EXDEV, -EINVAL and the like: no exchange here (a mount point, a file
 * system without it); the caller then moves file by file.
 */
static int exchange_dir(const char *tmp, const char *out, char **names, size_t n, enum bs_keygen_layout layout,
			struct bs_error *err)
{
	_cleanup_close_ int oldfd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int newfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int r;

	if (oldfd < 0 || newfd < 0 || fstat(oldfd, &st) < 0)
		return bs_error_set(err, -errno, out, "cannot open: %s", strerror(errno));
	r = mirror_others(oldfd, newfd, out, "", names, n, 0, err);
	if (r < 0)
		return r;
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(newfd, st.st_uid, st.st_gid) < 0)
		return bs_error_set(err, -errno, out, "cannot give the new key set its owner: %s", strerror(errno));
	if (fchmod(newfd, st.st_mode & 07777) < 0)
		return bs_error_set(err, -errno, out, "cannot give the new key set its mode: %s", strerror(errno));
	/* Every name in the new set is durable before it becomes the set. */
	if ((r = sync_tree(tmp, layout, err)) < 0)
		return r;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) < 0)
		return -errno;
	return 0;
}

int bs_keygen_create(const struct bs_keygen_params *p, struct bs_error *err)
{
	if (!p)
		return bs_error_set(err, -EINVAL, NULL, "bs_keygen_create: a NULL argument");
	_cleanup_free_ char *prefix = NULL, *out = strdup(p->output_dir ? p->output_dir : "target/keys");
	struct bs_tmpdir tmp = { 0 };
	struct bs_efi_guid owner;
	const char *const *dirs;
	char **names = NULL;
	size_t n = 0, n_dirs;
	struct stat st;
	int ret, exists;

	if (!out)
		return -ENOMEM;
	/* "keys/" names the same directory as "keys", and the rename needs the latter. */
	for (size_t len = strlen(out); len > 1 && out[len - 1] == '/'; len--)
		out[len - 1] = '\0';
	if (p->owner)
		owner = *p->owner;
	else if (bs_efivar_guid_random(&owner) < 0)
		return bs_error_set(err, -EIO, NULL, "cannot get random bytes for the owner GUID");
	if (p->layout != BS_KEYGEN_LAYOUT_BOOTSEAL && p->layout != BS_KEYGEN_LAYOUT_SBCTL)
		return bs_error_set(err, -EINVAL, NULL, "unknown key layout");
	ret = list_outputs(p->layout, &names, &n);
	if (ret < 0)
		return ret;
	exists = stat(out, &st) == 0;
	if (exists && !S_ISDIR(st.st_mode)) {
		ret = bs_error_set(err, -ENOTDIR, out, "not a directory");
		goto done;
	}
	/* The exchange below swaps what the name is: a symlink's target, not the symlink. */
	if (exists && lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
		char *real = realpath(out, NULL);

		if (!real) {
			ret = bs_error_set(err, -errno, out, "cannot resolve: %s", strerror(errno));
			goto done;
		}
		free(out);
		out = real;
	}
	/* Refuse before generating anything: no key is made only to be dropped. */
	for (size_t i = 0; exists && i < n; i++) {
		_cleanup_free_ char *path = join(out, names[i]);

		if (!path) {
			ret = -ENOMEM;
			goto done;
		}
		if (lstat(path, &st) < 0)
			continue;
		if (!p->force) {
			ret = bs_error_set(err, -EEXIST, path, "already exists (use --force to replace)");
			goto done;
		}
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			ret = bs_error_set(err, -EEXIST, path, "exists and is not a file; --force replaces only files");
			goto done;
		}
	}
	/* The directories the set needs, too: the exchange keeps what is in their way. */
	dirs = layout_dirs(p->layout, &n_dirs);
	for (size_t i = n_dirs; exists && i-- > 0;) {
		_cleanup_free_ char *path = join(out, dirs[i]);

		if (!path) {
			ret = -ENOMEM;
			goto done;
		}
		if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			ret = bs_error_set(err, -ENOTDIR, path, "exists and is not a directory");
			goto done;
		}
	}
	ret = mkdir_parents(out, 0755);
	if (ret < 0) {
		bs_error_set(err, ret, out, "cannot create parent directories: %s", strerror(-ret));
		goto done;
	}
	{
		const char *slash = strrchr(out, '/');
		const char *base = slash ? slash + 1 : out;

		if (!*base) {
			ret = bs_error_set(err, -EINVAL, out, "needs a directory name, not the root");
			goto done;
		}
		if (asprintf(&prefix, "%.*s.%s.tmp-", slash ? (int)(slash - out + 1) : 0, out, base) < 0) {
			prefix = NULL;
			ret = -ENOMEM;
			goto done;
		}
	}
	/* 0700: nobody else sees keys while they are written. A killed run's
	 * directory, keys inside, is removed here by the next run. */
	ret = bsi_tmpdir_create(&tmp, prefix);
	if (ret < 0) {
		bs_error_set(err, ret, out, "cannot create a temporary directory beside it: %s", strerror(-ret));
		goto done;
	}
	ret = generate_into(tmp.path, p, &owner, err);
	if (ret == 0) {
		/* A new (or empty) directory appears whole with one rename. */
		if (!exists || (dir_is_empty(out) && rmdir(out) == 0)) {
			if (rename(tmp.path, out) < 0)
				ret = bs_error_set(err, -errno, out, "cannot rename into place: %s",
						   strerror(errno));
			else
				bsi_tmpdir_keep(&tmp);
		} else {
			ret = exchange_dir(tmp.path, out, names, n, p->layout, err);
			/* After an exchange, tmp names the old set: removed below. */
			if (ret == -EXDEV || ret == -EINVAL || ret == -ENOSYS || ret == -EBUSY ||
			    ret == -EOPNOTSUPP || ret == -EPERM) {
				bs_error_clear(err);
				ret = move_files(tmp.path, out, names, n, p->force, err);
			}
		}
	}
	bsi_tmpdir_remove(&tmp);
	if (ret == 0)
		ret = sync_tree(out, p->layout, err);
done:
	free_names(names, n);
	return ret;
}

int bs_keygen_is_sbctl(const char *dir)
{
	_cleanup_free_ char *pem = join(dir, "keys/db/db.pem");
	struct stat st;

	return pem && stat(pem, &st) == 0 && S_ISREG(st.st_mode);
}

static int sbctl_role(const char *dir, int i, int with_key, struct role *r, struct bs_error *err)
{
	_cleanup_free_ char *key = NULL, *pem = NULL;
	int ret;

	if (asprintf(&key, "%s/keys/%s/%s.key", dir, roles[i], roles[i]) < 0 ||
	    asprintf(&pem, "%s/keys/%s/%s.pem", dir, roles[i], roles[i]) < 0) {
		key = NULL;
		return -ENOMEM;
	}
	ret = bs_keys_load_cert(pem, &r->cert, err);
	if (ret == 0 && with_key)
		ret = bs_keys_load_private(key, &r->key, err);
	if (ret == 0 && with_key)
		ret = bs_keys_check_match(r->key, r->cert, pem, err);
	return ret;
}

int bs_keygen_sbctl_auth(const char *dir, const char *role, const struct bs_efi_time *time,
			 struct bs_efivar_buf *out, struct bs_error *err)
{
	if (!dir || !role || !time || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_keygen_sbctl_auth: a NULL argument");
	_cleanup_(buf_releasep) struct bs_efivar_buf esl = { 0 };
	_cleanup_free_ char *guid_path = join(dir, SBCTL_GUID);
	_cleanup_free_ uint8_t *text = NULL;
	struct bs_efivar_update u = { .name = role, .attributes = BS_EFIVAR_ATTRS_REPLACE, .time = *time };
	struct role r = { 0 }, s = { 0 };
	struct bs_efi_guid owner;
	const uint8_t *der;
	size_t len;
	int i, ret;

	for (i = 0; i < N_ROLES && strcmp(roles[i], role) != 0; i++)
		;
	if (i == N_ROLES)
		return bs_error_set(err, -EINVAL, dir, "no sbctl key for '%s' (PK, KEK or db)", role);
	if (!guid_path)
		return -ENOMEM;
	ret = bsi_read_file(guid_path, 0, 64, &text, &len, err);
	if (ret < 0)
		return ret;
	/* sbctl writes none, a hand-edited file may end in one: the newline is not part of it. */
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	text[len] = '\0';
	if (bs_efivar_guid_parse((const char *)text, &owner) < 0)
		return bs_error_set(err, -EINVAL, guid_path, "not a GUID");
	ret = sbctl_role(dir, i, 0, &r, err);
	if (ret == 0)
		ret = sbctl_role(dir, auth_signer[i], 1, &s, err);
	if (ret == 0) {
		der = bs_cert_der(r.cert, &len);
		ret = bs_efivar_esl_add_x509(&esl, &owner, der, len);
	}
	if (ret == 0) {
		bs_efivar_vendor_for_name(role, &u.vendor);
		u.data = esl.data;
		u.data_len = esl.len;
		ret = bs_efivar_auth_sign(&u, s.key, s.cert, out, err);
	}
	role_free(&r);
	role_free(&s);
	return ret;
}

void bs_keygen_ephemeral_release(struct bs_keygen_ephemeral *e)
{
	if (!e)
		return;
	free(e->dir);
	free(e->key);
	free(e->crt);
	free(e->cer);
	free(e->esl);
	memset(e, 0, sizeof(*e));
}

int bs_keygen_signing_pair(const char *key_path, const char *cert_path, const char *common_name,
			   unsigned int days, struct bs_error *err)
{
	struct bs_cert_params cp = { .common_name = common_name, .days = days ? days : 3650, .leaf = 1 };
	struct role r = { 0 };
	struct stat st;
	int ret;

	if (!key_path || !cert_path)
		return -EINVAL;
	/* ukify refuses before generating: no key is made only to be dropped. */
	if (lstat(key_path, &st) == 0)
		return bs_error_set(err, -EEXIST, key_path, "is present");
	if (lstat(cert_path, &st) == 0)
		return bs_error_set(err, -EEXIST, cert_path, "is present");
	ret = bs_keys_generate(BS_KEY_RSA2048, &r.key, err);
	if (ret == 0)
		ret = bs_keys_self_sign(r.key, &cp, &r.cert, err);
	if (ret == 0)
		ret = bs_keys_write_private(r.key, key_path, 1, err);
	if (ret == 0) {
		ret = bs_keys_write_cert_pem(r.cert, cert_path, 1, err);
		if (ret < 0)
			unlink(key_path);
	}
	role_free(&r);
	return ret;
}

int bs_keygen_ephemeral(const struct bs_keygen_params *p, struct bs_keygen_ephemeral *e,
			struct bs_error *err)
{
	if (!p || !e)
		return bs_error_set(err, -EINVAL, NULL, "bs_keygen_ephemeral: a NULL argument");
	struct role r = { 0 };
	struct bs_efi_guid owner;
	int ret;

	memset(e, 0, sizeof(*e));
	if (p->owner)
		owner = *p->owner;
	else if (bs_efivar_guid_random(&owner) < 0)
		return bs_error_set(err, -EIO, NULL, "cannot get random bytes for the owner GUID");
	if (asprintf(&e->dir, "%s/bootseal-ephemeral-XXXXXX", bs_tmpdir_base()) < 0) {
		e->dir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(e->dir)) {
		ret = bs_error_set(err, -errno, e->dir, "cannot create directory: %s", strerror(errno));
		bs_keygen_ephemeral_release(e);
		return ret;
	}
	e->key = join(e->dir, "db.key");
	e->crt = join(e->dir, "db.crt");
	e->cer = join(e->dir, "db.cer");
	e->esl = join(e->dir, "db.esl");
	ret = e->key && e->crt && e->cer && e->esl ? 0 : -ENOMEM;
	if (ret == 0)
		ret = make_role(p, "db", p->days ? p->days : 1, &r, err);
	if (ret == 0)
		ret = write_role(e->dir, "db", &r, &owner, err);
	role_free(&r);
	if (ret < 0) {
		bsi_rm_rf(e->dir);
		bs_keygen_ephemeral_release(e);
	}
	return ret;
}
