/* SPDX-License-Identifier: MIT */
/*
 * PCR 11 prediction and signed PCR policies for UKIs. What is measured and
 * how follows systemd's documents (TPM2 PCR measurements, the UKI and
 * pcrsig formats) and the TPM 2.0 specification part 3 (TPM2_PolicyPCR);
 * values are checked against Debian 12's systemd-measure in the tests.
 */
#include <bootseal/pcr.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "hex.h"
#include "util.h"

static const struct {
	const char *name;
	size_t size;
	uint16_t tpm_alg;                  /* TPM_ALG_ID, part 2 table 9 */
} banks[BS_PCR_N_BANKS] = {
	[BS_PCR_SHA1] = { "sha1", 20, 0x0004 },
	[BS_PCR_SHA256] = { "sha256", 32, 0x000b },
	[BS_PCR_SHA384] = { "sha384", 48, 0x000c },
	[BS_PCR_SHA512] = { "sha512", 64, 0x000d },
};

static const EVP_MD *bank_md(enum bs_pcr_bank bank)
{
	switch (bank) {
	case BS_PCR_SHA1: return EVP_sha1();
	case BS_PCR_SHA256: return EVP_sha256();
	case BS_PCR_SHA384: return EVP_sha384();
	case BS_PCR_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

const char *bs_pcr_bank_name(enum bs_pcr_bank bank)
{
	return bank < BS_PCR_N_BANKS ? banks[bank].name : NULL;
}

size_t bs_pcr_bank_size(enum bs_pcr_bank bank)
{
	return bank < BS_PCR_N_BANKS ? banks[bank].size : 0;
}

int bs_pcr_banks_parse(const char *list, unsigned *mask, struct bs_error *err)
{
	if (!list || !mask)
		return bs_error_set(err, -EINVAL, NULL, "bs_pcr_banks_parse: a NULL argument");
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ", ");
		int found = 0;

		for (unsigned b = 0; n && b < BS_PCR_N_BANKS; b++)
			if (strlen(banks[b].name) == n && strncasecmp(p, banks[b].name, n) == 0) {
				*mask |= 1u << b;
				found = 1;
			}
		if (n && !found)
			return bs_error_set(err, -EINVAL, NULL, "unknown PCR bank '%.*s' (sha1, sha256, sha384, sha512)",
					    (int)n, p);
		p += n;
		p += strspn(p, ", ");
	}
	if (!*mask)
		return bs_error_set(err, -EINVAL, NULL, "no PCR bank named");
	return 0;
}

/* The words systemd-pcrphase measures (systemd-pcrphase.service(8)). */
static const char *const phase_words[] = { "enter-initrd", "leave-initrd", "sysinit", "ready", "shutdown", "final" };

static int phase_path_valid(const char *path)
{
	const char *p = path;

	/* An empty path is the state before the initrd: only the stub measured. */
	while (*p) {
		size_t n = strcspn(p, ":");
		int ok = 0;

		for (size_t i = 0; i < BS_ARRAY_SIZE(phase_words); i++)
			ok |= strlen(phase_words[i]) == n && memcmp(p, phase_words[i], n) == 0;
		if (!ok)
			return 0;
		p += n;
		if (*p == ':' && !*++p)
			return 0;
	}
	return 1;
}

static int phases_add(struct bs_pcr_phases *ph, const char *path, size_t n)
{
	char **v = realloc(ph->paths, (ph->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ph->paths = v;
	if (!(v[ph->n] = strndup(path, n)))
		return -ENOMEM;
	ph->n++;
	return 0;
}

static int cmp_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bs_pcr_phases_parse(const char *text, struct bs_pcr_phases *ph, struct bs_error *err)
{
	if (!text || !ph)
		return bs_error_set(err, -EINVAL, NULL, "bs_pcr_phases_parse: a NULL argument");
	const char *p = text + strspn(text, " \t\n");
	int r;

	if (!*p)
		return bs_error_set(err, -EINVAL, NULL, "no phase path given");
	while (*p) {
		size_t n = strcspn(p, " \t\n");

		if ((r = phases_add(ph, p, n)) < 0)
			return r;
		if (!phase_path_valid(ph->paths[ph->n - 1]))
			return bs_error_set(err, -EINVAL, NULL,
					    "bad phase path '%s' (colon-separated: enter-initrd, leave-initrd, sysinit, "
					    "ready, shutdown, final)", ph->paths[ph->n - 1]);
		p += n;
		p += strspn(p, " \t\n");
	}
	/* systemd-measure signs its --phase list sorted, each path once. */
	qsort(ph->paths, ph->n, sizeof(*ph->paths), cmp_paths);
	for (size_t i = 1; i < ph->n;) {
		if (strcmp(ph->paths[i - 1], ph->paths[i]) == 0) {
			free(ph->paths[i]);
			memmove(&ph->paths[i], &ph->paths[i + 1], (ph->n - i - 1) * sizeof(*ph->paths));
			ph->n--;
		} else {
			i++;
		}
	}
	return 0;
}

int bs_pcr_phases_default(struct bs_pcr_phases *ph)
{
	if (!ph)
		return -EINVAL;
	static const char *const defaults[] = {
		"enter-initrd",
		"enter-initrd:leave-initrd",
		"enter-initrd:leave-initrd:sysinit",
		"enter-initrd:leave-initrd:sysinit:ready",
	};
	int r;

	for (size_t i = 0; i < BS_ARRAY_SIZE(defaults); i++)
		if ((r = phases_add(ph, defaults[i], strlen(defaults[i]))) < 0)
			return r;
	return 0;
}

void bs_pcr_phases_done(struct bs_pcr_phases *ph)
{
	if (!ph)
		return;
	for (size_t i = 0; i < ph->n; i++)
		free(ph->paths[i]);
	free(ph->paths);
	ph->paths = NULL;
	ph->n = 0;
}

/* The stub's version from .sdmagic, "#### LoaderInfo: systemd-stub 252.39-1 ####"; 0 if none. */
static unsigned stub_version(const struct bs_pe *uki)
{
	static const char tag[] = "systemd-stub ";
	const struct bs_pe_section *s = bs_pe_find_section(uki, ".sdmagic");
	const char *d, *v;
	unsigned ver = 0;
	size_t len;

	if (!s)
		return 0;
	d = (const char *)bs_pe_section_data(uki, s, &len);
	v = memmem(d, len, tag, sizeof(tag) - 1);
	if (!v)
		return 0;
	for (v += sizeof(tag) - 1; v < d + len && *v >= '0' && *v <= '9' && ver < 100000; v++)
		ver = ver * 10 + (unsigned)(*v - '0');
	return ver;
}

int bs_pcr_uki_sections(const struct bs_pe *uki, struct bs_pcr_section *out, size_t *n, struct bs_error *err)
{
	if (!uki || !out || !n)
		return bs_error_set(err, -EINVAL, NULL, "bs_pcr_uki_sections: a NULL argument");
	static const char *const order[] = { ".linux", ".osrel", ".cmdline", ".initrd", ".splash",
					     ".dtb", ".uname", ".sbat", ".pcrpkey" };
	unsigned ver = stub_version(uki);

	_Static_assert(BS_ARRAY_SIZE(order) == BS_PCR_MAX_SECTIONS, "one slot per measured section");
	(void)err;
	*n = 0;
	for (size_t i = 0; i < BS_ARRAY_SIZE(order); i++) {
		const struct bs_pe_section *s = bs_pe_find_section(uki, order[i]);

		/* systemd 254 began measuring .uname and .sbat. */
		if (!s || (ver && ver < 254 && (strcmp(order[i], ".uname") == 0 || strcmp(order[i], ".sbat") == 0)))
			continue;
		/* The stub skips an empty section; it measures VirtualSize bytes. */
		if (!s->virtual_size)
			continue;
		out[*n].name = order[i];
		out[*n].data = bs_pe_section_data(uki, s, &out[*n].len);
		out[*n].size = s->virtual_size;
		(*n)++;
	}
	return 0;
}

static int digest_update_zeros(EVP_MD_CTX *ctx, size_t n)
{
	static const uint8_t zeros[4096];

	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		if (EVP_DigestUpdate(ctx, zeros, k) != 1)
			return -ENOMEM;
		n -= k;
	}
	return 0;
}

/* pcr = H(pcr || H(data, then zeros to size)), the TPM2_PCR_Extend of an event. */
static int extend(const EVP_MD *md, uint8_t *pcr, size_t pcr_len, const void *data, size_t len, size_t size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t ev[EVP_MAX_MD_SIZE];
	int r = -ENOMEM;

	if (ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, data, len) == 1 &&
	    digest_update_zeros(ctx, size > len ? size - len : 0) == 0 &&
	    EVP_DigestFinal_ex(ctx, ev, NULL) == 1 && EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pcr, pcr_len) == 1 && EVP_DigestUpdate(ctx, ev, pcr_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, pcr, NULL) == 1)
		r = 0;
	EVP_MD_CTX_free(ctx);
	return r;
}

int bs_pcr_predict(const struct bs_pcr_section *s, size_t n, enum bs_pcr_bank bank, const char *phase_path,
		   uint8_t *out, size_t *out_len)
{
	if ((!s && n) || !out || !out_len)
		return -EINVAL;
	const EVP_MD *md = bank_md(bank);
	size_t len;
	int r;

	if (!md)
		return -EINVAL;
	len = banks[bank].size;
	memset(out, 0, len);
	for (size_t i = 0; i < n; i++) {
		if ((r = extend(md, out, len, s[i].name, strlen(s[i].name) + 1, 0)) < 0 ||
		    (r = extend(md, out, len, s[i].data, s[i].len, s[i].size)) < 0)
			return r;
	}
	for (const char *p = phase_path ? phase_path : ""; *p;) {
		size_t w = strcspn(p, ":");
		if ((r = extend(md, out, len, p, w, 0)) < 0)
			return r;
		p += w;
		p += *p == ':';
	}
	*out_len = len;
	return 0;
}

#define TPM_CC_POLICY_PCR 0x0000017fu

/* TPM structures are big-endian (part 1, "Byte ordering"). */
static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int bs_pcr_policy_digest(enum bs_pcr_bank bank, const uint8_t *pcr, uint8_t out[32])
{
	if (!pcr || !out)
		return -EINVAL;
	/* policyDigest' = H(policyDigest || TPM_CC_PolicyPCR || pcrs || H(PCR values)),
	 * from an all-zero policyDigest, H being the session's SHA-256. pcrs is a
	 * TPML_PCR_SELECTION: count, then hash, sizeofSelect and a bitmap. */
	uint8_t buf[32 + 4 + 4 + 2 + 1 + 3 + 32] = { 0 };
	uint8_t *p = buf + 32;

	if (bank >= BS_PCR_N_BANKS)
		return -EINVAL;
	put_be32(p, TPM_CC_POLICY_PCR);
	put_be32(p + 4, 1);
	p[8] = (uint8_t)(banks[bank].tpm_alg >> 8);
	p[9] = (uint8_t)banks[bank].tpm_alg;
	p[10] = 3;
	p[11 + BS_PCR_KERNEL_IMAGE / 8] = 1u << (BS_PCR_KERNEL_IMAGE % 8);
	if (!EVP_Digest(pcr, banks[bank].size, p + 14, NULL, EVP_sha256(), NULL) ||
	    !EVP_Digest(buf, sizeof(buf), out, NULL, EVP_sha256(), NULL))
		return -ENOMEM;
	return 0;
}

int bs_pcr_public_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	if (!key || !pem || !len)
		return -EINVAL;
	BIO *b = BIO_new(BIO_s_mem());
	char *d;
	long n;
	int r = -ENOMEM;

	if (b && PEM_write_bio_PUBKEY(b, key) == 1 && (n = BIO_get_mem_data(b, &d)) > 0 &&
	    (*pem = malloc((size_t)n + 1))) {
		memcpy(*pem, d, (size_t)n);
		(*pem)[n] = '\0';
		*len = (size_t)n;
		r = 0;
	}
	BIO_free(b);
	ERR_clear_error();
	return r;
}

/* systemd names a key by the SHA-256 of its DER public key (PKCS#1 RSAPublicKey for RSA). */
static int key_fingerprint(EVP_PKEY *key, char hex[65])
{
	unsigned char *der = NULL;
	uint8_t fp[32];
	int n = i2d_PublicKey(key, &der);

	if (n <= 0) {
		ERR_clear_error();
		return -ENOMEM;
	}
	if (!EVP_Digest(der, (size_t)n, fp, NULL, EVP_sha256(), NULL)) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	OPENSSL_free(der);
	bs_hex_encode(fp, sizeof(fp), hex);
	return 0;
}

static int sign_policy(EVP_PKEY *key, enum bs_pcr_bank bank, const uint8_t pol[32], char **b64,
		       struct bs_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t len = 0;
	int r = -ENOMEM;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, bank_md(bank), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, pol, 32) != 1 || !(sig = malloc(len)) ||
	    EVP_DigestSign(ctx, sig, &len, pol, 32) != 1) {
		unsigned long e = ERR_peek_last_error();
		r = bs_error_set(err, -ENOKEY, NULL, "cannot sign the %s PCR policy: %s", banks[bank].name,
				 e ? ERR_reason_error_string(e) : "out of memory");
		ERR_clear_error();
	} else if ((*b64 = malloc(4 * ((len + 2) / 3) + 1))) {
		EVP_EncodeBlock((unsigned char *)*b64, sig, (int)len);
		r = 0;
	}
	free(sig);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Adds one bank's entry unless an identical one is there (ukify's merge). */
static int entries_add(struct bsi_strv *e, char *entry)
{
	if (bsi_strv_contains(e, entry)) {
		free(entry);
		return 0;
	}
	return bsi_strv_add(e, entry);
}

static int sign_bank(const struct bs_pcr_section *s, size_t n, enum bs_pcr_bank bank,
		     const struct bs_pcr_signer *signers, size_t n_signers, struct bsi_strv *e,
		     struct bs_error *err)
{
	struct bs_pcr_phases defaults = { 0 };
	int r = bs_pcr_phases_default(&defaults);

	for (size_t k = 0; r >= 0 && k < n_signers; k++) {
		const struct bs_pcr_phases *ph = signers[k].phases ? signers[k].phases : &defaults;
		char fp[65];

		if (EVP_PKEY_get_base_id(signers[k].key) != EVP_PKEY_RSA) {
			r = bs_error_set(err, -ENOKEY, NULL, "PCR signing key %zu is not RSA (systemd reads RSA only)",
					 k + 1);
			break;
		}
		r = key_fingerprint(signers[k].key, fp);
		for (size_t i = 0; r >= 0 && i < ph->n; i++) {
			uint8_t pcr[BS_PCR_DIGEST_MAX], pol[32];
			char polhex[65], *sig = NULL, *entry = NULL;
			size_t len;

			if ((r = bs_pcr_predict(s, n, bank, ph->paths[i], pcr, &len)) < 0 ||
			    (r = bs_pcr_policy_digest(bank, pcr, pol)) < 0 ||
			    (r = sign_policy(signers[k].key, bank, pol, &sig, err)) < 0)
				break;
			bs_hex_encode(pol, sizeof(pol), polhex);
			if (asprintf(&entry, "{\"pcrs\":[%d],\"pkfp\":\"%s\",\"pol\":\"%s\",\"sig\":\"%s\"}",
				     BS_PCR_KERNEL_IMAGE, fp, polhex, sig) < 0)
				r = -ENOMEM;
			free(sig);
			if (r >= 0)
				r = entries_add(e, entry);
		}
	}
	bs_pcr_phases_done(&defaults);
	return r;
}

int bs_pcr_sign_json(const struct bs_pcr_section *s, size_t n, unsigned mask, const struct bs_pcr_signer *signers,
		     size_t n_signers, char **json, struct bs_error *err)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	int r = 0, first = 1;

	if (!n_signers || !(mask & BS_PCR_BANKS_ALL))
		return bs_error_set(err, -EINVAL, NULL, "no PCR signing key or bank");
	if (!(f = open_memstream(&buf, &size)))
		return -ENOMEM;
	fputc('{', f);
	for (unsigned b = 0; r >= 0 && b < BS_PCR_N_BANKS; b++) {
		struct bsi_strv e = { 0 };

		if (!(mask & (1u << b)))
			continue;
		r = sign_bank(s, n, b, signers, n_signers, &e, err);
		if (r >= 0) {
			fprintf(f, "%s\"%s\":[", first ? "" : ",", banks[b].name);
			for (size_t i = 0; i < e.n; i++)
				fprintf(f, "%s%s", i ? "," : "", e.v[i]);
			fputc(']', f);
			first = 0;
		}
		bsi_strv_done(&e);
	}
	fputs("}\n", f);
	if (fclose(f) != 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*json = buf;
	return 0;
}

int bs_pcr_check_public(const void *data, size_t len, EVP_PKEY *key, const char *path, struct bs_error *err)
{
	if ((!data && len) || !key || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_pcr_check_public: a NULL argument");
	BIO *b = BIO_new_mem_buf(data, (int)len);
	EVP_PKEY *pub = b && len <= INT32_MAX ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	int r = 0;

	BIO_free(b);
	ERR_clear_error();
	if (!pub)
		return bs_error_set(err, -ENOKEY, path, "not a PEM public key");
	if (EVP_PKEY_eq(pub, key) != 1)
		r = bs_error_set(err, -ENOKEY, path, "is not the public key of the PCR private key");
	ERR_clear_error();
	EVP_PKEY_free(pub);
	return r;
}
