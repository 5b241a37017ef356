/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for .auth files: the EFI_VARIABLE_AUTHENTICATION_2 header,
 * the PKCS#7 SignedData behind it (verified against a fixed certificate) and
 * the signature lists after it.
 */
#include <stddef.h>
#include <stdint.h>

#include <bootseal/efivar.h>
#include <bootseal/keys.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bs_cert *signer;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_efivar_auth auth;
	struct bs_efivar_esl *esl;

	if (!signer) {
		struct bs_key *key;
		struct bs_cert_params p = { .common_name = "fuzz" };

		if (bs_keys_generate(BS_KEY_ECDSA_P256, &key, NULL) < 0 ||
		    bs_keys_self_sign(key, &p, &signer, NULL) < 0)
			return 0;
		bs_key_free(key);
	}
	if (bs_efivar_auth_parse(data, size, "fuzz", &auth, NULL) < 0)
		return 0;
	if (bs_efivar_esl_parse(auth.data, auth.data_len, "fuzz", &esl, NULL) == 0)
		bs_efivar_esl_free(esl);
	(void)bs_efivar_auth_verify(&auth, "db", &bs_efi_image_security_guid, 0x27, signer, "fuzz", NULL);
	return 0;
}
