/* SPDX-License-Identifier: MIT */
/*
 * UKI assembly. The layout rules come from the UAPI UKI specification and
 * the behaviour of systemd's ukify (pe_add_sections/merge_sbat), re-derived
 * rather than copied: new sections go after the stub's last one, each at
 * the next SectionAlignment boundary in memory and FileAlignment in the
 * file; .linux is marked code, the rest initialized data, all readable.
 */
#include <bootseal/uki.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "formats/pe.h"
#include "util.h"

/* The SBAT header line shim requires first, and ukify's default entry. */
static const char sbat_header[] =
	"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n";
static const char sbat_default[] =
	"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
	"uki,1,UKI,uki,1,https://uapi-group.org/specifications/specs/unified_kernel_image/\n";

#define DATA_FLAGS (PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ)
/* Old stubs run the kernel in place through the EFI handover protocol. */
#define CODE_FLAGS (PE_SCN_CNT_CODE | PE_SCN_MEM_READ)

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

static void buf_done(struct buf *b) { free(b->data); }

static int buf_add(struct buf *b, const void *p, size_t n)
{
	if (bsi_reserve(&b->data, &b->cap, b->len + n + 1) < 0)
		return -ENOMEM;
	if (p && n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* A PE section's sizes are 32-bit, so a larger file cannot become one. */
#define SECTION_FILE_MAX ((size_t)UINT32_MAX)

static int read_file(const char *path, uint8_t **data, size_t *len, struct bs_error *err)
{
	return bsi_read_file(path, 0, SECTION_FILE_MAX, data, len, err);
}

static int too_big(const char *path, uint64_t max, const char *what, struct bs_error *err)
{
	return bs_error_set(err, -EFBIG, path, "%s larger than %llu bytes (%llu MiB), the bound", what,
			    (unsigned long long)max, (unsigned long long)(max >> 20));
}

/* A file of at most left bytes, for a part of the UKI whose bound is max. */
static int read_capped(const char *path, uint64_t left, uint64_t max, const char *what, uint8_t **data,
		       size_t *len, struct bs_error *err)
{
	int r = bsi_read_file(path, 0, left, data, len, err);

	if (r == -EFBIG) {
		bs_error_clear(err);   /* a message that names the bound's purpose */
		return too_big(path, max, what, err);
	}
	return r;
}

static int release_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* A release string at off, ended by " (" as in "RELEASE (builder) #...". */
static int release_at(const uint8_t *k, size_t len, size_t off, char *out, size_t size)
{
	size_t n = 0;

	while (off + n < len && n + 1 < size && release_char((char)k[off + n])) {
		out[n] = (char)k[off + n];
		n++;
	}
	if (!n || off + n + 2 > len || k[off + n] != ' ' || k[off + n + 1] != '(')
		return -ENOENT;
	out[n] = '\0';
	return 0;
}

int bs_uki_kernel_release(const void *kernel, size_t len, char *out, size_t size)
{
	if ((!kernel && len) || !out)
		return -EINVAL;
	static const char banner[] = "Linux version ";
	const uint8_t *k = kernel, *p = k, *end = k + len;
	size_t off;

	/* x86 boot protocol: "HdrS" at 0x202, kernel_version pointer at 0x20e
	 * (relative to 0x200) naming "RELEASE (builder) #..." */
	if (len >= 0x210 && memcmp(k + 0x202, "HdrS", 4) == 0) {
		off = 0x200 + (size_t)bsi_get_le16(k + 0x20e);
		return off < len ? release_at(k, len, off, out, size) : -ENOENT;
	}
	/* Other uncompressed PE kernels (arm64, riscv64 Image): the banner
	 * "Linux version RELEASE (builder) ...", as ukify's generic scrape finds
	 * it. Compressed (zboot) images keep it inside the payload: none. */
	if (len < 8 || bsi_get_le16(k) != PE_DOS_MAGIC || memcmp(k + 4, "zimg", 4) == 0)
		return -ENOENT;
	while ((p = memmem(p, (size_t)(end - p), banner, sizeof(banner) - 1))) {
		p += sizeof(banner) - 1;
		if (p < end && *p >= '0' && *p <= '9' && release_at(k, len, (size_t)(p - k), out, size) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Appends the entries of one SBAT text (without its "sbat," header line). */
static int sbat_add_entries(struct buf *out, const char *text, size_t len, int *any)
{
	const char *p = text, *end = text + len;
	int first = 1, r;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - p);

		if (n && p[n - 1] == '\r')
			n--;
		if (first) {
			if (n < 5 || memcmp(p, "sbat,", 5) != 0)
				return -EINVAL;
			first = 0;
		} else if (n) {
			if (*any && (r = buf_add(out, "\n", 1)) < 0)
				return r;
			if ((r = buf_add(out, p, n)) < 0)
				return r;
			*any = 1;
		}
		p = nl ? nl + 1 : end;
	}
	return first ? -EINVAL : 0;
}

static int merge_sbat(const struct bs_pe *stub, const struct bs_uki_params *p, struct buf *out,
		      struct bs_error *err)
{
	const struct bs_pe_section *s = bs_pe_find_section(stub, ".sbat");
	int any = 0, r;

	r = buf_add(out, sbat_header, strlen(sbat_header));
	if (r < 0)
		return r;
	if (s) {
		size_t len;
		const char *d = (const char *)bs_pe_section_data(stub, s, &len);
		while (len && d[len - 1] == '\0')
			len--;
		/* A stub SBAT without the header line is ignored, as ukify does. */
		r = sbat_add_entries(out, d, len, &any);
		if (r == -ENOMEM)
			return r;
	}
	for (size_t i = 0; i < (p->n_sbat ? p->n_sbat : 1); i++) {
		const char *t = p->n_sbat ? p->sbat[i] : sbat_default;
		r = sbat_add_entries(out, t, strlen(t), &any);
		if (r == -EINVAL)
			return bs_error_set(err, r, NULL, "SBAT text %zu does not start with an \"sbat,\" line", i + 1);
		if (r < 0)
			return r;
	}
	return buf_add(out, "\n", 2);   /* newline plus the terminating NUL */
}

static const struct bs_uki_arch arches[] = {
	{ "x64", "amd64", "x86_64", PE_MACHINE_AMD64 },
	{ "aa64", "arm64", "aarch64", PE_MACHINE_ARM64 },
	{ "ia32", "386", "x86", PE_MACHINE_I386 },
	{ "arm", "arm", "arm", PE_MACHINE_ARMTHUMB },
	{ "riscv64", "riscv64", "riscv64", PE_MACHINE_RISCV64 },
	{ "loongarch64", "loong64", "loongarch64", PE_MACHINE_LOONGARCH64 },
};

static const char *arch_name(const struct bs_uki_arch *a, enum bs_uki_arch_name kind)
{
	return kind == BS_UKI_ARCH_EFI ? a->efi : a->oci;
}

static const struct bs_uki_arch *arch_by(enum bs_uki_arch_name kind, const char *name)
{
	for (size_t i = 0; name && i < BS_ARRAY_SIZE(arches); i++)
		if (strcmp(name, arch_name(&arches[i], kind)) == 0)
			return &arches[i];
	return NULL;
}

const struct bs_uki_arch *bs_uki_arch_by_efi(const char *efi)
{
	return arch_by(BS_UKI_ARCH_EFI, efi);
}

const struct bs_uki_arch *bs_uki_arch_by_oci(const char *oci)
{
	return arch_by(BS_UKI_ARCH_OCI, oci);
}

const struct bs_uki_arch *bs_uki_arch_by_machine(uint16_t machine)
{
	for (size_t i = 0; i < BS_ARRAY_SIZE(arches); i++)
		if (machine == arches[i].machine)
			return &arches[i];
	return NULL;
}

int bs_uki_arch_find(enum bs_uki_arch_name kind, const char *name, const char *path,
		     const struct bs_uki_arch **arch, struct bs_error *err)
{
	if (!name || !arch || (kind != BS_UKI_ARCH_EFI && kind != BS_UKI_ARCH_OCI))
		return bs_error_set(err, -EINVAL, NULL, "bs_uki_arch_find: a NULL argument");
	char known[128] = "";

	*arch = arch_by(kind, name);
	if (*arch)
		return 0;
	for (size_t i = 0; i < BS_ARRAY_SIZE(arches); i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? ", " : "",
			 arch_name(&arches[i], kind));
	return bs_error_set(err, -EINVAL, path, "unknown %s architecture '%s' (%s)",
			    kind == BS_UKI_ARCH_EFI ? "EFI" : "image", name, known);
}

const struct bs_uki_arch *bs_uki_arch_host(void)
{
#if defined(__aarch64__)
	return &arches[1];
#elif defined(__i386__)
	return &arches[2];
#elif defined(__arm__)
	return &arches[3];
#elif defined(__riscv) && __riscv_xlen == 64
	return &arches[4];
#elif defined(__loongarch64)
	return &arches[5];
#else
	return &arches[0];
#endif
}

/* The PE header's offset in a kernel image, 0 if it has none. */
static size_t kernel_pe_header(const uint8_t *d, size_t len)
{
	size_t lfanew;

	if (len < 64 || bsi_get_le16(d) != PE_DOS_MAGIC)
		return 0;
	lfanew = bsi_get_le32(d + PE_DOS_LFANEW_OFFSET);
	if (lfanew > len || len - lfanew < 4 + sizeof(struct pe_coff_header) + sizeof(struct pe_opt_common) ||
	    bsi_get_le32(d + lfanew) != PE_SIGNATURE)
		return 0;
	return lfanew;
}

static const struct bs_uki_arch *kernel_arch(const uint8_t *d, size_t len)
{
	size_t h = kernel_pe_header(d, len);

	return h ? bs_uki_arch_by_machine(bsi_get_le16(d + h + 4 + PE_OFF(pe_coff_header, machine))) : NULL;
}

int bs_uki_kernel_arch(const char *path, const struct bs_uki_arch **arch, struct bs_error *err)
{
	if (!path || !arch)
		return bs_error_set(err, -EINVAL, NULL, "bs_uki_kernel_arch: a NULL argument");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t head[4096];
	size_t got;
	int r;

	*arch = NULL;
	if (fd < 0)
		return bs_error_set(err, -errno, path, "cannot open: %s", strerror(errno));
	r = bsi_read_full(fd, head, sizeof(head), &got);
	if (r < 0)
		return bs_error_set(err, r, path, "cannot read: %s", strerror(-r));
	*arch = kernel_arch(head, got);
	return 0;
}

/* SizeOfImage of a PE kernel, so the stub can load .linux as an image; 0 if not PE. */
static uint32_t kernel_image_size(const uint8_t *d, size_t len)
{
	size_t h = kernel_pe_header(d, len);

	return h ? bsi_get_le32(d + h + 4 + sizeof(struct pe_coff_header) + PE_OFF(pe_opt_common, size_of_image)) : 0;
}

static int add_file_section(struct bs_pe *pe, const char *name, const char *path,
			    struct bs_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t len;
	int r;

	if (!path)
		return 0;
	r = read_file(path, &data, &len, err);
	if (r >= 0)
		r = bs_pe_add_section(pe, name, data, len, 0, DATA_FLAGS, err);
	return r;
}

/* .pcrpkey is public: systemd-stub measures it and the ESP is readable by
 * anyone. A private key passed by mistake (PEM of any kind, or DER) is
 * refused rather than shipped in every copy of the UKI. */
static int add_pcrpkey(struct bs_pe *pe, const char *path, const struct bs_uki_pcr *pcr, struct bs_error *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	const unsigned char *d;
	EVP_PKEY *key;
	size_t len;
	int r;

	if (!path && pcr && pcr->pcrpkey)
		return bs_pe_add_section(pe, ".pcrpkey", pcr->pcrpkey, pcr->pcrpkey_len, 0, DATA_FLAGS, err);
	if (!path)
		return 0;
	r = read_file(path, &data, &len, err);
	if (r < 0)
		return r;
	d = data;
	key = len ? d2i_AutoPrivateKey(NULL, &d, (long)len) : NULL;
	ERR_clear_error();
	if (key || (len && memmem(data, len, "PRIVATE KEY-----", 16)))
		r = bs_error_set(err, -EINVAL, path, "holds a private key; .pcrpkey takes the public key");
	else
		r = bs_pe_add_section(pe, ".pcrpkey", data, len, 0, DATA_FLAGS, err);
	EVP_PKEY_free(key);
	OPENSSL_cleanse(data, len);   /* it may have been a private key */
	return r;
}

/* .pcrsig signs what the stub will measure of this very image, so it is
 * computed from the built sections and added after them: it is never
 * measured itself. Debian 12's stub (8 sections) has header room for 7
 * more: .osrel .cmdline .uname .pcrpkey .initrd .linux .pcrsig just fit,
 * so --splash or --devicetree beside .pcrsig needs another stub. */
static int add_pcrsig(struct bs_pe *pe, const struct bs_uki_pcr *pcr, struct bs_error *err)
{
	struct bs_pcr_section sections[BS_PCR_MAX_SECTIONS];
	_cleanup_free_ char *json = NULL;
	size_t n;
	int r;

	if (bs_pe_find_section(pe, ".pcrsig"))
		return bs_error_set(err, -EINVAL, pe->path, "the stub already has a .pcrsig section");
	r = bs_pcr_uki_sections(pe, sections, &n, err);
	if (r >= 0)
		r = bs_pcr_sign_json(sections, n, pcr->banks ? pcr->banks : BS_PCR_BANKS_ALL, pcr->signers,
				     pcr->n_signers, &json, err);
	if (r >= 0)
		r = bs_pe_add_section(pe, ".pcrsig", json, strlen(json), 0, DATA_FLAGS, err);
	if (r == -ENOSPC) {
		bs_error_clear(err);
		r = bs_error_set(err, r, pe->path,
				 "no room in the stub's headers for .pcrsig after %zu sections; drop --splash or "
				 "--devicetree, or use a stub with more header room", pe->n_sections);
	}
	return r;
}

/* Several cpio archives are concatenated on 4-byte boundaries. */
static int read_initrds(const struct bs_uki_params *p, struct buf *out, struct bs_error *err)
{
	static const char zeros[4];
	int r = 0;

	for (size_t i = 0; r >= 0 && i < p->n_initrds; i++) {
		_cleanup_free_ uint8_t *data = NULL;
		size_t len;

		uint64_t left = out->len < BS_UKI_INITRD_MAX ? BS_UKI_INITRD_MAX - out->len : 0;
		const char *what = p->n_initrds > 1 ? "initrds together" : "initrd";

		if (p->initrd_data && p->initrd_data[i].len > left)
			r = too_big(p->initrds ? p->initrds[i] : NULL, BS_UKI_INITRD_MAX, what, err);
		else if (p->initrd_data)
			r = buf_add(out, p->initrd_data[i].data, p->initrd_data[i].len);
		else if ((r = read_capped(p->initrds[i], left, BS_UKI_INITRD_MAX, what, &data, &len, err)) >= 0)
			r = buf_add(out, data, len);
		if (r >= 0 && p->n_initrds > 1 && out->len % 4)
			r = buf_add(out, zeros, 4 - out->len % 4);
	}
	return r;
}

/*
 * Each new section takes a 40-byte header between the stub's section table
 * and its first section's data, which the stub fixes: Debian 12's
 * systemd-stub 252 has room for 15 headers, 8 of them its own. Counted up
 * front, so the refusal names the limit rather than whichever section was
 * the first not to fit.
 */
static int check_header_room(const struct bs_pe *pe, const struct bs_uki_params *p, const char *uname,
			     struct bs_error *err)
{
	size_t room = pe->size_of_headers > pe->section_table_offset ?
		      (pe->size_of_headers - pe->section_table_offset) / sizeof(struct pe_section_header) : 0;
	size_t need = pe->n_sections + 1 /* .linux */ + p->n_sections + !!p->os_release + !!p->cmdline +
		      !!p->devicetree + !!uname + !!p->splash + !!p->pcrpkey + !!p->n_initrds + !!p->microcode +
		      !bs_pe_find_section(pe, ".sbat");

	if (need <= room)
		return 0;
	/* Bad input, not a full disk: the request asks for more than any build of this stub can give. */
	return bs_error_set(err, -EINVAL, pe->path,
			    "the stub's headers hold %zu section headers (%zu its own); this UKI needs %zu: "
			    "drop %zu of the optional sections (--section, --microcode, --splash, ...)",
			    room, pe->n_sections, need, need - room);
}

static int build(struct bs_pe *pe, const struct bs_uki_params *p, const uint8_t *kernel,
		 size_t kernel_len, struct bs_error *err)
{
	struct buf initrd = { 0 }, sbat = { 0 };
	char release[128];
	const char *uname = p->uname;
	uint32_t vsize;
	int r = 0;

	if (!uname && bs_uki_kernel_release(kernel, kernel_len, release, sizeof(release)) == 0)
		uname = release;
	r = check_header_room(pe, p, uname, err);
	if (r >= 0 && p->os_release)
		r = bs_pe_add_section(pe, ".osrel", p->os_release, p->os_release_len, 0, DATA_FLAGS, err);
	if (r >= 0 && p->cmdline)
		r = bs_pe_add_section(pe, ".cmdline", p->cmdline, p->cmdline_len, 0, DATA_FLAGS, err);
	if (r >= 0)
		r = add_file_section(pe, ".dtb", p->devicetree, err);
	if (r >= 0 && uname)
		r = bs_pe_add_section(pe, ".uname", uname, strlen(uname), 0, DATA_FLAGS, err);
	if (r >= 0)
		r = add_file_section(pe, ".splash", p->splash, err);
	if (r >= 0)
		r = add_pcrpkey(pe, p->pcrpkey, p->pcr, err);
	if (r >= 0)
		r = read_initrds(p, &initrd, err);
	if (r >= 0 && p->n_initrds)
		r = bs_pe_add_section(pe, ".initrd", initrd.data, initrd.len, 0, DATA_FLAGS, err);
	if (r >= 0)
		r = add_file_section(pe, ".ucode", p->microcode, err);
	for (size_t i = 0; r >= 0 && i < p->n_sections; i++) {
		const struct bs_uki_section *x = &p->sections[i];

		if (bs_uki_section_name_check(x->name, strlen(x->name)) < 0)
			r = bs_error_set(err, -EINVAL, NULL, "bad section name '%s' (printable ASCII, at most 8 bytes)",
					 x->name);
		/* ukify refuses a second section of a name; so does the stub's reader. */
		else if (bs_pe_find_section(pe, x->name) || !strcmp(x->name, ".linux") || !strcmp(x->name, ".sbat"))
			r = bs_error_set(err, -EINVAL, NULL, "duplicate section %s", x->name);
		else
			r = bs_pe_add_section(pe, x->name, x->data, x->len, 0, DATA_FLAGS, err);
	}
	if (r >= 0) {
		vsize = kernel_image_size(kernel, kernel_len);
		if (vsize < kernel_len)
			vsize = 0;
		r = bs_pe_add_section(pe, ".linux", kernel, kernel_len, vsize, CODE_FLAGS, err);
	}
	if (r >= 0)
		r = merge_sbat(pe, p, &sbat, err);
	if (r >= 0) {
		/* As ukify: the stub's .sbat is rewritten in place (it must fit the
		 * section's file data). Old stubs (systemd 252) leave only 0x100 bytes
		 * of address space before .sdmagic, so the merged VirtualSize can
		 * overlap it in memory; shim reads SBAT from the file and the stub
		 * never reads it, so the image still boots (tested under OVMF). */
		if (bs_pe_find_section(pe, ".sbat"))
			r = bs_pe_replace_section(pe, ".sbat", sbat.data, sbat.len, err);
		else
			r = bs_pe_add_section(pe, ".sbat", sbat.data, sbat.len, 0, DATA_FLAGS, err);
	}
	if (r >= 0 && p->pcr)
		r = add_pcrsig(pe, p->pcr, err);
	buf_done(&initrd);
	buf_done(&sbat);
	return r;
}

int bs_uki_section_info(const struct bs_pe *pe, size_t i, struct bs_uki_section_info *out)
{
	/* ukify's DEFAULT_SECTIONS_TO_SHOW, 1 for its 'text' ones. */
	static const struct { const char *name; int text; } known[] = {
		{ ".linux", 0 }, { ".initrd", 0 }, { ".ucode", 0 }, { ".splash", 0 }, { ".dtb", 0 },
		{ ".cmdline", 1 }, { ".osrel", 1 }, { ".uname", 1 }, { ".pcrpkey", 1 }, { ".pcrsig", 1 },
		{ ".sbat", 1 }, { ".sbom", 0 }, { ".profile", 1 },
	};
	const struct bs_pe_section *s;

	if (!pe || !out || i >= pe->n_sections)
		return -EINVAL;
	s = &pe->sections[i];
	memset(out, 0, sizeof(*out));
	out->name = s->name;
	out->size = s->virtual_size;
	out->data = bs_pe_section_data(pe, s, &out->len);
	if (!SHA256(out->data, out->len, out->sha256))
		return -ENOMEM;
	for (size_t k = 0; k < BS_ARRAY_SIZE(known); k++)
		if (strcmp(known[k].name, s->name) == 0) {
			out->shown = 1;
			out->text = known[k].text;
		}
	return 0;
}

int bs_uki_section_name_check(const char *name, size_t len)
{
	if (!len || len > 8)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e)
			return -EINVAL;
	return 0;
}

/*
 * ukify's kernel signing: with a signer, --sign-kernel signs the kernel and
 * --no-sign-kernel leaves it; neither signs one that has no signature yet
 * (ukify asks sbverify --list). The kernel is a PE image for the EFI stub.
 */
static int sign_kernel(const struct bs_uki_params *p, const uint8_t **kernel, size_t *len, uint8_t **owned,
		       struct bs_error *err)
{
	struct bs_pe *pe = NULL;
	int r;

	if (!p->kernel_signer || p->sign_kernel == BS_UKI_SIGN_KERNEL_NO)
		return 0;
	r = bs_pe_new(*kernel, *len, p->linux_path, &pe, NULL);
	if (r < 0)
		return p->sign_kernel == BS_UKI_SIGN_KERNEL_YES ?
		       bs_error_set(err, -EINVAL, p->linux_path, "not a PE image: cannot sign the kernel") : 0;
	if (p->sign_kernel == BS_UKI_SIGN_KERNEL_AUTO && pe->cert_size) {
		bs_pe_free(pe);
		return 0;
	}
	r = bs_authenticode_sign(pe, p->kernel_signer, err);
	if (r >= 0) {
		uint8_t *d = malloc(pe->size ? pe->size : 1);

		if (!d)
			r = -ENOMEM;
		else {
			memcpy(d, pe->data, pe->size);
			free(*owned);
			*kernel = *owned = d;
			*len = pe->size;
		}
	}
	bs_pe_free(pe);
	return r;
}

/* The stub named, or the one for --efi-arch, the kernel's or the host's architecture. */
static int pick_stub(const struct bs_uki_params *p, const struct bs_uki_arch *karch, char *buf,
		     size_t size, const char **stub, struct bs_error *err)
{
	const struct bs_uki_arch *arch = karch ? karch : bs_uki_arch_host();
	int r;

	if (p->efi_arch && (r = bs_uki_arch_find(BS_UKI_ARCH_EFI, p->efi_arch, NULL, &arch, err)) < 0)
		return r;
	*stub = p->stub;
	if (!*stub && p->stub_data) {
		*stub = "the stub";
	} else if (!*stub) {
		snprintf(buf, size, "%s/linux%s.efi.stub", BS_UKI_STUB_DIR, arch->efi);
		*stub = buf;
	}
	return 0;
}

static int check_stub(const struct bs_pe *pe, const char *stub, const struct bs_uki_arch *karch,
		      struct bs_error *err)
{
	const struct bs_uki_arch *sarch = bs_uki_arch_by_machine(pe->machine);

	if (pe->subsystem != PE_SUBSYSTEM_EFI_APPLICATION)
		return bs_error_set(err, -EBADMSG, stub, "not an EFI application (PE subsystem %u)",
				    pe->subsystem);
	if (pe->cert_size)
		return bs_error_set(err, -EINVAL, stub, "the stub is signed; use an unsigned stub");
	/* The stub runs the kernel in place or as an image: both must be one machine. */
	if (karch && sarch != karch)
		return bs_error_set(err, -EINVAL, stub, "the stub is for %s, the kernel for %s",
				    sarch ? sarch->efi : "another machine", karch->efi);
	for (size_t i = 0; i < pe->n_sections; i++)
		if (pe->sections[i].raw_offset % pe->file_alignment ||
		    pe->sections[i].raw_size % pe->file_alignment)
			return bs_error_set(err, -EBADMSG, stub, "section %s is not FileAlignment-aligned",
					    pe->sections[i].name);
	return 0;
}

int bs_uki_build(const struct bs_uki_params *p, struct bs_pe **ret, struct bs_error *err)
{
	if (!p || !ret)
		return bs_error_set(err, -EINVAL, NULL, "bs_uki_build: a NULL argument");
	_cleanup_free_ uint8_t *owned = NULL;
	const uint8_t *kernel = p->linux_data;
	size_t kernel_len = p->linux_len;
	const struct bs_uki_arch *karch;
	char stub_buf[sizeof(BS_UKI_STUB_DIR) + 64];
	const char *stub = NULL;
	struct bs_pe *pe = NULL;
	int r = 0;

	if (!p->linux_path && !p->linux_data)
		return bs_error_set(err, -EINVAL, NULL, "a kernel is required");
	if (p->n_initrds && !p->initrds && !p->initrd_data)
		return bs_error_set(err, -EINVAL, NULL, "bs_uki_build: initrds without their paths or bytes");
	if (kernel && kernel_len > BS_UKI_KERNEL_MAX)
		r = too_big(p->linux_path, BS_UKI_KERNEL_MAX, "kernel", err);
	else if (!kernel && (r = read_capped(p->linux_path, BS_UKI_KERNEL_MAX, BS_UKI_KERNEL_MAX, "kernel", &owned,
					     &kernel_len, err)) >= 0)
		kernel = owned;
	if (r >= 0)
		r = sign_kernel(p, &kernel, &kernel_len, &owned, err);
	if (r < 0)
		return r;
	karch = kernel_arch(kernel, kernel_len);
	r = pick_stub(p, karch, stub_buf, sizeof(stub_buf), &stub, err);
	if (r < 0)
		return r;
	r = p->stub_data ? bs_pe_new(p->stub_data, p->stub_len, stub, &pe, err) : bs_pe_load(stub, &pe, err);
	if (r < 0)
		return r;
	r = check_stub(pe, stub, karch, err);
	if (r >= 0)
		r = bs_pe_strip_symbols(pe, err);
	/* Debian's aarch64 stub (systemd 252, objcopy -O binary) ends with
	 * 5 KiB that no section covers. ukify keeps them and puts the first new
	 * section after them; the gap makes sbverify, osslsigncode and EDK2
	 * disagree on the image hash. The firmware never loads those bytes. */
	if (r >= 0)
		r = bs_pe_drop_trailing(pe, err);
	if (r >= 0)
		r = build(pe, p, kernel, kernel_len, err);
	if (r == -ENOSPC && err && !err->path[0])
		snprintf(err->path, sizeof(err->path), "%s", stub);
	if (r < 0) {
		bs_pe_free(pe);
		return r;
	}
	*ret = pe;
	return 0;
}
