/* SPDX-License-Identifier: MIT */
/*
 * Parsing composefs dump files (composefs-dump(5)): accepts and rejects
 * what C mkcomposefs --from-file (v1.0.8) does; the limits below are its
 * limits, so an image we build from a dump is one it would build too.
 */
#include <bootseal/dump.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "erofs-internal.h"
#include "tree.h"
#include "hex.h"
#include "util.h"

#define DUMP_PATH_MAX 4096              /* payloads must be shorter (PATH_MAX) */
#define DUMP_INLINE_MAX 5000            /* LCFS_INLINE_CONTENT_MAX */
#define DUMP_XATTR_BUDGET (UINT16_MAX / 2)  /* LCFS_INODE_EXTERNAL_XATTR_MAX */
#define DUMP_XATTR_HEADER 12
#define DUMP_XATTR_ENTRY_OVERHEAD 7     /* 2 * 4-byte entry header - 1, worst-case alignment */

enum { F_PATH, F_SIZE, F_MODE, F_NLINK, F_UID, F_GID, F_RDEV, F_MTIME, F_PAYLOAD, F_CONTENT,
       F_DIGEST, N_FIXED };

struct field {
	const char *p;
	size_t len;
};

struct pending_link {
	struct bs_tree_inode *dir;
	char *name;
	char *path;                     /* of the link itself */
	char *target;
	size_t line;
};

struct parser {
	struct bs_tree *tree;
	const char *name;
	size_t line;
	int have_root;
	struct bs_error *err;
	struct pending_link *links;
	size_t n_links, links_cap;
	char *buf;                      /* unescape scratch */
	size_t buf_cap;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bs_error_set(ps->err, -EINVAL, ps->name, "line %zu: %s", ps->line, msg);
}

/* Cuts the next sep-terminated piece off *f (all of it when sep is absent). */
static struct field split(struct field *f, char sep, int *found)
{
	const char *end = memchr(f->p, sep, f->len);
	struct field part = { f->p, end ? (size_t)(end - f->p) : f->len };

	if (found)
		*found = end != NULL;
	if (end) {
		f->len -= part.len + 1;
		f->p = end + 1;
	} else {
		f->p += f->len;
		f->len = 0;
	}
	return part;
}

/* Unescapes into a fresh heap string (NUL-terminated); *out_len excludes the NUL. */
static int unescape(struct parser *ps, struct field f, const char *what, char **out,
		    size_t *out_len)
{
	char *res = malloc(f.len + 1), *o = res;

	if (!res)
		return -ENOMEM;
	for (size_t i = 0; i < f.len; i++) {
		char c = f.p[i];
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		if (++i >= f.len) {
			free(res);
			return fail(ps, "%s: no character after escape '\\'", what);
		}
		switch (f.p[i]) {
		case '\\': *o++ = '\\'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'x': {
			int hi = i + 1 < f.len ? bsi_hex_value(f.p[i + 1]) : -1;
			int lo = i + 2 < f.len ? bsi_hex_value(f.p[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(res);
				return fail(ps, "%s: invalid hex escape", what);
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
			break;
		}
		default:
			free(res);
			return fail(ps, "%s: unsupported escape '\\%c'", what, f.p[i]);
		}
	}
	*o = 0;
	*out = res;
	if (out_len)
		*out_len = (size_t)(o - res);
	return 0;
}

static int unescape_optional(struct parser *ps, struct field f, const char *what, char **out,
			     size_t *out_len)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (f.len == 1 && f.p[0] == '-')
		return 0;
	return unescape(ps, f, what, out, out_len);
}

static int parse_uint(struct parser *ps, struct field f, int base, const char *what,
		      uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (f.len == 0)
		return fail(ps, "missing %s field", what);
	for (size_t i = 0; i < f.len; i++) {
		int d = bsi_hex_value(f.p[i]);
		if (d < 0 || d >= base || v > (max - (uint64_t)d) / (uint64_t)base)
			return fail(ps, "invalid %s '%.*s'", what, (int)(f.len > 40 ? 40 : f.len), f.p);
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Walks all but the last component of path; *name gets the last one. */
static int lookup_parent(struct parser *ps, const char *path, struct bs_tree_inode **dir,
			 const char **name, size_t *name_len)
{
	struct bs_tree_inode *d = ps->tree->root;

	for (;;) {
		const char *start, *end;

		while (*path == '/')
			path++;
		start = path;
		end = strchr(start, '/');
		if (!end) {
			*dir = d;
			*name = start;
			*name_len = strlen(start);
			return 0;
		}
		d = bs_tree_dir_lookup(d, start, (size_t)(end - start));
		if (!d)
			return fail(ps, "parent directory of '%s' is missing", path);
		if (!S_ISDIR(d->st.mode))
			return fail(ps, "parent of '%s' is not a directory", path);
		path = end;
	}
}

static struct bs_tree_inode *lookup_path(struct bs_tree *tree, const char *path)
{
	struct bs_tree_inode *d = tree->root;

	for (;;) {
		const char *end;

		while (*path == '/')
			path++;
		if (!*path)
			return d;
		end = strchr(path, '/');
		if (!end)
			end = path + strlen(path);
		d = bs_tree_dir_lookup(d, path, (size_t)(end - path));
		if (!d)
			return NULL;
		path = end;
	}
}

static int add_xattr(struct parser *ps, struct bs_tree_inode *ino, struct field f, size_t *budget)
{
	_cleanup_free_ char *key = NULL, *value = NULL;
	size_t key_len, value_len, cost;
	struct field k;
	int found, r;

	k = split(&f, '=', &found);
	if (!found)
		return fail(ps, "xattr '%.*s' has no '='", (int)(k.len > 40 ? 40 : k.len), k.p);
	r = unescape(ps, k, "xattr name", &key, &key_len);
	if (r < 0)
		return r;
	r = unescape(ps, f, "xattr value", &value, &value_len);
	if (r < 0)
		return r;
	if (key_len == 0 || strlen(key) != key_len || key_len > BS_TREE_XATTR_NAME_MAX)
		return fail(ps, "xattr name of %zu bytes is empty, too long or has a NUL", key_len);
	if (value_len > UINT16_MAX)
		return fail(ps, "xattr '%s' value of %zu bytes is too long", key, value_len);
	/* A replaced xattr gives its space back, as in libcomposefs. */
	for (size_t i = 0; i < ino->n_xattrs; i++)
		if (ino->xattrs[i].key_len == key_len && !memcmp(ino->xattrs[i].key, key, key_len)) {
			*budget -= DUMP_XATTR_ENTRY_OVERHEAD + key_len + ino->xattrs[i].value_len;
			if (ino->n_xattrs == 1)
				*budget = 0;
		}
	cost = DUMP_XATTR_ENTRY_OVERHEAD + key_len + value_len;
	if (*budget == 0)
		cost += DUMP_XATTR_HEADER;
	if (*budget + cost > DUMP_XATTR_BUDGET)
		return fail(ps, "xattrs of '%s' exceed %d bytes", key, DUMP_XATTR_BUDGET);
	*budget += cost;
	return bs_tree_inode_add_xattr(ps->tree, ino, key, key_len, value, value_len, ps->err);
}

static int add_link(struct parser *ps, struct bs_tree_inode *dir, const char *name,
		    size_t name_len, const char *path, char *target)
{
	struct pending_link *l;

	if (BSI_GROW(ps->links, ps->links_cap, ps->n_links, 16) < 0)
		return -ENOMEM;
	l = &ps->links[ps->n_links];
	l->name = strndup(name, name_len);
	l->path = strdup(path);
	if (!l->name || !l->path) {
		free(l->name);
		free(l->path);
		return -ENOMEM;
	}
	l->dir = dir;
	l->target = target;
	l->line = ps->line;
	ps->n_links++;
	return 0;
}

/* The fields of a line after its path and mode, parsed and checked. */
struct entry {
	uint64_t size, nlink, uid, gid, rdev, sec, nsec;
	char *payload, *content, *digest;
	size_t payload_len, content_len;
};

static void entry_clear(struct entry *e)
{
	free(e->payload);
	free(e->content);
	free(e->digest);
}

/* Where a new path goes: the root (*ino), or name in *dir. */
static int place(struct parser *ps, const char *path, uint64_t mode, struct bs_tree_inode **ino,
		 struct bs_tree_inode **dir, const char **name, size_t *name_len)
{
	int r;

	if (strcmp(path, "/") == 0) {
		if (!S_ISDIR(mode))
			return fail(ps, "the root must be a directory");
		if (ps->have_root)
			return fail(ps, "more than one root '/'");
		ps->have_root = 1;
		*ino = ps->tree->root;
		return 0;
	}
	if (!ps->have_root)
		return fail(ps, "'%s' comes before the root '/'", path);
	r = lookup_parent(ps, path, dir, name, name_len);
	if (r < 0)
		return r;
	if (!S_ISDIR((*dir)->st.mode))
		return fail(ps, "parent of '%s' is not a directory", path);
	if ((*name_len == 1 && (*name)[0] == '.') || (*name_len == 2 && !memcmp(*name, "..", 2)))
		return fail(ps, "invalid . or .. in path '%s'", path);
	if (*name_len == 0)
		return fail(ps, "empty file name in path '%s'", path);
	if (*name_len > BS_TREE_NAME_MAX)
		return fail(ps, "file name longer than %d bytes in '%s'", BS_TREE_NAME_MAX, path);
	/* a clash with a pending hardlink shows when the link is placed */
	if (bs_tree_dir_lookup(*dir, *name, *name_len))
		return fail(ps, "path '%s' already exists", path);
	return 0;
}

static int parse_mtime(struct parser *ps, struct field m, uint64_t *sec, uint64_t *nsec)
{
	struct field s = split(&m, '.', NULL);
	/* composefs-info dump prints times before 1970 with a sign */
	int negative = s.len > 1 && s.p[0] == '-', r;

	if (negative) {
		s.p++;
		s.len--;
	}
	if ((r = parse_uint(ps, s, 10, "mtime seconds", INT64_MAX, sec)) < 0 ||
	    (r = parse_uint(ps, m, 10, "mtime nanoseconds", UINT32_MAX, nsec)) < 0)
		return r;
	if (negative)
		*sec = (uint64_t)-(int64_t)*sec;
	return 0;
}

/* The fields after the mode, held to mkcomposefs's limits. */
static int parse_entry(struct parser *ps, const struct field *f, const char *path, uint64_t mode,
		       struct entry *e)
{
	int r;

	if ((r = parse_uint(ps, f[F_SIZE], 10, "size", UINT64_MAX, &e->size)) < 0 ||
	    (r = parse_uint(ps, f[F_NLINK], 10, "nlink", UINT32_MAX, &e->nlink)) < 0 ||
	    (r = parse_uint(ps, f[F_UID], 10, "uid", UINT32_MAX, &e->uid)) < 0 ||
	    (r = parse_uint(ps, f[F_GID], 10, "gid", UINT32_MAX, &e->gid)) < 0 ||
	    (r = parse_uint(ps, f[F_RDEV], 10, "rdev", UINT64_MAX, &e->rdev)) < 0 ||
	    (r = parse_mtime(ps, f[F_MTIME], &e->sec, &e->nsec)) < 0)
		return r;
	if ((r = unescape_optional(ps, f[F_PAYLOAD], "payload", &e->payload, &e->payload_len)) < 0 ||
	    (r = unescape_optional(ps, f[F_CONTENT], "content", &e->content, &e->content_len)) < 0 ||
	    (r = unescape_optional(ps, f[F_DIGEST], "digest", &e->digest, NULL)) < 0)
		return r;
	if (e->content && e->content_len != e->size)
		return fail(ps, "content of %zu bytes does not match size %" PRIu64, e->content_len,
			    e->size);
	if (e->payload && strlen(e->payload) != e->payload_len)
		return fail(ps, "payload contains a NUL byte");
	if (S_ISLNK(mode) && (!e->payload || !e->payload_len))
		return fail(ps, "symlink '%s' has no target", path);
	if (e->payload && e->payload_len >= DUMP_PATH_MAX)
		return fail(ps, "%s of %zu bytes is too long (limit %d)",
			    S_ISLNK(mode) ? "symlink target" : "payload", e->payload_len, DUMP_PATH_MAX - 1);
	if (e->content && !S_ISLNK(mode) && e->content_len > DUMP_INLINE_MAX)
		return fail(ps, "inline content of %zu bytes exceeds %d bytes", e->content_len,
			    DUMP_INLINE_MAX);
	if (S_ISREG(mode) && !e->content && e->size > 0 &&
	    bsi_erofs_chunk_count(e->size) > BS_EROFS_MAX_CHUNKS)
		return fail(ps, "file size %" PRIu64 " is too big for a composefs image: at most %" PRIu64
			    " bytes (1024 chunks of 8 TiB)", e->size, BS_EROFS_MAX_FILE_SIZE);
	return 0;
}

static int fill_inode(struct parser *ps, struct bs_tree_inode *ino, uint64_t mode,
		      const struct entry *e)
{
	int r;

	ino->st.mode = (uint32_t)mode;
	ino->st.size = S_ISLNK(mode) ? e->payload_len : e->size;
	ino->st.nlink = (uint32_t)e->nlink;
	ino->st.uid = (uint32_t)e->uid;
	ino->st.gid = (uint32_t)e->gid;
	ino->st.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? e->rdev : 0;
	ino->st.mtime_sec = (int64_t)e->sec;  /* two's complement when negative */
	ino->st.mtime_nsec = (uint32_t)e->nsec;
	if (e->payload &&
	    (r = bs_tree_inode_set_payload(ps->tree, ino, e->payload, e->payload_len, ps->err)) < 0)
		return r;
	if (e->content && S_ISREG(mode)) {
		r = bs_tree_inode_set_content(ps->tree, ino, e->content, e->content_len, ps->err);
		if (r < 0)
			return r;
	}
	/* An empty field (a line cut short) leaves mkcomposefs's digest
	 * uninitialised; only an external file would use it, so take it as absent. */
	if (e->digest && *e->digest) {
		uint8_t raw[BS_TREE_DIGEST_MAX];
		size_t n, dlen = strlen(e->digest);

		if ((dlen != 64 && dlen != 128) || bs_hex_decode(e->digest, dlen, raw, sizeof(raw), &n) < 0)
			return fail(ps, "digest '%.*s' is not 64 or 128 hex digits",
				    (int)(dlen > 130 ? 130 : dlen), e->digest);
		bs_tree_inode_set_digest(ino, raw, n);
	}
	return 0;
}

static int parse_hardlink(struct parser *ps, struct field payload, const char *path, uint64_t mode,
			  struct bs_tree_inode *dir, const char *name, size_t name_len)
{
	char *target;
	int r;

	if (S_ISDIR(mode))
		return fail(ps, "directories cannot be hardlinked");
	if (!dir)
		return fail(ps, "the root cannot be a hardlink");
	r = unescape_optional(ps, payload, "hardlink target", &target, NULL);
	if (r < 0)
		return r;
	if (!target)
		return fail(ps, "hardlink '%s' has no target path", path);
	r = add_link(ps, dir, name, name_len, path, target);
	if (r < 0)
		free(target);
	return r;
}

static int parse_line(struct parser *ps, const char *line, size_t len)
{
	struct field rest = { line, len }, f[N_FIXED];
	_cleanup_free_ char *path = NULL;
	_cleanup_(entry_clear) struct entry e = { 0 };
	struct bs_tree_inode *ino = NULL, *dir = NULL;
	const char *name = NULL;
	size_t name_len = 0, budget = 0;
	uint64_t mode;
	int hardlink, r;

	if (memchr(line, 0, len))
		return fail(ps, "embedded NUL character");
	for (int i = 0; i < N_FIXED; i++)
		f[i] = split(&rest, ' ', NULL);

	r = unescape(ps, f[F_PATH], "path", &path, NULL);
	if (r < 0)
		return r;
	if (!*path)
		return fail(ps, "empty path");
	hardlink = f[F_MODE].len > 0 && f[F_MODE].p[0] == '@';
	if (hardlink) {
		f[F_MODE].p++;
		f[F_MODE].len--;
	}
	r = parse_uint(ps, f[F_MODE], 8, "mode", UINT32_MAX, &mode);
	if (r < 0)
		return r;
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return fail(ps, "mode 0%" PRIo64 " has no valid file type", mode);
	}
	r = place(ps, path, mode, &ino, &dir, &name, &name_len);
	if (r < 0)
		return r;
	if (hardlink)
		return parse_hardlink(ps, f[F_PAYLOAD], path, mode, dir, name, name_len);

	r = parse_entry(ps, f, path, mode, &e);
	if (r < 0)
		return r;
	if (rest.len > UINT16_MAX)
		return fail(ps, "too many xattrs (%zu bytes)", rest.len);
	if (!ino) {
		r = bs_tree_inode_new(ps->tree, (uint32_t)mode, &ino, ps->err);
		if (r < 0)
			return r;
	}
	r = fill_inode(ps, ino, mode, &e);
	while (r >= 0 && rest.len > 0)
		r = add_xattr(ps, ino, split(&rest, ' ', NULL), &budget);
	if (r < 0)
		return r;
	if (dir && bs_tree_dir_add(ps->tree, dir, name, name_len, ino, ps->err) < 0)
		return fail(ps, "cannot add '%s'", path);
	return 0;
}

/* PATH without its leading and repeated slashes, as lookup_path reads it. */
static char *canonical_path(const char *path)
{
	char *out = malloc(strlen(path) + 1), *o = out;

	if (!out)
		return NULL;
	while (*path) {
		while (*path == '/')
			path++;
		if (*path && o > out)
			*o++ = '/';
		while (*path && *path != '/')
			*o++ = *path++;
	}
	*o = '\0';
	return out;
}

struct link_key {
	char *path;
	size_t link;
};

static int link_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link_key *)a)->path, ((const struct link_key *)b)->path);
}

/* The pending link placed at PATH, or n if none. */
static size_t find_link(const struct link_key *keys, size_t n, const char *path)
{
	struct link_key want = { (char *)path, 0 };
	const struct link_key *k = bsearch(&want, keys, n, sizeof(*keys), link_key_cmp);

	return k ? k->link : n;
}

/* Places one link whose target is in the tree; a target missing leaves it pending. */
static int place_link(struct parser *ps, struct pending_link *l)
{
	struct bs_tree_inode *target = lookup_path(ps->tree, l->target);
	int r;

	if (!target)
		return 0;
	ps->line = l->line;
	if (S_ISDIR(target->st.mode))
		return fail(ps, "hardlink target '%s' is a directory", l->target);
	r = bs_tree_dir_add(ps->tree, l->dir, l->name, strlen(l->name), target, NULL);
	if (r == -EEXIST)
		return fail(ps, "path '%s' already exists", l->path);
	if (r < 0)
		return r;
	free(l->target);
	l->target = NULL;
	return 0;
}

enum { LINK_NEW, LINK_VISITING, LINK_DONE };

/*
 * Links may point at links not yet placed: each is placed after the one it
 * points at, depth first, so a chain listed backwards costs one pass, not
 * one pass per link. A link in a cycle, or pointing at nothing, stays
 * pending and is reported below.
 */
static int resolve_links(struct parser *ps)
{
	size_t n = ps->n_links, *stack = NULL, *target_link = NULL;
	struct link_key *keys = calloc(n ? n : 1, sizeof(*keys));
	uint8_t *state = calloc(n ? n : 1, 1);
	int r = 0;

	stack = malloc((n ? n : 1) * sizeof(*stack));
	target_link = malloc((n ? n : 1) * sizeof(*target_link));
	if (!keys || !state || !stack || !target_link)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		keys[i].link = i;
		if (!(keys[i].path = canonical_path(ps->links[i].path)))
			r = -ENOMEM;
	}
	if (r == 0)
		qsort(keys, n, sizeof(*keys), link_key_cmp);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char *t = canonical_path(ps->links[i].target);

		if (!t) {
			r = -ENOMEM;
			break;
		}
		target_link[i] = find_link(keys, n, t);
		free(t);
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		size_t depth = 0;

		if (state[i] != LINK_NEW)
			continue;
		stack[depth++] = i;
		state[i] = LINK_VISITING;
		while (r == 0 && depth) {
			size_t j = stack[depth - 1], k = target_link[j];

			if (k < n && state[k] == LINK_NEW) {
				state[k] = LINK_VISITING;
				stack[depth++] = k;
				continue;
			}
			/* k placed (or failed, or in this cycle): try j. */
			r = place_link(ps, &ps->links[j]);
			state[j] = LINK_DONE;
			depth--;
		}
	}
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i].path);
	free(keys);
	free(state);
	free(stack);
	free(target_link);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ps->n_links; i++) {
		struct pending_link *l = &ps->links[i];
		const char *t = l->target, *p = l->path;

		if (!l->target)
			continue;
		ps->line = l->line;
		while (*t == '/')
			t++;
		while (*p == '/')
			p++;
		if (strcmp(t, p) == 0)
			return fail(ps, "hardlink '%s' points at itself", l->path);
		return fail(ps, "hardlink target '%s' does not exist (or is a hardlink cycle)",
			    l->target);
	}
	return 0;
}

int bs_dump_parse(const char *buf, size_t len, const char *name, struct bs_tree **out,
		  struct bs_error *err)
{
	struct parser ps = { .name = name, .err = err };
	struct field all = { buf, len };
	int r;

	r = bs_tree_new(&ps.tree);
	if (r < 0)
		return r;
	while (all.len > 0) {
		struct field line = split(&all, '\n', NULL);

		ps.line++;
		r = parse_line(&ps, line.p, line.len);
		if (r < 0)
			goto out;
	}
	if (!ps.have_root) {
		r = bs_error_set(err, -EINVAL, name, "no root directory '/' line");
		goto out;
	}
	r = resolve_links(&ps);
out:
	for (size_t i = 0; i < ps.n_links; i++) {
		free(ps.links[i].name);
		free(ps.links[i].path);
		free(ps.links[i].target);
	}
	free(ps.links);
	if (r < 0) {
		if (r == -ENOMEM)
			bs_error_set(err, r, name, "out of memory");
		bs_tree_free(ps.tree);
		return r;
	}
	*out = ps.tree;
	return 0;
}

int bs_dump_parse_fd(int fd, const char *name, struct bs_tree **out, struct bs_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		size_t got;
		int r;

		if (cap - len < 65536) {
			char *n = realloc(buf, cap = cap ? 2 * cap : 1 << 20);
			if (!n)
				return bs_error_set(err, -ENOMEM, name, "out of memory");
			buf = n;
		}
		r = bsi_read_full(fd, buf + len, cap - len, &got);
		if (r < 0)
			return bs_error_set(err, r, name, "cannot read: %s", strerror(-r));
		len += got;
		if (got == 0)
			break;
	}
	return bs_dump_parse(buf, len, name, out, err);
}
