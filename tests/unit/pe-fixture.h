/* SPDX-License-Identifier: MIT */
/*
 * A minimal PE32+ EFI application built byte by byte from the PE/COFF
 * specification, shared by test-pe.c and test-authenticode.c: headers in
 * 0x200 bytes, .text at RVA 0x1000 (file 0x200), .data at RVA 0x2000
 * (file 0x400), 0x600 bytes in all.
 */
#ifndef BOOTSEAL_TEST_PE_FIXTURE_H
#define BOOTSEAL_TEST_PE_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "util.h"

#define FX_LFANEW 0x40
#define FX_COFF (FX_LFANEW + 4)
#define FX_OPT (FX_COFF + 20)
#define FX_OPT_SIZE 240
#define FX_SECT (FX_OPT + FX_OPT_SIZE)
#define FX_CHECKSUM (FX_OPT + 64)
#define FX_CERT_DIR (FX_OPT + 144)
#define FX_SIZE 0x600

static inline void fx_section(uint8_t *p, int i, const char *name, uint32_t vsize, uint32_t va,
			      uint32_t raw_size, uint32_t raw_off)
{
	uint8_t *h = p + FX_SECT + 40 * i;

	memcpy(h, name, strlen(name));
	bsi_put_le32(h + 8, vsize);
	bsi_put_le32(h + 12, va);
	bsi_put_le32(h + 16, raw_size);
	bsi_put_le32(h + 20, raw_off);
	bsi_put_le32(h + 36, 0x40000040);
}

static inline void fx_build(uint8_t *p)
{
	memset(p, 0, FX_SIZE);
	p[0] = 'M';
	p[1] = 'Z';
	bsi_put_le32(p + 0x3c, FX_LFANEW);
	memcpy(p + FX_LFANEW, "PE\0\0", 4);
	bsi_put_le16(p + FX_COFF, 0x8664);             /* machine */
	bsi_put_le16(p + FX_COFF + 2, 2);              /* sections */
	bsi_put_le16(p + FX_COFF + 16, FX_OPT_SIZE);
	bsi_put_le16(p + FX_COFF + 18, 0x206);
	bsi_put_le16(p + FX_OPT, 0x20b);               /* PE32+ */
	bsi_put_le32(p + FX_OPT + 32, 0x1000);         /* SectionAlignment */
	bsi_put_le32(p + FX_OPT + 36, 0x200);          /* FileAlignment */
	bsi_put_le32(p + FX_OPT + 56, 0x3000);         /* SizeOfImage */
	bsi_put_le32(p + FX_OPT + 60, 0x200);          /* SizeOfHeaders */
	bsi_put_le16(p + FX_OPT + 68, 10);             /* EFI application */
	bsi_put_le32(p + FX_OPT + 108, 16);            /* NumberOfRvaAndSizes */
	fx_section(p, 0, ".text", 0x10, 0x1000, 0x200, 0x200);
	fx_section(p, 1, ".data", 0x20, 0x2000, 0x200, 0x400);
	for (int i = 0; i < 0x400; i++)
		p[0x200 + i] = (uint8_t)(i * 7 + 1);
}

#endif
