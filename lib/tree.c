/* SPDX-License-Identifier: MIT */
#include <bootseal/tree.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tree.h"
#include "hex.h"
#include "util.h"

/* Names, content and payloads are bump-allocated: a large image has millions
 * of small strings that all die together with the tree. */
#define CHUNK_SIZE (256u * 1024)

struct bs_tree_chunk {
	struct bs_tree_chunk *next;
	size_t used, size;
	uint8_t data[];
};

void *bsi_tree_arena_dup(struct bs_tree *tree, const void *data, size_t len)
{
	struct bs_tree_chunk *c = tree->chunks;
	size_t need = len + 1;
	uint8_t *p;

	if (need > CHUNK_SIZE / 4) {
		/* Big items get their own chunk, kept behind the current one. */
		struct bs_tree_chunk *big = malloc(sizeof(*big) + need);
		if (!big)
			return NULL;
		big->size = big->used = need;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			big->next = NULL;
			tree->chunks = big;
		}
		p = big->data;
	} else {
		if (!c || c->size - c->used < need) {
			c = malloc(sizeof(*c) + CHUNK_SIZE);
			if (!c)
				return NULL;
			c->size = CHUNK_SIZE;
			c->used = 0;
			c->next = tree->chunks;
			tree->chunks = c;
		}
		p = c->data + c->used;
		c->used += need;
	}
	if (len)
		memcpy(p, data, len);
	p[len] = 0;
	return p;
}

/* The arena is the whole tree's: an inode set from another thread takes the tree's lock. */
static void *arena_dup_locked(struct bs_tree *tree, const void *data, size_t len)
{
	void *copy;

	pthread_mutex_lock(&tree->lock);
	copy = bsi_tree_arena_dup(tree, data, len);
	pthread_mutex_unlock(&tree->lock);
	return copy;
}

int bsi_tree_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int known_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return 1;
	}
	return 0;
}

static struct bs_tree_inode *inode_alloc(struct bs_tree *tree, uint32_t mode)
{
	struct bs_tree_inode *ino = calloc(1, sizeof(*ino));

	if (!ino)
		return NULL;
	ino->st.mode = mode;
	ino->st.nlink = S_ISDIR(mode) ? 2 : 1;
	ino->all_next = tree->all;
	tree->all = ino;
	tree->n_inodes++;
	return ino;
}

int bs_tree_new(struct bs_tree **out)
{
	if (!out)
		return -EINVAL;
	struct bs_tree *tree = calloc(1, sizeof(*tree));

	if (!tree)
		return -ENOMEM;
	pthread_mutex_init(&tree->lock, NULL);
	tree->root = inode_alloc(tree, S_IFDIR | 0755);
	if (!tree->root) {
		bs_tree_free(tree);
		return -ENOMEM;
	}
	*out = tree;
	return 0;
}

void bs_tree_free(struct bs_tree *tree)
{
	if (!tree)
		return;
	for (struct bs_tree_inode *i = tree->all, *next; i; i = next) {
		next = i->all_next;
		free(i->xattrs);
		free(i->children);
		free(i);
	}
	for (struct bs_tree_chunk *c = tree->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&tree->lock);
	free(tree);
}

struct bs_tree_inode *bs_tree_root(struct bs_tree *tree)
{
	if (!tree)
		return NULL;
	return tree->root;
}

int bs_tree_inode_new(struct bs_tree *tree, uint32_t mode, struct bs_tree_inode **out,
		      struct bs_error *err)
{
	struct bs_tree_inode *ino;

	if (!known_type(mode))
		return bs_error_set(err, -EINVAL, NULL, "unknown file type in mode 0%o", mode);
	pthread_mutex_lock(&tree->lock);
	ino = inode_alloc(tree, mode);
	pthread_mutex_unlock(&tree->lock);
	if (!ino)
		return -ENOMEM;
	*out = ino;
	return 0;
}

/* Index of the first child not less than name. */
static size_t child_pos(const struct bs_tree_inode *dir, const char *name, size_t len, int *found)
{
	size_t lo = 0, hi = dir->n_children;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bs_tree_dirent *d = &dir->children[mid];
		int c = bsi_tree_name_cmp(d->name, d->name_len, name, len);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bs_tree_dir_add(struct bs_tree *tree, struct bs_tree_inode *dir, const char *name,
		    size_t name_len, struct bs_tree_inode *child, struct bs_error *err)
{
	if (!tree || !dir || !name || !child)
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_dir_add: a NULL argument");
	struct bs_tree_dirent *d;
	const char *copy;
	size_t pos;
	int found;

	if (!S_ISDIR(dir->st.mode))
		return bs_error_set(err, -ENOTDIR, NULL, "not a directory");
	if (name_len == 0 || name_len > BS_TREE_NAME_MAX || memchr(name, '/', name_len) ||
	    memchr(name, 0, name_len) || (name_len == 1 && name[0] == '.') ||
	    (name_len == 2 && name[0] == '.' && name[1] == '.'))
		return bs_error_set(err, -EINVAL, NULL, "invalid file name '%.*s'",
				    (int)(name_len > 64 ? 64 : name_len), name);
	if (S_ISDIR(child->st.mode) && (child->links || child == tree->root))
		return bs_error_set(err, -EINVAL, NULL, "directories cannot be hardlinked");
	pos = child_pos(dir, name, name_len, &found);
	if (found)
		return bs_error_set(err, -EEXIST, NULL, "duplicate name '%.*s'", (int)name_len, name);
	if (BSI_GROW(dir->children, dir->children_cap, dir->n_children, 4) < 0)
		return -ENOMEM;
	copy = arena_dup_locked(tree, name, name_len);
	if (!copy)
		return -ENOMEM;
	d = dir->children;
	memmove(d + pos + 1, d + pos, (dir->n_children - pos) * sizeof(*d));
	d[pos] = (struct bs_tree_dirent){ copy, (uint32_t)name_len, child, child->links == 0 };
	dir->n_children++;
	child->links++;
	return 0;
}

struct bs_tree_inode *bs_tree_dir_lookup(const struct bs_tree_inode *dir, const char *name,
					 size_t name_len)
{
	if (!dir || !name)
		return NULL;
	size_t pos;
	int found;

	if (!S_ISDIR(dir->st.mode))
		return NULL;
	pos = child_pos(dir, name, name_len, &found);
	return found ? dir->children[pos].inode : NULL;
}

size_t bs_tree_dir_count(const struct bs_tree_inode *dir)
{
	if (!dir)
		return 0;
	return dir->n_children;
}

struct bs_tree_inode *bs_tree_dir_child(const struct bs_tree_inode *dir, size_t i,
					const char **name, size_t *name_len)
{
	if (!dir)
		return NULL;
	if (i >= dir->n_children)
		return NULL;
	if (name)
		*name = dir->children[i].name;
	if (name_len)
		*name_len = dir->children[i].name_len;
	return dir->children[i].inode;
}

struct bs_tree_stat *bs_tree_inode_stat(struct bs_tree_inode *inode)
{
	if (!inode)
		return NULL;
	return &inode->st;
}

uint32_t bs_tree_link_count(const struct bs_tree_inode *inode)
{
	if (!inode)
		return 0;
	return inode->links;
}

int bs_tree_inode_add_xattr(struct bs_tree *tree, struct bs_tree_inode *inode, const char *key,
			    size_t key_len, const void *value, size_t value_len,
			    struct bs_error *err)
{
	struct bs_tree_xattr *x = NULL;
	char *k;
	uint8_t *v;

	if (key_len == 0 || key_len > BS_TREE_XATTR_NAME_MAX || memchr(key, 0, key_len))
		return bs_error_set(err, -EINVAL, NULL, "invalid xattr name of %zu bytes", key_len);
	if (value_len > BS_TREE_XATTR_VALUE_MAX)
		return bs_error_set(err, -EINVAL, NULL, "xattr '%.*s' value of %zu bytes is too long",
				    (int)key_len, key, value_len);
	for (size_t i = 0; i < inode->n_xattrs; i++)
		if (inode->xattrs[i].key_len == key_len && !memcmp(inode->xattrs[i].key, key, key_len))
			x = &inode->xattrs[i];
	if (!x && BSI_GROW(inode->xattrs, inode->xattrs_cap, inode->n_xattrs, 4) < 0)
		return -ENOMEM;
	pthread_mutex_lock(&tree->lock);
	k = x ? x->key : bsi_tree_arena_dup(tree, key, key_len);
	v = bsi_tree_arena_dup(tree, value, value_len);
	pthread_mutex_unlock(&tree->lock);
	if (!k || !v)
		return -ENOMEM;
	if (!x)
		x = &inode->xattrs[inode->n_xattrs++];
	*x = (struct bs_tree_xattr){ k, (uint16_t)key_len, (uint32_t)value_len, v };
	return 0;
}

size_t bs_tree_inode_xattr_count(const struct bs_tree_inode *inode)
{
	if (!inode)
		return 0;
	return inode->n_xattrs;
}

void bs_tree_inode_xattr(const struct bs_tree_inode *inode, size_t i, const char **key,
			 size_t *key_len, const uint8_t **value, size_t *value_len)
{
	if (!inode || !key || !value || !value_len)
		return;
	const struct bs_tree_xattr *x = &inode->xattrs[i];

	*key = x->key;
	if (key_len)
		*key_len = x->key_len;
	*value = x->value;
	*value_len = x->value_len;
}

int bs_tree_inode_set_content(struct bs_tree *tree, struct bs_tree_inode *inode,
			      const void *data, size_t len, struct bs_error *err)
{
	if (!tree || !inode || (!data && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_inode_set_content: a NULL argument");
	uint8_t *copy;

	if (!S_ISREG(inode->st.mode))
		return bs_error_set(err, -EINVAL, NULL, "inline content on a non-regular file");
	copy = arena_dup_locked(tree, data, len);
	if (!copy)
		return -ENOMEM;
	inode->content = copy;
	inode->content_len = len;
	inode->st.size = len;
	return 0;
}

int bs_tree_inode_set_digest(struct bs_tree_inode *inode, const uint8_t *digest, size_t len)
{
	if (len != 32 && len != 64)
		return -EINVAL;
	memcpy(inode->digest, digest, len);
	inode->digest_len = (uint8_t)len;
	return 0;
}

int bs_tree_inode_set_payload(struct bs_tree *tree, struct bs_tree_inode *inode,
			      const char *payload, size_t len, struct bs_error *err)
{
	if (!tree || !inode || (!payload && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_inode_set_payload: a NULL argument");
	char *copy;

	if (memchr(payload, 0, len))
		return bs_error_set(err, -EINVAL, NULL, "payload contains a NUL byte");
	copy = arena_dup_locked(tree, payload, len);
	if (!copy)
		return -ENOMEM;
	inode->payload = copy;
	inode->payload_len = len;
	return 0;
}

int bs_tree_inode_set_external(struct bs_tree *tree, struct bs_tree_inode *inode, uint64_t size,
			       const uint8_t *digest, size_t len, struct bs_error *err)
{
	if (!tree || !inode || !digest)
		return bs_error_set(err, -EINVAL, NULL, "bs_tree_inode_set_external: a NULL argument");
	char redirect[2 * BS_TREE_DIGEST_MAX + 2];
	int r;

	if (!S_ISREG(inode->st.mode))
		return bs_error_set(err, -EINVAL, NULL, "external content on a non-regular file");
	if ((r = bs_tree_inode_set_digest(inode, digest, len)) < 0)
		return r;
	/* composefs's object path: the first byte, a slash, the rest. */
	bs_hex_encode(digest, 1, redirect);
	redirect[2] = '/';
	bs_hex_encode(digest + 1, len - 1, redirect + 3);
	inode->content = NULL;
	inode->content_len = 0;
	inode->st.size = size;
	return bs_tree_inode_set_payload(tree, inode, redirect, 2 * len + 1, err);
}

const uint8_t *bs_tree_inode_content(const struct bs_tree_inode *inode, size_t *len)
{
	if (!inode || !len)
		return NULL;
	*len = inode->content_len;
	return inode->content;
}

const uint8_t *bs_tree_inode_digest(const struct bs_tree_inode *inode, size_t *len)
{
	if (!inode || !len)
		return NULL;
	*len = inode->digest_len;
	return inode->digest_len ? inode->digest : NULL;
}

const char *bs_tree_inode_payload(const struct bs_tree_inode *inode, size_t *len)
{
	if (!inode || !len)
		return NULL;
	*len = inode->payload_len;
	return inode->payload;
}

void bsi_tree_set_primary(struct bs_tree_inode *dir, size_t i)
{
	struct bs_tree_inode *target = dir->children[i].inode;

	/* Only one name is primary; the old one may be in another directory,
	 * which the caller clears through its own walk. */
	for (size_t j = 0; j < dir->n_children; j++)
		if (dir->children[j].inode == target)
			dir->children[j].primary = 0;
	dir->children[i].primary = 1;
}
