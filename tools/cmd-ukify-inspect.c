/* SPDX-License-Identifier: MIT */
/*
 * `ukify inspect`: with --json=pretty|short|off (or -j) what systemd's ukify
 * prints for each section (size, sha256, text), byte for byte in the JSON
 * forms (Python's json.dump: ASCII only, ", " and ": " separators, indent 4
 * for pretty, no final newline); bare --json and no flag keep bootseal's own
 * forms (the section table, docs/json.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bootseal/atomicfile.h>
#include <bootseal/pe.h>
#include <bootseal/uki.h>

#include "cli-util.h"
#include "cli-io.h"
#include "cli-options.h"
#include "cli.h"

static const char cmd[] = "ukify inspect";

#define MAX_FILES 64
#define MAX_PICKS 64

enum mode { MODE_TABLE, MODE_LEGACY_JSON, MODE_OFF, MODE_SHORT, MODE_PRETTY };

/* --section NAME:text|binary[@FILE] */
struct pick {
	char name[9];
	int text;
	const char *out;
};

static void pe_freep(struct bs_pe **p) { bs_pe_free(*p); }

/* Strict UTF-8 as Python's bytes.decode(): no overlong forms, surrogates or
 * code points past U+10FFFF. Returns the length of the sequence at d, 0 if invalid. */
static size_t utf8_next(const uint8_t *d, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c = d[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((d[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (d[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int utf8_valid(const uint8_t *d, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if (!(n = utf8_next(d + i, len - i, &cp)))
			return 0;
	return 1;
}

/* A JSON string as Python's json module writes it with ensure_ascii. */
static void py_json_string(const uint8_t *d, size_t len)
{
	uint32_t cp;

	putchar('"');
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_next(d + i, len - i, &cp);
		if (!n)         /* callers pass valid UTF-8 */
			n = 1, cp = 0xfffd;
		switch (cp) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\b': fputs("\\b", stdout); break;
		case '\f': fputs("\\f", stdout); break;
		default:
			if (cp < 0x20 || (cp >= 0x80 && cp < 0x10000))
				printf("\\u%04x", cp);
			else if (cp >= 0x10000)
				printf("\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
			else
				putchar((int)cp);
		}
	}
	putchar('"');
}

static int py_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int py_line_break(uint8_t c)
{
	return c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

/* Section text as ukify prints it, except that control bytes a terminal
 * acts on (all of C0 but tab and NUL, and DEL) are shown as \xNN: an image
 * must not drive the terminal of whoever inspects it. */
static void put_text(const uint8_t *d, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((d[i] < 0x20 && d[i] != '\t' && d[i] != '\0') || d[i] == 0x7f)
			printf("\\x%02x", d[i]);
		else
			putchar(d[i]);
	}
}

/* ukify's text form: textwrap.indent(text.rstrip(), 4 spaces), which
 * prefixes only lines that are not blank. */
static void print_indented(const uint8_t *d, size_t len)
{
	while (len && py_space(d[len - 1]))
		len--;
	for (size_t start = 0; start < len;) {
		size_t end = start, next;
		int blank = 1;

		while (end < len && !py_line_break(d[end]))
			blank &= py_space(d[end++]);
		next = end < len ? end + 1 + (d[end] == '\r' && end + 1 < len && d[end + 1] == '\n') : end;
		if (!blank)
			fputs("    ", stdout);
		put_text(d + start, end - start);
		putchar('\n');
		start = next;
	}
}

static const struct pick *find_pick(const struct pick *picks, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(picks[i].name, name) == 0)
			return &picks[i];
	return NULL;
}

static int inspect_ukify(const struct bs_pe *pe, int mode, int all, const struct pick *picks,
			 size_t n_picks)
{
	const char *indent = mode == MODE_PRETTY ? "\n    " : "";
	size_t shown = 0;

	if (mode != MODE_OFF)
		putchar('{');
	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct pick *pk = find_pick(picks, n_picks, pe->sections[i].name);
		struct bs_uki_section_info si;
		char hex[65];
		int text, valid;

		if (bs_uki_section_info(pe, i, &si) < 0)
			return cli_report(cmd, NULL, -ENOMEM);
		if (!pk && !all && !(si.shown && !n_picks))
			continue;
		text = pk ? pk->text : si.text;
		valid = !text || utf8_valid(si.data, si.len);
		bs_hex_encode(si.sha256, sizeof(si.sha256), hex);
		if (pk && pk->out) {
			struct bs_error err = { 0 };
			int r = bs_atomicfile_write_all(pk->out, si.data, si.len, 0644, 0, &err);

			if (r < 0)
				return cli_report(cmd, &err, r);
		}
		if (mode == MODE_OFF) {
			cli_put_visible(stdout, si.name, SIZE_MAX);
			printf(":\n  size: %u bytes\n  sha256: %s\n", si.size, hex);
			if (text) {
				puts("  text:");
				if (valid)
					print_indented(si.data, si.len);
				else
					puts("    (not valid UTF-8)");
			}
			continue;
		}
		printf("%s%s", shown ? "," : "", mode == MODE_SHORT && shown ? " " : indent);
		shown++;
		py_json_string((const uint8_t *)si.name, strlen(si.name));
		printf(": {%s\"size\": %u,%s\"sha256\": \"%s\"", mode == MODE_PRETTY ? "\n        " : "", si.size,
		       mode == MODE_PRETTY ? "\n        " : " ", hex);
		if (text) {
			printf(",%s\"text\": ", mode == MODE_PRETTY ? "\n        " : " ");
			if (valid)
				py_json_string(si.data, si.len);
			else
				fputs("\"(not valid UTF-8)\"", stdout);
		}
		printf("%s}", mode == MODE_PRETTY ? "\n    " : "");
	}
	if (mode != MODE_OFF)
		printf("%s}", mode == MODE_PRETTY && shown ? "\n" : "");
	return BS_EXIT_OK;
}

static void print_text(const char *name, const uint8_t *d, size_t len)
{
	while (len && (d[len - 1] == '\0' || d[len - 1] == '\n'))
		len--;
	cli_put_visible(stdout, name, SIZE_MAX);
	puts(":");
	for (size_t i = 0, start = 0; i <= len; i++) {
		if (i == len || d[i] == '\n') {
			fputs("    ", stdout);
			cli_put_visible(stdout, (const char *)d + start, i - start);
			putchar('\n');
			start = i + 1;
		}
	}
}

static const char *const text_sections[] = { ".cmdline", ".osrel", ".uname" };

static int inspect_legacy_json(const struct bs_pe *pe)
{
	json_object *o = json_object_new_object(), *sections = json_object_new_array();

	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "name", json_object_new_string(s->name));
		json_object_object_add(j, "vma", json_object_new_int64(s->virtual_address));
		json_object_object_add(j, "size", json_object_new_int64(s->virtual_size));
		json_object_object_add(j, "offset", json_object_new_int64(s->raw_offset));
		json_object_array_add(sections, j);
	}
	json_object_object_add(o, "sections", sections);
	for (size_t i = 0; i < BS_ARRAY_SIZE(text_sections); i++) {
		const struct bs_pe_section *s = bs_pe_find_section(pe, text_sections[i]);
		const uint8_t *d;
		size_t len;

		if (!s)
			continue;
		d = bs_pe_section_data(pe, s, &len);
		/* Section data is padded with NULs to the file alignment. */
		while (len && d[len - 1] == '\0')
			len--;
		/* ".cmdline" -> "cmdline" */
		json_object_object_add(o, text_sections[i] + 1, json_object_new_string_len((const char *)d, (int)len));
	}
	cli_json_print(o);
	return BS_EXIT_OK;
}

static void inspect_table(const struct bs_pe *pe)
{
	printf("%-8s %10s %10s %10s\n", "section", "vma", "size", "offset");
	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		cli_put_visible(stdout, s->name, SIZE_MAX);
		printf("%*s 0x%08x 0x%08x 0x%08x\n", (int)(8 - strnlen(s->name, 8)), "", s->virtual_address,
		       s->virtual_size, s->raw_offset);
	}
	for (size_t i = 0; i < BS_ARRAY_SIZE(text_sections); i++) {
		const struct bs_pe_section *s = bs_pe_find_section(pe, text_sections[i]);
		size_t len;
		const uint8_t *d;

		if (!s)
			continue;
		d = bs_pe_section_data(pe, s, &len);
		print_text(s->name, d, len);
	}
}

/* ukify's --json values; bare --json is bootseal's section table. */
static int json_mode(const char *v, int *mode)
{
	if (!strcmp(v, "pretty"))
		*mode = MODE_PRETTY;
	else if (!strcmp(v, "short"))
		*mode = MODE_SHORT;
	else if (!strcmp(v, "off"))
		*mode = MODE_OFF;
	else
		return -1;
	return 0;
}

/* What the options say. */
struct inspect {
	int argc;
	char **argv;
	int mode, all;
	struct pick picks[MAX_PICKS];
	size_t n_picks;
};

static int take_json(const char *command, const struct cli_option *o, const char *value)
{
	struct inspect *in = o->dest;
	int mode;

	/* ukify's --json takes its value as the next word too. */
	if (!value && optind < in->argc && json_mode(in->argv[optind], &mode) == 0)
		value = in->argv[optind++];
	if (!value)
		in->mode = MODE_LEGACY_JSON;
	else if (json_mode(value, &in->mode) < 0)
		return cli_fail(command, "unknown --json '%s' (pretty, short or off)", value);
	return 0;
}

/* --section NAME:text|binary[@FILE], as ukify's Section.parse_output reads it. */
static int take_pick(const char *command, const struct cli_option *o, const char *arg)
{
	struct inspect *in = o->dest;
	const char *colon = strchr(arg, ':'), *type, *at;
	struct pick *pk = &in->picks[in->n_picks];
	size_t n;

	if (in->n_picks == MAX_PICKS)
		return cli_fail(command, "too many --section");
	if (!colon || colon == arg || (size_t)(colon - arg) > 8)
		return cli_fail(command, "--section '%s': expected NAME:text or NAME:binary[@FILE]", arg);
	for (const char *c = arg; c < colon; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", *c))
			return cli_fail(command, "--section '%s': bad section name", arg);
	type = colon + 1;
	at = strchr(type, '@');
	n = at ? (size_t)(at - type) : strlen(type);
	if ((n != 4 || strncmp(type, "text", 4)) && (n != 6 || strncmp(type, "binary", 6)))
		return cli_fail(command, "--section '%s': expected NAME:text or NAME:binary[@FILE]", arg);
	if (at && !at[1])
		return cli_fail(command, "--section '%s': no FILE after '@'", arg);
	memcpy(pk->name, arg, (size_t)(colon - arg));
	pk->name[colon - arg] = '\0';
	pk->text = n == 4;
	pk->out = at ? at + 1 : NULL;
	in->n_picks++;
	return 0;
}

static int inspect_file(const char *path, const struct inspect *in)
{
	_cleanup_(pe_freep) struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };
	int r = bs_pe_load(path, &pe, &err);

	if (r < 0)
		return cli_report(cmd, &err, r);
	if (in->mode == MODE_TABLE) {
		inspect_table(pe);
		return BS_EXIT_OK;
	}
	if (in->mode == MODE_LEGACY_JSON)
		return inspect_legacy_json(pe);
	return inspect_ukify(pe, in->mode, in->all, in->picks, in->n_picks);
}

static const char usage[] =
	"usage: bootseal ukify inspect [--json | --json=pretty|short|off | -j] [--all]\n"
	"           [--section NAME:text|binary[@FILE]]... UKI...\n";

int cli_ukify_inspect(int argc, char **argv)
{
	struct inspect in = { .argc = argc, .argv = argv, .mode = MODE_TABLE };
	const struct cli_option options[] = {
		{ "json", 0, CLI_CALL, &in, 0, take_json, 1 },
		{ "", 'j', CLI_SET, &in.mode, MODE_PRETTY },
		{ "all", 0, CLI_SET, &in.all, 1 },
		{ "section", 0, CLI_CALL, &in, 0, take_pick },
		CLI_OPTION_END,
	};
	const struct cli_command command = { cmd, usage, options, 1, -1, "a UKI" };
	int first, r;

	if ((r = cli_parse(&command, argc, argv, &first)) != CLI_PROCEED)
		return r;
	if (argc - first > 1 && in.mode != MODE_OFF)
		return cli_fail(cmd, "several files need --json=off (as ukify)");
	if ((in.all || in.n_picks) && (in.mode == MODE_TABLE || in.mode == MODE_LEGACY_JSON))
		return cli_fail(cmd, "--all and --section go with --json=pretty|short|off or -j");
	for (int i = first; i < argc; i++)
		if ((r = inspect_file(argv[i], &in)) != BS_EXIT_OK)
			return r;
	if (fflush(stdout) != 0)
		return cli_fail(cmd, "cannot write output: %s", strerror(errno));
	return BS_EXIT_OK;
}
