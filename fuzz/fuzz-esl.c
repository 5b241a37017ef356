/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the EFI_SIGNATURE_LIST parser (.esl files, variable data). */
#include <stddef.h>
#include <stdint.h>

#include <bootseal/efivar.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_efivar_esl *esl;

	if (bs_efivar_esl_parse(data, size, "fuzz", &esl, NULL) == 0) {
		/* Touch every entry the parser vouched for. */
		for (size_t i = 0; i < esl->n_lists; i++)
			for (size_t j = 0; j < esl->lists[i].n_entries; j++) {
				struct bs_efi_guid owner;
				const uint8_t *p;
				size_t len;
				volatile uint8_t sink;

				bs_efivar_esl_entry(&esl->lists[i], j, &owner, &p, &len);
				sink = p[len - 1];
				(void)sink;
			}
		bs_efivar_esl_free(esl);
	}
	return 0;
}
