/* SPDX-License-Identifier: MIT */
/*
 * The PE reader against an image built from the specification (see
 * pe-fixture.h) and its hostile variants; the checksum against the value
 * the linker stored in Debian's systemd-boot stub.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/pe.h>

#include "pe-fixture.h"

#define STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

static int parse(const uint8_t *p, size_t len, struct bs_error *err)
{
	struct bs_pe *pe = NULL;
	int r;

	bs_error_clear(err);
	r = bs_pe_new(p, len, "x.efi", &pe, err);
	bs_pe_free(pe);
	return r;
}

static void test_fixture_parses(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	fx_build(p);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(pe->machine, 0x8664);
	assert_true(pe->pe32plus);
	assert_int_equal(pe->subsystem, 10);
	assert_int_equal(pe->n_sections, 2);
	assert_string_equal(pe->sections[1].name, ".data");
	assert_int_equal(pe->sections[1].virtual_address, 0x2000);
	assert_int_equal(pe->checksum_offset, FX_CHECKSUM);
	assert_int_equal(pe->cert_dir_offset, FX_CERT_DIR);
	assert_int_equal(bs_pe_sections_end(pe), 0x600);
	assert_non_null(bs_pe_find_section(pe, ".text"));
	assert_null(bs_pe_find_section(pe, ".linux"));
	bs_pe_free(pe);
}

/* Every truncation inside the headers must fail cleanly, never read past. */
static void test_truncated(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_error err;

	(void)state;
	fx_build(p);
	for (size_t len = 0; len < 0x200; len++) {
		uint8_t *copy = malloc(len ? len : 1);   /* exact size, so ASan sees overreads */
		memcpy(copy, p, len);
		assert_int_equal(parse(copy, len, &err), -EBADMSG);
		free(copy);
	}
	assert_int_equal(parse(p, 0x500, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "section .data data ends at 0x600, outside the file"));
}

static void test_hostile(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_error err;

	(void)state;
	fx_build(p);
	bsi_put_le32(p + FX_SECT + 40 + 20, 0x300);                   /* .data into .text */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "sections .text and .data overlap in the file (0x200+0x200 > 0x300)");

	fx_build(p);
	bsi_put_le32(p + FX_OPT + 36, 0x20000);                       /* FileAlignment past 64 KiB */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "FileAlignment 0x20000 is above 64 KiB");
	bsi_put_le32(p + FX_OPT + 36, 0x10000);                       /* the largest the spec allows */
	if (parse(p, sizeof(p), &err) < 0)
		assert_null(strstr(err.message, "FileAlignment"));

	fx_build(p);
	bsi_put_le32(p + FX_SECT + 20, 0x100);                        /* data inside the headers */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_non_null(strstr(err.message, "overlaps the headers"));

	fx_build(p);
	bsi_put_le32(p + FX_CERT_DIR, 0x600);
	bsi_put_le32(p + FX_CERT_DIR + 4, 0x10);                      /* cert table past the end */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "certificate table ends at 0x610, past the end of the file (0x600)");

	fx_build(p);
	bsi_put_le32(p + FX_CERT_DIR, 0x400);
	bsi_put_le32(p + FX_CERT_DIR + 4, 0x100);                     /* inside .data, not at the end */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);

	fx_build(p);
	bsi_put_le32(p + FX_SECT + 40 + 8, 0x2000);                   /* .data past SizeOfImage */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_non_null(strstr(err.message, "past SizeOfImage"));

	fx_build(p);
	bsi_put_le32(p + FX_OPT + 108, 17);                           /* too many directories */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);

	fx_build(p);
	bsi_put_le32(p + 0x3c, 0xfffffff0);                           /* e_lfanew far away */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_non_null(strstr(err.message, "truncated headers"));

	fx_build(p);
	bsi_put_le16(p + FX_COFF + 2, 0xffff);                        /* section table overruns */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);

	fx_build(p);
	p[0] = 0x7f;                                                 /* ELF, not PE */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "not a PE image (no MZ header)");

	fx_build(p);
	bsi_put_le16(p + FX_OPT, 0x107);                              /* ROM image magic */
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
}

/* PE32 (ia32 stubs): the directories start 16 bytes earlier. */
static void test_pe32(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	fx_build(p);
	bsi_put_le16(p + FX_COFF, 0x14c);
	bsi_put_le16(p + FX_OPT, 0x10b);
	bsi_put_le32(p + FX_OPT + 108, 0);
	bsi_put_le32(p + FX_OPT + 92, 16);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_false(pe->pe32plus);
	assert_int_equal(pe->cert_dir_offset, FX_OPT + 128);
	bs_pe_free(pe);
}

static void test_checksum(void **state)
{
	static const uint8_t five[] = { 1, 2, 3, 4, 5 };
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	/* 0x0201 + 0x0403 + 0x05, plus the length. */
	assert_int_equal(bs_pe_checksum(five, sizeof(five), 100), 0x0609 + 5);
	/* The field itself is skipped: 0x0201 + 0x05 + 5. */
	assert_int_equal(bs_pe_checksum(five, sizeof(five), 2), 0x0206 + 5);
	if (access(STUB, R_OK) != 0) {
		print_message("# skipped: %s not installed\n", STUB);
		return;
	}
	/* The linker's CheckSum in Debian's stub is the golden value. */
	assert_int_equal(bs_pe_load(STUB, &pe, &err), 0);
	assert_int_equal(bs_pe_checksum(pe->data, pe->size, pe->checksum_offset),
			 bsi_get_le32(pe->data + pe->checksum_offset));
	bs_pe_free(pe);
}

static void test_add_section(void **state)
{
	static const char text[] = "root=/dev/vda ro";
	uint8_t p[FX_SIZE];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };
	const struct bs_pe_section *s;
	size_t len;

	(void)state;
	fx_build(p);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_pe_add_section(pe, ".cmdline", text, strlen(text), 0, 0x40000040, &err), 0);
	s = bs_pe_find_section(pe, ".cmdline");
	assert_non_null(s);
	/* After .data (0x2000 + 0x20) at the next 0x1000; file data at 0x600. */
	assert_int_equal(s->virtual_address, 0x3000);
	assert_int_equal(s->raw_offset, 0x600);
	assert_int_equal(s->raw_size, 0x200);
	assert_int_equal(pe->size, 0x800);
	assert_int_equal(pe->size_of_image, 0x4000);
	assert_int_equal(bsi_get_le32(pe->data + FX_OPT + 8), strlen(text));   /* SizeOfInitializedData */
	assert_memory_equal(bs_pe_section_data(pe, s, &len), text, strlen(text));
	assert_int_equal(len, strlen(text));
	assert_int_equal(bsi_get_le32(pe->data + pe->checksum_offset),
			 bs_pe_checksum(pe->data, pe->size, pe->checksum_offset));
	assert_int_equal(bs_pe_add_section(pe, ".toolongname", "", 0, 0, 0, &err), -EINVAL);

	/* Replacing in place keeps the layout and records the new size. */
	assert_int_equal(bs_pe_replace_section(pe, ".data", "abc", 3, &err), 0);
	assert_int_equal(bs_pe_find_section(pe, ".data")->virtual_size, 3);
	assert_int_equal(bs_pe_replace_section(pe, ".data", p, 0x201, &err), -ENOSPC);
	bs_pe_free(pe);
}

/* The section table ends at 0x198: room for (0x200 - 0x198) / 40 = 2 more headers. */
/* 0x40 bytes after .data, a COFF symbol table among them: the bytes go,
 * the table is unlinked, the checksum is redone; a signed image is refused. */
static void test_drop_trailing(void **state)
{
	uint8_t p[FX_SIZE + 0x40];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	fx_build(p);
	memset(p + FX_SIZE, 0x5a, 0x40);
	bsi_put_le32(p + FX_COFF + 8, FX_SIZE + 0x10);          /* PointerToSymbolTable */
	bsi_put_le32(p + FX_COFF + 12, 1);                      /* NumberOfSymbols */
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_pe_drop_trailing(pe, &err), 0);
	assert_int_equal(pe->size, FX_SIZE);
	assert_int_equal(bsi_get_le32(pe->data + FX_COFF + 8), 0);
	assert_int_equal(bsi_get_le32(pe->data + FX_COFF + 12), 0);
	assert_memory_equal(pe->data + 0x200, p + 0x200, 0x400);
	assert_int_equal(bsi_get_le32(pe->data + FX_CHECKSUM), bs_pe_checksum(pe->data, pe->size, FX_CHECKSUM));
	assert_int_equal(bs_pe_drop_trailing(pe, &err), 0);    /* nothing left to drop */
	assert_int_equal(pe->size, FX_SIZE);
	bs_pe_free(pe);

	bsi_put_le32(p + FX_CERT_DIR, FX_SIZE + 0x38);          /* an 8-byte table ends the file */
	bsi_put_le32(p + FX_CERT_DIR + 4, 8);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	assert_int_equal(bs_pe_drop_trailing(pe, &err), -EINVAL);
	assert_int_equal(pe->size, sizeof(p));
	bs_pe_free(pe);
}

static void test_header_room(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_pe *pe = NULL;
	struct bs_error err = { 0 };

	(void)state;
	fx_build(p);
	assert_int_equal(bs_pe_new(p, sizeof(p), "x.efi", &pe, &err), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(bs_pe_add_section(pe, ".x", "x", 1, 0, 0x40000040, &err), 0);
	bs_error_clear(&err);
	assert_int_equal(bs_pe_add_section(pe, ".y", "y", 1, 0, 0x40000040, &err), -ENOSPC);
	assert_string_equal(err.message, "no room in the headers for section .y");
	bs_pe_free(pe);
}

/* Sections two parsers could disagree about: what systemd-stub maps and
 * looks up against what a checker reads. */
static void test_uki_sections(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_error err;

	(void)state;
	fx_build(p);
	fx_section(p, 0, ".linux", 0x10, 0x1000, 0x200, 0x200);
	fx_section(p, 1, ".cmdline", 0x20, 0x2000, 0x200, 0x400);
	assert_int_equal(parse(p, sizeof(p), &err), 0);

	memcpy(p + FX_SECT, ".cmdline", 8);                          /* two .cmdline */
	fx_section(p, 2, ".linux", 0, 0, 0, 0);
	bsi_put_le16(p + FX_COFF + 2, 3);
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "UKI has two .cmdline sections (systemd-stub uses the last; "
					 "multi-profile UKIs are not supported)");

	fx_build(p);                                                 /* .linuxXY is .linux to v252 */
	fx_section(p, 0, ".linux", 0x10, 0x1000, 0x200, 0x200);
	fx_section(p, 1, ".linuxXY", 0x20, 0x2000, 0x200, 0x400);
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "UKI sections .linux and .linuxXY are both .linux to systemd 252's stub");

	fx_build(p);                                                 /* not a UKI: names are free */
	fx_section(p, 1, ".text", 0x20, 0x2000, 0x200, 0x400);
	assert_int_equal(parse(p, sizeof(p), &err), 0);

	fx_build(p);                                                 /* laid over .cmdline in memory */
	fx_section(p, 0, ".cmdline", 0x10, 0x1000, 0x200, 0x200);
	fx_section(p, 1, ".evil", 0x20, 0x1008, 0x200, 0x400);
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "sections .cmdline and .evil overlap in memory (RVA 0x1000+0x10 and 0x1008+0x20)");

	/* v252 stubs leave .sbat 0x100 bytes before .sdmagic, and ukify writes
	 * more: nothing reads either through memory, so it stands. */
	fx_build(p);
	fx_section(p, 0, ".sbat", 0x134, 0x1000, 0x200, 0x200);
	fx_section(p, 1, ".sdmagic", 0x34, 0x1100, 0x200, 0x400);
	assert_int_equal(parse(p, sizeof(p), &err), 0);
}

/* An empty section between two overlapping ones does not hide the overlap. */
static void test_overlap_behind_empty(void **state)
{
	uint8_t p[FX_SIZE];
	struct bs_error err;

	(void)state;
	fx_build(p);
	bsi_put_le16(p + FX_COFF + 2, 3);
	fx_section(p, 0, ".text", 0x10, 0x1000, 0x400, 0x200);
	fx_section(p, 1, ".data", 0x20, 0x2000, 0x200, 0x400);
	fx_section(p, 2, ".bss", 0x20, 0x2800, 0, 0x300);
	assert_int_equal(parse(p, sizeof(p), &err), -EBADMSG);
	assert_string_equal(err.message, "sections .text and .data overlap in the file (0x200+0x400 > 0x400)");
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(test_fixture_parses),
	cmocka_unit_test(test_truncated),
	cmocka_unit_test(test_hostile),
	cmocka_unit_test(test_pe32),
	cmocka_unit_test(test_checksum),
	cmocka_unit_test(test_add_section),
	cmocka_unit_test(test_header_room),
	cmocka_unit_test(test_uki_sections),
	cmocka_unit_test(test_overlap_behind_empty),
	cmocka_unit_test(test_drop_trailing))
