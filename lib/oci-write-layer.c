/* SPDX-License-Identifier: MIT */
/*
 * The tar entries of the flattened base layer.
 *
 * File contents are only in the input layers, compressed and in layer
 * order, so a fully path-sorted tar would need the rootfs extracted (or
 * every layer decompressed once per file). Instead the entries come in three
 * groups, each in a fixed order that depends on the input alone:
 *   1. the root and every directory, symlink, device, fifo and regular file
 *      whose bytes we hold (inline or replaced), depth-first in name order;
 *   2. regular files streamed from the input layers, in the order they occur
 *      there (layer, then entry), read by a second pass over those layers —
 *      their blob digests are checked again on the way;
 *   3. the other names of hardlinked files, in name order, pointing at the
 *      first name (depth-first), which groups 1 and 2 wrote.
 * Parents always precede their children, and a hardlink its target, which
 * is all an unpacker needs. Metadata always comes from the final tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>

#include "oci-stream.h"
#include "oci-write.h"
#include "tree.h"
#include "util.h"

/* The spool is read back in pieces this big. */
#define SPOOL_READ (4u << 20)

struct slot {
	const struct bs_tree_inode *key;
	char *path;                     /* first (primary) name */
	size_t origin;                  /* index into img->origins, SIZE_MAX if none */
};

struct hardlink {
	char *path;
	const char *target;
	struct bs_tree_inode *inode;
};

struct emit {
	struct bs_oci_image *img;
	struct archive *out;
	struct bs_error *err;
	struct slot *slots;
	size_t n_slots, cap_slots;
	struct hardlink *links;
	size_t n_links, cap_links;
	size_t n_streamed;
	char path[4096 + 2];
};

static struct slot *slot_of(const struct emit *w, const struct bs_tree_inode *key)
{
	size_t h = (size_t)(((uintptr_t)key >> 4) * 0x9e3779b97f4a7c15ull);

	for (size_t i = h & (w->cap_slots - 1);; i = (i + 1) & (w->cap_slots - 1))
		if (!w->slots[i].key || w->slots[i].key == key)
			return &w->slots[i];
}

static int slots_grow(struct emit *w)
{
	struct emit g = { .cap_slots = w->cap_slots ? 2 * w->cap_slots : 4096 };

	g.slots = calloc(g.cap_slots, sizeof(*g.slots));
	if (!g.slots)
		return -ENOMEM;
	for (size_t i = 0; i < w->cap_slots; i++)
		if (w->slots[i].key)
			*slot_of(&g, w->slots[i].key) = w->slots[i];
	free(w->slots);
	w->slots = g.slots;
	w->cap_slots = g.cap_slots;
	return 0;
}

static struct slot *slot_add(struct emit *w, const struct bs_tree_inode *key)
{
	struct slot *s;

	if (2 * (w->n_slots + 1) > w->cap_slots && slots_grow(w) < 0)
		return NULL;
	s = slot_of(w, key);
	if (!s->key) {
		s->key = key;
		s->origin = SIZE_MAX;
		w->n_slots++;
	}
	return s;
}

/* A name libarchive cannot translate to UTF-8 (under the C locale of
 * oci_tar_write_header: any non-ASCII byte) is a warning: the pax writer then
 * writes that entry's path, linkpath, uname and gname as they are, under
 * hdrcharset=BINARY (POSIX pax), which is the byte-exact name we want. */
int oci_entry_write(struct archive *out, struct archive_entry *e, struct bs_error *err)
{
	int ar = oci_tar_write_header(out, e);

	if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
		return bs_error_set(err, -EIO, archive_entry_pathname(e), "cannot write tar entry: %s",
				    archive_error_string(out));
	return 0;
}

/* Numeric owners only, no uname/gname, no atime/ctime: only what the tree holds. */
void oci_entry_fill(struct archive_entry *e, const char *path, struct bs_tree_inode *inode)
{
	const struct bs_tree_stat *st = &inode->st;

	archive_entry_clear(e);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, st->mode & S_IFMT);
	archive_entry_set_perm(e, st->mode & 07777);
	archive_entry_set_uid(e, st->uid);
	archive_entry_set_gid(e, st->gid);
	archive_entry_set_mtime(e, st->mtime_sec, st->mtime_nsec);
	if (S_ISREG(st->mode))
		archive_entry_set_size(e, (la_int64_t)st->size);
	else
		archive_entry_set_size(e, 0);
	if (S_ISLNK(st->mode))
		archive_entry_set_symlink(e, inode->payload ? inode->payload : "");
	if (S_ISCHR(st->mode) || S_ISBLK(st->mode)) {
		archive_entry_set_rdevmajor(e, major(st->rdev));
		archive_entry_set_rdevminor(e, minor(st->rdev));
	}
	for (size_t i = 0; i < inode->n_xattrs; i++)
		archive_entry_xattr_add_entry(e, inode->xattrs[i].key, inode->xattrs[i].value,
					      inode->xattrs[i].value_len);
}

static int write_data(struct emit *w, const char *path, const void *data, size_t len)
{
	if (len && archive_write_data(w->out, data, len) != (la_ssize_t)len)
		return bs_error_set(w->err, -EIO, path, "cannot write tar data: %s", archive_error_string(w->out));
	return 0;
}

/* Group 1, and the bookkeeping for groups 2 and 3. */
static int walk(struct emit *w, struct archive_entry *e, struct bs_tree_inode *dir, size_t len)
{
	for (size_t i = 0; i < dir->n_children; i++) {
		struct bs_tree_dirent *d = &dir->children[i];
		struct bs_tree_inode *inode = d->inode;
		size_t child_len = len + d->name_len;
		struct slot *s;
		int r;

		if (child_len + 2 > sizeof(w->path))
			return bs_error_set(w->err, -ENAMETOOLONG, d->name, "path too long");
		memcpy(w->path + len, d->name, d->name_len);
		w->path[child_len] = 0;
		if (S_ISDIR(inode->st.mode)) {
			w->path[child_len] = '/';
			w->path[child_len + 1] = 0;
			oci_entry_fill(e, w->path, inode);
			if ((r = oci_entry_write(w->out, e, w->err)) < 0 ||
			    (r = walk(w, e, inode, child_len + 1)) < 0)
				return r;
			continue;
		}
		if (!(s = slot_add(w, inode)))
			return -ENOMEM;
		if (s->path) {
			/* A second name: written as a link once its target exists. */
			if (BSI_GROW(w->links, w->cap_links, w->n_links, 64) < 0)
				return -ENOMEM;
			w->links[w->n_links] = (struct hardlink){ strdup(w->path), s->path, inode };
			if (!w->links[w->n_links++].path)
				return -ENOMEM;
			continue;
		}
		if (!(s->path = strdup(w->path)))
			return -ENOMEM;
		if (S_ISREG(inode->st.mode) && !inode->content) {
			struct oci_capture *c = oci_capture_find(w->img, inode);

			if (!c || !c->replaced) {
				w->n_streamed++;    /* group 2 */
				continue;
			}
			oci_entry_fill(e, w->path, inode);
			if ((r = oci_entry_write(w->out, e, w->err)) < 0 ||
			    (r = write_data(w, w->path, c->data, c->len)) < 0)
				return r;
			continue;
		}
		oci_entry_fill(e, w->path, inode);
		if ((r = oci_entry_write(w->out, e, w->err)) < 0)
			return r;
		if (S_ISREG(inode->st.mode) && (r = write_data(w, w->path, inode->content, inode->content_len)) < 0)
			return r;
	}
	return 0;
}

static int copy_entry(struct emit *w, struct archive *in, struct archive_entry *e, struct slot *s,
		      size_t layer)
{
	static const uint8_t zeros[65536];
	struct bs_tree_inode *inode = (struct bs_tree_inode *)s->key;
	uint64_t pos = 0, size = inode->st.size;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r, ar;

	oci_entry_fill(e, s->path, inode);
	if ((r = oci_entry_write(w->out, e, w->err)) < 0)
		return r;
	while ((ar = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off > size || len > size - (uint64_t)off)
			return bs_error_set(w->err, -EBADMSG, s->path, "layer %zu changed since it was read", layer + 1);
		for (; pos < (uint64_t)off; pos += sizeof(zeros) < off - pos ? sizeof(zeros) : off - pos)
			if ((r = write_data(w, s->path, zeros, sizeof(zeros) < off - pos ? sizeof(zeros) : off - pos)) < 0)
				return r;
		if ((r = write_data(w, s->path, buf, len)) < 0)
			return r;
		pos += len;
	}
	if (ar != ARCHIVE_EOF)
		return bs_error_set(w->err, -EBADMSG, s->path, "layer %zu: corrupt layer: %s", layer + 1,
				    archive_error_string(in));
	for (; pos < size; pos += sizeof(zeros) < size - pos ? sizeof(zeros) : size - pos)
		if ((r = write_data(w, s->path, zeros, sizeof(zeros) < size - pos ? sizeof(zeros) : size - pos)) < 0)
			return r;
	return 0;
}

/* Fewer files streamed than group 1 left for group 2: name one. */
static int missing_content(struct emit *w)
{
	for (size_t j = 0; j < w->cap_slots; j++) {
		const struct slot *sl = &w->slots[j];

		if (sl->key && S_ISREG(sl->key->st.mode) && !sl->key->content && sl->origin == SIZE_MAX &&
		    !oci_capture_find(w->img, sl->key))
			return bs_error_set(w->err, -EINVAL, sl->path,
					    "no content for this file (set it with bs_oci_image_set_file)");
	}
	return bs_error_set(w->err, -EINVAL, NULL, "file contents missing from the layers");
}

/* Group 2 from the spool: the same entries in the same order, with the
 * bytes flattening hashed, so no layer is decompressed again. */
static int stream_spool(struct emit *w, struct archive_entry *e)
{
	const struct oci_spool *sp = &w->img->spool;
	_cleanup_free_ uint8_t *buf = malloc(SPOOL_READ);
	size_t copied = 0;
	int r;

	if (!buf)
		return -ENOMEM;
	/* Read, not mapped: mapped pages would count as this process's memory,
	 * a whole image's worth of it. */
	posix_fadvise(sp->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (size_t i = 0; i < w->img->n_origins; i++) {
		const struct oci_origin *o = &w->img->origins[i];
		struct slot *sl = slot_of(w, o->inode);
		uint64_t size = o->inode->st.size;

		if (!sl->key || sl->origin != i)
			continue;       /* replaced, removed, or content now held in memory */
		if (o->spool_off > sp->size || size > sp->size - o->spool_off)
			return bs_error_set(w->err, -EBADMSG, sl->path, "not in the spool");
		oci_entry_fill(e, sl->path, o->inode);
		if ((r = oci_entry_write(w->out, e, w->err)) < 0)
			return r;
		for (uint64_t done = 0; done < size;) {
			size_t want = size - done < SPOOL_READ ? (size_t)(size - done) : SPOOL_READ;
			ssize_t n = pread(sp->fd, buf, want, (off_t)(o->spool_off + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return bs_error_set(w->err, n < 0 ? -errno : -EIO, w->img->tmp.path,
						    "cannot read the spooled files: %s", n < 0 ? strerror(errno) : "short file");
			if ((r = write_data(w, sl->path, buf, (size_t)n)) < 0)
				return r;
			done += (uint64_t)n;
		}
		copied++;
	}
	return copied == w->n_streamed ? 0 : missing_content(w);
}

/* Group 2: origins are in stream order, so each needed layer is read once. */
static int stream_layers(struct emit *w, struct archive_entry *out_e)
{
	const struct oci_origin *o = w->img->origins;
	size_t n = w->img->n_origins, i = 0, copied = 0;
	int r = 0;

	if (!w->cap_slots)
		n = 0;
	while (i < n && !r) {
		size_t layer, ordinal = 0;
		struct oci_stream *s = NULL;
		struct archive *in = NULL;
		struct archive_entry *e;
		int ar = ARCHIVE_OK;

		while (i < n && (!slot_of(w, o[i].inode)->key || slot_of(w, o[i].inode)->origin != i))
			i++;    /* replaced, removed, or content now held in memory */
		if (i == n)
			break;
		layer = o[i].layer;
		if ((r = oci_stream_open(w->img, layer, &s, &in, w->err)) < 0)
			return r;
		while (i < n && o[i].layer == layer && !r) {
			struct slot *sl = slot_of(w, o[i].inode);

			if (!sl->key || sl->origin != i) {
				i++;    /* replaced, removed, or content now held in memory */
				continue;
			}
			while ((ar = oci_tar_read_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN)
				if (ordinal++ == o[i].ordinal)
					break;
			if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
				r = ar == ARCHIVE_EOF ? bs_error_set(w->err, -EBADMSG, sl->path,
								      "layer %zu changed since it was read", layer + 1)
						      : oci_stream_error(s, in, layer, NULL, w->err);
				break;
			}
			r = copy_entry(w, in, out_e, sl, layer);
			copied++;
			i++;
		}
		/* The rest is drained as flatten read it: a warning is not an error. */
		while (!r && ((ar = oci_tar_read_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN))
			;
		if (!r && ar != ARCHIVE_EOF)
			r = oci_stream_error(s, in, layer, NULL, w->err);
		if (!r)
			r = oci_stream_finish(s, layer, w->err);
		oci_stream_close(s, in);
	}
	if (!r && copied != w->n_streamed)
		return missing_content(w);
	return r;
}

int oci_write_base_entries(struct bs_oci_image *img, struct archive *out, struct bs_error *err)
{
	struct emit w = { .img = img, .out = out, .err = err };
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return -ENOMEM;
	oci_entry_fill(e, "./", bs_tree_root(img->tree));
	r = oci_entry_write(out, e, err);
	if (r >= 0)
		r = walk(&w, e, bs_tree_root(img->tree), 0);
	/* The first origin of each live inode is where its bytes are. */
	for (size_t i = 0; r >= 0 && i < img->n_origins; i++) {
		struct slot *s = w.cap_slots ? slot_of(&w, img->origins[i].inode) : NULL;
		struct oci_capture *c;

		if (s && s->key && s->origin == SIZE_MAX && !s->key->content &&
		    (!(c = oci_capture_find(img, s->key)) || !c->replaced))
			s->origin = i;
	}
	if (r >= 0)
		r = w.cap_slots && img->spool.fd >= 0 ? stream_spool(&w, e) : stream_layers(&w, e);
	for (size_t i = 0; r >= 0 && i < w.n_links; i++) {
		oci_entry_fill(e, w.links[i].path, w.links[i].inode);
		archive_entry_set_hardlink(e, w.links[i].target);
		archive_entry_set_size(e, 0);
		r = oci_entry_write(out, e, err);
	}
	for (size_t i = 0; i < w.n_links; i++)
		free(w.links[i].path);
	for (size_t i = 0; i < w.cap_slots; i++)
		free(w.slots[i].path);
	free(w.links);
	free(w.slots);
	archive_entry_free(e);
	return r;
}
