/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "erofs-write.h"

int ew_write_v2_layout(struct ew *w)
{
	return bs_error_set(w->err, -EOPNOTSUPP, NULL, "format version 2 is not supported yet");
}
