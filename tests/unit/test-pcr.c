/* SPDX-License-Identifier: MIT */
/*
 * Golden values from Debian 12's systemd-measure (252.39): `calculate` over
 * files holding the same sections, `sign` (with a swtpm) for the policy
 * digests. Signatures are checked by verifying them with a key made here;
 * tests/integration/pcr.sh compares them byte for byte with systemd-measure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <bootseal/hex.h>
#include <bootseal/pcr.h>

#include "pe-fixture.h"
#include "util.h"

static const struct bs_pcr_section sections[] = {
	{ ".linux", (const uint8_t *)"linux-data", 10, 10 },
	{ ".osrel", (const uint8_t *)"ID=test\n", 8, 8 },
	{ ".cmdline", (const uint8_t *)"quiet", 5, 5 },
};

static void hex_of(const uint8_t *d, size_t len, char *out)
{
	bs_hex_encode(d, len, out);
}

/* systemd-measure calculate --linux --osrel --cmdline --phase=enter-initrd. */
static void test_predict_banks(void **state)
{
	static const char *const want[BS_PCR_N_BANKS] = {
		"92cf81c28ed6d1277084f04d1301a620dd634009",
		"206a6444546257ba9af610e495e19a3e977bb8a9dd36126b517b55c3244fc620",
		"af6c4149dd3f2a014f8648076fc74884bf9d097da79cb0e25b1b246832fb58efee9349a0920b38ae153554e00fae455f",
		"4e51b18f77fe478df97873a1f9359c10cf1e9dd5843f80da2df83ea48592ac3048a82fabca8f0c3baa82bf2a386800662b"
		"85ef9f8f33b3da20d9d4c4ac7f75cf",
	};
	(void)state;

	for (unsigned b = 0; b < BS_PCR_N_BANKS; b++) {
		uint8_t pcr[BS_PCR_DIGEST_MAX];
		char hex[2 * BS_PCR_DIGEST_MAX + 1];
		size_t len;

		assert_int_equal(bs_pcr_predict(sections, 3, b, "enter-initrd", pcr, &len), 0);
		assert_int_equal(len, bs_pcr_bank_size(b));
		hex_of(pcr, len, hex);
		assert_string_equal(hex, want[b]);
	}
}

/* .linux of 10 bytes loaded into 4096 (VirtualSize): measured as the file of
 * those 10 bytes and 4086 zeros; every phase word once. */
static void test_predict_zero_fill(void **state)
{
	const struct bs_pcr_section s[] = {
		{ ".linux", (const uint8_t *)"linux-data", 10, 4096 },
		{ ".osrel", (const uint8_t *)"ID=test\n", 8, 8 },
	};
	uint8_t pcr[BS_PCR_DIGEST_MAX];
	char hex[65];
	size_t len;
	(void)state;

	assert_int_equal(bs_pcr_predict(s, 2, BS_PCR_SHA256, "enter-initrd:leave-initrd:sysinit:ready:shutdown:final",
					pcr, &len), 0);
	hex_of(pcr, len, hex);
	assert_string_equal(hex, "845574ca75e77509cb91c07191da5e523d37624baf9e1cbf77893409f67bc9c9");
}

/* The "pol" fields of systemd-measure sign for the PCR values above. */
static void test_policy_digest(void **state)
{
	static const char *const want[BS_PCR_N_BANKS] = {
		"51c98304e0d4ac9da09e7f6baf8a89c719160ab25a54bd8cc43639ae36dce8eb",
		"4d1c39c3303cf7e9ca83296dfce51c3b196684616ab0db6a8bfa172156b586cb",
		"e94764cb9450b424883f5f808c3be2b75d74dbceb92653284eb202b2a19de2a2",
		"5a2a62596f02a48c2dd754ccbc327dcd87decd9277df01b4b42c474561bf909e",
	};
	(void)state;

	for (unsigned b = 0; b < BS_PCR_N_BANKS; b++) {
		uint8_t pcr[BS_PCR_DIGEST_MAX], pol[32];
		char hex[65];
		size_t len;

		assert_int_equal(bs_pcr_predict(sections, 3, b, "enter-initrd", pcr, &len), 0);
		assert_int_equal(bs_pcr_policy_digest(b, pcr, pol), 0);
		hex_of(pol, sizeof(pol), hex);
		assert_string_equal(hex, want[b]);
	}
}

static void test_parse(void **state)
{
	struct bs_pcr_phases ph = { 0 };
	struct bs_error err = { 0 };
	unsigned mask;
	(void)state;

	assert_int_equal(bs_pcr_banks_parse("SHA256, sha1", &mask, &err), 0);
	assert_int_equal(mask, (1u << BS_PCR_SHA1) | (1u << BS_PCR_SHA256));
	assert_int_equal(bs_pcr_banks_parse("sha256,sha3", &mask, &err), -EINVAL);
	assert_non_null(strstr(err.message, "'sha3'"));
	bs_error_clear(&err);
	assert_int_equal(bs_pcr_banks_parse(" , ", &mask, &err), -EINVAL);

	/* Sorted, each once, as systemd-measure signs them. */
	assert_int_equal(bs_pcr_phases_parse("  sysinit enter-initrd\tsysinit enter-initrd:leave-initrd ", &ph, &err), 0);
	assert_int_equal(ph.n, 3);
	assert_string_equal(ph.paths[0], "enter-initrd");
	assert_string_equal(ph.paths[1], "enter-initrd:leave-initrd");
	assert_string_equal(ph.paths[2], "sysinit");
	bs_pcr_phases_done(&ph);
	assert_int_equal(bs_pcr_phases_parse("enter-initrd:", &ph, &err), -EINVAL);
	bs_pcr_phases_done(&ph);
	assert_int_equal(bs_pcr_phases_parse("enter-initrd::ready", &ph, &err), -EINVAL);
	bs_pcr_phases_done(&ph);
	assert_int_equal(bs_pcr_phases_parse("", &ph, &err), -EINVAL);
	bs_pcr_phases_done(&ph);
	assert_int_equal(bs_pcr_phases_default(&ph), 0);
	assert_int_equal(ph.n, 4);
	assert_string_equal(ph.paths[3], "enter-initrd:leave-initrd:sysinit:ready");
	bs_pcr_phases_done(&ph);
}

/* The signature in the JSON verifies over the policy digest with the bank's hash. */
static void test_sign(void **state)
{
	EVP_PKEY *key = EVP_RSA_gen(2048), *ec = EVP_EC_gen("P-256");
	struct bs_pcr_signer signer = { .key = key };
	struct bs_error err = { 0 };
	uint8_t pcr[BS_PCR_DIGEST_MAX], pol[32], sig[512];
	char *json = NULL, polhex[65], *p, *end;
	EVP_MD_CTX *ctx;
	size_t len;
	int n;
	(void)state;

	assert_non_null(key);
	assert_int_equal(bs_pcr_sign_json(sections, 3, 1u << BS_PCR_SHA384, &signer, 1, &json, &err), 0);
	{
		static const char head[] = "{\"sha384\":[{\"pcrs\":[11],\"pkfp\":\"";
		assert_memory_equal(json, head, sizeof(head) - 1);
	}
	assert_int_equal(json[strlen(json) - 1], '\n');
	/* Four default phases: four entries. */
	n = 0;
	for (p = json; (p = strstr(p, "\"sig\":")); p++)
		n++;
	assert_int_equal(n, 4);

	assert_int_equal(bs_pcr_predict(sections, 3, BS_PCR_SHA384, "enter-initrd", pcr, &len), 0);
	assert_int_equal(bs_pcr_policy_digest(BS_PCR_SHA384, pcr, pol), 0);
	bs_hex_encode(pol, sizeof(pol), polhex);
	p = strstr(json, polhex);
	assert_non_null(p);
	p = strstr(p, "\"sig\":\"") + 7;
	end = strchr(p, '"');
	n = EVP_DecodeBlock(sig, (const unsigned char *)p, (int)(end - p));
	assert_int_equal(n, 258);              /* 256 bytes, padded to 3 */
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, 256, pol, sizeof(pol)), 1);
	EVP_MD_CTX_free(ctx);
	free(json);

	/* The same entry from two signers is listed once. */
	{
		struct bs_pcr_signer two[2] = { { .key = key }, { .key = key } };
		char *once = NULL, *twice = NULL;
		assert_int_equal(bs_pcr_sign_json(sections, 3, 1u << BS_PCR_SHA256, two, 1, &once, &err), 0);
		assert_int_equal(bs_pcr_sign_json(sections, 3, 1u << BS_PCR_SHA256, two, 2, &twice, &err), 0);
		assert_string_equal(once, twice);
		free(once);
		free(twice);
	}

	signer.key = ec;
	assert_int_equal(bs_pcr_sign_json(sections, 3, 1u << BS_PCR_SHA256, &signer, 1, &json, &err), -ENOKEY);
	assert_non_null(strstr(err.message, "not RSA"));
	EVP_PKEY_free(key);
	EVP_PKEY_free(ec);
}

/* The fixture PE as a UKI: .sdmagic naming STUB (NULL: a section without
 * the tag), and a .uname loaded into 0x300 bytes from 0x200 in the file. */
static size_t uki_sections(const char *stub, struct bs_pcr_section *out)
{
	uint8_t p[FX_SIZE];
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;
	size_t n = 0;

	fx_build(p);
	fx_section(p, 0, ".sdmagic", 0x40, 0x1000, 0x200, 0x200);
	memset(p + 0x200, 0, 0x200);
	snprintf((char *)p + 0x200, 0x40, "#### LoaderInfo: %s ####", stub ? stub : "another-stub 300");
	fx_section(p, 1, ".uname", 0x300, 0x2000, 0x200, 0x400);
	assert_int_equal(bs_pe_new(p, sizeof(p), "uki.efi", &pe, &err), 0);
	assert_int_equal(bs_pcr_uki_sections(pe, out, &n, &err), 0);
	if (n) {
		assert_string_equal(out[0].name, ".uname");
		assert_int_equal(out[0].len, 0x200);
		assert_int_equal(out[0].size, 0x300);
	}
	bs_pe_free(pe);
	return n;
}

/* systemd 254 began measuring .uname (and .sbat); 252 and 253 do not. */
static void test_uki_sections(void **state)
{
	struct bs_pcr_section s[BS_PCR_MAX_SECTIONS];
	(void)state;

	assert_int_equal(uki_sections("systemd-stub 252.39-1~deb12u2", s), 0);
	assert_int_equal(uki_sections("systemd-stub 253", s), 0);
	assert_int_equal(uki_sections("systemd-stub 254.5", s), 1);
	assert_int_equal(uki_sections(NULL, s), 1);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_predict_banks),
	cmocka_unit_test(test_predict_zero_fill),
	cmocka_unit_test(test_policy_digest),
	cmocka_unit_test(test_parse),
	cmocka_unit_test(test_sign),
	cmocka_unit_test(test_uki_sections))
