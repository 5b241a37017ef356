/* SPDX-License-Identifier: MIT */
/*
 * Writing composefs dump files: C composefs-info dump's form, or with
 * BS_DUMP_COMPOSEFS_RS composefs-rs's (bootc's --write-dumpfile-to), and
 * composefs-info ls's listing.
 */
#include <bootseal/dump.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"
#include "hex.h"
#include "util.h"

/* composefs-info dump's escaping: \\ \n \r \t by name, other bytes outside
 * the printable ASCII graph as \xNN; `=` too inside xattrs, and a lone `-`
 * (which would read back as "absent") in optional fields. */
enum { ESC_SPACE_OK = 1, ESC_EQUAL = 2, ESC_LONE_DASH = 4 };

static void put_escaped(FILE *out, const char *s, size_t len, int flags)
{
	if ((flags & ESC_LONE_DASH) && len == 1 && s[0] == '-') {
		fputs("\\x2d", out);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\': fputs("\\\\", out); continue;
		case '\n': fputs("\\n", out); continue;
		case '\r': fputs("\\r", out); continue;
		case '\t': fputs("\\t", out); continue;
		}
		if ((c == '=' && (flags & ESC_EQUAL)) || c > 0x7e ||
		    c < ((flags & ESC_SPACE_OK) ? 0x20 : 0x21))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

struct dump_writer {
	FILE *out;
	char *path;
	size_t len, cap;
	unsigned flags;
};

static int path_push(struct dump_writer *w, const char *name, size_t len)
{
	if (bsi_reserve(&w->path, &w->cap, w->len + len + 2) < 0)
		return -ENOMEM;
	w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, len);
	w->len += len;
	w->path[w->len] = 0;
	return 0;
}

/*
 * Calls visit for every entry below dir, depth first, with w->path set to
 * its path. A directory has one name only, so each is entered once.
 */
static int walk(struct dump_writer *w, struct bs_tree_inode *dir,
		int (*visit)(struct dump_writer *w, const struct bs_tree_dirent *d))
{
	for (size_t i = 0; i < dir->n_children; i++) {
		const struct bs_tree_dirent *d = &dir->children[i];
		size_t saved = w->len;
		int r = path_push(w, d->name, d->name_len);

		if (r >= 0)
			r = visit(w, d);
		if (r >= 0 && d->primary && S_ISDIR(d->inode->st.mode))
			r = walk(w, d->inode, visit);
		if (r < 0)
			return r;
		w->len = saved;
		w->path[saved] = 0;
	}
	return 0;
}

/* The primary path of every hardlinked inode, kept in its w_data. */
static int collect_primary(struct dump_writer *w, const struct bs_tree_dirent *d)
{
	if (d->primary && d->inode->links > 1) {
		d->inode->w_data = strdup(w->path);
		if (!d->inode->w_data)
			return -ENOMEM;
	}
	return 0;
}

/*
 * composefs-rs keeps xattrs in a map ordered by name: the next one after
 * prev in that order (prev NULL: the first), without reordering the tree.
 * Keys of one inode are unique.
 */
static const struct bs_tree_xattr *next_xattr_by_name(const struct bs_tree_inode *ino,
						      const struct bs_tree_xattr *prev)
{
	const struct bs_tree_xattr *best = NULL;

	for (size_t i = 0; i < ino->n_xattrs; i++) {
		const struct bs_tree_xattr *x = &ino->xattrs[i];

		if (prev && bsi_tree_name_cmp(x->key, x->key_len, prev->key, prev->key_len) <= 0)
			continue;
		if (!best || bsi_tree_name_cmp(x->key, x->key_len, best->key, best->key_len) < 0)
			best = x;
	}
	return best;
}

/* composefs-rs: nlink of a directory is 2 + its subdirectories. */
static uint32_t dir_nlink(const struct bs_tree_inode *dir)
{
	uint32_t n = 2;

	for (size_t i = 0; i < dir->n_children; i++)
		n += S_ISDIR(dir->children[i].inode->st.mode) ? 1 : 0;
	return n;
}

static void dump_inode(struct dump_writer *w, const char *path, const struct bs_tree_inode *ino,
		       const char *link_to)
{
	const struct bs_tree_stat *st = &ino->st;
	const struct bs_tree_xattr *x_prev = NULL;
	FILE *out = w->out;
	int rs = w->flags & BS_DUMP_COMPOSEFS_RS;

	put_escaped(out, path, strlen(path), 0);
	if (rs && link_to) {
		/* composefs-rs dumpfile.rs write_hardlink: the other fields are placeholders. */
		fputs(" 0 @120000 - - - - 0.0 ", out);
		put_escaped(out, link_to, strlen(link_to), ESC_LONE_DASH);
		fputs(" - -\n", out);
		return;
	}
	fprintf(out, " %" PRIu64 " %s%o %u %u %u %" PRIu64 " %" PRIi64 ".%u ",
		rs && S_ISDIR(st->mode) ? 0 : st->size, link_to ? "@" : "", st->mode,
		rs && S_ISDIR(st->mode) ? dir_nlink(ino) : st->nlink, st->uid, st->gid, st->rdev,
		st->mtime_sec, st->mtime_nsec);
	if (link_to)
		put_escaped(out, link_to, strlen(link_to), ESC_LONE_DASH);
	else if (ino->payload)
		put_escaped(out, ino->payload, ino->payload_len, ESC_LONE_DASH);
	else
		fputc('-', out);
	fputc(' ', out);
	/* Empty content is "-", as composefs-info prints it. */
	if (ino->content && ino->content_len && S_ISREG(st->mode))
		put_escaped(out, (const char *)ino->content, ino->content_len, ESC_LONE_DASH);
	else
		fputc('-', out);
	fputc(' ', out);
	if (ino->digest_len) {
		char hex[2 * BS_TREE_DIGEST_MAX + 1];
		bs_hex_encode(ino->digest, ino->digest_len, hex);
		fputs(hex, out);
	} else {
		fputc('-', out);
	}
	for (size_t i = 0; i < ino->n_xattrs; i++) {
		const struct bs_tree_xattr *x = &ino->xattrs[i];

		if (rs)
			x = next_xattr_by_name(ino, x_prev);
		x_prev = x;
		fputc(' ', out);
		put_escaped(out, x->key, x->key_len, ESC_EQUAL);
		fputc('=', out);
		put_escaped(out, (const char *)x->value, x->value_len, ESC_EQUAL);
	}
	fputc('\n', out);
}

static int dump_entry(struct dump_writer *w, const struct bs_tree_dirent *d)
{
	dump_inode(w, w->path, d->inode, d->primary ? NULL : d->inode->w_data);
	return 0;
}

int bs_dump_write(struct bs_tree *tree, FILE *out)
{
	if (!tree || !out)
		return -EINVAL;
	return bs_dump_write_flags(tree, out, 0);
}

int bs_dump_write_flags(struct bs_tree *tree, FILE *out, unsigned flags)
{
	if (!tree || !out)
		return -EINVAL;
	struct dump_writer w = { .out = out, .flags = flags };
	int r;

	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next)
		i->w_data = NULL;
	r = path_push(&w, "", 0);
	if (r < 0)
		return r;
	w.len = 0;
	w.path[0] = 0;
	r = walk(&w, tree->root, collect_primary);
	if (r >= 0) {
		dump_inode(&w, "/", tree->root, NULL);
		r = walk(&w, tree->root, dump_entry);
	}
	for (struct bs_tree_inode *i = tree->all; i; i = i->all_next) {
		free(i->w_data);
		i->w_data = NULL;
	}
	free(w.path);
	if (r >= 0 && ferror(out))
		r = -EIO;
	return r;
}

static int list_entry(struct dump_writer *w, const struct bs_tree_dirent *d)
{
	const struct bs_tree_inode *c = d->inode;

	put_escaped(w->out, w->path, w->len, ESC_SPACE_OK);
	/* composefs-info ls shows a hardlink by its name only */
	if (!d->primary) {
	} else if (S_ISDIR(c->st.mode)) {
		fputs("/\t", w->out);
	} else if (S_ISLNK(c->st.mode)) {
		fputs("\t-> ", w->out);
		put_escaped(w->out, c->payload, c->payload_len, 0);
	} else if (S_ISREG(c->st.mode) && c->payload) {
		fputs("\t@ ", w->out);
		put_escaped(w->out, c->payload, c->payload_len, 0);
	}
	fputc('\n', w->out);
	return 0;
}

int bs_dump_list(struct bs_tree *tree, FILE *out)
{
	if (!tree || !out)
		return -EINVAL;
	struct dump_writer w = { .out = out };
	int r = path_push(&w, "", 0);

	if (r >= 0) {
		w.len = 0;
		w.path[0] = 0;
		r = walk(&w, tree->root, list_entry);
	}
	free(w.path);
	if (r >= 0 && ferror(out))
		r = -EIO;
	return r;
}
