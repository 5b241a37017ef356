/* SPDX-License-Identifier: MIT */
/*
 * bootc's kernel argument handling, re-derived from its behaviour
 * (bootc_kargs.rs and its kernel command line crate): kargs.d TOML files and
 * the de-duplicating append. The TOML reader accepts exactly the subset these
 * files use (two keys holding arrays of strings, comments) and rejects the
 * rest, so a file bootc would refuse is never half-read.
 */
#include <bootseal/kargs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "util.h"

#define MAX_KARGS_FILE (1u << 20)
#define KARGS_DIR "usr/lib/bootc/kargs.d"

struct param {
	const char *key;
	size_t key_len;
	const char *value;      /* NULL for a bare switch */
	size_t value_len;
};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

/* composefs-rs's split_cmdline: Rust's ASCII whitespace, which has no \v. */
static int is_rust_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

/*
 * Next parameter of s (up to len bytes or a NUL) at *pos: its start and
 * length, 0 at the end. Spaces inside double quotes do not split; the
 * quotes are kept.
 */
static int next_split(const char *s, size_t len, int (*space)(char), size_t *pos, const char **start,
		      size_t *n)
{
	size_t i = *pos, b;
	int quoted = 0;

	while (i < len && s[i] && space(s[i]))
		i++;
	if (i >= len || !s[i])
		return 0;
	for (b = i; i < len && s[i] && (quoted || !space(s[i])); i++)
		if (s[i] == '"')
			quoted = !quoted;
	*start = s + b;
	*n = i - b;
	*pos = i;
	return 1;
}

/* bootc's kernel command line crate, on a NUL-terminated string. */
static int next_param(const char *s, size_t *pos, const char **start, size_t *n)
{
	return next_split(s, SIZE_MAX, is_space, pos, start, n);
}

static struct param split_param(const char *p, size_t n)
{
	struct param r = { 0 };
	const char *eq;

	/* Only the first and the last double quote of the whole parameter go. */
	if (n && p[0] == '"') {
		p++;
		n--;
	}
	if (n && p[n - 1] == '"')
		n--;
	eq = memchr(p, '=', n);
	r.key = p;
	r.key_len = eq ? (size_t)(eq - p) : n;
	if (eq) {
		r.value = eq + 1;
		r.value_len = n - r.key_len - 1;
		if (r.value_len && r.value[0] == '"') {
			r.value++;
			r.value_len--;
		}
	}
	return r;
}

static int params_equal(const struct param *a, const struct param *b)
{
	if (a->key_len != b->key_len || !a->value != !b->value)
		return 0;
	for (size_t i = 0; i < a->key_len; i++) {
		char x = a->key[i] == '_' ? '-' : a->key[i], y = b->key[i] == '_' ? '-' : b->key[i];
		if (x != y)
			return 0;
	}
	return !a->value || (a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0);
}

/*
 * The de-duplicating append, in time linear in what it reads. bootc re-reads
 * the whole command line for every parameter it adds, which is quadratic: a
 * kargs.d of 64,000 short arguments took minutes. Scanning once gives the same
 * parameters, because splitting is a left-to-right scan: the text already
 * scanned splits the same way whatever follows, except the last parameter,
 * which may grow (an open quote in it swallows what is appended). So the
 * parameters that have ended go into a hash set and the one still open is
 * compared on its own.
 */
struct merge {
	char *s;                /* the command line, NUL-terminated */
	size_t len, cap;
	size_t scanned;         /* bytes of s the scan has seen */
	int in_param, quoted;
	size_t param_start;
	size_t *slots;          /* (offset + 1, length) pairs of ended parameters; 0 is empty */
	size_t n_slots, used;
	uint64_t seed;
};

/* FNV-1a from a random basis, then mixed (murmur3's fmix64): arguments that
 * share a bucket cannot be made ahead of time, which would make the probing
 * quadratic again. */
static uint64_t param_hash(const struct merge *m, const struct param *p)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ m->seed;

	for (size_t i = 0; i < p->key_len; i++)
		h = (h ^ (uint8_t)(p->key[i] == '_' ? '-' : p->key[i])) * 0x100000001b3ULL;
	h = (h ^ (p->value ? 1u : 2u)) * 0x100000001b3ULL;
	for (size_t i = 0; p->value && i < p->value_len; i++)
		h = (h ^ (uint8_t)p->value[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static int merge_insert(struct merge *m, size_t off, size_t n)
{
	struct param p = split_param(m->s + off, n);
	size_t mask;

	if (2 * (m->used + 1) > m->n_slots) {
		size_t grown_n = m->n_slots ? 2 * m->n_slots : 64;
		size_t *grown = calloc(grown_n, 2 * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		for (size_t i = 0; i < m->n_slots; i++) {
			struct param q;
			size_t j;

			if (!m->slots[2 * i])
				continue;
			q = split_param(m->s + m->slots[2 * i] - 1, m->slots[2 * i + 1]);
			for (j = param_hash(m, &q) & (grown_n - 1); grown[2 * j]; j = (j + 1) & (grown_n - 1))
				;
			grown[2 * j] = m->slots[2 * i];
			grown[2 * j + 1] = m->slots[2 * i + 1];
		}
		free(m->slots);
		m->slots = grown;
		m->n_slots = grown_n;
	}
	mask = m->n_slots - 1;
	for (size_t j = param_hash(m, &p) & mask;; j = (j + 1) & mask) {
		struct param q;

		if (!m->slots[2 * j]) {
			m->slots[2 * j] = off + 1;
			m->slots[2 * j + 1] = n;
			m->used++;
			return 0;
		}
		q = split_param(m->s + m->slots[2 * j] - 1, m->slots[2 * j + 1]);
		if (params_equal(&q, &p))
			return 0;
	}
}

/* Scans what was appended since the last call, as next_param() would. */
static int merge_scan(struct merge *m)
{
	int r;

	for (; m->scanned < m->len; m->scanned++) {
		char c = m->s[m->scanned];

		if (!m->in_param) {
			if (is_space(c))
				continue;
			m->in_param = 1;
			m->quoted = 0;
			m->param_start = m->scanned;
		}
		if (!m->quoted && is_space(c)) {
			m->in_param = 0;
			if ((r = merge_insert(m, m->param_start, m->scanned - m->param_start)) < 0)
				return r;
		} else if (c == '"') {
			m->quoted = !m->quoted;
		}
	}
	return 0;
}

static int merge_contains(const struct merge *m, const struct param *p)
{
	struct param q;

	if (m->n_slots) {
		size_t mask = m->n_slots - 1;

		for (size_t j = param_hash(m, p) & mask; m->slots[2 * j]; j = (j + 1) & mask) {
			q = split_param(m->s + m->slots[2 * j] - 1, m->slots[2 * j + 1]);
			if (params_equal(&q, p))
				return 1;
		}
	}
	/* Equal parameters differ by at most three quotes in length; this keeps
	 * an ever-growing open parameter from being re-read for every new one. */
	if (!m->in_param || m->len - m->param_start > p->key_len + p->value_len + 1 + 3 + 3)
		return 0;
	q = split_param(m->s + m->param_start, m->len - m->param_start);
	return params_equal(&q, p);
}

static int merge_add(struct merge *m, const char *s, size_t n)
{
	if (bsi_reserve(&m->s, &m->cap, m->len + n + 2) < 0)
		return -ENOMEM;
	if (m->len && !is_space(m->s[m->len - 1]))
		m->s[m->len++] = ' ';
	memcpy(m->s + m->len, s, n);
	m->len += n;
	m->s[m->len] = '\0';
	return merge_scan(m);
}

/* Takes over *cmdline (which may be NULL). */
static int merge_begin(struct merge *m, char **cmdline)
{
	memset(m, 0, sizeof(*m));
	if (getrandom(&m->seed, sizeof(m->seed), GRND_NONBLOCK) != sizeof(m->seed))
		m->seed = (uint64_t)(uintptr_t)m;
	m->s = *cmdline;
	*cmdline = NULL;
	if (!m->s && !(m->s = strdup("")))
		return -ENOMEM;
	m->len = strlen(m->s);
	m->cap = m->len + 1;
	return merge_scan(m);
}

static int merge_args(struct merge *m, const char *args)
{
	const char *s;
	size_t pos = 0, n;
	int r;

	while (next_param(args, &pos, &s, &n)) {
		struct param p = split_param(s, n);

		if (!merge_contains(m, &p) && (r = merge_add(m, s, n)) < 0)
			return r;
	}
	return 0;
}

/* Gives the command line back to *cmdline and frees the rest. */
static void merge_end(struct merge *m, char **cmdline)
{
	*cmdline = m->s;
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

int bs_kargs_append(char **cmdline, const char *args)
{
	if (!cmdline || !args)
		return -EINVAL;
	struct merge m;
	int r;

	r = merge_begin(&m, cmdline);
	if (r >= 0)
		r = merge_args(&m, args);
	merge_end(&m, cmdline);
	return r;
}

/* --- the TOML subset ------------------------------------------------------ */

struct toml {
	const char *p, *end;
	const char *path;
	int line;
	struct bs_error *err;
};

static int toml_fail(struct toml *t, const char *what)
{
	return bs_error_set(t->err, -EINVAL, t->path, "line %d: %s", t->line, what);
}

/* Skips blanks, and with newlines also line breaks and comments. */
static void toml_skip(struct toml *t, int newlines)
{
	while (t->p < t->end) {
		if (*t->p == ' ' || *t->p == '\t' || *t->p == '\r') {
			t->p++;
		} else if (*t->p == '#') {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
		} else if (newlines && *t->p == '\n') {
			t->line++;
			t->p++;
		} else {
			break;
		}
	}
}

/* A basic "..." or literal '...' string, appended to out as one argument. */
static int toml_string(struct toml *t, char **out, size_t *len)
{
	char q = *t->p++;
	_cleanup_free_ char *s = malloc((size_t)(t->end - t->p) + 1);
	size_t n = 0;

	if (!s)
		return -ENOMEM;
	if (t->end - t->p >= 2 && t->p[0] == q && t->p[1] == q)
		return toml_fail(t, "multi-line strings are not supported");
	while (t->p < t->end && *t->p != q) {
		char c = *t->p++;
		if (c == '\n')
			return toml_fail(t, "unterminated string");
		if (q == '"' && c == '\\') {
			if (t->p >= t->end)
				return toml_fail(t, "unterminated string");
			switch (c = *t->p++) {
			case '"': case '\\': break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			default: return toml_fail(t, "unsupported escape in string");
			}
		}
		s[n++] = c;
	}
	if (t->p >= t->end)
		return toml_fail(t, "unterminated string");
	t->p++;
	s[n] = '\0';
	*out = BS_STEAL(s);
	*len = n;
	return 0;
}

/* ["a", "b",] -> "a b" (bootc joins the strings with spaces). */
static int toml_array(struct toml *t, char **joined)
{
	_cleanup_free_ char *acc = strdup("");
	size_t acc_len = 0;
	int r;

	if (!acc)
		return -ENOMEM;
	if (t->p >= t->end || *t->p != '[')
		return toml_fail(t, "expected an array of strings");
	t->p++;
	for (;;) {
		_cleanup_free_ char *s = NULL;
		size_t n = 0;
		char *grown;

		toml_skip(t, 1);
		if (t->p < t->end && *t->p == ']')
			break;
		if (t->p >= t->end || (*t->p != '"' && *t->p != '\''))
			return toml_fail(t, "expected a string");
		if ((r = toml_string(t, &s, &n)) < 0)
			return r;
		grown = realloc(acc, acc_len + n + 2);
		if (!grown)
			return -ENOMEM;
		acc = grown;
		if (acc_len)
			acc[acc_len++] = ' ';
		memcpy(acc + acc_len, s, n + 1);
		acc_len += n;
		toml_skip(t, 1);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		toml_skip(t, 1);
		if (t->p >= t->end || *t->p != ']')
			return toml_fail(t, "expected ',' or ']'");
		break;
	}
	t->p++;
	*joined = BS_STEAL(acc);
	return 0;
}

static int has_word(const char *list, const char *word)
{
	const char *s;
	size_t pos = 0, n;

	while (next_param(list, &pos, &s, &n))
		if (n == strlen(word) && memcmp(s, word, n) == 0)
			return 1;
	return 0;
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '.';
}

/*
 * Any "composefs=" or "composefs.<x>" that starts a key, whatever splits the
 * words around it: a quote or a \v that one parser takes for part of a value
 * and another for a separator cannot smuggle one past this.
 */
int bs_kargs_check_no_composefs(const char *args, const char *path, const char *what,
				struct bs_error *err)
{
	if (!what)
		return bs_error_set(err, -EINVAL, NULL, "bs_kargs_check_no_composefs: a NULL argument");
	for (const char *p = args; (p = strstr(p, "composefs")); p++) {
		const char *e = p + 9;
		size_t n = 0;

		if ((p > args && is_key_char(p[-1])) || (*e != '=' && *e != '.'))
			continue;
		while (e[n] && !is_space(e[n]) && n < 80)
			n++;
		return bs_error_set(err, -EINVAL, path,
				    "%s may not name the composefs image ('composefs%.*s'): it is computed when sealing, "
				    "and only --allow-missing-verity makes it composefs=?",
				    what, (int)n, e);
	}
	return 0;
}

/* One kargs.d file: appends its kargs to *cmdline when its architectures match. */
static int parse_file(const char *path, const char *text, size_t len, const char *arch,
		      struct merge *m, struct bs_error *err)
{
	struct toml t = { text, text + len, path, 1, err };
	_cleanup_free_ char *kargs = NULL, *arches = NULL;
	int r;

	for (;;) {
		const char *k;
		size_t kl;
		char **slot;

		toml_skip(&t, 1);
		if (t.p >= t.end)
			break;
		k = t.p;
		while (t.p < t.end && (*t.p == '-' || *t.p == '_' || (*t.p >= 'a' && *t.p <= 'z') ||
				       (*t.p >= 'A' && *t.p <= 'Z') || (*t.p >= '0' && *t.p <= '9')))
			t.p++;
		kl = (size_t)(t.p - k);
		if (kl == 5 && memcmp(k, "kargs", 5) == 0)
			slot = &kargs;
		else if (kl == 19 && memcmp(k, "match-architectures", 19) == 0)
			slot = &arches;
		else
			return toml_fail(&t, kl ? "unknown key (bootc accepts kargs and match-architectures)"
					       : "expected a key");
		if (*slot)
			return toml_fail(&t, "duplicate key");
		toml_skip(&t, 0);
		if (t.p >= t.end || *t.p != '=')
			return toml_fail(&t, "expected '='");
		t.p++;
		toml_skip(&t, 0);
		if ((r = toml_array(&t, slot)) < 0)
			return r;
		toml_skip(&t, 0);
		if (t.p < t.end && *t.p != '\n')
			return toml_fail(&t, "trailing characters after the value");
	}
	if (!kargs)
		return bs_error_set(err, -EINVAL, path, "missing field `kargs`");
	/* Whatever its architectures: the image never picks the composefs image. */
	r = bs_kargs_check_no_composefs(kargs, path, "a kargs.d file", err);
	if (r < 0)
		return r;
	if (arches && !has_word(arches, arch))
		return 0;
	return merge_args(m, kargs);
}

/* A file's bytes, which must be text, then parse_file(). */
static int parse_text(const char *path, const char *text, size_t len, const char *arch, struct merge *m,
		      struct bs_error *err)
{
	if (memchr(text, '\0', len))
		return bs_error_set(err, -EINVAL, path, "not a text file");
	return parse_file(path, text, len, arch, m, err);
}

static int is_toml(const char *name, size_t len)
{
	return len >= 6 && memcmp(name + len - 5, ".toml", 5) == 0;
}

/* A kargs.d file of a directory: a regular file of at most 1 MiB. */
static int read_kargs_file(const char *path, char **text, size_t *len, struct bs_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0 || fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, path, "cannot read: %s", strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_KARGS_FILE)
		return bs_error_set(err, -EINVAL, path, "not a regular file of at most 1 MiB");
	if (!(*text = malloc((size_t)st.st_size + 1)))
		return -ENOMEM;
	r = bsi_read_full(fd, *text, (size_t)st.st_size, len);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	(*text)[*len] = '\0';
	return 0;
}

int bs_kargs_read_dir(const char *rootfs, const char *arch, char **cmdline, struct bs_error *err)
{
	if (!rootfs || !arch || !cmdline)
		return bs_error_set(err, -EINVAL, NULL, "bs_kargs_read_dir: a NULL argument");
	_cleanup_(bsi_strv_done) struct bsi_strv names = { 0 };
	_cleanup_free_ char *dir = NULL;
	struct merge m = { 0 };
	int r;

	*cmdline = NULL;
	if (asprintf(&dir, "%s/" KARGS_DIR, rootfs) < 0)
		return -ENOMEM;
	r = bsi_strv_read_dir(&names, dir);
	if (r == -ENOENT)
		return bs_kargs_append(cmdline, "");
	if (r < 0)
		return r == -ENOMEM ? r : bs_error_set(err, r, dir, "cannot open: %s", strerror(-r));
	r = merge_begin(&m, cmdline);
	for (size_t i = 0; r == 0 && i < names.n; i++) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		size_t got;

		if (!is_toml(names.v[i], strlen(names.v[i])))
			continue;
		if (asprintf(&path, "%s/%s", dir, names.v[i]) < 0)
			r = -ENOMEM;
		else if ((r = read_kargs_file(path, &text, &got, err)) >= 0)
			r = parse_text(path, text, got, arch, &m, err);
	}
	if (m.s || m.slots)
		merge_end(&m, cmdline);
	if (r < 0) {
		free(*cmdline);
		*cmdline = NULL;
	}
	return r;
}

int bs_kargs_read_tree(struct bs_tree *tree, const struct bs_content_source *src, const char *arch,
		       const char *name, char **cmdline, struct bs_error *err)
{
	if (!tree || !src || !src->read || !arch || !cmdline)
		return bs_error_set(err, -EINVAL, NULL, "bs_kargs_read_tree: a NULL argument");
	struct bs_tree_inode *dir = bs_tree_lookup_path(tree, KARGS_DIR);
	struct merge m = { 0 };
	int r;

	*cmdline = NULL;
	if (!dir || !S_ISDIR(bs_tree_inode_stat(dir)->mode))
		return bs_kargs_append(cmdline, "");
	r = merge_begin(&m, cmdline);
	/* A tree keeps its children in byte order, the order bootc merges them in. */
	for (size_t i = 0; r == 0 && i < bs_tree_dir_count(dir); i++) {
		_cleanup_free_ uint8_t *data = NULL;
		char rel[PATH_MAX], path[PATH_MAX + 1024];
		const char *fname;
		size_t len, got;
		struct bs_tree_inode *f = bs_tree_dir_child(dir, i, &fname, &len);

		if (!is_toml(fname, len))
			continue;
		snprintf(rel, sizeof(rel), KARGS_DIR "/%.*s", (int)len, fname);
		snprintf(path, sizeof(path), "%s%s%s", name ? name : "", name ? ": " : "", rel);
		if (!S_ISREG(bs_tree_inode_stat(f)->mode) || bs_tree_inode_stat(f)->size > MAX_KARGS_FILE) {
			r = bs_error_set(err, -EINVAL, path, "not a regular file of at most 1 MiB");
			break;
		}
		r = src->read(src->ctx, rel, f, &data, &got, err);
		if (r >= 0)
			r = parse_text(path, (const char *)data, got, arch, &m, err);
	}
	if (m.s || m.slots)
		merge_end(&m, cmdline);
	if (r < 0) {
		free(*cmdline);
		*cmdline = NULL;
	}
	return r;
}

/*
 * arch/x86/include/asm/setup.h and arch/arm64/include/uapi/asm/setup.h say
 * 2048, arch/riscv/include/uapi/asm/setup.h 1024 (Linux 6.12). The size is
 * fixed when the kernel is built, not a Kconfig option on these three, and
 * the EFI stub copies at most COMMAND_LINE_SIZE - 1 bytes of the command line
 * systemd-stub hands it, dropping the rest with a warning.
 */
size_t bs_kargs_max_size(const char *arch)
{
	if (!arch)
		return 0;
	return strcmp(arch, "riscv64") == 0 ? 1024 : 2048;
}

int bs_kargs_check_size(const char *cmdline, const char *arch, const char *path, struct bs_error *err)
{
	if (!cmdline || !arch || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_kargs_check_size: a NULL argument");
	size_t len = strlen(cmdline), max = bs_kargs_max_size(arch);

	if (len < max)
		return 0;
	return bs_error_set(err, -E2BIG, path,
			    "kernel command line of %zu bytes; the %s kernel keeps at most %zu (COMMAND_LINE_SIZE %zu) and drops the rest",
			    len, arch, max - 1, max);
}

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* hex::decode_to_slice into a SHA-512 digest: 128 digits, either case. */
static int take_hex(const char *s, size_t n, struct bs_kargs_composefs *out)
{
	if (n != 128)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out->hex[i] = c;
	}
	out->hex[n] = '\0';
	return 0;
}

/* Rust's u8 parse of the log2 block size, which must be 12. */
static int is_lg_12(const char *s, size_t n)
{
	unsigned v = 0;

	if (n && s[0] == '+') {
		s++;
		n--;
	}
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 255)
			return 0;
	}
	return v == 12;
}

/*
 * "vN-HASH-LG:HEX" (after the "?"): 1 when HASH is sha512 and *out is
 * filled, 0 when it is sha256 (another repository's), -EINVAL malformed.
 */
static int parse_digest_value(const char *v, size_t n, struct bs_kargs_composefs *out)
{
	const char *colon = memchr(v, ':', n), *dash, *last;
	size_t desc;

	if (!colon)
		return -EINVAL;
	desc = (size_t)(colon - v);
	dash = memchr(v, '-', desc);
	if (!dash || dash - v != 2 || v[0] != 'v' || (v[1] != '1' && v[1] != '2'))
		return -EINVAL;
	out->version = v[1] - '0';
	/* "fsverity-" + the rest, split at its last '-' as Algorithm::from_str does. */
	for (last = colon - 1; last > dash && *last != '-'; last--)
		;
	if (last == dash || !is_lg_12(last + 1, (size_t)(colon - last - 1)))
		return -EINVAL;
	if (last - dash - 1 == 6 && memcmp(dash + 1, "sha256", 6) == 0)
		return 0;
	if (last - dash - 1 != 6 || memcmp(dash + 1, "sha512", 6) != 0)
		return -EINVAL;
	return take_hex(colon + 1, n - desc - 1, out) < 0 ? -EINVAL : 1;
}

int bs_kargs_composefs(const char *cmdline, size_t len, struct bs_kargs_composefs *out,
		       struct bs_error *err)
{
	if (!cmdline || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_kargs_composefs: a NULL argument");
	const char *end = memchr(cmdline, '\0', len), *t;
	size_t pos = 0, n;
	int r;

	if (end)
		len = (size_t)(end - cmdline);
	memset(out, 0, sizeof(*out));
	while (next_split(cmdline, len, is_rust_space, &pos, &t, &n)) {
		if (!starts(t, n, "composefs.digest="))
			continue;
		t += 17;
		n -= 17;
		out->insecure = n && t[0] == '?';
		r = parse_digest_value(t + out->insecure, n - (size_t)out->insecure, out);
		if (r < 0)
			return bs_error_set(err, -EINVAL, "composefs.digest=", "not vN-sha512-12:<128 hex digits>: '%.*s'",
					    (int)(n > 160 ? 160 : n), t);
		if (r > 0)
			return 0;
	}
	for (pos = 0; next_split(cmdline, len, is_rust_space, &pos, &t, &n);) {
		if (!starts(t, n, "composefs="))
			continue;
		t += 10;
		n -= 10;
		out->insecure = n && t[0] == '?';
		out->version = 2;
		if (take_hex(t + out->insecure, n - (size_t)out->insecure, out) < 0)
			return bs_error_set(err, -EINVAL, "composefs=", "not a SHA-512 digest: '%.*s'",
					    (int)(n > 140 ? 140 : n), t);
		return 0;
	}
	return bs_error_set(err, -ENOENT, NULL, "no composefs= or composefs.digest= on the kernel command line");
}

int bs_kargs_next(const char *cmdline, size_t *pos, const char **start, size_t *len)
{
	return cmdline ? next_param(cmdline, pos, start, len) : 0;
}
