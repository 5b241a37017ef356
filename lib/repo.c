/* SPDX-License-Identifier: MIT */
#include <bootseal/repo.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/fsverity.h>

#include <bootseal/composefs.h>

#include "hex.h"
#include "util.h"

#define META_NAME "meta.json"
#define META_MAX (64u << 10)

/*
 * meta.json as composefs-rs (0fbc8533, the revision bootc pins) writes it
 * when bootc creates its repository, RepositoryConfig::new(SHA512): serde's
 * pretty form of RepoMetadata with format version 1, SHA-512 over 4 KiB
 * blocks, EROFS V1 images by default and so the v1_erofs read-only
 * compatible feature. open_upgrade writes the same for an old-format
 * repository of SHA-512 objects, as ours would be without it.
 */
static const char meta_json[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"algorithm\": \"fsverity-sha512-12\",\n"
	"  \"features\": {\n"
	"    \"compatible\": [],\n"
	"    \"read-only-compatible\": [\n"
	"      \"v1_erofs\"\n"
	"    ],\n"
	"    \"incompatible\": []\n"
	"  },\n"
	"  \"erofs_formats\": {\n"
	"    \"default\": 1\n"
	"  }\n"
	"}\n";

struct bs_repo {
	int dirfd;
	int objects;                    /* objects/ */
	unsigned flags;
	/* The object being written. */
	int fd;
	char tmp[64], name[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 2];
	uint8_t digest[BS_FSVERITY_MAX_DIGEST_SIZE];
	size_t digest_len;
	unsigned seq;
};

static enum bs_hash_alg alg_of_len(size_t len)
{
	return len == 32 ? BS_HASH_SHA256 : BS_HASH_SHA512;
}

int bs_repo_verity_enable(int fd, enum bs_hash_alg alg)
{
	struct fsverity_enable_arg arg = { .version = 1, .hash_algorithm = (uint32_t)alg, .block_size = 4096 };

	/* EEXIST: enabled already (a racing writer); measuring decides. */
	if (ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int bs_repo_verity_measure(int fd, enum bs_hash_alg *alg, uint8_t *digest, size_t *len)
{
	if (!alg || !digest || !len)
		return -EINVAL;
	struct {
		struct fsverity_digest d;
		uint8_t buf[BS_FSVERITY_MAX_DIGEST_SIZE];
	} m = { .d.digest_size = BS_FSVERITY_MAX_DIGEST_SIZE };

	if (ioctl(fd, FS_IOC_MEASURE_VERITY, &m) < 0)
		return -errno;
	if (m.d.digest_size > BS_FSVERITY_MAX_DIGEST_SIZE)
		return -EOVERFLOW;
	*alg = m.d.digest_algorithm;
	memcpy(digest, m.d.digest, m.d.digest_size);
	*len = m.d.digest_size;
	return 0;
}

static int no_verity(int r)
{
	return r == -ENODATA || r == -EOPNOTSUPP || r == -ENOTTY;
}

/*
 * Enables fs-verity on fd (read-only: FS_IOC_ENABLE_VERITY fails with
 * ETXTBSY while a writable fd is open). 1 when it is on; 0 on a filesystem
 * without it, which only an insecure repository accepts.
 */
static int verity_on(struct bs_repo *repo, int fd, enum bs_hash_alg alg, const char *name,
		     struct bs_error *err)
{
	int r = bs_repo_verity_enable(fd, alg);

	if (no_verity(r) && (repo->flags & BS_REPO_INSECURE))
		return 0;
	if (no_verity(r))
		return bs_error_set(err, -EOPNOTSUPP, name,
				    "cannot enable fs-verity: %s (ext4 needs -O verity and a kernel with "
				    "CONFIG_FS_VERITY)", strerror(-r));
	/* ext4 keeps Merkle tree blocks no larger than its own blocks. */
	if (r == -EINVAL)
		return bs_error_set(err, r, name, "cannot enable fs-verity with 4 KiB blocks: %s "
				    "(a filesystem block size under 4096? mkfs.ext4 -b 4096)", strerror(-r));
	if (r < 0)
		return bs_error_set(err, r, name, "cannot enable fs-verity: %s", strerror(-r));
	return 1;
}

static bool known(const char *feature, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(feature, *names) == 0)
			return true;
	return false;
}

/* The first of features.LIST that composefs-rs 0fbc8533 does not know,
 * "" when LIST is not an array of strings, NULL when all are known. */
static const char *unknown_feature(json_object *features, const char *list,
				   const char *const *names)
{
	json_object *a;

	if (!features || !json_object_object_get_ex(features, list, &a))
		return NULL;
	if (!json_object_is_type(a, json_type_array))
		return "";
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *f = json_object_array_get_idx(a, i);

		if (!json_object_is_type(f, json_type_string))
			return "";
		if (!known(json_object_get_string(f), names))
			return json_object_get_string(f);
	}
	return NULL;
}

/* What composefs-rs's open_path checks before writing to a repository. */
static int meta_check(json_object *meta, const char *name, struct bs_error *err)
{
	static const char *const none[] = { NULL }, *const ro_known[] = { "v1_erofs", NULL };
	json_object *version, *algorithm, *features = NULL;
	const char *alg, *f;

	if (!json_object_is_type(meta, json_type_object) ||
	    !json_object_object_get_ex(meta, "version", &version) ||
	    !json_object_is_type(version, json_type_int) ||
	    !json_object_object_get_ex(meta, "algorithm", &algorithm) ||
	    !json_object_is_type(algorithm, json_type_string) ||
	    (json_object_object_get_ex(meta, "features", &features) &&
	     !json_object_is_type(features, json_type_object)))
		return bs_error_set(err, -EBADMSG, name, "not composefs repository metadata");
	/* composefs-rs reads a u32 and refuses what is newer than it knows. */
	if (json_object_get_int64(version) < 0 || json_object_get_int64(version) > UINT32_MAX)
		return bs_error_set(err, -EBADMSG, name, "not composefs repository metadata");
	if (json_object_get_int64(version) > 1)
		return bs_error_set(err, -EINVAL, name, "repository format version %lld; bootseal knows 1",
				    (long long)json_object_get_int64(version));
	alg = json_object_get_string(algorithm);
	if (strcmp(alg, "fsverity-sha512-12") != 0)
		return bs_error_set(err, -EINVAL, name,
				    "the repository's objects are %.80s, bootc's are fsverity-sha512-12", alg);
	f = unknown_feature(features, "incompatible", none);
	if (!f)
		f = unknown_feature(features, "read-only-compatible", ro_known);
	if (f && !*f)
		return bs_error_set(err, -EBADMSG, name, "not composefs repository metadata");
	if (f)
		return bs_error_set(err, -EINVAL, name,
				    "the repository needs feature '%.80s', which bootseal does not know", f);
	return 0;
}

int bs_repo_meta_check(const char *json, size_t len, const char *name, struct bs_error *err)
{
	if (!json || !name)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_meta_check: a NULL argument");
	json_tokener *tok;
	json_object *meta;
	int r;

	if (len == sizeof(meta_json) - 1 && memcmp(json, meta_json, len) == 0)
		return 0;
	if (len > META_MAX)
		return bs_error_set(err, -EFBIG, name, "larger than %u bytes", META_MAX);
	tok = json_tokener_new_ex(16);
	if (!tok)
		return -ENOMEM;
	meta = json_tokener_parse_ex(tok, json, (int)len);
	if (!meta || json_tokener_get_error(tok) != json_tokener_success)
		r = bs_error_set(err, -EBADMSG, name, "malformed JSON");
	else
		r = meta_check(meta, name, err);
	json_object_put(meta);
	json_tokener_free(tok);
	return r;
}

/*
 * meta_json in place, fs-verity on (which tells composefs-rs that every
 * object must have it) unless the repository is insecure. A racing writer's
 * meta.json wins, if it passes.
 */
static int meta_write(struct bs_repo *repo, const char *name, struct bs_error *err)
{
	char tmp[64];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(tmp, sizeof(tmp), ".tmp.%s.%ld", META_NAME, (long)getpid());
	(void)unlinkat(repo->dirfd, tmp, 0);
	fd = openat(repo->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return bs_error_set(err, -errno, name, "cannot create: %s", strerror(errno));
	r = bsi_write_full(fd, meta_json, sizeof(meta_json) - 1);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	fd = -1;
	if (r < 0) {
		r = bs_error_set(err, r, name, "cannot write: %s", strerror(-r));
		goto out;
	}
	fd = openat(repo->dirfd, tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = bs_error_set(err, -errno, name, "cannot reopen: %s", strerror(errno));
		goto out;
	}
	r = verity_on(repo, fd, BS_COMPOSEFS_HASH, name, err);
	if (r >= 0 && linkat(repo->dirfd, tmp, repo->dirfd, META_NAME, 0) < 0)
		r = errno == EEXIST ? 1 : bs_error_set(err, -errno, name, "cannot link: %s", strerror(errno));
out:
	(void)unlinkat(repo->dirfd, tmp, 0);
	return r;
}

/* A repository's meta.json must be one bootc's composefs-rs can write to;
 * a new one (create) gets bootc's. Without one, a repository is read as
 * composefs-rs reads an old-format one. */
static int meta_ensure(struct bs_repo *repo, const char *path, int create, struct bs_error *err)
{
	char name[PATH_MAX], buf[META_MAX + 1];
	_cleanup_close_ int fd = -1;
	size_t len;
	int r;

	snprintf(name, sizeof(name), "%s/%s", path, META_NAME);
	fd = openat(repo->dirfd, META_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !create)
		return 0;
	if (fd < 0 && errno == ENOENT) {
		r = meta_write(repo, name, err);
		if (r < 0)
			return r;
		/* Read back what is there now, ours or a racing writer's. */
		fd = openat(repo->dirfd, META_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return bs_error_set(err, -errno, name, "cannot open: %s", strerror(errno));
	r = bsi_read_full(fd, buf, sizeof(buf), &len);
	if (r < 0)
		return bs_error_set(err, r, name, "cannot read: %s", strerror(-r));
	return bs_repo_meta_check(buf, len, name, err);
}

/* ".tmp." + what follows it in names bootseal's own writers give (objects/XX/.tmp.PID.SEQ,
 * images/.tmp.PID, .tmp.meta.json.PID): nothing else in a repository is named so. */
static void remove_tmp_names(int dirfd, int symlinks_too)
{
	DIR *d = bsi_opendir_dup(dirfd);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (strncmp(de->d_name, ".tmp.", 5) != 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) || (symlinks_too && S_ISLNK(st.st_mode)))
			(void)unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

/*
 * A writer holds a shared flock on the repository directory for as long as
 * it writes. Taking it exclusive for a moment means no writer is live, so
 * every temporary name is a killed run's: removed, then the lock is shared.
 * Another writer live meanwhile: its names stay, and so do a dead one's
 * until a run finds itself alone.
 */
static void lock_and_clean(struct bs_repo *repo)
{
	char dir[3];

	if (flock(repo->dirfd, LOCK_EX | LOCK_NB) == 0) {
		_cleanup_close_ int objects = openat(repo->dirfd, "objects",
						     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		remove_tmp_names(repo->dirfd, 0);
		for (int i = 0; i < 256 && objects >= 0; i++) {
			_cleanup_close_ int fd = -1;

			snprintf(dir, sizeof(dir), "%02x", i);
			fd = openat(objects, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				remove_tmp_names(fd, 0);
		}
		{
			_cleanup_close_ int fd = openat(repo->dirfd, "images",
							O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				remove_tmp_names(fd, 1);
		}
	}
	/* Not atomic from exclusive: another run may clean in between, before we write. */
	(void)flock(repo->dirfd, LOCK_SH);
}

void bs_repo_free(struct bs_repo *repo)
{
	if (!repo)
		return;
	bs_repo_object_abort(repo);
	if (repo->objects >= 0)
		close(repo->objects);
	if (repo->dirfd >= 0)
		close(repo->dirfd);
	free(repo);
}

int bs_repo_open(const char *path, unsigned flags, int create, struct bs_repo **out,
		 struct bs_error *err)
{
	if (!path || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_open: a NULL argument");
	struct bs_repo *repo = calloc(1, sizeof(*repo));
	int r;

	if (!repo)
		return -ENOMEM;
	repo->fd = repo->objects = -1;
	repo->flags = flags;
	if (create && mkdir(path, 0755) < 0 && errno != EEXIST)
		goto fail;
	repo->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->dirfd < 0)
		goto fail;
	if (create)
		lock_and_clean(repo);
	/* A repository bootseal must not write to is refused before it is touched. */
	r = meta_ensure(repo, path, create, err);
	if (r < 0) {
		bs_repo_free(repo);
		return r;
	}
	if (create && ((mkdirat(repo->dirfd, "objects", 0755) < 0 && errno != EEXIST) ||
		       (mkdirat(repo->dirfd, "images", 0755) < 0 && errno != EEXIST)))
		goto fail;
	repo->objects = openat(repo->dirfd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (repo->objects < 0)
		goto fail;
	*out = repo;
	return 0;
fail:
	r = -errno;
	bs_error_set(err, r, path, "cannot open the repository: %s", strerror(-r));
	bs_repo_free(repo);
	return r;
}

/* Whether objects/NAME holds the digest with fs-verity on. */
static int object_present(struct bs_repo *repo)
{
	_cleanup_close_ int fd = openat(repo->objects, repo->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	uint8_t got[BS_FSVERITY_MAX_DIGEST_SIZE];
	enum bs_hash_alg alg;
	size_t len;

	if (fd < 0 || bs_repo_verity_measure(fd, &alg, got, &len) < 0)
		return 0;
	return alg == alg_of_len(repo->digest_len) && len == repo->digest_len &&
	       memcmp(got, repo->digest, len) == 0;
}

int bs_repo_object_begin(struct bs_repo *repo, const uint8_t *digest, size_t digest_len,
			 struct bs_error *err)
{
	char dir[3];

	if (digest_len != 32 && digest_len != 64)
		return bs_error_set(err, -EINVAL, NULL, "object digest of %zu bytes", digest_len);
	bs_repo_object_abort(repo);
	memcpy(repo->digest, digest, digest_len);
	repo->digest_len = digest_len;
	bs_hex_encode(digest, 1, dir);
	memcpy(repo->name, dir, 2);
	repo->name[2] = '/';
	bs_hex_encode(digest + 1, digest_len - 1, repo->name + 3);
	/* An object without fs-verity (or a wrong one) is written again. */
	if (object_present(repo))
		return 1;
	if (mkdirat(repo->objects, dir, 0755) < 0 && errno != EEXIST)
		return bs_error_set(err, -errno, dir, "cannot create objects/%s: %s", dir, strerror(errno));
	snprintf(repo->tmp, sizeof(repo->tmp), "%s/.tmp.%ld.%u", dir, (long)getpid(), repo->seq++);
	repo->fd = openat(repo->objects, repo->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (repo->fd < 0)
		return bs_error_set(err, -errno, repo->tmp, "cannot create objects/%s: %s", repo->tmp,
				    strerror(errno));
	return 0;
}

int bs_repo_object_write(struct bs_repo *repo, const void *buf, size_t len, struct bs_error *err)
{
	if (!repo || (!buf && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_object_write: a NULL argument");
	int r = bsi_write_full(repo->fd, buf, len);

	if (r < 0)
		return bs_error_set(err, r, repo->name, "cannot write objects/%s: %s", repo->name, strerror(-r));
	return 0;
}

void bs_repo_object_abort(struct bs_repo *repo)
{
	if (!repo)
		return;
	if (repo->fd >= 0) {
		close(repo->fd);
		repo->fd = -1;
	}
	if (repo->tmp[0]) {
		unlinkat(repo->objects, repo->tmp, 0);
		repo->tmp[0] = 0;
	}
}

int bs_repo_object_commit(struct bs_repo *repo, struct bs_error *err)
{
	if (!repo)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_object_commit: a NULL argument");
	uint8_t got[BS_FSVERITY_MAX_DIGEST_SIZE];
	char got_hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];
	_cleanup_close_ int fd = -1;
	enum bs_hash_alg alg;
	size_t len;
	int r;

	/* FS_IOC_ENABLE_VERITY fails with ETXTBSY while a writable fd is open. */
	r = close(repo->fd);
	repo->fd = -1;
	if (r < 0)
		r = bs_error_set(err, -errno, repo->name, "cannot write objects/%s: %s", repo->name, strerror(errno));
	if (r >= 0 && (fd = openat(repo->objects, repo->tmp, O_RDONLY | O_CLOEXEC)) < 0)
		r = bs_error_set(err, -errno, repo->tmp, "cannot reopen: %s", strerror(errno));
	if (r >= 0)
		r = verity_on(repo, fd, alg_of_len(repo->digest_len), repo->name, err);
	if (r > 0) {
		r = bs_repo_verity_measure(fd, &alg, got, &len);
		if (r < 0) {
			r = bs_error_set(err, r, repo->name, "cannot measure fs-verity: %s", strerror(-r));
		} else if (len != repo->digest_len || memcmp(got, repo->digest, len) != 0) {
			bs_hex_encode(got, len, got_hex);
			r = bs_error_set(err, -EBADMSG, repo->name,
					 "content does not match its digest (fs-verity %s)", got_hex);
		}
	}
	if (r >= 0 && renameat(repo->objects, repo->tmp, repo->objects, repo->name) < 0)
		r = bs_error_set(err, -errno, repo->name, "cannot store objects/%s: %s", repo->name, strerror(errno));
	if (r >= 0)
		repo->tmp[0] = 0;
	bs_repo_object_abort(repo);
	return r;
}

int bs_repo_sync(struct bs_repo *repo, struct bs_error *err)
{
	if (!repo)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_sync: a NULL argument");
	if (syncfs(repo->dirfd) < 0)
		return bs_error_set(err, -errno, NULL, "syncfs: %s", strerror(errno));
	return 0;
}

int bs_repo_add_image(struct bs_repo *repo, const uint8_t *data, size_t size,
		      char hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1], struct bs_error *err)
{
	if (!repo || (!data && size) || !hex)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_add_image: a NULL argument");
	uint8_t digest[64];
	char target[sizeof(repo->name) + 16], tmp[64], link[sizeof(tmp) + 2 * sizeof(digest) + 2];
	int r = bs_composefs_image_digest(data, size, digest);

	if (r < 0)
		return r;
	bs_hex_encode(digest, sizeof(digest), hex);
	r = bs_repo_object_begin(repo, digest, sizeof(digest), err);
	if (r == 0 && (r = bs_repo_object_write(repo, data, size, err)) >= 0)
		r = bs_repo_object_commit(repo, err);
	if (r < 0)
		return r;
	/* images/<hex> -> ../objects/xx/rest, replaced atomically. */
	snprintf(target, sizeof(target), "../objects/%s", repo->name);
	snprintf(tmp, sizeof(tmp), "images/.tmp.%ld", (long)getpid());
	snprintf(link, sizeof(link), "images/%s", hex);
	unlinkat(repo->dirfd, tmp, 0);
	if (symlinkat(target, repo->dirfd, tmp) < 0 || renameat(repo->dirfd, tmp, repo->dirfd, link) < 0) {
		r = bs_error_set(err, -errno, link, "cannot link the image: %s", strerror(errno));
		unlinkat(repo->dirfd, tmp, 0);
		return r;
	}
	return 0;
}

static int read_all(int fd, uint8_t **data, size_t *size)
{
	struct stat st;
	size_t got;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (!(*data = malloc(st.st_size ? (size_t)st.st_size : 1)))
		return -ENOMEM;
	r = bsi_read_full(fd, *data, (size_t)st.st_size, &got);
	*size = got;
	return r < 0 ? r : 0;
}

int bs_repo_open_image(const char *repo, const char *hex, unsigned flags, int *out,
		       struct bs_error *err)
{
	if (!repo || !hex || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_repo_open_image: a NULL argument");
	uint8_t want[64], got[BS_FSVERITY_MAX_DIGEST_SIZE];
	char got_hex[2 * BS_FSVERITY_MAX_DIGEST_SIZE + 1];
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	enum bs_hash_alg alg;
	size_t want_len, len;
	int r;

	if (bs_hex_decode(hex, strlen(hex), want, sizeof(want), &want_len) < 0 ||
	    (want_len != 32 && want_len != 64))
		return bs_error_set(err, -EINVAL, hex, "not a composefs digest (64 or 128 hex digits)");
	if (asprintf(&path, "%s/images/%s", repo, hex) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	r = bs_repo_verity_measure(fd, &alg, got, &len);
	if (no_verity(r) && (flags & BS_REPO_INSECURE) && want_len == 64) {
		_cleanup_free_ uint8_t *data = NULL;
		size_t size = 0;

		if ((r = read_all(fd, &data, &size)) < 0)
			return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
		if ((r = bs_composefs_image_digest(data, size, got)) < 0)
			return r;
		len = 64;
		alg = BS_COMPOSEFS_HASH;
		if (lseek(fd, 0, SEEK_SET) < 0)
			return -errno;
	} else if (no_verity(r)) {
		return bs_error_set(err, -EBADE, path, "fs-verity not enabled (%s)", strerror(-r));
	} else if (r < 0) {
		return bs_error_set(err, r, path, "cannot measure fs-verity: %s", strerror(-r));
	}
	if (alg != alg_of_len(want_len) || len != want_len || memcmp(got, want, len) != 0) {
		bs_hex_encode(got, len, got_hex);
		return bs_error_set(err, -EBADE, path, "fs-verity digest mismatch (%s %s)",
				    bs_hash_alg_name(alg) ? bs_hash_alg_name(alg) : "?", got_hex);
	}
	*out = fd;
	fd = -1;
	return 0;
}
