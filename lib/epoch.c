/* SPDX-License-Identifier: MIT */
#include <bootseal/epoch.h>

#include <errno.h>
#include <stdlib.h>

/* 9999-12-31T23:59:59Z: RFC 3339 and EFI_TIME have four-digit years. */
#define LAST_EPOCH 253402300799LL

int bs_source_date_epoch(int64_t *epoch, struct bs_error *err)
{
	if (!epoch)
		return bs_error_set(err, -EINVAL, NULL, "bs_source_date_epoch: a NULL argument");
	const char *s = getenv("SOURCE_DATE_EPOCH");
	int64_t v = 0;

	*epoch = 0;
	if (!s || !*s)
		return 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > LAST_EPOCH)
			return bs_error_set(err, -EINVAL, "SOURCE_DATE_EPOCH",
					    "'%.40s' is not a number of seconds up to year 9999", s);
		v = v * 10 + (*c - '0');
	}
	if (v > LAST_EPOCH)
		return bs_error_set(err, -EINVAL, "SOURCE_DATE_EPOCH",
				    "'%.40s' is not a number of seconds up to year 9999", s);
	*epoch = v;
	return 1;
}
