/* SPDX-License-Identifier: MIT */
/*
 * Strict PE/COFF reader and the few edits bootseal needs (adding sections,
 * the certificate table, the checksum). Every edit is applied to the bytes
 * and the image is parsed again, so the struct never disagrees with the file
 * and the writer can not produce something the reader would reject.
 */
#include <bootseal/pe.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bootseal/atomicfile.h>

#include "formats/pe.h"
#include "util.h"

/* Far more than any EFI binary; bounds the section array allocation. */
#define PE_MAX_SECTIONS 96
#define PE_MAX_FILE_SIZE (1ull << 32)
#define PE_MAX_FILE_ALIGNMENT 0x10000u

static int is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

#define ULL(x) ((unsigned long long)(x))

static int known_machine(uint16_t m)
{
	switch (m) {
	case PE_MACHINE_I386:
	case PE_MACHINE_ARMTHUMB:
	case PE_MACHINE_AMD64:
	case PE_MACHINE_ARM64:
	case PE_MACHINE_RISCV64:
	case PE_MACHINE_LOONGARCH64:
		return 1;
	}
	return 0;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct bs_pe_section *x = *(const struct bs_pe_section *const *)a;
	const struct bs_pe_section *y = *(const struct bs_pe_section *const *)b;

	return x->raw_offset < y->raw_offset ? -1 : x->raw_offset > y->raw_offset;
}

/*
 * The sections systemd-stub and systemd-boot look up in a UKI, across
 * versions (v252's stub, the UAPI UKI specification since). systemd 252's
 * locate_sections compares only strlen(name) bytes of the header's name, so
 * ".dtbx" is a ".dtb" to it; and it keeps the last match while bootseal reads
 * the first. Two sections one of them could take for the same name would let
 * `verify-seal` check a command line the stub never uses.
 */
static const char *const uki_sections[] = {
	".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname",
	".sbat", ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw",
};

static int stub_matches(const struct bs_pe_section *s, const char *name)
{
	return strncmp(s->name, name, strlen(name)) == 0;
}

/* In a UKI (an image with a section the stub takes for .linux), no two
 * sections share a name, or a UKI section name in the stub's eyes. */
static int check_uki_names(const struct bs_pe *pe, struct bs_error *err)
{
	const struct bs_pe_section *linux_sec = NULL;

	for (size_t i = 0; i < pe->n_sections && !linux_sec; i++)
		if (stub_matches(&pe->sections[i], ".linux"))
			linux_sec = &pe->sections[i];
	if (!linux_sec)
		return 0;
	for (size_t i = 0; i < pe->n_sections; i++)
		for (size_t j = i + 1; j < pe->n_sections; j++) {
			const struct bs_pe_section *a = &pe->sections[i], *b = &pe->sections[j];
			const char *as = NULL;

			if (memcmp(a->name, b->name, 8) == 0)
				as = a->name;
			for (size_t k = 0; !as && k < BS_ARRAY_SIZE(uki_sections); k++)
				if (stub_matches(a, uki_sections[k]) && stub_matches(b, uki_sections[k]))
					as = uki_sections[k];
			if (!as)
				continue;
			if (strcmp(a->name, b->name) == 0)
				return bs_error_set(err, -EBADMSG, pe->path,
						    "UKI has two %s sections (systemd-stub uses the last; multi-profile UKIs are not supported)",
						    a->name);
			return bs_error_set(err, -EBADMSG, pe->path,
					    "UKI sections %s and %s are both %s to systemd 252's stub",
					    a->name, b->name, as);
		}
	return 0;
}

/* Sorted by start, two file ranges overlap only if one overlaps the
 * furthest-reaching non-empty range before it; empty ones are skipped. */
static int check_raw_overlaps(const struct bs_pe *pe, const struct bs_pe_section **order, uint16_t n,
			      struct bs_error *err)
{
	const struct bs_pe_section *prev = NULL;

	qsort(order, n, sizeof(*order), cmp_raw);
	for (uint16_t i = 0; i < n; i++) {
		const struct bs_pe_section *b = order[i];

		if (!b->raw_size)
			continue;
		if (prev && (uint64_t)prev->raw_offset + prev->raw_size > b->raw_offset)
			return bs_error_set(err, -EBADMSG, pe->path,
					    "sections %s and %s overlap in the file (0x%x+0x%x > 0x%x)",
					    prev->name, b->name, prev->raw_offset, prev->raw_size, b->raw_offset);
		if (!prev || (uint64_t)b->raw_offset + b->raw_size > (uint64_t)prev->raw_offset + prev->raw_size)
			prev = b;
	}
	return 0;
}

/* A section systemd-stub reads from the loaded image (.sbat is read from
 * the file, by shim). */
static int stub_reads(const struct bs_pe_section *s)
{
	for (size_t k = 0; k < BS_ARRAY_SIZE(uki_sections); k++)
		if (strcmp(uki_sections[k], ".sbat") != 0 && stub_matches(s, uki_sections[k]))
			return 1;
	return 0;
}

/*
 * The loader copies sections in table order, so where two overlap in memory
 * the later one's bytes are what the stub reads as the earlier one: a
 * section laid over .cmdline replaces the command line that was checked.
 * Overlaps between sections the stub never reads are left alone: systemd
 * 252's stub leaves 0x100 bytes for .sbat before .sdmagic, and ukify (like
 * bs_uki_build) writes a longer merged .sbat there.
 */
static int check_virtual_overlaps(const struct bs_pe *pe, struct bs_error *err)
{
	for (size_t i = 0; i < pe->n_sections; i++)
		for (size_t j = i + 1; j < pe->n_sections; j++) {
			const struct bs_pe_section *a = &pe->sections[i], *b = &pe->sections[j];

			if (!a->virtual_size || !b->virtual_size || (!stub_reads(a) && !stub_reads(b)))
				continue;
			if ((uint64_t)a->virtual_address + a->virtual_size > b->virtual_address &&
			    (uint64_t)b->virtual_address + b->virtual_size > a->virtual_address)
				return bs_error_set(err, -EBADMSG, pe->path,
						    "sections %s and %s overlap in memory (RVA 0x%x+0x%x and 0x%x+0x%x)",
						    a->name, b->name, a->virtual_address, a->virtual_size,
						    b->virtual_address, b->virtual_size);
		}
	return 0;
}

static int parse_sections(struct bs_pe *pe, uint16_t n, struct bs_error *err)
{
	_cleanup_free_ const struct bs_pe_section **order = NULL;
	const uint8_t *d = pe->data;
	int r;

	free(pe->sections);
	pe->sections = calloc(n ? n : 1, sizeof(*pe->sections));
	order = calloc(n ? n : 1, sizeof(*order));
	if (!pe->sections || !order)
		return -ENOMEM;
	pe->n_sections = n;
	for (uint16_t i = 0; i < n; i++) {
		struct bs_pe_section *s = &pe->sections[i];
		size_t h = pe->section_table_offset + (size_t)i * sizeof(struct pe_section_header);

		memcpy(s->name, d + h, 8);
		s->name[8] = '\0';
		s->header_offset = h;
		s->virtual_size = bsi_get_le32(d + h + PE_OFF(pe_section_header, virtual_size));
		s->virtual_address = bsi_get_le32(d + h + PE_OFF(pe_section_header, virtual_address));
		s->raw_size = bsi_get_le32(d + h + PE_OFF(pe_section_header, size_of_raw_data));
		s->raw_offset = bsi_get_le32(d + h + PE_OFF(pe_section_header, pointer_to_raw_data));
		s->characteristics = bsi_get_le32(d + h + PE_OFF(pe_section_header, characteristics));
		order[i] = s;

		if (s->raw_size && (uint64_t)s->raw_offset + s->raw_size > pe->size)
			return bs_error_set(err, -EBADMSG, pe->path,
					    "section %s data ends at 0x%llx, outside the file (size 0x%llx)",
					    s->name, ULL((uint64_t)s->raw_offset + s->raw_size), ULL(pe->size));
		if (s->raw_size && s->raw_offset < pe->size_of_headers)
			return bs_error_set(err, -EBADMSG, pe->path,
					    "section %s data at 0x%llx overlaps the headers (0x%llx bytes)",
					    s->name, ULL(s->raw_offset), ULL(pe->size_of_headers));
		/* The loader maps [VA, VA+VirtualSize) and must stay inside the image. */
		if ((uint64_t)s->virtual_address + s->virtual_size > pe->size_of_image)
			return bs_error_set(err, -EBADMSG, pe->path,
					    "section %s ends at RVA 0x%llx, past SizeOfImage 0x%llx",
					    s->name, ULL((uint64_t)s->virtual_address + s->virtual_size), ULL(pe->size_of_image));
		if (s->virtual_address < pe->size_of_headers && s->virtual_size)
			return bs_error_set(err, -EBADMSG, pe->path,
					    "section %s at RVA 0x%llx overlaps the headers (0x%llx bytes)",
					    s->name, ULL(s->virtual_address), ULL(pe->size_of_headers));
	}
	/* Authenticode hashes sections in file order; overlapping data would be
	 * hashed twice and lets two section headers disagree about the same bytes. */
	r = check_raw_overlaps(pe, order, n, err);
	if (r >= 0)
		r = check_virtual_overlaps(pe, err);
	if (r >= 0)
		r = check_uki_names(pe, err);
	return r;
}

/* The MZ stub, the PE signature and the COFF header. */
static int parse_coff(struct bs_pe *pe, uint16_t *n_sections, size_t *opt_size, struct bs_error *err)
{
	const uint8_t *d = pe->data;
	size_t size = pe->size, lfanew;

	if (size < 64 || bsi_get_le16(d) != PE_DOS_MAGIC)
		return bs_error_set(err, -EBADMSG, pe->path, "not a PE image (no MZ header)");
	if (size > PE_MAX_FILE_SIZE)
		return bs_error_set(err, -EBADMSG, pe->path, "PE image larger than 4 GiB");
	lfanew = bsi_get_le32(d + PE_DOS_LFANEW_OFFSET);
	if (lfanew < 64 || lfanew + 4 + sizeof(struct pe_coff_header) > size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "truncated headers: PE header offset 0x%llx is outside the file (size 0x%llx)",
				    ULL(lfanew), ULL(size));
	if (bsi_get_le32(d + lfanew) != PE_SIGNATURE)
		return bs_error_set(err, -EBADMSG, pe->path, "not a PE image (no PE signature)");
	pe->coff_offset = lfanew + 4;
	pe->machine = bsi_get_le16(d + pe->coff_offset + PE_OFF(pe_coff_header, machine));
	if (!known_machine(pe->machine))
		return bs_error_set(err, -EBADMSG, pe->path, "unsupported machine type 0x%04x",
				    pe->machine);
	*n_sections = bsi_get_le16(d + pe->coff_offset + PE_OFF(pe_coff_header, number_of_sections));
	*opt_size = bsi_get_le16(d + pe->coff_offset + PE_OFF(pe_coff_header, size_of_optional_header));
	pe->opt_offset = pe->coff_offset + sizeof(struct pe_coff_header);
	if (*opt_size < sizeof(struct pe_opt_common) || pe->opt_offset + *opt_size > size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "truncated headers: optional header (0x%llx bytes) does not fit the file (size 0x%llx)",
				    ULL(*opt_size), ULL(size));
	return 0;
}

/* The optional header: PE32 or PE32+, its data directories, alignments. */
static int parse_optional(struct bs_pe *pe, size_t opt_size, struct bs_error *err)
{
	const uint8_t *opt = pe->data + pe->opt_offset;
	uint16_t magic = bsi_get_le16(opt);
	size_t nrva_off, dir_off;
	uint32_t n_rva;

	if (magic == PE_OPT_MAGIC_PE32PLUS) {
		pe->pe32plus = 1;
		nrva_off = PE32PLUS_NUM_RVA_OFFSET;
		dir_off = PE32PLUS_DATA_DIR_OFFSET;
	} else if (magic == PE_OPT_MAGIC_PE32) {
		pe->pe32plus = 0;
		nrva_off = PE32_NUM_RVA_OFFSET;
		dir_off = PE32_DATA_DIR_OFFSET;
	} else {
		return bs_error_set(err, -EBADMSG, pe->path, "unknown optional header magic 0x%04x",
				    magic);
	}
	if (opt_size < dir_off)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "truncated headers: optional header is 0x%llx bytes, needs 0x%llx",
				    ULL(opt_size), ULL(dir_off));
	n_rva = bsi_get_le32(opt + nrva_off);
	if (n_rva > PE_DIR_MAX || dir_off + (size_t)n_rva * 8 > opt_size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "%u data directories do not fit the optional header", n_rva);
	pe->cert_dir_offset = 0;
	pe->cert_offset = pe->cert_size = 0;
	if (n_rva > PE_DIR_SECURITY) {
		pe->cert_dir_offset = pe->opt_offset + dir_off + PE_DIR_SECURITY * 8;
		pe->cert_offset = bsi_get_le32(pe->data + pe->cert_dir_offset);
		pe->cert_size = bsi_get_le32(pe->data + pe->cert_dir_offset + 4);
	}

	pe->subsystem = bsi_get_le16(opt + PE_OFF(pe_opt_common, subsystem));
	pe->section_alignment = bsi_get_le32(opt + PE_OFF(pe_opt_common, section_alignment));
	pe->file_alignment = bsi_get_le32(opt + PE_OFF(pe_opt_common, file_alignment));
	pe->size_of_image = bsi_get_le32(opt + PE_OFF(pe_opt_common, size_of_image));
	pe->size_of_headers = bsi_get_le32(opt + PE_OFF(pe_opt_common, size_of_headers));
	pe->checksum_offset = pe->opt_offset + PE_OFF(pe_opt_common, checksum);
	if (!is_pow2(pe->section_alignment) || !is_pow2(pe->file_alignment))
		return bs_error_set(err, -EBADMSG, pe->path,
				    "SectionAlignment 0x%x / FileAlignment 0x%x is not a power of two",
				    pe->section_alignment, pe->file_alignment);
	/* PE/COFF: FileAlignment is at most 64 KiB. Each added section starts
	 * and ends on it, so a 512-byte stub claiming 2 GiB made `ukify build`
	 * allocate, zero and hash 4 GiB (found by fuzz/fuzz-pe as a slow unit). */
	if (pe->file_alignment > PE_MAX_FILE_ALIGNMENT)
		return bs_error_set(err, -EBADMSG, pe->path, "FileAlignment 0x%x is above 64 KiB",
				    pe->file_alignment);
	return 0;
}

/* The section table follows the optional header, inside SizeOfHeaders. */
static int check_section_table(struct bs_pe *pe, uint16_t n_sections, size_t opt_size,
			       struct bs_error *err)
{
	size_t table_end;

	pe->section_table_offset = pe->opt_offset + opt_size;
	if (n_sections > PE_MAX_SECTIONS)
		return bs_error_set(err, -EBADMSG, pe->path, "%u sections (at most %d supported)",
				    n_sections, PE_MAX_SECTIONS);
	table_end = pe->section_table_offset + (size_t)n_sections * sizeof(struct pe_section_header);
	if (table_end > pe->size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "truncated headers: section table ends at 0x%llx, past the end of the file (0x%llx)",
				    ULL(table_end), ULL(pe->size));
	if (pe->size_of_headers < table_end || pe->size_of_headers > pe->size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "SizeOfHeaders 0x%llx does not cover the section table (0x%llx) inside the file",
				    ULL(pe->size_of_headers), ULL(table_end));
	return 0;
}

/* Firmware hashes everything up to the certificate table and assumes it
 * ends the file; bytes after it would be unsigned yet loaded by some tools. */
static int check_cert_table(struct bs_pe *pe, struct bs_error *err)
{
	uint64_t end = (uint64_t)pe->cert_offset + pe->cert_size;

	if (!pe->cert_size && !pe->cert_offset)
		return 0;
	if (end > pe->size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "certificate table ends at 0x%llx, past the end of the file (0x%llx)",
				    ULL(end), ULL(pe->size));
	if (end != pe->size)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "certificate table ends at 0x%llx, not at the end of the file (0x%llx)",
				    ULL(end), ULL(pe->size));
	if (pe->cert_offset < bs_pe_sections_end(pe) || pe->cert_offset % PE_WIN_CERT_ALIGN)
		return bs_error_set(err, -EBADMSG, pe->path,
				    "certificate table at 0x%llx overlaps section data or is misaligned (0x%llx)",
				    ULL(pe->cert_offset), ULL(bs_pe_sections_end(pe)));
	return 0;
}

static int pe_parse(struct bs_pe *pe, struct bs_error *err)
{
	uint16_t n_sections = 0;
	size_t opt_size = 0;
	int r;

	if ((r = parse_coff(pe, &n_sections, &opt_size, err)) < 0 ||
	    (r = parse_optional(pe, opt_size, err)) < 0 ||
	    (r = check_section_table(pe, n_sections, opt_size, err)) < 0 ||
	    (r = parse_sections(pe, n_sections, err)) < 0)
		return r;
	return check_cert_table(pe, err);
}

int bs_pe_new(const void *data, size_t size, const char *path, struct bs_pe **ret,
	      struct bs_error *err)
{
	if ((!data && size) || !ret)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_new: a NULL argument");
	struct bs_pe *pe = calloc(1, sizeof(*pe));
	int r;

	if (!pe)
		return -ENOMEM;
	pe->path = strdup(path ? path : "");
	pe->data = malloc(size ? size : 1);
	if (!pe->path || !pe->data) {
		bs_pe_free(pe);
		return -ENOMEM;
	}
	memcpy(pe->data, data, size);
	pe->size = pe->capacity = size;
	r = pe_parse(pe, err);
	if (r < 0) {
		bs_pe_free(pe);
		return r;
	}
	*ret = pe;
	return 0;
}

int bs_pe_load(const char *path, struct bs_pe **ret, struct bs_error *err)
{
	if (!path || !ret)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_load: a NULL argument");
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t got;
	int r;

	fd = bsi_open_regular(path, 0, &st, err);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > PE_MAX_FILE_SIZE)
		return bs_error_set(err, -EBADMSG, path, "PE image larger than 4 GiB");
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		return -ENOMEM;
	r = bsi_read_full(fd, buf, (size_t)st.st_size, &got);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	return bs_pe_new(buf, got, path, ret, err);
}

void bs_pe_free(struct bs_pe *pe)
{
	if (!pe)
		return;
	free(pe->path);
	free(pe->data);
	free(pe->sections);
	free(pe);
}

const struct bs_pe_section *bs_pe_find_section(const struct bs_pe *pe, const char *name)
{
	if (!pe || !name)
		return NULL;
	for (size_t i = 0; i < pe->n_sections; i++)
		if (strcmp(pe->sections[i].name, name) == 0)
			return &pe->sections[i];
	return NULL;
}

const uint8_t *bs_pe_section_data(const struct bs_pe *pe, const struct bs_pe_section *s,
				  size_t *len)
{
	if (!pe || !s || !len)
		return NULL;
	*len = s->virtual_size < s->raw_size ? s->virtual_size : s->raw_size;
	return pe->data + s->raw_offset;
}

size_t bs_pe_sections_end(const struct bs_pe *pe)
{
	if (!pe)
		return 0;
	size_t end = pe->size_of_headers;

	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		if (s->raw_size && (size_t)s->raw_offset + s->raw_size > end)
			end = (size_t)s->raw_offset + s->raw_size;
	}
	return end;
}

uint32_t bs_pe_checksum(const uint8_t *data, size_t size, size_t checksum_offset)
{
	uint64_t sum = 0;

	/* 16-bit one's-complement-style sum with carries folded, plus the length. */
	for (size_t i = 0; i + 1 < size; i += 2) {
		if (i == checksum_offset || i == checksum_offset + 2)
			continue;
		sum += bsi_get_le16(data + i);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (size & 1) {
		sum += data[size - 1];
		sum = (sum & 0xffff) + (sum >> 16);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)(sum + size);
}

void bs_pe_update_checksum(struct bs_pe *pe)
{
	if (!pe)
		return;
	bsi_put_le32(pe->data + pe->checksum_offset,
		     bs_pe_checksum(pe->data, pe->size, pe->checksum_offset));
}

static int reserve(struct bs_pe *pe, size_t size)
{
	return bsi_reserve(&pe->data, &pe->capacity, size);
}

int bs_pe_resize(struct bs_pe *pe, size_t size, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_resize: a NULL argument");
	int r = reserve(pe, size);

	if (r < 0)
		return r;
	if (size > pe->size)
		memset(pe->data + pe->size, 0, size - pe->size);
	pe->size = size;
	return pe_parse(pe, err);
}

int bs_pe_set_cert_table(struct bs_pe *pe, uint32_t offset, uint32_t size, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_set_cert_table: a NULL argument");
	if (!pe->cert_dir_offset)
		return bs_error_set(err, -EINVAL, pe->path, "image has no certificate table directory entry");
	bsi_put_le32(pe->data + pe->cert_dir_offset, offset);
	bsi_put_le32(pe->data + pe->cert_dir_offset + 4, size);
	return pe_parse(pe, err);
}

static void add_le32(uint8_t *p, uint32_t v) { bsi_put_le32(p, bsi_get_le32(p) + v); }

int bs_pe_add_section(struct bs_pe *pe, const char *name, const void *data, size_t len,
		      uint32_t vsize, uint32_t characteristics, struct bs_error *err)
{
	if (!pe || !name || (!data && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_add_section: a NULL argument");
	size_t hdr = pe->section_table_offset + pe->n_sections * sizeof(struct pe_section_header);
	uint64_t va = pe->size_of_headers, raw, raw_size, end;
	uint8_t *h;
	int r;

	if (strlen(name) > 8)
		return bs_error_set(err, -EINVAL, pe->path, "section name %s is longer than 8 bytes", name);
	if (pe->cert_size)
		return bs_error_set(err, -EINVAL, pe->path, "image is signed; remove the signature first");
	if (hdr + sizeof(struct pe_section_header) > pe->size_of_headers)
		return bs_error_set(err, -ENOSPC, pe->path, "no room in the headers for section %s", name);
	if (!vsize)
		vsize = (uint32_t)len;
	for (size_t i = 0; i < pe->n_sections; i++) {
		const struct bs_pe_section *s = &pe->sections[i];
		uint64_t e = (uint64_t)s->virtual_address + s->virtual_size;
		if (e > va)
			va = e;
	}
	va = align_up(va, pe->section_alignment);
	raw = align_up(pe->size, pe->file_alignment);
	raw_size = align_up(len, pe->file_alignment);
	end = align_up(va + vsize, pe->section_alignment);
	if (vsize < len || raw + raw_size > PE_MAX_FILE_SIZE || end > UINT32_MAX)
		return bs_error_set(err, -EINVAL, pe->path, "section %s is too large", name);

	r = reserve(pe, raw + raw_size);
	if (r < 0)
		return r;
	memset(pe->data + pe->size, 0, raw + raw_size - pe->size);
	memcpy(pe->data + raw, data, len);
	pe->size = raw + raw_size;

	h = pe->data + hdr;
	memset(h, 0, sizeof(struct pe_section_header));
	memcpy(h, name, strlen(name));
	bsi_put_le32(h + PE_OFF(pe_section_header, virtual_size), vsize);
	bsi_put_le32(h + PE_OFF(pe_section_header, virtual_address), (uint32_t)va);
	bsi_put_le32(h + PE_OFF(pe_section_header, size_of_raw_data), (uint32_t)raw_size);
	bsi_put_le32(h + PE_OFF(pe_section_header, pointer_to_raw_data), (uint32_t)raw);
	bsi_put_le32(h + PE_OFF(pe_section_header, characteristics), characteristics);

	bsi_put_le16(pe->data + pe->coff_offset + PE_OFF(pe_coff_header, number_of_sections),
		     (uint16_t)(pe->n_sections + 1));
	bsi_put_le32(pe->data + pe->opt_offset + PE_OFF(pe_opt_common, size_of_image), (uint32_t)end);
	/* ukify counts every added section's VirtualSize, .linux included. */
	add_le32(pe->data + pe->opt_offset + PE_OFF(pe_opt_common, size_of_initialized_data), vsize);
	r = pe_parse(pe, err);
	if (r < 0)
		return r;
	bs_pe_update_checksum(pe);
	return 0;
}

int bs_pe_replace_section(struct bs_pe *pe, const char *name, const void *data, size_t len,
			  struct bs_error *err)
{
	if (!pe || !name || (!data && len))
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_replace_section: a NULL argument");
	const struct bs_pe_section *s = bs_pe_find_section(pe, name);

	if (!s)
		return bs_error_set(err, -EINVAL, pe->path, "no section %s", name);
	if (len > s->raw_size)
		return bs_error_set(err, -ENOSPC, pe->path,
				    "%zu bytes do not fit section %s (0x%x bytes in the file)", len,
				    name, s->raw_size);
	memcpy(pe->data + s->raw_offset, data, len);
	memset(pe->data + s->raw_offset + len, 0, s->raw_size - len);
	bsi_put_le32(pe->data + s->header_offset + PE_OFF(pe_section_header, virtual_size), (uint32_t)len);
	int r = pe_parse(pe, err);
	if (r < 0)
		return r;
	bs_pe_update_checksum(pe);
	return 0;
}

int bs_pe_strip_symbols(struct bs_pe *pe, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_strip_symbols: a NULL argument");
	uint8_t *coff = pe->data + pe->coff_offset;
	uint64_t ptr = bsi_get_le32(coff + PE_OFF(pe_coff_header, pointer_to_symbol_table));
	uint64_t n = bsi_get_le32(coff + PE_OFF(pe_coff_header, number_of_symbols));
	uint64_t end = ptr + n * PE_COFF_SYMBOL_SIZE;

	if (!ptr || pe->cert_size)
		return 0;
	if (end + 4 <= pe->size)
		end += bsi_get_le32(pe->data + end);
	/* Only a table that is exactly the file's tail is provably unused. */
	if (ptr < bs_pe_sections_end(pe) || end != pe->size)
		return 0;
	bsi_put_le32(coff + PE_OFF(pe_coff_header, pointer_to_symbol_table), 0);
	bsi_put_le32(coff + PE_OFF(pe_coff_header, number_of_symbols), 0);
	bsi_put_le16(coff + PE_OFF(pe_coff_header, characteristics),
		     bsi_get_le16(coff + PE_OFF(pe_coff_header, characteristics)) | PE_FILE_LOCAL_SYMS_STRIPPED);
	int r = bs_pe_resize(pe, (size_t)ptr, err);
	if (r < 0)
		return r;
	bs_pe_update_checksum(pe);
	return 0;
}

int bs_pe_drop_trailing(struct bs_pe *pe, struct bs_error *err)
{
	if (!pe)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_drop_trailing: a NULL argument");
	uint8_t *coff = pe->data + pe->coff_offset;
	size_t end = bs_pe_sections_end(pe);
	int r;

	if (pe->cert_size)
		return bs_error_set(err, -EINVAL, pe->path, "image is signed; remove the signature first");
	if (pe->size == end)
		return 0;
	/* A symbol table in the dropped tail would point past the end of the file. */
	if (bsi_get_le32(coff + PE_OFF(pe_coff_header, pointer_to_symbol_table)) >= end) {
		bsi_put_le32(coff + PE_OFF(pe_coff_header, pointer_to_symbol_table), 0);
		bsi_put_le32(coff + PE_OFF(pe_coff_header, number_of_symbols), 0);
	}
	r = bs_pe_resize(pe, end, err);
	if (r < 0)
		return r;
	bs_pe_update_checksum(pe);
	return 0;
}

int bs_pe_write(const struct bs_pe *pe, const char *path, struct bs_error *err)
{
	if (!pe || !path)
		return bs_error_set(err, -EINVAL, NULL, "bs_pe_write: a NULL argument");
	return bs_atomicfile_write_all(path, pe->data, pe->size, 0755, 0, err);
}
