/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_UKI_H
#define BOOTSEAL_UKI_H

#include <bootseal/export.h>

#include <stddef.h>
#include <stdint.h>

#include <bootseal/authenticode.h>
#include <bootseal/error.h>
#include <bootseal/pcr.h>
#include <bootseal/pe.h>

/*
 * Unified Kernel Images (UAPI "Unified Kernel Image" specification): the
 * systemd-stub EFI program with the kernel, initrds, command line and
 * metadata appended as PE sections, in the order systemd's ukify writes
 * them: .osrel .cmdline .dtb .uname .splash .pcrpkey .initrd .linux, then
 * .sbat (the stub's own section rewritten in place when it has one), and
 * with signed PCR policies .pcrsig last.
 */
/* Where Debian's systemd-boot-efi installs the stubs, linux<efi>.efi.stub. */
#define BS_UKI_STUB_DIR "/usr/lib/systemd/boot/efi"

/* One architecture under its names in the formats bootseal meets. */
struct bs_uki_arch {
	const char *efi;                   /* systemd's file suffix, ukify's --efi-arch: "aa64" */
	const char *oci;                   /* OCI config.architecture: "arm64" */
	const char *rust;                  /* bootc's kargs.d match-architectures: "aarch64" */
	uint16_t machine;                  /* PE/COFF Machine: 0xaa64 */
};

/* NULL when the name or machine is not one of x64, aa64, ia32, arm, riscv64,
 * loongarch64. */
BS_EXPORT const struct bs_uki_arch *bs_uki_arch_by_efi(const char *efi);
BS_EXPORT const struct bs_uki_arch *bs_uki_arch_by_oci(const char *oci);
BS_EXPORT const struct bs_uki_arch *bs_uki_arch_by_machine(uint16_t machine);
/* Which of its names bs_uki_arch_find() looks an architecture up by. */
enum bs_uki_arch_name {
	BS_UKI_ARCH_EFI,
	BS_UKI_ARCH_OCI,
};
/* As bs_uki_arch_by_efi/_oci, but an unknown name is -EINVAL with a message
 * naming it and listing the known ones, about path (may be NULL). */
BS_EXPORT int bs_uki_arch_find(enum bs_uki_arch_name kind, const char *name, const char *path,
			       const struct bs_uki_arch **arch, struct bs_error *err);
/* The architecture bootseal was built for (ukify guesses the same way). */
BS_EXPORT const struct bs_uki_arch *bs_uki_arch_host(void);

/*
 * The architecture of a kernel image from its PE header (an x86 bzImage and
 * an arm64 Image both carry one for the EFI stub). *arch is NULL when the
 * file is no PE image or names an unknown machine; errors are only I/O.
 */
BS_EXPORT int bs_uki_kernel_arch(const char *path, const struct bs_uki_arch **arch, struct bs_error *err);

/* An extra section (ukify --section NAME:TEXT|@FILE). */
struct bs_uki_section {
	const char *name;                  /* ASCII, printable, at most 8 bytes */
	const uint8_t *data;
	size_t len;
};

struct bs_uki_blob {
	const void *data;
	size_t len;
};

/* ukify --sign-kernel / --no-sign-kernel / neither (sign it when it has no signature). */
enum bs_uki_sign_kernel {
	BS_UKI_SIGN_KERNEL_AUTO = 0,
	BS_UKI_SIGN_KERNEL_YES,
	BS_UKI_SIGN_KERNEL_NO,
};

/* Signed PCR policies (bootseal/pcr.h), as ukify's --pcr-private-key. */
struct bs_uki_pcr {
	const struct bs_pcr_signer *signers;
	size_t n_signers;
	unsigned banks;                    /* 1 << enum bs_pcr_bank; 0: all four, as ukify */
	const void *pcrpkey;               /* .pcrpkey contents when params->pcrpkey is NULL */
	size_t pcrpkey_len;
};

struct bs_uki_params {
	const char *stub;                  /* path of linux<arch>.efi.stub; NULL:
	                                    * BS_UKI_STUB_DIR's, for efi_arch */
	const char *efi_arch;              /* NULL: the kernel's, else the host's */
	const char *linux_path;            /* kernel image, required without linux_data */
	const char *const *initrds;        /* concatenated, each padded to 4 bytes when several */
	size_t n_initrds;
	/* The bytes themselves instead of files to read: a path given beside
	 * them only names them in messages. initrd_data holds n_initrds. */
	const void *linux_data;
	size_t linux_len;
	const void *stub_data;
	size_t stub_len;
	const struct bs_uki_blob *initrd_data;
	const char *cmdline;               /* section contents as given; NULL: no section */
	size_t cmdline_len;
	const char *os_release;
	size_t os_release_len;
	const char *uname;                 /* NULL: bs_uki_kernel_release()'s, if any */
	const char *const *sbat;           /* extra SBAT CSV texts, each starting with "sbat,";
	                                    * none: the generic "uki" entry */
	size_t n_sbat;
	const char *splash;                /* optional paths */
	const char *devicetree;
	const char *pcrpkey;
	const char *microcode;             /* optional path: .ucode, after .initrd */
	const struct bs_uki_section *sections; /* after .ucode, before .linux, as ukify */
	size_t n_sections;
	/* The Secure Boot signer of the UKI, when there is one: with it the
	 * kernel is signed too before it is embedded, as sign_kernel says. */
	const struct bs_authenticode_signer *kernel_signer;
	enum bs_uki_sign_kernel sign_kernel;
	/* NULL: no .pcrsig. Else the section is added last, after .sbat, with
	 * PCR 11 predicted from the built image (bs_pcr_uki_sections). */
	const struct bs_uki_pcr *pcr;
};

/*
 * A section as `ukify inspect` reports it: size is its VirtualSize, data the
 * bytes pefile returns for that many (no more than the file holds), sha256
 * their digest. shown: listed without --all (.linux .initrd .ucode .splash
 * .dtb .cmdline .osrel .uname .pcrpkey .pcrsig .sbat .sbom .profile); text:
 * printed as text (.cmdline .osrel .uname .pcrpkey .pcrsig .sbat .profile).
 */
struct bs_uki_section_info {
	const char *name;
	uint32_t size;
	const uint8_t *data;
	size_t len;
	uint8_t sha256[32];
	int shown;
	int text;
};
BS_EXPORT int bs_uki_section_info(const struct bs_pe *pe, size_t i, struct bs_uki_section_info *out);

/* 0 when name can be a --section name (what ukify's check_name accepts); -EINVAL. */
BS_EXPORT int bs_uki_section_name_check(const char *name, size_t len);

/*
 * What a UKI may be built from, and a UKI read back from an image, are held
 * in memory and come from untrusted images, so they are bounded: a kernel
 * 256 MiB (distributions ship 10 to 60), the initrds together 512 MiB
 * (Fedora's largest, with every firmware, under 200), a UKI the two plus
 * 16 MiB for the stub and the small sections. Past a bound: -EFBIG.
 */
#define BS_UKI_KERNEL_MAX (256ull << 20)
#define BS_UKI_INITRD_MAX (512ull << 20)
#define BS_UKI_MAX (BS_UKI_KERNEL_MAX + BS_UKI_INITRD_MAX + (16ull << 20))

/* Builds the unsigned image; -EBADMSG for a bad stub, -EINVAL for bad input
 * (a stub for another machine than the kernel's among it, or more sections
 * than the stub's headers have room for). */
BS_EXPORT int bs_uki_build(const struct bs_uki_params *params, struct bs_pe **uki, struct bs_error *err);

/* The kernel release ("6.1.0-13-amd64") from an x86 bzImage's setup header,
 * or from the "Linux version" banner of an uncompressed PE Image (arm64,
 * riscv64); -ENOENT when there is none. buf gets a NUL-terminated string. */
BS_EXPORT int bs_uki_kernel_release(const void *kernel, size_t len, char *buf, size_t size);

#endif
