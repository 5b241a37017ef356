/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_PE_H
#define BOOTSEAL_PE_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/error.h>

/*
 * A PE/COFF image held in memory, checked strictly on load: every header,
 * section and the certificate table must lie inside the file, section data
 * must not overlap the headers or each other, and the certificate table must
 * end the file. Anything else is -EBADMSG with a message naming the field.
 * PE32+ (x86_64, aarch64, ...) and PE32 (ia32) are read; edits go through
 * the functions below, each of which re-checks the result.
 */
struct bs_pe_section {
	char name[9];                  /* NUL-terminated, at most 8 characters */
	uint32_t virtual_size;
	uint32_t virtual_address;
	uint32_t raw_size;
	uint32_t raw_offset;
	uint32_t characteristics;
	size_t header_offset;          /* file offset of its section header */
};

struct bs_pe {
	char *path;                    /* named in error messages */
	uint8_t *data;
	size_t size;
	size_t capacity;
	uint16_t machine;
	uint16_t subsystem;
	int pe32plus;
	size_t coff_offset;            /* the COFF header, after "PE\0\0" */
	size_t opt_offset;
	size_t section_table_offset;
	size_t checksum_offset;
	size_t cert_dir_offset;        /* 0 when the image has no security directory slot */
	uint32_t section_alignment;
	uint32_t file_alignment;
	uint32_t size_of_headers;
	uint32_t size_of_image;
	uint32_t cert_offset;          /* certificate table, 0/0 when unsigned */
	uint32_t cert_size;
	size_t n_sections;
	struct bs_pe_section *sections;  /* in section table order */
};

/* Copies size bytes from data; path is only used in error messages. */
BS_EXPORT int bs_pe_new(const void *data, size_t size, const char *path, struct bs_pe **pe,
	                struct bs_error *err);
BS_EXPORT int bs_pe_load(const char *path, struct bs_pe **pe, struct bs_error *err);
BS_EXPORT void bs_pe_free(struct bs_pe *pe);

BS_EXPORT const struct bs_pe_section *bs_pe_find_section(const struct bs_pe *pe, const char *name);
/* The bytes a loader maps for a section: min(VirtualSize, SizeOfRawData). */
BS_EXPORT const uint8_t *bs_pe_section_data(const struct bs_pe *pe, const struct bs_pe_section *s,
				            size_t *len);
/* End of the last section's file data (at least SizeOfHeaders). */
BS_EXPORT size_t bs_pe_sections_end(const struct bs_pe *pe);

/* The PE checksum of data with the CheckSum field at checksum_offset skipped. */
BS_EXPORT uint32_t bs_pe_checksum(const uint8_t *data, size_t size, size_t checksum_offset);
BS_EXPORT void bs_pe_update_checksum(struct bs_pe *pe);

/*
 * Appends a section after the last one: VirtualAddress at the next
 * SectionAlignment boundary in memory, file data at the next FileAlignment
 * boundary (before any certificate table, which must be absent). vsize 0
 * means len. Updates NumberOfSections, SizeOfImage, SizeOfInitializedData
 * (or SizeOfCode for code) and the checksum. -ENOSPC without header room.
 */
BS_EXPORT int bs_pe_add_section(struct bs_pe *pe, const char *name, const void *data, size_t len,
		                uint32_t vsize, uint32_t characteristics, struct bs_error *err);
/* Replaces a section's contents in place; they must fit its file data. */
BS_EXPORT int bs_pe_replace_section(struct bs_pe *pe, const char *name, const void *data, size_t len,
			            struct bs_error *err);
/* Drops a COFF symbol table that ends the file (left in by old linkers). */
BS_EXPORT int bs_pe_strip_symbols(struct bs_pe *pe, struct bs_error *err);

/*
 * Drops the bytes after the last section's file data (a symbol table there is
 * unlinked). No loader maps them, but Authenticode hashes them, and
 * sections appended after them would leave a gap that signing tools hash in
 * different ways. Refused on a signed image.
 */
BS_EXPORT int bs_pe_drop_trailing(struct bs_pe *pe, struct bs_error *err);

/* Appends zeros / truncates; re-checks the image. Used by the Authenticode code. */
BS_EXPORT int bs_pe_resize(struct bs_pe *pe, size_t size, struct bs_error *err);
/* Sets the security directory entry (file offset and size) and re-checks. */
BS_EXPORT int bs_pe_set_cert_table(struct bs_pe *pe, uint32_t offset, uint32_t size, struct bs_error *err);

/* Writes the image atomically (temporary file, fsync, rename). */
BS_EXPORT int bs_pe_write(const struct bs_pe *pe, const char *path, struct bs_error *err);

#endif
