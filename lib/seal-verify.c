/* SPDX-License-Identifier: MIT */
#include <bootseal/seal.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/authenticode.h>
#include <bootseal/db.h>
#include <bootseal/diff.h>
#include <bootseal/kargs.h>
#include <bootseal/oci.h>
#include <bootseal/pe.h>
#include <bootseal/source.h>

#include "hex.h"
#include "util.h"

#define MAX_HINTS 10

static int add_check(struct bs_seal_report *rep, const char *name, const char *subject, int ok,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int add_check(struct bs_seal_report *rep, const char *name, const char *subject, int ok,
		     const char *fmt, ...)
{
	struct bs_seal_check *c = realloc(rep->checks, (rep->n_checks + 1) * sizeof(*c));
	va_list ap;

	if (!c)
		return -ENOMEM;
	rep->checks = c;
	c = &rep->checks[rep->n_checks++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->subject, sizeof(c->subject), "%s", subject);
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (!ok)
		rep->ok = 0;
	return 0;
}

void bs_seal_report_clear(struct bs_seal_report *rep)
{
	if (!rep)
		return;
	free(rep->checks);
	for (size_t i = 0; i < rep->n_hints; i++)
		free(rep->hints[i]);
	free(rep->hints);
	memset(rep, 0, sizeof(*rep));
}

/* Signed by a db certificate, or its image hash listed in db. */
static int check_signature(struct bs_seal_report *rep, const struct bs_verify_seal_options *o,
			   const char *check, const char *path, struct bs_pe *pe)
{
	const struct bs_db *db = o->db;
	struct bs_error why = { 0 };
	char signer[256];
	int r;

	r = bs_db_check_pe(db, pe, o->allow_sha1 ? BS_AUTHENTICODE_ALLOW_SHA1 : 0, signer, sizeof(signer), &why);
	if (r >= 0)
		return add_check(rep, check, path, 1, "%s", signer);
	if (r != -EKEYREJECTED)
		return r;
	return add_check(rep, check, path, 0, "%s", why.message);
}

struct hint_ctx {
	struct bs_seal_report *rep;
};

static int collect_hint(void *arg, const struct bs_diff *d)
{
	struct bs_seal_report *rep = arg;
	char *line, **n;

	if (rep->n_hints >= MAX_HINTS)
		return 1;
	if (asprintf(&line, "%s: %s%s%s: %s -> %s", d->path, bs_diff_field_name(d->field), d->name ? " " : "",
		     d->name ? d->name : "", d->a, d->b) < 0)
		return -ENOMEM;
	n = realloc(rep->hints, (rep->n_hints + 1) * sizeof(*n));
	if (!n) {
		free(line);
		return -ENOMEM;
	}
	rep->hints = n;
	rep->hints[rep->n_hints++] = line;
	return 0;
}

/* Expected tree (the -a side) against the image's (b): what changed since sealing. */
static int explain_mismatch(const struct bs_verify_seal_options *o, struct bs_source *image,
			    struct bs_seal_report *rep, struct bs_error *err)
{
	struct bs_source_options sopts = { .jobs = o->jobs,
					   .flags = o->bootc_flags ? BS_SOURCE_CREATE_MISSING : 0 };
	struct bs_source *expected = NULL;
	int r;

	r = bs_source_open(o->expect, &sopts, &expected, err);
	if (r < 0)
		return r;
	r = bs_diff_trees(bs_source_tree(expected), bs_source_tree(image), collect_hint, rep, NULL);
	bs_source_free(expected);
	return r < 0 ? r : 0;
}

static int check_uki(const struct bs_verify_seal_options *o, struct bs_seal_report *rep,
		     const struct bs_source_file *f, int *mismatch, struct bs_error *err)
{
	const struct bs_pe_section *sec;
	const uint8_t *cmdline;
	struct bs_kargs_composefs karg;
	struct bs_error why = { 0 };
	char where[PATH_MAX];
	struct bs_pe *pe = NULL;
	size_t len;
	int r;

	snprintf(where, sizeof(where), "/%s", f->path);
	r = bs_pe_new(f->data, f->len, where, &pe, err);
	if (r < 0)
		return r;
	r = check_signature(rep, o, "uki-signature", where, pe);
	sec = bs_pe_find_section(pe, ".cmdline");
	if (r >= 0 && !sec)
		r = bs_error_set(err, -EBADMSG, where, "UKI has no .cmdline section");
	if (r >= 0) {
		cmdline = bs_pe_section_data(pe, sec, &len);
		/* The digest bootc's initramfs will mount. */
		r = bs_kargs_composefs((const char *)cmdline, len, &karg, &why);
		if (r < 0)
			r = bs_error_set(err, -EBADMSG, where, "the .cmdline: %s%s%s", why.path,
					 why.path[0] ? ": " : "", why.message);
	}
	if (r >= 0) {
		int same = strcmp(karg.hex, rep->digest) == 0;

		const char *q = karg.insecure ? "?" : "";

		*mismatch |= !same;
		r = same ? add_check(rep, "composefs-digest", where, 1, "composefs=%s%s matches the image", q, karg.hex)
			 : add_check(rep, "composefs-digest", where, 0,
				     "the command line has composefs=%s%s but the image's digest is %s", q, karg.hex,
				     rep->digest);
	}
	/* "?": the initramfs mounts the image even where fs-verity is off, and
	 * then nothing checks a file's bytes against the sealed digest. */
	if (r >= 0 && karg.insecure) {
		rep->insecure = 1;
		r = o->allow_insecure
			    ? add_check(rep, "composefs-verity", where, 1,
					"INSECURE (accepted by --allow-insecure): composefs=?: fs-verity is not required")
			    : add_check(rep, "composefs-verity", where, 0,
					"INSECURE: composefs=?: fs-verity is not required, so file contents are not checked (--allow-insecure accepts this)");
	}
	bs_pe_free(pe);
	return r;
}

/*
 * The layers, as seen while they stream: what each holds beyond the shape of
 * the layer a seal writes (the directories boot, boot/EFI, boot/EFI/Linux
 * and UKIs in the last), and which UKIs it wrote.
 */
struct layer_info {
	char *foreign;          /* its first entry a seal's layer would not hold, a file if any */
	int foreign_is_file;
	char **ukis;
	size_t n_ukis;
};

struct layers {
	struct layer_info *l;
	size_t n;
};

static int is_uki_path(const char *path)
{
	size_t len = strlen(path);

	return strncmp(path, "boot/EFI/Linux/", 15) == 0 && !strchr(path + 15, '/') && len > 19 &&
	       strncmp(path + 15, ".wh.", 4) != 0 && strcasecmp(path + len - 4, ".efi") == 0;
}

static int layer_entry(void *ctx, size_t layer, const char *path, unsigned type, const char *hardlink)
{
	struct layers *ls = ctx;
	struct layer_info *li;

	if (layer >= ls->n) {
		struct layer_info *n = realloc(ls->l, (layer + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + ls->n, 0, (layer + 1 - ls->n) * sizeof(*n));
		ls->l = n;
		ls->n = layer + 1;
	}
	li = &ls->l[layer];
	if (!hardlink && type == S_IFREG && is_uki_path(path)) {
		char **u = realloc(li->ukis, (li->n_ukis + 1) * sizeof(*u));

		if (!u)
			return -ENOMEM;
		li->ukis = u;
		if (!(u[li->n_ukis] = strdup(path)))
			return -ENOMEM;
		li->n_ukis++;
		return 0;
	}
	if (!hardlink && type == S_IFDIR &&
	    (!strcmp(path, "boot") || !strcmp(path, "boot/EFI") || !strcmp(path, "boot/EFI/Linux")))
		return 0;
	/* A file names the change better than the directories a tar writer adds around it. */
	if (li->foreign && (li->foreign_is_file || type == S_IFDIR))
		return 0;
	free(li->foreign);
	li->foreign_is_file = type != S_IFDIR;
	if (!(li->foreign = strdup(*path ? path : "")))
		return -ENOMEM;
	return 0;
}

static void layers_clear(struct layers *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->l[i].foreign);
		for (size_t j = 0; j < ls->l[i].n_ukis; j++)
			free(ls->l[i].ukis[j]);
		free(ls->l[i].ukis);
	}
	free(ls->l);
}

/*
 * The composefs digest leaves /boot out and nothing else signs it, so a layer
 * added after the seal could change /boot unseen (a db-signed UKI of another
 * seal as EFI/BOOT/BOOTX64.EFI, say). A sealed image ends with the layer the
 * seal wrote, holding its UKIs and nothing else, and every UKI of the image
 * comes from that layer: a layer after it, or a UKI from elsewhere, fails.
 */
static int check_layers(const struct bs_verify_seal_options *o, struct bs_source *src, const struct layers *ls,
			struct bs_seal_report *rep)
{
	size_t n = bs_oci_image_layer_count(bs_source_oci_image(src));
	const struct layer_info *last = n && n - 1 < ls->n ? &ls->l[n - 1] : NULL;
	const struct bs_source_file *files;
	size_t n_files;
	char where[64];
	int r = 0;

	if (!n)
		return 0;
	snprintf(where, sizeof(where), "layer %zu of %zu", n, n);
	if (last && last->foreign)
		r = add_check(rep, "seal-layer", where, 0,
			      "holds /%s: the layer a seal writes holds only its UKIs in /boot/EFI/Linux "
			      "(a layer added after the seal)", last->foreign);
	else if (!last || !last->n_ukis)
		r = add_check(rep, "seal-layer", where, 0,
			      "holds no UKI: the last layer must be the seal's (a layer added after the seal)");
	else
		r = add_check(rep, "seal-layer", where, 1, "holds the UKI%s and nothing else",
			      last->n_ukis > 1 ? "s" : "");
	bs_source_boot_files(src, &files, &n_files);
	for (size_t i = 0; r >= 0 && i < n_files; i++) {
		int from_last = 0;

		if (!is_uki_path(files[i].path))
			continue;
		for (size_t j = 0; last && j < last->n_ukis; j++)
			from_last |= strcmp(last->ukis[j], files[i].path) == 0;
		if (!from_last) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "/%s", files[i].path);
			r = add_check(rep, "seal-layer", path, 0, "not written by the seal's layer (the last of %s)",
				      o->image);
		}
	}
	return r;
}

int bs_verify_seal(const struct bs_verify_seal_options *o, struct bs_seal_report *rep, struct bs_error *err)
{
	if (!o || !rep)
		return bs_error_set(err, -EINVAL, NULL, "bs_verify_seal: a NULL argument");
	struct bs_source_options sopts = {
		.jobs = o->jobs,
		.flags = BS_SOURCE_BOOT_FILES | (o->bootc_flags ? BS_SOURCE_CREATE_MISSING : 0),
		.progress = o->progress,
		.progress_ctx = o->progress_ctx,
	};
	const struct bs_source_file *files;
	struct bs_source *src = NULL;
	struct layers ls = { 0 };
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	size_t n_files, n_ukis = 0;
	int r, mismatch = 0;

	sopts.layer_entry = layer_entry;
	sopts.layer_entry_ctx = &ls;
	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	if (!o->db || bs_db_cert_count(o->db) + bs_db_hash_count(o->db) == 0)
		return bs_error_set(err, -EINVAL, NULL, "the db is empty: give --db with a certificate, .esl or .auth");
	if (strncmp(o->image, "oci:", 4) && strncmp(o->image, "oci-archive:", 12) &&
	    strncmp(o->image, "dir:", 4)) {
		struct stat st;

		if (stat(o->image, &st) < 0)
			return bs_error_set(err, -errno, o->image, "cannot open: %s", strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return bs_error_set(err, -EINVAL, o->image,
					    "not an image: give oci:DIR[:TAG], oci-archive:FILE or a directory");
	}
	r = bs_source_open(o->image, &sopts, &src, err);
	if (r < 0) {
		layers_clear(&ls);
		return r;
	}
	r = bs_composefs_tree_digest(bs_source_tree(src), digest, err);
	if (r >= 0)
		bs_hex_encode(digest, sizeof(digest), rep->digest);
	if (r >= 0 && bs_source_oci_image(src))
		r = check_layers(o, src, &ls, rep);
	layers_clear(&ls);
	bs_source_boot_files(src, &files, &n_files);
	for (size_t i = 0; r >= 0 && i < n_files; i++) {
		if (is_uki_path(files[i].path)) {
			n_ukis++;
			r = check_uki(o, rep, &files[i], &mismatch, err);
		} else if (strncmp(files[i].path, "boot/", 5) == 0) {
			char where[PATH_MAX];

			/* Whatever it is signed by: nothing ties it to the sealed tree. */
			snprintf(where, sizeof(where), "/%s", files[i].path);
			r = add_check(rep, "boot-binary", where, 0,
				      "an EFI binary in /boot that the seal did not write: nothing signs /boot "
				      "(the composefs digest leaves it out)");
		} else {
			struct bs_pe *pe = NULL;
			char where[PATH_MAX];

			snprintf(where, sizeof(where), "/%s", files[i].path);
			r = bs_pe_new(files[i].data, files[i].len, where, &pe, err);
			/* An unsigned systemd-boot is the distribution's, not part of the seal. */
			if (r >= 0 && pe->cert_size)
				r = check_signature(rep, o, "bootloader-signature", where, pe);
			bs_pe_free(pe);
		}
	}
	if (r >= 0 && !n_ukis)
		r = add_check(rep, "uki-present", o->image, 0, "no UKI under /boot/EFI/Linux");
	if (r >= 0 && mismatch && o->expect)
		r = explain_mismatch(o, src, rep, err);
	bs_source_free(src);
	if (r < 0)
		bs_seal_report_clear(rep);
	return r;
}
