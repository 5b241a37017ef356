/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for SELinux file_contexts from an image's own policy
 * (bs_selabel_load/lookup): the input is file_contexts, NUL,
 * file_contexts.subs_dist, NUL, one more path to look up. They are put in an
 * in-memory tree with etc/selinux/config naming the policy "fuzz", as an
 * image to be sealed would carry them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/selabel.h>
#include <bootseal/tree.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mkdir -p of a relative path; returns the last directory. */
static struct bs_tree_inode *dirs(struct bs_tree *t, const char *path)
{
	struct bs_tree_inode *d = bs_tree_root(t);
	const char *p = path;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct bs_tree_inode *c = bs_tree_dir_lookup(d, p, n);

		if (!c) {
			if (bs_tree_inode_new(t, S_IFDIR | 0755, &c, NULL) < 0 ||
			    bs_tree_dir_add(t, d, p, n, c, NULL) < 0)
				return NULL;
		}
		d = c;
		p += n + (e ? 1 : 0);
	}
	return d;
}

static int file(struct bs_tree *t, struct bs_tree_inode *dir, const char *name, const void *data,
		size_t len)
{
	struct bs_tree_inode *f;

	if (!dir || bs_tree_inode_new(t, S_IFREG | 0644, &f, NULL) < 0 ||
	    bs_tree_inode_set_content(t, f, data, len, NULL) < 0)
		return -1;
	return bs_tree_dir_add(t, dir, name, strlen(name), f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char config[] = "SELINUX=enforcing\nSELINUXTYPE=fuzz\n";
	static const char *const paths[] = { "/", "/usr/bin/sh", "/etc/passwd", "/var/lib/x/y",
					     "/home/user/.ssh/authorized_keys", "/usr/lib/modules/6.1/vmlinuz" };
	static const char types[] = { 'd', '-', '-', 'd', '-', '-' };
	const char *parts[3] = { "", "", "" };
	size_t lens[3] = { 0, 0, 0 };
	const char *p = (const char *)data, *end = p + size;
	struct bs_tree *t = NULL;
	struct bs_selabel *sel = NULL;
	struct bs_tree_inode *files;

	for (int i = 0; i < 3 && p <= end; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		parts[i] = p;
		lens[i] = (size_t)((z ? z : end) - p);
		p += lens[i] + 1;
	}
	if (bs_tree_new(&t) < 0)
		return 0;
	files = dirs(t, "etc/selinux/fuzz/contexts/files");
	if (file(t, dirs(t, "etc/selinux"), "config", config, sizeof(config) - 1) < 0 ||
	    file(t, files, "file_contexts", parts[0], lens[0]) < 0 ||
	    (lens[1] && file(t, files, "file_contexts.subs_dist", parts[1], lens[1]) < 0))
		goto out;
	if (bs_selabel_load(t, NULL, "fuzz", &sel, NULL) == 0 && sel) {
		for (size_t i = 0; i < sizeof(types); i++) {
			(void)bs_selabel_lookup(sel, paths[i], strlen(paths[i]), types[i]);
			(void)bs_selabel_alias(sel, paths[i], strlen(paths[i]));
		}
		if (lens[2] && parts[2][0] == '/')
			(void)bs_selabel_lookup(sel, parts[2], lens[2], '-');
		bs_selabel_free(sel);
	}
out:
	bs_tree_free(t);
	return 0;
}
