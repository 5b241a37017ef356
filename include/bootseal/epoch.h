/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_EPOCH_H
#define BOOTSEAL_EPOCH_H

#include <bootseal/export.h>

#include <stdint.h>

#include <bootseal/error.h>

/*
 * SOURCE_DATE_EPOCH as reproducible-builds.org defines it: decimal digits
 * only (no sign, no space), seconds since 1970 up to the end of year 9999,
 * the last second every time format bootseal writes can hold. Every reader
 * of the variable goes through here, so one value means one time everywhere.
 * 1 with *epoch set, 0 when unset or empty, -EINVAL (err names the variable)
 * when malformed.
 */
BS_EXPORT int bs_source_date_epoch(int64_t *epoch, struct bs_error *err);

#endif
