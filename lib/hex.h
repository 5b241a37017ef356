/* SPDX-License-Identifier: MIT */
/* The hex module inside the library: bootseal/hex.h and a digit reader. */
#ifndef BOOTSEAL_LIB_HEX_H
#define BOOTSEAL_LIB_HEX_H

#include <bootseal/hex.h>

/* 0..15 for a hex digit, -1 otherwise. */
int bsi_hex_value(char c);
/* Whether the string s is len lowercase hex digits, and no more. */
int bsi_hex_lower(const char *s, size_t len);

#endif
