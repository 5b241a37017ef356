/* SPDX-License-Identifier: MIT */
/*
 * libbootseal is built with -fvisibility=hidden: only declarations marked
 * BS_EXPORT (the bs_ API of include/bootseal/) are exported from the shared
 * library. Internal helpers carry the bsi_ prefix and stay inside it.
 */
#ifndef BOOTSEAL_EXPORT_H
#define BOOTSEAL_EXPORT_H

#if defined(__GNUC__) && __GNUC__ >= 4
#define BS_EXPORT __attribute__((visibility("default")))
#else
#define BS_EXPORT
#endif

#endif
