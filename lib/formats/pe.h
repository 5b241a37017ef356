/* SPDX-License-Identifier: MIT */
/*
 * PE/COFF on-disk layout (Microsoft "PE Format" specification) and the
 * Authenticode WIN_CERTIFICATE entry. The structs document the layout and pin
 * the offsets through offsetof(); lib/pe.c reads fields with the
 * little-endian helpers at those offsets and never casts them over file bytes.
 */
#ifndef BOOTSEAL_FORMATS_PE_H
#define BOOTSEAL_FORMATS_PE_H

#include <stddef.h>
#include <stdint.h>

#define PE_DOS_MAGIC 0x5a4d              /* "MZ" */
#define PE_DOS_LFANEW_OFFSET 0x3c        /* le32: file offset of the PE signature */
#define PE_SIGNATURE 0x00004550u         /* "PE\0\0" */

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_ARMTHUMB 0x01c2
#define PE_MACHINE_AMD64 0x8664
#define PE_MACHINE_ARM64 0xaa64
#define PE_MACHINE_RISCV64 0x5064
#define PE_MACHINE_LOONGARCH64 0x6264

#define PE_FILE_LOCAL_SYMS_STRIPPED 0x0008

#define PE_OPT_MAGIC_PE32 0x010b
#define PE_OPT_MAGIC_PE32PLUS 0x020b

#define PE_SUBSYSTEM_EFI_APPLICATION 10
#define PE_SUBSYSTEM_EFI_ROM 13

#define PE_DIR_BASERELOC 5
#define PE_DIR_SECURITY 4
#define PE_DIR_MAX 16

#define PE_SCN_CNT_CODE 0x00000020u
#define PE_SCN_CNT_INITIALIZED_DATA 0x00000040u
#define PE_SCN_MEM_READ 0x40000000u

/* Each COFF symbol record is 18 bytes; a le32 string-table size follows them. */
#define PE_COFF_SYMBOL_SIZE 18

/* After the 4-byte signature. */
struct pe_coff_header {
	uint16_t machine;
	uint16_t number_of_sections;
	uint32_t time_date_stamp;
	uint32_t pointer_to_symbol_table;
	uint32_t number_of_symbols;
	uint16_t size_of_optional_header;
	uint16_t characteristics;
};
_Static_assert(sizeof(struct pe_coff_header) == 20, "COFF header is 20 bytes");

/* The fields PE32 and PE32+ share at the same offsets (up to DllCharacteristics). */
struct pe_opt_common {
	uint16_t magic;
	uint8_t major_linker_version;
	uint8_t minor_linker_version;
	uint32_t size_of_code;
	uint32_t size_of_initialized_data;
	uint32_t size_of_uninitialized_data;
	uint32_t address_of_entry_point;
	uint32_t base_of_code;
	uint32_t base_of_data_or_image_base_lo;  /* PE32: BaseOfData; PE32+: ImageBase low half */
	uint32_t image_base_or_image_base_hi;
	uint32_t section_alignment;
	uint32_t file_alignment;
	uint16_t os_version[2];
	uint16_t image_version[2];
	uint16_t subsystem_version[2];
	uint32_t win32_version_value;
	uint32_t size_of_image;
	uint32_t size_of_headers;
	uint32_t checksum;
	uint16_t subsystem;
	uint16_t dll_characteristics;
};
_Static_assert(sizeof(struct pe_opt_common) == 72, "shared optional header part is 72 bytes");

/* Where NumberOfRvaAndSizes sits and the data directories start. */
#define PE32_NUM_RVA_OFFSET 92
#define PE32PLUS_NUM_RVA_OFFSET 108
#define PE32_DATA_DIR_OFFSET 96
#define PE32PLUS_DATA_DIR_OFFSET 112

struct pe_data_directory {
	uint32_t virtual_address;   /* a file offset for the security directory */
	uint32_t size;
};
_Static_assert(sizeof(struct pe_data_directory) == 8, "data directory is 8 bytes");

struct pe_section_header {
	char name[8];
	uint32_t virtual_size;
	uint32_t virtual_address;
	uint32_t size_of_raw_data;
	uint32_t pointer_to_raw_data;
	uint32_t pointer_to_relocations;
	uint32_t pointer_to_linenumbers;
	uint16_t number_of_relocations;
	uint16_t number_of_linenumbers;
	uint32_t characteristics;
};
_Static_assert(sizeof(struct pe_section_header) == 40, "section header is 40 bytes");

/* Authenticode: the certificate table is a run of these, each padded to 8 bytes. */
struct pe_win_certificate {
	uint32_t length;            /* header + signature, without the padding */
	uint16_t revision;
	uint16_t certificate_type;
};
_Static_assert(sizeof(struct pe_win_certificate) == 8, "WIN_CERTIFICATE header is 8 bytes");

#define PE_WIN_CERT_REVISION_2_0 0x0200
#define PE_WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define PE_WIN_CERT_ALIGN 8

#define PE_OFF(type, field) offsetof(struct type, field)

#endif
