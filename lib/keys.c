/* SPDX-License-Identifier: MIT */
/*
 * Keys and certificates through OpenSSL 3 libcrypto. Private key bytes only
 * pass through buffers this file cleanses (OPENSSL_cleanse, secure-memory
 * BIOs); error messages name the source (path, fd:N, env:NAME), never content.
 */
#include <bootseal/keys.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509v3.h>

#include <bootseal/atomicfile.h>

#include "util.h"

/* Inputs larger than this are not a key or a certificate. */
#define MAX_SOURCE_SIZE (1u << 20)

struct bs_key {
	EVP_PKEY *pkey;
};

struct bs_cert {
	X509 *x509;
	uint8_t *der;
	size_t der_len;
};

/* ---- non-dumpable while any key is alive ---- */

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int live_keys;
static int saved_dumpable = -1;

static void key_hold(void)
{
	pthread_mutex_lock(&dump_lock);
	if (live_keys++ == 0) {
		saved_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	pthread_mutex_unlock(&dump_lock);
}

static void key_release(void)
{
	pthread_mutex_lock(&dump_lock);
	if (--live_keys == 0 && saved_dumpable > 0)
		(void)prctl(PR_SET_DUMPABLE, saved_dumpable, 0, 0, 0);
	pthread_mutex_unlock(&dump_lock);
}

static struct bs_key *key_wrap(EVP_PKEY *pkey)
{
	struct bs_key *key = calloc(1, sizeof(*key));

	if (!key) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	key_hold();
	key->pkey = pkey;
	return key;
}

void bs_key_free(struct bs_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);    /* OpenSSL clears key material on free */
	free(key);
	key_release();
}

static void pkey_freep(EVP_PKEY **p) { EVP_PKEY_free(*p); }
static void x509_freep(X509 **x) { X509_free(*x); }
static void bio_freep(BIO **b) { BIO_free(*b); }

/* ---- names ---- */

static const struct {
	const char *name;
	enum bs_key_type type;
} key_types[] = {
	{ "rsa2048", BS_KEY_RSA2048 },
	{ "rsa3072", BS_KEY_RSA3072 },
	{ "rsa4096", BS_KEY_RSA4096 },
	{ "ecdsa-p256", BS_KEY_ECDSA_P256 },
	{ "ecdsa-p384", BS_KEY_ECDSA_P384 },
};

int bs_key_type_from_name(const char *name, enum bs_key_type *type)
{
	if (!name || !type)
		return -EINVAL;
	for (size_t i = 0; i < BS_ARRAY_SIZE(key_types); i++)
		if (strcmp(name, key_types[i].name) == 0) {
			*type = key_types[i].type;
			return 0;
		}
	return -EINVAL;
}

const char *bs_key_type_name(enum bs_key_type type)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(key_types); i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "unknown";
}

/* ---- reading the source ---- */

/* Holds possibly secret bytes: cleansed before it is freed. */
struct secret_buf {
	uint8_t *data;
	size_t len;
};

static void secret_buf_release(struct secret_buf *b)
{
	if (b->data) {
		OPENSSL_cleanse(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

static int read_fd_all(int fd, const char *name, struct secret_buf *out, struct bs_error *err)
{
	size_t cap = 8192;
	uint8_t *buf = malloc(cap);

	out->len = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (out->len == cap) {
			uint8_t *bigger;

			if (cap >= MAX_SOURCE_SIZE) {
				out->data = buf;
				out->len = cap;
				secret_buf_release(out);
				return bs_error_set(err, -EINVAL, name, "larger than %u bytes", MAX_SOURCE_SIZE);
			}
			bigger = malloc(cap * 2);
			if (!bigger) {
				OPENSSL_cleanse(buf, cap);
				free(buf);
				return -ENOMEM;
			}
			/* Copy rather than realloc, so no uncleansed copy is left behind. */
			memcpy(bigger, buf, cap);
			OPENSSL_cleanse(buf, cap);
			free(buf);
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + out->len, cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			out->data = buf;
			secret_buf_release(out);
			return bs_error_set(err, r, name, "cannot read: %s", strerror(-r));
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data = buf;
	return 0;
}

enum source_kind { SRC_PATH, SRC_FD, SRC_ENV, SRC_URI };

/*
 * A scheme is letters, digits, '+', '-', '.' before a ':' with no '/' ahead
 * of it; a file whose name looks like that is reached as ./NAME. Deciding by
 * syntax, not by whether a file exists, keeps the meaning of a spec stable.
 */
static enum source_kind source_kind(const char *spec)
{
	const char *p = spec;

	if (strncmp(spec, "fd:", 3) == 0)
		return SRC_FD;
	if (strncmp(spec, "env:", 4) == 0)
		return SRC_ENV;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return SRC_PATH;
	for (p++; *p && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
			return SRC_PATH;
	/* one-letter "schemes" would catch odd relative names; none exist */
	return *p == ':' && p - spec > 1 ? SRC_URI : SRC_PATH;
}

static int read_source(const char *spec, struct secret_buf *out, struct bs_error *err)
{
	enum source_kind kind = source_kind(spec);

	if (kind == SRC_FD) {
		char *end;
		long fd;

		errno = 0;
		fd = strtol(spec + 3, &end, 10);
		if (errno || *end || end == spec + 3 || fd < 0 || fd > INT_MAX)
			return bs_error_set(err, -EINVAL, spec, "not a file descriptor number");
		return read_fd_all((int)fd, spec, out, err);
	}
	if (kind == SRC_ENV) {
		const char *v = getenv(spec + 4);
		size_t n;

		if (!v || !*v)
			return bs_error_set(err, -ENOKEY, spec, "environment variable is not set");
		n = strlen(v);
		out->data = malloc(n + 1);
		if (!out->data)
			return -ENOMEM;
		memcpy(out->data, v, n + 1);
		out->len = n;
		return 0;
	}

	_cleanup_close_ int fd = open(spec, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return bs_error_set(err, errno == ENOENT ? -ENOKEY : -errno, spec, "cannot open: %s",
				    strerror(errno));
	if (fstat(fd, &st) < 0)
		return bs_error_set(err, -errno, spec, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bs_error_set(err, -EINVAL, spec, "not a regular file");
	return read_fd_all(fd, spec, out, err);
}

/* The label of the first PEM block ("CERTIFICATE", "PRIVATE KEY"), or NULL. */
static int pem_label(const struct secret_buf *b, char *label, size_t size)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = memmem(b->data, b->len, begin, sizeof(begin) - 1);
	const char *end;

	if (!p)
		return 0;
	p += sizeof(begin) - 1;
	end = memmem(p, b->len - (size_t)(p - (const char *)b->data), "-----", 5);
	if (!end || (size_t)(end - p) >= size)
		return -1;
	memcpy(label, p, (size_t)(end - p));
	label[end - p] = '\0';
	return 1;
}

/* ---- private keys ---- */

struct pass_state {
	int asked;
};

/* Never prompts: a key that needs a passphrase is reported, not unlocked. */
static int no_passphrase(char *pass, size_t pass_size, size_t *pass_len, const OSSL_PARAM params[],
			 void *arg)
{
	struct pass_state *st = arg;

	(void)pass;
	(void)pass_size;
	(void)params;
	st->asked = 1;
	*pass_len = 0;
	return 0;
}

static int decode_private(const struct secret_buf *b, const char *name, struct bs_key **key,
			  struct bs_error *err)
{
	_cleanup_(pkey_freep) EVP_PKEY *pkey = NULL;
	struct pass_state pass = { 0 };
	OSSL_DECODER_CTX *dctx;
	const unsigned char *p = b->data;
	size_t left = b->len;
	char label[64];
	int ok;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, EVP_PKEY_KEYPAIR, NULL, NULL);
	if (!dctx)
		return -ENOMEM;
	OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, &pass);
	ok = OSSL_DECODER_from_data(dctx, &p, &left);
	OSSL_DECODER_CTX_free(dctx);
	ERR_clear_error();
	if (!ok || !pkey) {
		if (pass.asked)
			return bs_error_set(err, -ENOKEY, name,
					    "private key is encrypted (passphrases are not supported)");
		if (pem_label(b, label, sizeof(label)) > 0)
			return bs_error_set(err, -EINVAL, name, "not a private key (PEM block is %s)",
					    label);
		return bs_error_set(err, -EINVAL, name, "not a private key in PEM or DER form");
	}
	*key = key_wrap(BS_STEAL(pkey));
	return *key ? 0 : -ENOMEM;
}

/* A URI as messages show it: a PIN given in it (pin-value=) is a secret. */
static const char *uri_display(const char *uri, char *buf, size_t size)
{
	const char *pin = strstr(uri, "pin-value=");
	const char *end;

	if (!pin)
		return uri;
	end = pin + strcspn(pin, "&;");
	snprintf(buf, size, "%.*spin-value=...%s", (int)(pin - uri), uri, end);
	return buf;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* RFC 3986 percent-decoding of LEN bytes into OUT (LEN + 1 bytes); no NUL may result. */
static int pct_decode(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= len || hex_digit(in[i + 1]) < 0 || hex_digit(in[i + 2]) < 0)
			return -EINVAL;
		out[o++] = (char)(hex_digit(in[i + 1]) << 4 | hex_digit(in[i + 2]));
		i += 2;
	}
	out[o] = '\0';
	return strlen(out) == o ? 0 : -EINVAL;
}

/*
 * RFC 7512's pin-source query attribute: the PIN is read from where it
 * points (file:PATH or a path, and as for keys fd:N or env:NAME), so that it
 * is not in the command line, which every local user can read in
 * /proc/PID/cmdline. *stripped is URI without it (NULL: no pin-source) and
 * *pin the PIN, NUL-terminated, its trailing newline dropped; both are
 * secrets to cleanse (the URI may still hold a pin-value).
 */
static int uri_pin_source(const char *uri, struct secret_buf *stripped, struct secret_buf *pin,
			  struct bs_error *err)
{
	const char *q = strchr(uri, '?'), *attr, *end;
	_cleanup_(secret_buf_release) struct secret_buf raw = { 0 };
	_cleanup_free_ char *where = NULL;
	char shown[PATH_MAX];
	const char *src;
	size_t len;
	int r;

	stripped->data = NULL;
	pin->data = NULL;
	for (attr = q ? q + 1 : NULL; attr && *attr; attr = *end ? end + 1 : end) {
		end = attr + strcspn(attr, "&");
		if (!strncmp(attr, "pin-source=", 11))
			break;
	}
	if (!attr || !*attr)
		return 0;
	if (strstr(q, "pin-value="))
		return bs_error_set(err, -EINVAL, uri_display(uri, shown, sizeof(shown)),
				    "both pin-value and pin-source");
	len = (size_t)(end - attr) - 11;
	if (!(where = malloc(len + 1)) || pct_decode(attr + 11, len, where) < 0 || !*where) {
		if (!where)
			return -ENOMEM;
		return bs_error_set(err, -EINVAL, uri_display(uri, shown, sizeof(shown)),
				    "pin-source is not a percent-encoded file, fd:N or env:NAME");
	}
	src = where;
	if (!strncmp(src, "file://", 7))
		src += 7;       /* file:///path: an empty authority, then the path */
	else if (!strncmp(src, "file:", 5))
		src += 5;
	r = read_source(src, &raw, err);
	if (r < 0)
		return r;
	len = raw.len;
	if (len && raw.data[len - 1] == '\n')
		len--;
	if (len && raw.data[len - 1] == '\r')
		len--;
	if (!len || memchr(raw.data, '\0', len))
		return bs_error_set(err, -EINVAL, src, "not a PIN (empty, or a NUL byte in it)");
	if (!(pin->data = malloc(len + 1)))
		return -ENOMEM;
	memcpy(pin->data, raw.data, len);
	pin->data[len] = '\0';
	pin->len = len + 1;
	/* The URI without the attribute, and without a '?' left empty. */
	len = strlen(uri);
	if (!(stripped->data = malloc(len + 1))) {
		secret_buf_release(pin);
		return -ENOMEM;
	}
	stripped->len = len + 1;
	{
		const char *rest = *end ? end + 1 : end;
		char *o = (char *)stripped->data;
		size_t head = (size_t)(attr - uri);

		memcpy(o, uri, head);
		memcpy(o + head, rest, strlen(rest) + 1);
		len = strlen(o);
		if (o[len - 1] == '&' || o[len - 1] == '?')
			o[len - 1] = '\0';
	}
	return 0;
}

/* URI with pin-value=PIN added (percent-encoded), for a provider's store. */
static int uri_with_pin(const char *uri, const char *pin, struct secret_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(uri), o;
	char *s = malloc(n + 12 + 3 * strlen(pin) + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, uri, n);
	o = n;
	o += (size_t)sprintf(s + o, "%spin-value=", strchr(uri, '?') ? "&" : "?");
	for (const unsigned char *p = (const unsigned char *)pin; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			s[o++] = (char)*p;
		} else {
			s[o++] = '%';
			s[o++] = hex[*p >> 4];
			s[o++] = hex[*p & 15];
		}
	}
	s[o] = '\0';
	out->data = (uint8_t *)s;
	out->len = n + 12 + 3 * strlen(pin) + 1;
	return 0;
}

static int store_load(const char *uri, int want, EVP_PKEY **pkey, X509 **x509, struct bs_error *err)
{
	OSSL_STORE_CTX *st = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
	char shown[PATH_MAX];
	int r = -ENOKEY;

	if (!st) {
		ERR_clear_error();
		return bs_error_set(err, -ENOKEY, uri_display(uri, shown, sizeof(shown)),
				    "cannot open (no OpenSSL provider or engine for it?)");
	}
	OSSL_STORE_expect(st, want);
	while (!OSSL_STORE_eof(st)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(st);

		if (!info) {
			/* A store that keeps failing would otherwise never reach EOF. */
			if (OSSL_STORE_error(st))
				break;
			continue;
		}
		if (want == OSSL_STORE_INFO_PKEY && OSSL_STORE_INFO_get_type(info) == want)
			*pkey = OSSL_STORE_INFO_get1_PKEY(info);
		else if (want == OSSL_STORE_INFO_CERT && OSSL_STORE_INFO_get_type(info) == want)
			*x509 = OSSL_STORE_INFO_get1_CERT(info);
		OSSL_STORE_INFO_free(info);
		if ((pkey && *pkey) || (x509 && *x509)) {
			r = 0;
			break;
		}
	}
	OSSL_STORE_close(st);
	ERR_clear_error();
	if (r < 0)
		bs_error_set(err, r, uri_display(uri, shown, sizeof(shown)), "no %s found",
			     want == OSSL_STORE_INFO_PKEY ? "private key" : "certificate");
	return r;
}

/*
 * Debian 12 packages PKCS#11 for OpenSSL 3 only as libp11's engine (no
 * provider), so a pkcs11: URI that no store opens goes to the "pkcs11"
 * engine, as with sbsign --engine pkcs11. The key stays in the token; the
 * EVP_PKEY signs through it. Engines are deprecated API, hence the pragma.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static int engine_load_private(const char *uri, const char *pin, EVP_PKEY **pkey, struct bs_error *err)
{
	char shown[PATH_MAX];
	int ready;
	ENGINE *e;

	/* libp11 prints its failures on stderr itself, the URI and so its PIN
	 * among them; our one-line error says what failed. Its QUIET command
	 * silences it (given before ENGINE_init, which logs too): the host's
	 * file descriptor 2 is not the library's to redirect. Nothing prompts
	 * (UI_null): the PIN comes in the URI, as for every other key source. */
	ENGINE_load_builtin_engines();
	e = ENGINE_by_id("pkcs11");
	ready = e && ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1) && ENGINE_init(e);
	/* libp11's PIN command: the PIN never joins a string anything prints. */
	if (ready && pin && !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0))
		ready = 0;
	*pkey = ready ? ENGINE_load_private_key(e, uri, (UI_METHOD *)UI_null(), NULL) : NULL;
	if (ready)
		ENGINE_finish(e);
	ENGINE_free(e);
	ERR_clear_error();
	if (!ready)
		return bs_error_set(err, -ENOKEY, uri_display(uri, shown, sizeof(shown)),
				    "cannot open: no OpenSSL provider or engine for pkcs11: URIs "
				    "(Debian: libengine-pkcs11-openssl)");
	if (!*pkey)
		return bs_error_set(err, -ENOKEY, uri_display(uri, shown, sizeof(shown)),
				    "no private key found (token, object or PIN?)");
	return 0;
}
#pragma GCC diagnostic pop

/*
 * Authenticode as UEFI firmware checks it and signed variable updates take
 * RSA (EDK2) or ECDSA keys; an Ed25519 or DSA key would fail deep inside
 * PKCS#7 with OpenSSL's words, so it is refused where its name is known.
 */
static int check_signing_type(struct bs_key **key, const char *name, struct bs_error *err)
{
	int id = EVP_PKEY_get_base_id((*key)->pkey);

	if (id == EVP_PKEY_RSA || id == EVP_PKEY_EC)
		return 0;
	bs_key_free(*key);
	*key = NULL;
	return bs_error_set(err, -EINVAL, name, "cannot sign with a key of type %s: RSA and ECDSA keys are accepted",
			    OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown");
}

int bs_keys_private_from_mem(const void *buf, size_t len, const char *name, struct bs_key **key,
			     struct bs_error *err)
{
	if ((!buf && len) || !name || !key)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_private_from_mem: a NULL argument");
	struct secret_buf b = { .data = (uint8_t *)buf, .len = len };

	int r;

	*key = NULL;
	r = decode_private(&b, name, key, err);
	return r < 0 ? r : check_signing_type(key, name, err);
}

static int load_private(const char *spec, struct bs_key **key, struct bs_error *err)
{
	_cleanup_(secret_buf_release) struct secret_buf b = { 0 };
	int r;

	if (source_kind(spec) == SRC_URI) {
		EVP_PKEY *pkey = NULL;

		if (strncmp(spec, "pkcs11:", 7) == 0) {
			_cleanup_(secret_buf_release) struct secret_buf stripped = { 0 }, pin = { 0 }, with = { 0 };
			const char *uri = spec;
			OSSL_STORE_CTX *st;

			r = uri_pin_source(spec, &stripped, &pin, err);
			if (r < 0)
				return r;
			if (stripped.data)
				uri = (const char *)stripped.data;
			st = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
			/* Only a provider's store beats the engine; probing costs a login at most. */
			if (st)
				OSSL_STORE_close(st);
			ERR_clear_error();
			if (st && pin.data && (r = uri_with_pin(uri, (const char *)pin.data, &with)) < 0)
				return r;
			r = st ? store_load(with.data ? (const char *)with.data : uri, OSSL_STORE_INFO_PKEY, &pkey,
					    NULL, err)
			       : engine_load_private(uri, (const char *)pin.data, &pkey, err);
		} else {
			r = store_load(spec, OSSL_STORE_INFO_PKEY, &pkey, NULL, err);
		}
		if (r < 0)
			return r;
		*key = key_wrap(pkey);
		return *key ? 0 : -ENOMEM;
	}
	r = read_source(spec, &b, err);
	if (r < 0)
		return r;
	return decode_private(&b, spec, key, err);
}

int bs_keys_load_private(const char *spec, struct bs_key **key, struct bs_error *err)
{
	if (!spec || !key)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_load_private: a NULL argument");
	char shown[256];
	int r;

	/* Non-dumpable from the first byte read: a crash while decoding would
	 * otherwise dump the PEM. The key, once made, holds its own. */
	*key = NULL;
	key_hold();
	r = load_private(spec, key, err);
	key_release();
	if (r >= 0)
		r = check_signing_type(key, source_kind(spec) == SRC_URI ? uri_display(spec, shown, sizeof(shown)) : spec,
				       err);
	return r;
}

EVP_PKEY *bs_key_evp(const struct bs_key *key)
{
	if (!key)
		return NULL;
	return key->pkey;
}

/* ---- certificates ---- */

static int cert_wrap(X509 *x509, struct bs_cert **cert)
{
	struct bs_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	int n;

	if (!c) {
		X509_free(x509);
		return -ENOMEM;
	}
	n = i2d_X509(x509, &der);
	if (n <= 0) {
		X509_free(x509);
		free(c);
		return -ENOMEM;
	}
	c->x509 = x509;
	c->der_len = (size_t)n;
	c->der = malloc(c->der_len);
	if (!c->der) {
		OPENSSL_free(der);
		bs_cert_free(c);
		return -ENOMEM;
	}
	memcpy(c->der, der, c->der_len);
	OPENSSL_free(der);
	*cert = c;
	return 0;
}

int bs_keys_cert_from_mem(const void *buf, size_t len, const char *name, struct bs_cert **cert,
			  struct bs_error *err)
{
	if ((!buf && len) || !name || !cert)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_cert_from_mem: a NULL argument");
	struct secret_buf b = { .data = (uint8_t *)buf, .len = len };
	_cleanup_(x509_freep) X509 *x509 = NULL;
	char label[64];
	int pem = pem_label(&b, label, sizeof(label));

	*cert = NULL;
	if (pem > 0 && strcmp(label, "CERTIFICATE") != 0 && strcmp(label, "X509 CERTIFICATE") != 0 &&
	    strcmp(label, "TRUSTED CERTIFICATE") != 0)
		return bs_error_set(err, -EINVAL, name, "not an X.509 certificate (PEM block is %s)", label);
	if (pem) {
		_cleanup_(bio_freep) BIO *bio = BIO_new_mem_buf(buf, (int)len);

		if (!bio)
			return -ENOMEM;
		x509 = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	} else {
		const unsigned char *p = buf;

		/* DER must be exactly one certificate, nothing after it. */
		if (len <= LONG_MAX)
			x509 = d2i_X509(NULL, &p, (long)len);
		if (x509 && p != (const unsigned char *)buf + len) {
			X509_free(x509);
			x509 = NULL;
		}
	}
	ERR_clear_error();
	if (!x509)
		return bs_error_set(err, -EINVAL, name, "not an X.509 certificate in PEM or DER form");
	return cert_wrap(BS_STEAL(x509), cert);
}

int bs_keys_load_cert(const char *spec, struct bs_cert **cert, struct bs_error *err)
{
	if (!spec || !cert)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_load_cert: a NULL argument");
	_cleanup_(secret_buf_release) struct secret_buf b = { 0 };
	int r;

	*cert = NULL;
	if (source_kind(spec) == SRC_URI) {
		X509 *x509 = NULL;

		r = store_load(spec, OSSL_STORE_INFO_CERT, NULL, &x509, err);
		return r < 0 ? r : cert_wrap(x509, cert);
	}
	r = read_source(spec, &b, err);
	if (r < 0)
		return r;
	return bs_keys_cert_from_mem(b.data, b.len, spec, cert, err);
}

void bs_cert_free(struct bs_cert *cert)
{
	if (!cert)
		return;
	X509_free(cert->x509);
	free(cert->der);
	free(cert);
}

struct bs_cert *bs_cert_dup(const struct bs_cert *cert)
{
	if (!cert)
		return NULL;
	struct bs_cert *c = NULL;

	if (!X509_up_ref(cert->x509))
		return NULL;
	return cert_wrap(cert->x509, &c) < 0 ? NULL : c;
}

X509 *bs_cert_x509(const struct bs_cert *cert)
{
	if (!cert)
		return NULL;
	return cert->x509;
}

const uint8_t *bs_cert_der(const struct bs_cert *cert, size_t *len)
{
	if (!cert || !len)
		return NULL;
	*len = cert->der_len;
	return cert->der;
}

const char *bs_cert_subject(const struct bs_cert *cert, char *buf, size_t size)
{
	if (!cert || !buf)
		return NULL;
	_cleanup_(bio_freep) BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;

	buf[0] = '\0';
	if (!bio || X509_NAME_print_ex(bio, X509_get_subject_name(cert->x509), 0,
				       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		return buf;
	n = BIO_get_mem_data(bio, &p);
	snprintf(buf, size, "%.*s", (int)n, p);
	return buf;
}

int bs_keys_check_match(const struct bs_key *key, const struct bs_cert *cert, const char *cert_name,
			struct bs_error *err)
{
	if (!key || !cert)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_check_match: a NULL argument");
	EVP_PKEY *pub = X509_get0_pubkey(cert->x509);
	int r = pub ? EVP_PKEY_eq(key->pkey, pub) : 0;

	ERR_clear_error();
	if (r != 1)
		return bs_error_set(err, -ENOKEY, cert_name,
				    "private key does not match this certificate");
	return 0;
}

/* ---- generation ---- */

int bs_keys_generate(enum bs_key_type type, struct bs_key **key, struct bs_error *err)
{
	EVP_PKEY *pkey = NULL;

	if (!key)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_generate: a NULL argument");
	*key = NULL;
	switch (type) {
	case BS_KEY_RSA2048:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case BS_KEY_RSA3072:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
		break;
	case BS_KEY_RSA4096:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		break;
	case BS_KEY_ECDSA_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case BS_KEY_ECDSA_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	default:
		return bs_error_set(err, -EINVAL, NULL, "unknown key type %d", (int)type);
	}
	ERR_clear_error();
	if (!pkey)
		return bs_error_set(err, -EIO, NULL, "cannot generate a %s key", bs_key_type_name(type));
	*key = key_wrap(pkey);
	return *key ? 0 : -ENOMEM;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok;
}

int bs_keys_self_sign(const struct bs_key *key, const struct bs_cert_params *params,
		      struct bs_cert **cert, struct bs_error *err)
{
	if (!key || !params || !cert)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_self_sign: a NULL argument");
	_cleanup_(x509_freep) X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char serial[20];
	BIGNUM *bn = NULL;
	X509V3_CTX ctx;
	time_t nb = params->not_before ? params->not_before : time(NULL);
	long days = params->days ? (long)params->days : 3650;
	int ok;

	*cert = NULL;
	if (!params->common_name || !*params->common_name)
		return bs_error_set(err, -EINVAL, NULL, "certificate needs a common name");
	/* 159 random bits like `openssl req`: positive, at most 20 bytes. */
	ok = x && name && RAND_bytes(serial, sizeof(serial)) == 1;
	if (ok) {
		serial[0] &= 0x7f;
		bn = BN_bin2bn(serial, sizeof(serial), NULL);
		ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
		BN_free(bn);
	}
	ok = ok && X509_set_version(x, X509_VERSION_3) &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)params->common_name, -1, -1, 0) &&
	     X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
	     X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) &&
	     X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, &nb) &&
	     X509_set_pubkey(x, key->pkey);
	X509_NAME_free(name);
	if (ok) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		/* The order and values of openssl.cnf's v3_ca section. */
		if (params->leaf)
			ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:false");
		else
			ok = add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
			     add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
			     add_ext(x, &ctx, NID_basic_constraints, "critical,CA:true");
		ok = ok && X509_sign(x, key->pkey, EVP_sha256()) > 0;
	}
	ERR_clear_error();
	if (!ok)
		return bs_error_set(err, -EIO, params->common_name, "cannot create certificate");
	return cert_wrap(BS_STEAL(x), cert);
}

/* ---- writing ---- */

/* What an encoder wrote into bio (encoded: it succeeded), written atomically. */
static int write_bio(BIO *bio, int encoded, const char *what, const char *path, mode_t mode, int noreplace,
		     struct bs_error *err)
{
	char *data;
	long n;

	if (!bio || !encoded) {
		ERR_clear_error();
		return bs_error_set(err, -EIO, path, "cannot encode %s", what);
	}
	n = BIO_get_mem_data(bio, &data);
	return bs_atomicfile_write_all(path, data, (size_t)n, mode, noreplace, err);
}

int bs_keys_write_private(const struct bs_key *key, const char *path, int noreplace,
			  struct bs_error *err)
{
	if (!key || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_write_private: a NULL argument");
	/* Secure-heap BIO: its buffer is cleansed when freed. */
	_cleanup_(bio_freep) BIO *bio = BIO_new(BIO_s_secmem());

	return write_bio(bio, bio && PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL),
			 "private key", path, 0600, noreplace, err);
}

int bs_keys_write_cert_pem(const struct bs_cert *cert, const char *path, int noreplace,
			   struct bs_error *err)
{
	if (!cert || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_write_cert_pem: a NULL argument");
	_cleanup_(bio_freep) BIO *bio = BIO_new(BIO_s_mem());

	return write_bio(bio, bio && PEM_write_bio_X509(bio, cert->x509), "certificate", path, 0644, noreplace,
			 err);
}

int bs_keys_write_cert_der(const struct bs_cert *cert, const char *path, int noreplace,
			   struct bs_error *err)
{
	if (!cert || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_keys_write_cert_der: a NULL argument");
	return bs_atomicfile_write_all(path, cert->der, cert->der_len, 0644, noreplace, err);
}
