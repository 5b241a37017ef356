/* SPDX-License-Identifier: MIT */
#include <bootseal/seal.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/authenticode.h>
#include <bootseal/db.h>
#include <bootseal/diff.h>
#include <bootseal/kargs.h>
#include <bootseal/pe.h>
#include <bootseal/source.h>

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
	free(rep->checks);
	for (size_t i = 0; i < rep->n_hints; i++)
		free(rep->hints[i]);
	free(rep->hints);
	memset(rep, 0, sizeof(*rep));
}

/* Signed by a db certificate, or its image hash listed in db. */
static int check_signature(struct bs_seal_report *rep, const struct bs_db *db, const char *check,
			   const char *path, struct bs_pe *pe)
{
	struct bs_error why = { 0 };
	char signer[256];
	int r;

	r = bs_db_check_pe(db, pe, signer, sizeof(signer), &why);
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
	r = check_signature(rep, o->db, "uki-signature", where, pe);
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

		*mismatch |= !same;
		r = same ? add_check(rep, "composefs-digest", where, 1, "composefs=%s matches the image", karg.hex)
			 : add_check(rep, "composefs-digest", where, 0,
				     "the command line has composefs=%s but the image's digest is %s", karg.hex,
				     rep->digest);
	}
	bs_pe_free(pe);
	return r;
}

int bs_verify_seal(const struct bs_verify_seal_options *o, struct bs_seal_report *rep, struct bs_error *err)
{
	struct bs_source_options sopts = {
		.jobs = o->jobs,
		.flags = BS_SOURCE_BOOT_FILES | (o->bootc_flags ? BS_SOURCE_CREATE_MISSING : 0),
		.progress = o->progress,
		.progress_ctx = o->progress_ctx,
	};
	const struct bs_source_file *files;
	struct bs_source *src = NULL;
	uint8_t digest[BS_COMPOSEFS_DIGEST_SIZE];
	size_t n_files, n_ukis = 0;
	int r, mismatch = 0;

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
	if (r < 0)
		return r;
	r = bs_composefs_tree_digest(bs_source_tree(src), digest, err);
	if (r >= 0)
		bs_hex_encode(digest, sizeof(digest), rep->digest);
	bs_source_boot_files(src, &files, &n_files);
	for (size_t i = 0; r >= 0 && i < n_files; i++) {
		if (strncmp(files[i].path, "boot/EFI/Linux/", 15) == 0) {
			n_ukis++;
			r = check_uki(o, rep, &files[i], &mismatch, err);
		} else {
			struct bs_pe *pe = NULL;
			char where[PATH_MAX];

			snprintf(where, sizeof(where), "/%s", files[i].path);
			r = bs_pe_new(files[i].data, files[i].len, where, &pe, err);
			/* An unsigned systemd-boot is the distribution's, not part of the seal. */
			if (r >= 0 && pe->cert_size)
				r = check_signature(rep, o->db, "bootloader-signature", where, pe);
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
