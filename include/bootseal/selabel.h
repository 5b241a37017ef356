/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_SELABEL_H
#define BOOTSEAL_SELABEL_H

#include <bootseal/export.h>

#include <stddef.h>

#include <bootseal/error.h>
#include <bootseal/tree.h>

/*
 * SELinux file labels from a root filesystem's own policy, computed the way
 * composefs-rs (and so bootc) computes them for a sealed image, which is not
 * libselinux's lookup: the last matching line of file_contexts,
 * file_contexts.local, file_contexts.homedirs wins (no specificity sort), and
 * .subs/.subs_dist aliases apply to whole paths only. Matching libselinux here
 * would give a different composefs digest than bootc for the same tree.
 */
struct bs_selabel;

/*
 * Reads etc/selinux/config of the tree and loads
 * etc/selinux/<SELINUXTYPE>/contexts/files/ from the tree (external file
 * content through src). *out is NULL (and 0 returned) when the tree has no
 * policy: no etc/selinux, no config, or no SELINUXTYPE. name (the tree's
 * path or image) prefixes paths in error messages.
 */
BS_EXPORT int bs_selabel_load(struct bs_tree *tree, const struct bs_content_source *src, const char *name,
		              struct bs_selabel **out, struct bs_error *err);
BS_EXPORT void bs_selabel_free(struct bs_selabel *sel);

/* File type letters of file_contexts: 'd', '-', 'l', 'c', 'b', 'p', 's'. */
BS_EXPORT char bs_selabel_type_of_mode(unsigned int mode);

/*
 * The label for an absolute path ("/usr/bin/sh") of that type, or NULL for
 * none (no match, or <<none>>). The string belongs to sel. Not thread-safe:
 * patterns are compiled on first use.
 */
BS_EXPORT const char *bs_selabel_lookup(struct bs_selabel *sel, const char *path, size_t path_len, char type);

/*
 * Why lookups stopped, or NULL: a pattern that backtracks catastrophically,
 * patterns that need too much memory, or a lookup that takes too many steps
 * (the policy is then hostile). Once set, every lookup returns NULL.
 */
BS_EXPORT const char *bs_selabel_failure(const struct bs_selabel *sel);

/* The path whose label a path takes (a .subs alias), or NULL. */
BS_EXPORT const char *bs_selabel_alias(const struct bs_selabel *sel, const char *path, size_t path_len);

#endif
