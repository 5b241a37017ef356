/* SPDX-License-Identifier: MIT */
/*
 * UKI assembly on the specification-built stub of pe-fixture.h (given a
 * .sbat section) and a fake x86 kernel. Expected layout and contents follow
 * ukify's documented rules: section order, alignment, the SBAT merge
 * (header line, stub entries, extra entries, "\n\0"), initrds padded to 4.
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
#include <bootseal/uki.h>

#include "pe-fixture.h"

static char stub[256], stub_tail[256], kernel[256], initrd1[256], initrd2[256];

static const char stub_sbat[] =
	"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
	"systemd,1,The systemd Developers,systemd,252,https://systemd.io/\n";

static int setup(void **state)
{
	uint8_t p[FX_SIZE + 0x200], k[0x400] = { 0 };

	if (unit_dir_setup(state) < 0)
		return -1;
	snprintf(stub, sizeof(stub), "%s/stub.efi", unit_dir);
	snprintf(stub_tail, sizeof(stub_tail), "%s/stub-tail.efi", unit_dir);
	snprintf(kernel, sizeof(kernel), "%s/vmlinuz", unit_dir);
	snprintf(initrd1, sizeof(initrd1), "%s/a.cpio", unit_dir);
	snprintf(initrd2, sizeof(initrd2), "%s/b.cpio", unit_dir);

	/* The fixture with 0x400 bytes of headers (room for 12 more section
	 * headers), its .data turned into the stub's .sbat (0x200 bytes of file data). */
	fx_build(p);
	memmove(p + 0x400, p + 0x200, 0x400);
	memset(p + 0x200, 0, 0x200);
	bsi_put_le32(p + FX_OPT + 60, 0x400);
	fx_section(p, 0, ".text", 0x10, 0x1000, 0x200, 0x400);
	fx_section(p, 1, ".sbat\0\0", (uint32_t)strlen(stub_sbat), 0x2000, 0x200, 0x600);
	memset(p + 0x600, 0, 0x200);
	memcpy(p + 0x600, stub_sbat, strlen(stub_sbat));
	unit_write(stub, p, sizeof(p));
	{
		/* As Debian's aarch64 stub: 0x13d4 bytes that no section covers. */
		uint8_t t[sizeof(p) + 0x13d4];
		memcpy(t, p, sizeof(p));
		memset(t + sizeof(p), 0x5a, sizeof(t) - sizeof(p));
		unit_write(stub_tail, t, sizeof(t));
	}

	/* x86 boot protocol: "HdrS" at 0x202, version string at 0x200 + le16(0x20e). */
	memcpy(k + 0x202, "HdrS", 4);
	bsi_put_le16(k + 0x20e, 0x100);
	strcpy((char *)k + 0x300, "6.1.0-99-amd64 (builder@example) #1 SMP");
	unit_write(kernel, k, 0x3ff);
	unit_write(initrd1, "07070", 5);
	unit_write(initrd2, "0707010", 7);
	return 0;
}

static const uint8_t *section(const struct bs_pe *pe, const char *name, size_t *len)
{
	const struct bs_pe_section *s = bs_pe_find_section(pe, name);

	assert_non_null(s);
	return bs_pe_section_data(pe, s, len);
}

/* Bytes given instead of paths build the same image: seal reads an image's
 * files into memory and stages nothing on disk. */
static void test_build_bytes(void **state)
{
	const char *initrds[] = { initrd1, initrd2 };
	struct bs_uki_params p = {
		.stub = stub, .linux_path = kernel, .initrds = initrds, .n_initrds = 2,
		.cmdline = "ro", .cmdline_len = 2,
	};
	uint8_t *k = NULL, *s = NULL, *i1 = NULL, *i2 = NULL;
	size_t kl, sl, l1, l2;
	struct bs_pe *a = NULL, *b = NULL;
	struct bs_error err = { 0 };

	(void)state;
	assert_int_equal(bsi_read_file(kernel, 0, 1 << 20, &k, &kl, NULL), 0);
	assert_int_equal(bsi_read_file(stub, 0, 1 << 20, &s, &sl, NULL), 0);
	assert_int_equal(bsi_read_file(initrd1, 0, 1 << 20, &i1, &l1, NULL), 0);
	assert_int_equal(bsi_read_file(initrd2, 0, 1 << 20, &i2, &l2, NULL), 0);
	assert_int_equal(bs_uki_build(&p, &a, &err), 0);
	p = (struct bs_uki_params){
		.stub = "named stub", .linux_data = k, .linux_len = kl, .stub_data = s, .stub_len = sl,
		.initrd_data = (const struct bs_uki_blob[]){ { i1, l1 }, { i2, l2 } }, .n_initrds = 2,
		.cmdline = "ro", .cmdline_len = 2,
	};
	assert_int_equal(bs_uki_build(&p, &b, &err), 0);
	assert_int_equal(a->size, b->size);
	assert_memory_equal(a->data, b->data, a->size);
	bs_pe_free(b);
	/* The bound holds for bytes as for a file. */
	p.linux_len = BS_UKI_KERNEL_MAX + 1;
	assert_int_equal(bs_uki_build(&p, &b, &err), -EFBIG);
	assert_non_null(strstr(err.message, "kernel larger than"));
	bs_pe_free(a);
	free(k);
	free(s);
	free(i1);
	free(i2);
}

static void test_build(void **state)
{
	const char *initrds[] = { initrd1, initrd2 };
	struct bs_uki_params p = {
		.stub = stub, .linux_path = kernel, .initrds = initrds, .n_initrds = 2,
		.cmdline = "ro quiet", .cmdline_len = 8, .os_release = "ID=test\n", .os_release_len = 8,
	};
	static const char *const order[] = { ".text", ".sbat", ".osrel", ".cmdline", ".uname", ".initrd", ".linux" };
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;
	const uint8_t *d;
	size_t len;
	uint32_t va = 0x3000;

	(void)state;
	assert_int_equal(bs_uki_build(&p, &pe, &err), 0);
	assert_int_equal(pe->n_sections, BS_ARRAY_SIZE(order));
	for (size_t i = 0; i < pe->n_sections; i++)
		assert_string_equal(pe->sections[i].name, order[i]);
	/* New sections: each at the next SectionAlignment (0x1000) boundary in
	 * memory and FileAlignment (0x200) in the file, after .sbat's end. */
	for (size_t i = 2; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		assert_int_equal(s->virtual_address, va);
		assert_int_equal(s->raw_offset % 0x200, 0);
		va += (s->virtual_size + 0xfff) & ~0xfffu;
	}
	assert_int_equal(pe->size_of_image, va);
	assert_int_equal(bsi_get_le32(pe->data + pe->checksum_offset),
			 bs_pe_checksum(pe->data, pe->size, pe->checksum_offset));

	d = section(pe, ".uname", &len);
	assert_int_equal(len, 14);
	assert_memory_equal(d, "6.1.0-99-amd64", 14);
	d = section(pe, ".initrd", &len);
	assert_int_equal(len, 16);
	assert_memory_equal(d, "07070\0\0\0" "0707010\0", 16);
	d = section(pe, ".linux", &len);
	assert_int_equal(len, 0x3ff);
	assert_int_equal(pe->sections[6].characteristics, 0x40000020);   /* code, read */
	assert_int_equal(pe->sections[3].characteristics, 0x40000040);   /* data, read */

	/* Stub entries kept, the generic "uki" entry added, "\n\0" at the end. */
	d = section(pe, ".sbat", &len);
	static const char want[] =
		"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
		"systemd,1,The systemd Developers,systemd,252,https://systemd.io/\n"
		"uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(d, want, sizeof(want));
	assert_int_equal(pe->sections[1].raw_offset, 0x600);             /* rewritten in place */
	bs_pe_free(pe);
}

/* ukify's --microcode and --section: .ucode after .initrd, the extra sections
 * after it, before .linux; the stub's header room counted before building. */
static void test_extra_sections(void **state)
{
	struct bs_uki_section extra[16];
	char names[16][9];
	struct bs_uki_params p = {
		.stub = stub, .linux_path = kernel, .microcode = initrd2,
		.cmdline = "ro", .cmdline_len = 2, .sections = extra, .n_sections = 2,
	};
	static const char *const order[] = { ".text", ".sbat", ".cmdline", ".uname", ".ucode", ".x0", ".x1", ".linux" };
	struct bs_uki_section_info si;
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;
	const uint8_t *d;
	size_t len;

	(void)state;
	for (int i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), ".x%d", i);
		extra[i] = (struct bs_uki_section){ names[i], (const uint8_t *)"payload", 7 };
	}
	assert_int_equal(bs_uki_build(&p, &pe, &err), 0);
	assert_int_equal(pe->n_sections, BS_ARRAY_SIZE(order));
	for (size_t i = 0; i < pe->n_sections; i++)
		assert_string_equal(pe->sections[i].name, order[i]);
	d = section(pe, ".ucode", &len);
	assert_int_equal(len, 7);
	assert_memory_equal(d, "0707010", 7);

	/* What ukify inspect reports: VirtualSize and the SHA-256 of those bytes. */
	assert_int_equal(bs_uki_section_info(pe, 5, &si), 0);
	assert_string_equal(si.name, ".x0");
	assert_int_equal(si.size, 7);
	assert_false(si.shown);
	/* sha256("payload") */
	assert_memory_equal(si.sha256, "\x23\x9f\x59\xed\x55\xe7\x37\xc7\x71\x47\xcf\x55\xad\x0c\x1b\x03"
				       "\x0b\x6d\x7e\xe7\x48\xa7\x42\x69\x52\xf9\xb8\x52\xd5\xa9\x35\xe5", 32);
	assert_int_equal(bs_uki_section_info(pe, 2, &si), 0);
	assert_true(si.shown && si.text);
	assert_int_equal(bs_uki_section_info(pe, 4, &si), 0);
	assert_true(si.shown && !si.text);
	assert_int_equal(bs_uki_section_info(pe, 8, &si), -EINVAL);
	bs_pe_free(pe);

	/* 17 headers fit the fixture's 0x400 bytes; 2 are the stub's. */
	p.n_sections = 11;
	assert_int_equal(bs_uki_build(&p, &pe, &err), 0);
	bs_pe_free(pe);
	p.n_sections = 12;
	assert_int_equal(bs_uki_build(&p, &pe, &err), -EINVAL);
	assert_string_equal(err.message, "the stub's headers hold 17 section headers (2 its own); this UKI needs 18: "
					 "drop 1 of the optional sections (--section, --microcode, --splash, ...)");

	memset(&err, 0, sizeof(err));
	p.n_sections = 1;
	extra[0].name = ".cmdline";
	assert_int_equal(bs_uki_build(&p, &pe, &err), -EINVAL);
	assert_string_equal(err.message, "duplicate section .cmdline");
	assert_int_equal(bs_uki_section_name_check(".12345678", 9), -EINVAL);
	assert_int_equal(bs_uki_section_name_check(".1234567", 8), 0);
	assert_int_equal(bs_uki_section_name_check(".a\tb", 4), -EINVAL);
	assert_int_equal(bs_uki_section_name_check("", 0), -EINVAL);
}

/* Bytes after the stub's last section are dropped: the first new section
 * follows .sbat directly in the file, and no section leaves a gap. */
static void test_stub_tail(void **state)
{
	struct bs_uki_params p = {
		.stub = stub_tail, .linux_path = kernel, .cmdline = "ro", .cmdline_len = 2,
	};
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;

	(void)state;
	assert_int_equal(bs_uki_build(&p, &pe, &err), 0);
	assert_string_equal(pe->sections[2].name, ".cmdline");
	assert_int_equal(pe->sections[2].raw_offset, 0x800);
	for (size_t i = 1; i < pe->n_sections; i++)
		assert_int_equal(pe->sections[i].raw_offset,
				 pe->sections[i - 1].raw_offset + pe->sections[i - 1].raw_size);
	assert_int_equal(pe->size, bs_pe_sections_end(pe));
	assert_int_equal(bsi_get_le32(pe->data + pe->checksum_offset),
			 bs_pe_checksum(pe->data, pe->size, pe->checksum_offset));
	bs_pe_free(pe);
}

static void test_sbat_extra(void **state)
{
	const char *sbat[] = { "sbat,1,SBAT Version,sbat,1,x\r\nmyos,2,My OS,myos,1,https://example.org\n" };
	struct bs_uki_params p = {
		.stub = stub, .linux_path = kernel, .uname = "custom", .sbat = sbat, .n_sbat = 1,
	};
	static const char want[] =
		"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
		"systemd,1,The systemd Developers,systemd,252,https://systemd.io/\n"
		"myos,2,My OS,myos,1,https://example.org\n";
	struct bs_error err = { 0 };
	struct bs_pe *pe = NULL;
	const uint8_t *d;
	size_t len;

	(void)state;
	assert_int_equal(bs_uki_build(&p, &pe, &err), 0);
	d = section(pe, ".sbat", &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(d, want, sizeof(want));
	d = section(pe, ".uname", &len);
	assert_memory_equal(d, "custom", 6);
	assert_null(bs_pe_find_section(pe, ".cmdline"));
	bs_pe_free(pe);

	sbat[0] = "myos,2,My OS,myos,1,https://example.org\n";       /* no header line */
	assert_int_equal(bs_uki_build(&p, &pe, &err), -EINVAL);
	assert_string_equal(err.message, "SBAT text 1 does not start with an \"sbat,\" line");
}

static void test_kernel_release(void **state)
{
	uint8_t k[0x400] = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);
	memcpy(k + 0x202, "HdrS", 4);
	bsi_put_le16(k + 0x20e, 0x100);
	strcpy((char *)k + 0x300, "6.1.0-99-amd64 #1");                  /* no " (" after it */
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);
	bsi_put_le16(k + 0x20e, 0xff00);                                    /* points past the end */
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);

	/* An arm64 Image: "MZ", no setup header; the banner, after a decoy. */
	memset(k, 0, sizeof(k));
	memcpy(k, "MZ", 2);
	strcpy((char *)k + 0x100, "Linux version %s");
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);
	strcpy((char *)k + 0x200, "Linux version 6.1.0-57-arm64 (debian-kernel@lists.debian.org) (gcc-12)");
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), 0);
	assert_string_equal(buf, "6.1.0-57-arm64");
	memcpy(k + 4, "zimg", 4);                                          /* compressed: not searched */
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);
	memcpy(k, "XX", 2);                                                /* not PE */
	assert_int_equal(bs_uki_kernel_release(k, sizeof(k), buf, sizeof(buf)), -ENOENT);
}

UNIT_TESTS(setup, unit_dir_teardown,
	cmocka_unit_test(test_build),
	cmocka_unit_test(test_build_bytes),
	cmocka_unit_test(test_extra_sections),
	cmocka_unit_test(test_stub_tail),
	cmocka_unit_test(test_sbat_extra),
	cmocka_unit_test(test_kernel_release))
