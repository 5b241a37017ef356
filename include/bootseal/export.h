/* SPDX-License-Identifier: MIT */
/*
 * libbootseal is built with -fvisibility=hidden: only declarations marked
 * BS_EXPORT (the bs_ API of include/bootseal/) are exported from the shared
 * library. Internal helpers carry the bsi_ prefix and stay inside it.
 *
 * The NULL contract of every BS_EXPORT function, unless its comment says
 * otherwise: a pointer argument must not be NULL, and a NULL one is refused
 * without being touched (-EINVAL from a function returning int, NULL from
 * one returning a pointer, 0 from a count or size). The exceptions every
 * header shares: `struct bs_error *err` may always be NULL (no message is
 * kept), _free/_clear/_release functions accept NULL and do nothing, input
 * bytes given with a length of 0 may be NULL, a caller's context (`void
 * *ctx` handed back to a callback) may be NULL, and an options or parameters
 * struct given as NULL means its defaults where the comment says so. tests/unit/test-null.c calls each function so.
 */
#ifndef BOOTSEAL_EXPORT_H
#define BOOTSEAL_EXPORT_H

#if defined(__GNUC__) && __GNUC__ >= 4
#define BS_EXPORT __attribute__((visibility("default")))
#else
#define BS_EXPORT
#endif

#endif
