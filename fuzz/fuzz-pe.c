/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PE/COFF reader and the Authenticode table:
 * load, walk the sections as `ukify inspect` does, hash, list and verify the
 * signatures against no certificates (as `verify` with an empty db), then
 * edit the image the way `sign` and `ukify build` do.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <bootseal/authenticode.h>
#include <bootseal/pe.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t payload[] = "console=ttyS0\n";
	struct bs_authenticode_signature *sigs = NULL;
	uint8_t digest[BS_AUTHENTICODE_DIGEST_SIZE];
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;
	volatile uint8_t sink = 0;
	size_t n = 0, which;

	if (bs_pe_new(data, size, "fuzz", &pe, &err) < 0)
		return 0;
	for (size_t i = 0; i < pe->n_sections; i++) {
		size_t len;
		const uint8_t *d = bs_pe_section_data(pe, &pe->sections[i], &len);

		if (len)
			sink ^= d[0] ^ d[len - 1];
	}
	(void)bs_pe_find_section(pe, ".cmdline");
	(void)bs_pe_sections_end(pe);
	(void)bs_pe_checksum(pe->data, pe->size, pe->checksum_offset);
	(void)sink;

	bs_error_clear(&err);
	(void)bs_authenticode_digest(pe, digest, &err);
	bs_error_clear(&err);
	if (bs_authenticode_list(pe, &sigs, &n, &err) == 0)
		free(sigs);
	bs_error_clear(&err);
	(void)bs_authenticode_verify(pe, NULL, 0, &which, &err);

	bs_error_clear(&err);
	(void)bs_pe_strip_symbols(pe, &err);
	bs_error_clear(&err);
	(void)bs_pe_drop_trailing(pe, &err);
	bs_error_clear(&err);
	if (bs_authenticode_remove(pe, &err) == 0) {
		bs_error_clear(&err);
		(void)bs_pe_add_section(pe, ".cmdline", payload, sizeof(payload) - 1, 0, 0x40000040, &err);
		bs_error_clear(&err);
		(void)bs_pe_replace_section(pe, ".cmdline", payload, 4, &err);
	}
	bs_pe_free(pe);
	return 0;
}
