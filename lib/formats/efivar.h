/* SPDX-License-Identifier: MIT */
/*
 * UEFI authenticated-variable structures (UEFI 2.10 §8.2.2 and §32.4.1), as
 * byte offsets: bootseal reads and writes them with the little-endian helpers
 * of util.h and never casts these structs over file bytes. The structs exist
 * to document the layout and to pin the sizes.
 */
#ifndef BOOTSEAL_FORMATS_EFIVAR_H
#define BOOTSEAL_FORMATS_EFIVAR_H

#include <stdint.h>

struct efi_guid_disk {
	uint8_t data1[4];       /* u32 LE */
	uint8_t data2[2];       /* u16 LE */
	uint8_t data3[2];       /* u16 LE */
	uint8_t data4[8];       /* bytes as written */
};
_Static_assert(sizeof(struct efi_guid_disk) == 16, "EFI_GUID is 16 bytes");

/* EFI_SIGNATURE_LIST header; SignatureHeader and the entries follow. */
struct efi_signature_list_disk {
	uint8_t signature_type[16];
	uint8_t signature_list_size[4];
	uint8_t signature_header_size[4];
	uint8_t signature_size[4];
};
_Static_assert(sizeof(struct efi_signature_list_disk) == 28, "EFI_SIGNATURE_LIST header is 28 bytes");
#define EFI_SL_OFF_TYPE 0
#define EFI_SL_OFF_LIST_SIZE 16
#define EFI_SL_OFF_HEADER_SIZE 20
#define EFI_SL_OFF_SIGNATURE_SIZE 24
#define EFI_SL_HEADER_SIZE 28

/* EFI_SIGNATURE_DATA: SignatureOwner then the signature bytes. */
#define EFI_SD_OWNER_SIZE 16
#define EFI_SHA256_SIZE 32

struct efi_time_disk {
	uint8_t year[2];
	uint8_t month, day, hour, minute, second;
	uint8_t pad1;
	uint8_t nanosecond[4];
	uint8_t timezone[2];
	uint8_t daylight;
	uint8_t pad2;
};
_Static_assert(sizeof(struct efi_time_disk) == 16, "EFI_TIME is 16 bytes");
#define EFI_TIME_SIZE 16
#define EFI_TIME_OFF_YEAR 0
#define EFI_TIME_OFF_MONTH 2
#define EFI_TIME_OFF_DAY 3
#define EFI_TIME_OFF_HOUR 4
#define EFI_TIME_OFF_MINUTE 5
#define EFI_TIME_OFF_SECOND 6
/* Pad1, Nanosecond, TimeZone, Daylight, Pad2: all zero in an authenticated write. */
#define EFI_TIME_OFF_ZERO_FIELDS 7

/* WIN_CERTIFICATE_UEFI_GUID: WIN_CERTIFICATE header, CertType, CertData. */
struct win_certificate_uefi_guid_disk {
	uint8_t dw_length[4];
	uint8_t w_revision[2];
	uint8_t w_certificate_type[2];
	uint8_t cert_type[16];
};
_Static_assert(sizeof(struct win_certificate_uefi_guid_disk) == 24, "WIN_CERTIFICATE_UEFI_GUID header is 24 bytes");
#define WIN_CERT_OFF_LENGTH 0
#define WIN_CERT_OFF_REVISION 4
#define WIN_CERT_OFF_TYPE 6
#define WIN_CERT_OFF_CERT_TYPE 8
#define WIN_CERT_UEFI_GUID_HEADER_SIZE 24
#define WIN_CERT_REVISION 0x0200
#define WIN_CERT_TYPE_EFI_GUID 0x0EF1

/* EFI_VARIABLE_AUTHENTICATION_2: TimeStamp then AuthInfo; the data follows. */
struct efi_variable_authentication_2_disk {
	struct efi_time_disk timestamp;
	struct win_certificate_uefi_guid_disk auth_info;
};
_Static_assert(sizeof(struct efi_variable_authentication_2_disk) == 40, "EFI_VARIABLE_AUTHENTICATION_2 header is 40 bytes");
#define EFI_AUTH2_OFF_AUTH_INFO 16
#define EFI_AUTH2_HEADER_SIZE 40

#endif
