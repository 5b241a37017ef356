/* SPDX-License-Identifier: MIT */
/*
 * Shared by the OCI fuzz targets: writes an OCI image layout into a private
 * temporary directory (one per process, emptied for each run), with blobs
 * named by their real sha256 so the reader gets past digest checks and
 * into the JSON and tar parsing.
 */
#ifndef BOOTSEAL_FUZZ_OCI_H
#define BOOTSEAL_FUZZ_OCI_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fuzz.h"

static const char *fz_root;

static void fz_blobs_clear(void)
{
	char dir[128], p[256];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/blobs/sha256", fz_root);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	closedir(d);
}

static void fz_write(const char *name, const void *data, size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", fz_root, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* Writes a blob; digest gets "sha256:<hex>". */
static void fz_blob(const void *data, size_t len, char digest[72])
{
	unsigned char md[32];
	char name[96];

	if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
		abort();
	strcpy(digest, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	fz_write(name, data, len);
}

static void fz_layout_begin(void)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	char p[128];

	if (!fz_root) {
		fz_root = fz_private_dir("oci");
		snprintf(p, sizeof(p), "%s/blobs", fz_root);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/blobs/sha256", fz_root);
		mkdir(p, 0755);
		fz_write("oci-layout", layout, sizeof(layout) - 1);
	}
	fz_blobs_clear();
}

#endif
