/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included (-include) when kmod/frame.c is built in userspace: the
 * kernel's fixed-size types, which <linux/types.h> only has as __u8...
 * kmod/frame.c itself is compiled unchanged.
 */
#ifndef LTUN_FUZZ_KSHIM_H
#define LTUN_FUZZ_KSHIM_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;

#endif
