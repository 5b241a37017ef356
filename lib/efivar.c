/* SPDX-License-Identifier: MIT */
/*
 * EFI signature lists and time-based authenticated variable updates
 * (UEFI 2.10 §8.2.2, §32.4.1), byte layouts in formats/efivar.h. Output
 * matches efitools' cert-to-efi-sig-list and sign-efi-sig-list byte for byte;
 * parsing is strict because .esl/.auth files arrive from anywhere.
 */
#include <bootseal/efivar.h>
#include <bootseal/epoch.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "formats/efivar.h"
#include "hex.h"
#include "util.h"

#define GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7) \
	{ { (uint8_t)(a), (uint8_t)((a) >> 8), (uint8_t)((a) >> 16), (uint8_t)((a) >> 24), \
	    (uint8_t)(b), (uint8_t)((b) >> 8), (uint8_t)(c), (uint8_t)((c) >> 8), \
	    d0, d1, d2, d3, d4, d5, d6, d7 } }

const struct bs_efi_guid bs_efi_global_variable_guid =
	GUID(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c);
const struct bs_efi_guid bs_efi_image_security_guid =
	GUID(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f);
const struct bs_efi_guid bs_efi_cert_x509_guid =
	GUID(0xa5c059a1, 0x94e4, 0x4aa7, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72);
const struct bs_efi_guid bs_efi_cert_sha256_guid =
	GUID(0xc1c41626, 0x504c, 0x4092, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28);
const struct bs_efi_guid bs_efi_cert_pkcs7_guid =
	GUID(0x4aafd29d, 0x68df, 0x49ee, 0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7);

/* ---- GUIDs ---- */

int bs_efivar_guid_parse(const char *text, struct bs_efi_guid *guid)
{
	if (!text || !guid)
		return -EINVAL;
	/* Text order is the big-endian reading of each field; the first three
	 * fields are stored little-endian, Data4 as written. */
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	uint8_t be[16];
	size_t n = 0;

	if (strlen(text) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i++] != '-')
				return -EINVAL;
			continue;
		}
		int hi = bsi_hex_value(text[i]), lo = bsi_hex_value(text[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		be[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	for (size_t i = 0; i < 16; i++)
		guid->bytes[i] = be[order[i]];
	return 0;
}

void bs_efivar_guid_format(const struct bs_efi_guid *g, char out[BS_EFI_GUID_STRING_SIZE])
{
	if (!g || !out)
		return;
	const uint8_t *b = g->bytes;

	snprintf(out, BS_EFI_GUID_STRING_SIZE,
		 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", bsi_get_le32(b),
		 bsi_get_le16(b + 4), bsi_get_le16(b + 6), b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

int bs_efivar_guid_equal(const struct bs_efi_guid *a, const struct bs_efi_guid *b)
{
	if (!a || !b)
		return -EINVAL;
	return memcmp(a->bytes, b->bytes, 16) == 0;
}

int bs_efivar_guid_random(struct bs_efi_guid *guid)
{
	if (!guid)
		return -EINVAL;
	if (getrandom(guid->bytes, 16, 0) != 16)
		return -EIO;
	/* RFC 4122 version 4 and variant bits; Data3 is stored little-endian. */
	guid->bytes[7] = (uint8_t)((guid->bytes[7] & 0x0f) | 0x40);
	guid->bytes[8] = (uint8_t)((guid->bytes[8] & 0x3f) | 0x80);
	return 0;
}

/* ---- EFI_TIME ---- */

static int days_in_month(unsigned int year, unsigned int month)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return days[month - 1] + (month == 2 && leap);
}

static int time_valid(const struct bs_efi_time *t)
{
	return t->year >= 1900 && t->year <= 9999 && t->month >= 1 && t->month <= 12 &&
	       t->day >= 1 && t->day <= days_in_month(t->year, t->month) && t->hour <= 23 &&
	       t->minute <= 59 && t->second <= 59;
}

int bs_efivar_time_parse(const char *text, struct bs_efi_time *t)
{
	if (!text || !t)
		return -EINVAL;
	unsigned int y, mo, d, h, mi, s;
	int n = 0;

	if (sscanf(text, "%4u-%2u-%2u %2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
	    text[n] != '\0')
		return -EINVAL;
	*t = (struct bs_efi_time){ (uint16_t)y, (uint8_t)mo, (uint8_t)d, (uint8_t)h, (uint8_t)mi,
				   (uint8_t)s };
	return y <= 9999 && mo <= 12 && d <= 31 && h <= 23 && mi <= 59 && s <= 59 && time_valid(t)
		       ? 0
		       : -EINVAL;
}

int bs_efivar_time_from_unix(int64_t seconds, struct bs_efi_time *t)
{
	if (!t)
		return -EINVAL;
	time_t tt = (time_t)seconds;
	struct tm tm;

	if (seconds < 0 || !gmtime_r(&tt, &tm))
		return -EINVAL;
	*t = (struct bs_efi_time){ (uint16_t)(tm.tm_year + 1900), (uint8_t)(tm.tm_mon + 1),
				   (uint8_t)tm.tm_mday, (uint8_t)tm.tm_hour, (uint8_t)tm.tm_min,
				   (uint8_t)tm.tm_sec };
	return time_valid(t) ? 0 : -EINVAL;
}

int bs_efivar_time_default(struct bs_efi_time *t, struct bs_error *err)
{
	if (!t)
		return bs_error_set(err, -EINVAL, NULL, "bs_efivar_time_default: a NULL argument");
	int64_t epoch;
	int r = bs_source_date_epoch(&epoch, err);

	if (r < 0)
		return r;
	return bs_efivar_time_from_unix(r ? epoch : (int64_t)time(NULL), t);
}

void bs_efivar_time_format(const struct bs_efi_time *t, char out[20])
{
	if (!t || !out)
		return;
	snprintf(out, 20, "%04u-%02u-%02u %02u:%02u:%02u", t->year % 10000u, t->month % 100u, t->day % 100u,
		 t->hour % 100u, t->minute % 100u, t->second % 100u);
}

static void time_put(uint8_t *p, const struct bs_efi_time *t)
{
	memset(p, 0, EFI_TIME_SIZE);
	bsi_put_le16(p + EFI_TIME_OFF_YEAR, t->year);
	p[EFI_TIME_OFF_MONTH] = t->month;
	p[EFI_TIME_OFF_DAY] = t->day;
	p[EFI_TIME_OFF_HOUR] = t->hour;
	p[EFI_TIME_OFF_MINUTE] = t->minute;
	p[EFI_TIME_OFF_SECOND] = t->second;
}

/* ---- buffers ---- */

void bs_efivar_buf_release(struct bs_efivar_buf *buf)
{
	if (!buf)
		return;
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
}

/* Grows buf by n bytes and returns where they start. */
static uint8_t *buf_grow(struct bs_efivar_buf *buf, size_t n)
{
	uint8_t *p;

	if (n > SIZE_MAX - buf->len)
		return NULL;
	p = realloc(buf->data, buf->len + n ? buf->len + n : 1);
	if (!p)
		return NULL;
	buf->data = p;
	buf->len += n;
	return p + buf->len - n;
}

static int buf_append(struct bs_efivar_buf *buf, const void *data, size_t n)
{
	uint8_t *p = buf_grow(buf, n);

	if (!p)
		return -ENOMEM;
	if (n)
		memcpy(p, data, n);
	return 0;
}

/* ---- signature lists ---- */

static int esl_add(struct bs_efivar_buf *esl, const struct bs_efi_guid *type,
		   const struct bs_efi_guid *owner, const uint8_t *data, size_t data_len,
		   size_t n_entries)
{
	uint64_t sig_size = EFI_SD_OWNER_SIZE + (uint64_t)data_len / n_entries;
	uint64_t list_size = EFI_SL_HEADER_SIZE + sig_size * n_entries;
	uint8_t *p;

	/* Every size field is 32 bits wide. */
	if (list_size > UINT32_MAX)
		return -E2BIG;
	p = buf_grow(esl, (size_t)list_size);
	if (!p)
		return -ENOMEM;
	memcpy(p + EFI_SL_OFF_TYPE, type->bytes, 16);
	bsi_put_le32(p + EFI_SL_OFF_LIST_SIZE, (uint32_t)list_size);
	bsi_put_le32(p + EFI_SL_OFF_HEADER_SIZE, 0);
	bsi_put_le32(p + EFI_SL_OFF_SIGNATURE_SIZE, (uint32_t)sig_size);
	p += EFI_SL_HEADER_SIZE;
	for (size_t i = 0; i < n_entries; i++) {
		memcpy(p, owner->bytes, EFI_SD_OWNER_SIZE);
		memcpy(p + EFI_SD_OWNER_SIZE, data + i * (sig_size - EFI_SD_OWNER_SIZE),
		       (size_t)sig_size - EFI_SD_OWNER_SIZE);
		p += sig_size;
	}
	return 0;
}

int bs_efivar_esl_add_x509(struct bs_efivar_buf *esl, const struct bs_efi_guid *owner,
			   const uint8_t *der, size_t der_len)
{
	if (!der_len)
		return -EINVAL;
	return esl_add(esl, &bs_efi_cert_x509_guid, owner, der, der_len, 1);
}

int bs_efivar_esl_add_sha256(struct bs_efivar_buf *esl, const struct bs_efi_guid *owner,
			     const uint8_t (*hashes)[32], size_t n_hashes)
{
	if (!n_hashes)
		return -EINVAL;
	if (n_hashes > UINT32_MAX / (EFI_SD_OWNER_SIZE + EFI_SHA256_SIZE))
		return -E2BIG;
	return esl_add(esl, &bs_efi_cert_sha256_guid, owner, hashes[0],
		       n_hashes * EFI_SHA256_SIZE, n_hashes);
}

void bs_efivar_esl_free(struct bs_efivar_esl *esl)
{
	if (!esl)
		return;
	free(esl->lists);
	free(esl);
}

static void esl_freep(struct bs_efivar_esl **e) { bs_efivar_esl_free(*e); }

/* The entry must be exactly one DER certificate: firmware hands it to X509 parsers. */
static int x509_entry_valid(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	int ok = x && p == der + len;

	X509_free(x);
	ERR_clear_error();
	return ok;
}

static int list_check(const struct bs_efivar_esl_list *l, size_t off, const char *name,
		      struct bs_error *err)
{
	if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_x509_guid)) {
		if (l->header_size != 0)
			return bs_error_set(err, -EBADMSG, name,
					    "X.509 list at offset %zu has a %u-byte header (want none)", off,
					    l->header_size);
		/* Usually one certificate per list, but equal-sized ones may share. */
		for (size_t i = 0; i < l->n_entries; i++)
			if (!x509_entry_valid(l->entries + i * l->signature_size + EFI_SD_OWNER_SIZE,
					      l->signature_size - EFI_SD_OWNER_SIZE))
				return bs_error_set(err, -EBADMSG, name,
						    "X.509 list at offset %zu: entry %zu is not one DER certificate",
						    off, i);
	} else if (bs_efivar_guid_equal(&l->type, &bs_efi_cert_sha256_guid)) {
		if (l->header_size != 0 || l->signature_size != EFI_SD_OWNER_SIZE + EFI_SHA256_SIZE)
			return bs_error_set(err, -EBADMSG, name,
					    "SHA-256 list at offset %zu has header size %u and signature size %u (want 0 and 48)",
					    off, l->header_size, l->signature_size);
	}
	return 0;
}

int bs_efivar_esl_parse(const uint8_t *buf, size_t len, const char *name,
			struct bs_efivar_esl **out, struct bs_error *err)
{
	if ((!buf && len) || !name || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_efivar_esl_parse: a NULL argument");
	_cleanup_(esl_freep) struct bs_efivar_esl *esl = calloc(1, sizeof(*esl));
	size_t off = 0;
	int r;

	*out = NULL;
	if (!esl)
		return -ENOMEM;
	while (off < len) {
		struct bs_efivar_esl_list *l, *more;
		const uint8_t *p = buf + off;
		size_t left = len - off;
		uint32_t list_size, body;

		if (left < EFI_SL_HEADER_SIZE)
			return bs_error_set(err, -EBADMSG, name,
					    "truncated signature list header at offset %zu (%zu bytes left)",
					    off, left);
		more = realloc(esl->lists, (esl->n_lists + 1) * sizeof(*l));
		if (!more)
			return -ENOMEM;
		esl->lists = more;
		l = &esl->lists[esl->n_lists++];
		memset(l, 0, sizeof(*l));
		memcpy(l->type.bytes, p + EFI_SL_OFF_TYPE, 16);
		l->offset = off;
		list_size = bsi_get_le32(p + EFI_SL_OFF_LIST_SIZE);
		l->header_size = bsi_get_le32(p + EFI_SL_OFF_HEADER_SIZE);
		l->signature_size = bsi_get_le32(p + EFI_SL_OFF_SIGNATURE_SIZE);
		if (list_size < EFI_SL_HEADER_SIZE || list_size > left)
			return bs_error_set(err, -EBADMSG, name,
					    "signature list at offset %zu claims %u bytes, %zu are left",
					    off, list_size, left);
		/* 64-bit sums: header_size near 2^32 must not wrap around. */
		if ((uint64_t)EFI_SL_HEADER_SIZE + l->header_size > list_size)
			return bs_error_set(err, -EBADMSG, name,
					    "signature list at offset %zu: header size %u exceeds list size %u",
					    off, l->header_size, list_size);
		body = list_size - EFI_SL_HEADER_SIZE - l->header_size;
		if (l->signature_size <= EFI_SD_OWNER_SIZE || body == 0 || body % l->signature_size)
			return bs_error_set(err, -EBADMSG, name,
					    "signature list at offset %zu: %u bytes of entries is not a multiple of signature size %u",
					    off, body, l->signature_size);
		l->n_entries = body / l->signature_size;
		l->entries = p + EFI_SL_HEADER_SIZE + l->header_size;
		r = list_check(l, off, name, err);
		if (r < 0)
			return r;
		off += list_size;
	}
	*out = BS_STEAL(esl);
	return 0;
}

void bs_efivar_esl_entry(const struct bs_efivar_esl_list *list, size_t i, struct bs_efi_guid *owner,
			 const uint8_t **data, size_t *len)
{
	if (!list || !owner || !data || !len)
		return;
	const uint8_t *e = list->entries + i * list->signature_size;

	memcpy(owner->bytes, e, 16);
	*data = e + EFI_SD_OWNER_SIZE;
	*len = list->signature_size - EFI_SD_OWNER_SIZE;
}

/* ---- authenticated updates ---- */

int bs_efivar_vendor_for_name(const char *name, struct bs_efi_guid *vendor)
{
	if (!name || !vendor)
		return -EINVAL;
	if (strcmp(name, "PK") == 0 || strcmp(name, "KEK") == 0)
		*vendor = bs_efi_global_variable_guid;
	else if (strcmp(name, "db") == 0 || strcmp(name, "dbx") == 0)
		*vendor = bs_efi_image_security_guid;
	else
		return -ENOENT;
	return 0;
}

int bs_efivar_signed_content(const struct bs_efivar_update *u, struct bs_efivar_buf *out)
{
	if (!u || !out)
		return -EINVAL;
	size_t n = strlen(u->name);
	uint8_t *p;

	if (!n)
		return -EINVAL;
	p = buf_grow(out, 2 * n + 16 + 4 + EFI_TIME_SIZE);
	if (!p)
		return -ENOMEM;
	/* Variable names are UCS-2; the ones bootseal writes are ASCII. */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)u->name[i] >= 0x80)
			return -EINVAL;
		bsi_put_le16(p + 2 * i, (uint8_t)u->name[i]);
	}
	p += 2 * n;
	memcpy(p, u->vendor.bytes, 16);
	bsi_put_le32(p + 16, u->attributes);
	time_put(p + 20, &u->time);
	return buf_append(out, u->data, u->data_len);
}

static void pkcs7_freep(PKCS7 **p) { PKCS7_free(*p); }
static void bio_freep(BIO **b) { BIO_free(*b); }
static void buf_releasep(struct bs_efivar_buf *b) { bs_efivar_buf_release(b); }

int bs_efivar_auth_sign(const struct bs_efivar_update *u, const struct bs_key *key,
			const struct bs_cert *cert, struct bs_efivar_buf *out, struct bs_error *err)
{
	if (!u || !key || !cert || !out)
		return bs_error_set(err, -EINVAL, NULL, "bs_efivar_auth_sign: a NULL argument");
	/* What sign-efi-sig-list produces: detached, binary, no signed attributes, no S/MIME caps. */
	const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR | PKCS7_NOSMIMECAP | PKCS7_PARTIAL;
	_cleanup_(buf_releasep) struct bs_efivar_buf content = { 0 };
	_cleanup_(pkcs7_freep) PKCS7 *p7 = NULL;
	_cleanup_(bio_freep) BIO *bio = NULL;
	unsigned char *der = NULL;
	uint8_t *hdr;
	int der_len, r;

	if (!time_valid(&u->time))
		return bs_error_set(err, -EINVAL, u->name, "timestamp is not a valid date");
	r = bs_keys_check_match(key, cert, NULL, err);
	if (r < 0)
		return r;
	r = bs_efivar_signed_content(u, &content);
	if (r < 0)
		return bs_error_set(err, r, u->name, "invalid variable name");
	bio = BIO_new_mem_buf(content.data, (int)content.len);
	if (!bio || content.len > INT_MAX)
		return -ENOMEM;
	p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags);
	if (!p7 || !PKCS7_sign_add_signer(p7, bs_cert_x509(cert), bs_key_evp(key), EVP_sha256(), flags) ||
	    !PKCS7_final(p7, bio, flags)) {
		ERR_clear_error();
		return bs_error_set(err, -EIO, u->name, "cannot sign the update");
	}
	/* The bare SignedData, without the ContentInfo around it. */
	der_len = i2d_PKCS7_SIGNED(p7->d.sign, &der);
	if (der_len <= 0 || (uint64_t)der_len + WIN_CERT_UEFI_GUID_HEADER_SIZE > UINT32_MAX) {
		OPENSSL_free(der);
		ERR_clear_error();
		return bs_error_set(err, -EIO, u->name, "cannot encode the signature");
	}
	hdr = buf_grow(out, EFI_AUTH2_HEADER_SIZE);
	if (!hdr || buf_append(out, der, (size_t)der_len) < 0 ||
	    buf_append(out, u->data, u->data_len) < 0) {
		OPENSSL_free(der);
		return -ENOMEM;
	}
	OPENSSL_free(der);
	hdr = out->data + out->len - u->data_len - (size_t)der_len - EFI_AUTH2_HEADER_SIZE;
	time_put(hdr, &u->time);
	hdr += EFI_AUTH2_OFF_AUTH_INFO;
	bsi_put_le32(hdr + WIN_CERT_OFF_LENGTH, (uint32_t)(WIN_CERT_UEFI_GUID_HEADER_SIZE + der_len));
	bsi_put_le16(hdr + WIN_CERT_OFF_REVISION, WIN_CERT_REVISION);
	bsi_put_le16(hdr + WIN_CERT_OFF_TYPE, WIN_CERT_TYPE_EFI_GUID);
	memcpy(hdr + WIN_CERT_OFF_CERT_TYPE, bs_efi_cert_pkcs7_guid.bytes, 16);
	return 0;
}

int bs_efivar_auth_parse(const uint8_t *buf, size_t len, const char *name,
			 struct bs_efivar_auth *auth, struct bs_error *err)
{
	if ((!buf && len) || !name || !auth)
		return bs_error_set(err, -EINVAL, NULL, "bs_efivar_auth_parse: a NULL argument");
	const uint8_t *wc = buf + EFI_AUTH2_OFF_AUTH_INFO;
	uint32_t dw_length;

	memset(auth, 0, sizeof(*auth));
	if (len < EFI_AUTH2_HEADER_SIZE)
		return bs_error_set(err, -EBADMSG, name,
				    "too short for an authentication header (%zu bytes)", len);
	for (size_t i = EFI_TIME_OFF_ZERO_FIELDS; i < EFI_TIME_SIZE; i++)
		if (buf[i])
			return bs_error_set(err, -EBADMSG, name,
					    "EFI_TIME byte %zu must be zero (padding, nanosecond, timezone, daylight)",
					    i);
	auth->time = (struct bs_efi_time){ bsi_get_le16(buf), buf[EFI_TIME_OFF_MONTH],
					   buf[EFI_TIME_OFF_DAY], buf[EFI_TIME_OFF_HOUR],
					   buf[EFI_TIME_OFF_MINUTE], buf[EFI_TIME_OFF_SECOND] };
	if (!time_valid(&auth->time))
		return bs_error_set(err, -EBADMSG, name, "EFI_TIME is not a valid date");
	dw_length = bsi_get_le32(wc + WIN_CERT_OFF_LENGTH);
	if (dw_length <= WIN_CERT_UEFI_GUID_HEADER_SIZE)
		return bs_error_set(err, -EBADMSG, name,
				    "WIN_CERTIFICATE length %u leaves no room for a signature after its %d-byte header",
				    dw_length, WIN_CERT_UEFI_GUID_HEADER_SIZE);
	if (dw_length > len - EFI_AUTH2_OFF_AUTH_INFO)
		return bs_error_set(err, -EBADMSG, name,
				    "WIN_CERTIFICATE length %u does not fit the file (%zu bytes)",
				    dw_length, len);
	if (bsi_get_le16(wc + WIN_CERT_OFF_REVISION) != WIN_CERT_REVISION ||
	    bsi_get_le16(wc + WIN_CERT_OFF_TYPE) != WIN_CERT_TYPE_EFI_GUID)
		return bs_error_set(err, -EBADMSG, name,
				    "WIN_CERTIFICATE revision 0x%04x type 0x%04x (want 0x0200, 0x0ef1)",
				    bsi_get_le16(wc + WIN_CERT_OFF_REVISION),
				    bsi_get_le16(wc + WIN_CERT_OFF_TYPE));
	if (memcmp(wc + WIN_CERT_OFF_CERT_TYPE, bs_efi_cert_pkcs7_guid.bytes, 16) != 0)
		return bs_error_set(err, -EBADMSG, name, "certificate type is not EFI_CERT_TYPE_PKCS7_GUID");
	auth->signed_data = wc + WIN_CERT_UEFI_GUID_HEADER_SIZE;
	auth->signed_data_len = dw_length - WIN_CERT_UEFI_GUID_HEADER_SIZE;
	auth->data = wc + dw_length;
	auth->data_len = len - EFI_AUTH2_OFF_AUTH_INFO - dw_length;
	return 0;
}

/* Puts the ContentInfo (OID signedData, [0] EXPLICIT) around a bare SignedData,
 * the form PKCS7 parsers want; edk2 does the same before verifying. */
static PKCS7 *wrap_signed_data(const uint8_t *sd, size_t len)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	_cleanup_free_ uint8_t *der = NULL;
	const unsigned char *p;
	size_t inner = 4 + len, outer = sizeof(oid) + inner, off = 0;
	PKCS7 *p7;

	if (len > 0xffff - sizeof(oid) - 4 - 4)
		return NULL;   /* two-byte DER lengths cover every real signature */
	der = malloc(4 + outer);
	if (!der)
		return NULL;
	der[off++] = 0x30, der[off++] = 0x82, der[off++] = (uint8_t)(outer >> 8), der[off++] = (uint8_t)outer;
	memcpy(der + off, oid, sizeof(oid));
	off += sizeof(oid);
	der[off++] = 0xa0, der[off++] = 0x82, der[off++] = (uint8_t)(len >> 8), der[off++] = (uint8_t)len;
	memcpy(der + off, sd, len);
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)(4 + outer));
	if (p7 && (p != der + 4 + outer || !PKCS7_type_is_signed(p7) || !p7->d.sign)) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

static void store_freep(X509_STORE **s) { X509_STORE_free(*s); }

int bs_efivar_auth_verify(const struct bs_efivar_auth *auth, const char *var_name,
			  const struct bs_efi_guid *vendor, uint32_t attributes,
			  const struct bs_cert *signer, const char *name, struct bs_error *err)
{
	if (!auth || !var_name || !vendor || !signer || !name)
		return bs_error_set(err, -EINVAL, NULL, "bs_efivar_auth_verify: a NULL argument");
	struct bs_efivar_update u = { .name = var_name, .vendor = *vendor, .attributes = attributes,
				      .time = auth->time, .data = auth->data, .data_len = auth->data_len };
	_cleanup_(buf_releasep) struct bs_efivar_buf content = { 0 };
	_cleanup_(pkcs7_freep) PKCS7 *p7 = wrap_signed_data(auth->signed_data, auth->signed_data_len);
	_cleanup_(store_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(bio_freep) BIO *bio = NULL;
	int r, ok;

	ERR_clear_error();
	if (!p7)
		return bs_error_set(err, -EBADMSG, name, "signature is not a DER PKCS#7 SignedData");
	if (!store)
		return -ENOMEM;
	/* OpenSSL 3.0's PKCS7_verify leaks its copy of a memory content BIO
	 * when PKCS7_dataInit fails on a digestAlgorithms entry it does not
	 * know (the twin of openssl#30471 in CMS_verify); such a signature
	 * cannot verify anyway. */
	for (int i = 0; i < sk_X509_ALGOR_num(p7->d.sign->md_algs); i++)
		if (!EVP_get_digestbynid(OBJ_obj2nid(sk_X509_ALGOR_value(p7->d.sign->md_algs, i)->algorithm)))
			return bs_error_set(err, -EKEYREJECTED, name, "signature does not verify against %s: "
					    "unsupported digest algorithm", var_name);
	r = bs_efivar_signed_content(&u, &content);
	if (r < 0)
		return r;
	bio = BIO_new_mem_buf(content.data, (int)content.len);
	/* Firmware trusts the enrolled cert as an anchor whatever its validity
	 * dates or purposes, and also accepts a signer it issued. Like edk2's
	 * Pkcs7Verify, the signer is the certificate the .auth carries, never
	 * the enrolled one passed in its place: an .auth without its signer's
	 * certificate, or with an altered one, is refused as firmware refuses it. */
	if (!bio || !X509_STORE_add_cert(store, bs_cert_x509(signer)) ||
	    !X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME) ||
	    !X509_STORE_set_purpose(store, X509_PURPOSE_ANY))
		return -ENOMEM;
	ok = PKCS7_verify(p7, NULL, store, bio, NULL, PKCS7_BINARY);
	ERR_clear_error();
	if (ok != 1)
		return bs_error_set(err, -EKEYREJECTED, name, "signature does not verify against %s",
				    var_name);
	return 0;
}
