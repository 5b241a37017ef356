/* SPDX-License-Identifier: MIT */
#include "cli-io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/atomicfile.h>
#include <bootseal/dump.h>

#include "cli-util.h"
#include "cli.h"

void cli_warn_pin_value(const char *cmd, const char *key_spec)
{
	const char *q;

	/* A warning, not a refusal: scripts that pass the PIN so keep working. */
	if (key_spec && !strncmp(key_spec, "pkcs11:", 7) && (q = strchr(key_spec, '?')) && strstr(q, "pin-value="))
		fprintf(stderr, "bootseal: %s: warning: a pin-value= on the command line is readable by every "
			"local user (/proc/PID/cmdline); use pin-source=FILE\n", cmd);
}

void cli_put_visible(FILE *out, const char *text, size_t len)
{
	for (const unsigned char *c = (const unsigned char *)text; len && *c; c++, len--) {
		if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

json_object *cli_json_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	_cleanup_free_ char *out = malloc(4 * strlen(name) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	while (*p) {
		size_t len = *p == '\\' ? 0 : utf8_len(p);

		if (!len) {
			n += (size_t)sprintf(out + n, "\\x%02x", *p++);
			continue;
		}
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	out[n] = 0;
	return json_object_new_string_len(out, (int)n);
}

void cli_json_print(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int cli_parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	/* strtoul reads "-1" as ULONG_MAX and "-0" as 0: a sign is refused. */
	if (errno || end == arg || *end || strchr(arg, '-') || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

int cli_write_dumpfile(struct bs_tree *tree, const char *path, unsigned flags, struct bs_error *err)
{
	struct bs_atomicfile f;
	FILE *out;
	int r;

	if (strcmp(path, "-") == 0) {
		r = bs_dump_write_flags(tree, stdout, flags);
		if (fflush(stdout) != 0 && r >= 0)
			r = -errno;
		return r < 0 ? bs_error_set(err, r, "standard output", "cannot write: %s", strerror(-r)) : 0;
	}
	r = bs_atomicfile_open(&f, path, 0644, err);
	if (r < 0)
		return r;
	out = fdopen(dup(f.fd), "w");
	if (!out) {
		bs_atomicfile_abort(&f);
		return bs_error_set(err, -errno, path, "cannot write: %s", strerror(errno));
	}
	r = bs_dump_write_flags(tree, out, flags);
	if (fclose(out) != 0 && r >= 0)
		r = -errno;
	if (r < 0) {
		bs_atomicfile_abort(&f);
		return bs_error_set(err, r, path, "cannot write: %s", strerror(-r));
	}
	return bs_atomicfile_commit(&f, 0, err);
}
