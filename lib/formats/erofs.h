/* SPDX-License-Identifier: MIT */
/*
 * EROFS on-disk structures as composefs images use them (Linux
 * fs/erofs/erofs_fs.h, Documentation/filesystems/erofs.rst), plus the
 * composefs header in front of the superblock. Everything is little-endian;
 * the structs document the layout and are never cast over image bytes: code
 * reads and writes fields at the EROFS_*_OFF offsets with lib/util.h helpers.
 */
#ifndef BOOTSEAL_FORMATS_EROFS_H
#define BOOTSEAL_FORMATS_EROFS_H

#include <stddef.h>
#include <stdint.h>

#define EROFS_BLKSIZ_BITS 12
#define EROFS_BLKSIZ 4096u
#define EROFS_SLOTSIZE 32u              /* nid = byte offset / 32 from meta_blkaddr */
#define EROFS_SUPER_OFFSET 1024u
#define EROFS_SUPER_MAGIC_V1 0xE0F5E1E2u

#define EROFS_FEATURE_COMPAT_SB_CHKSUM 0x1u
#define EROFS_FEATURE_COMPAT_MTIME 0x2u
#define EROFS_FEATURE_COMPAT_XATTR_FILTER 0x4u

/* i_format: bit 0 layout (compact/extended), bits 1-3 data layout */
#define EROFS_INODE_LAYOUT_COMPACT 0
#define EROFS_INODE_LAYOUT_EXTENDED 1
#define EROFS_INODE_FLAT_PLAIN 0
#define EROFS_INODE_FLAT_INLINE 2
#define EROFS_INODE_CHUNK_BASED 4
#define EROFS_I_DATALAYOUT_BIT 1
#define EROFS_CHUNK_FORMAT_BLKBITS_MASK 0x1fu
#define EROFS_NULL_ADDR 0xffffffffu

/* dirent file types */
enum {
	EROFS_FT_UNKNOWN, EROFS_FT_REG_FILE, EROFS_FT_DIR, EROFS_FT_CHRDEV,
	EROFS_FT_BLKDEV, EROFS_FT_FIFO, EROFS_FT_SOCK, EROFS_FT_SYMLINK,
};

/* xattr name indexes (short prefixes) */
#define EROFS_XATTR_INDEX_USER 1
#define EROFS_XATTR_INDEX_POSIX_ACL_ACCESS 2
#define EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT 3
#define EROFS_XATTR_INDEX_TRUSTED 4
#define EROFS_XATTR_INDEX_LUSTRE 5
#define EROFS_XATTR_INDEX_SECURITY 6
#define EROFS_XATTR_LONG_PREFIX 0x80    /* also caps shared xattrs per inode */
#define EROFS_XATTR_FILTER_BITS 32
#define EROFS_XATTR_FILTER_SEED 0x25BBE08Fu

/* The composefs header at offset 0 (libcomposefs lcfs-erofs.h). */
#define COMPOSEFS_MAGIC 0xd078629aU
#define COMPOSEFS_HEADER_VERSION 1
#define COMPOSEFS_FLAGS_HAS_ACL 0x1u
struct composefs_header {
	uint32_t magic;
	uint32_t version;               /* of this header: always 1 */
	uint32_t flags;
	uint32_t composefs_version;     /* 0, 1 (C mkcomposefs) or 2 (composefs-rs legacy) */
	uint32_t unused[4];
};
_Static_assert(sizeof(struct composefs_header) == 32, "composefs header");
#define CFS_HDR_MAGIC_OFF 0
#define CFS_HDR_VERSION_OFF 4
#define CFS_HDR_FLAGS_OFF 8
#define CFS_HDR_CFS_VERSION_OFF 12

struct erofs_super_block {
	uint32_t magic;
	uint32_t checksum;
	uint32_t feature_compat;
	uint8_t blkszbits;
	uint8_t sb_extslots;
	uint16_t root_nid;
	uint64_t inos;
	uint64_t build_time;
	uint32_t build_time_nsec;
	uint32_t blocks;
	uint32_t meta_blkaddr;
	uint32_t xattr_blkaddr;
	uint8_t uuid[16];
	uint8_t volume_name[16];
	uint32_t feature_incompat;
	uint16_t u1;
	uint16_t extra_devices;
	uint16_t devt_slotoff;
	uint8_t dirblkbits;
	uint8_t xattr_prefix_count;
	uint32_t xattr_prefix_start;
	uint64_t packed_nid;
	uint8_t xattr_filter_reserved;
	uint8_t reserved2[23];
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_super_block) == 128, "erofs superblock");
#define EROFS_SB_MAGIC_OFF 0
#define EROFS_SB_FEATURE_COMPAT_OFF 8
#define EROFS_SB_BLKSZBITS_OFF 12
#define EROFS_SB_ROOT_NID_OFF 14
#define EROFS_SB_INOS_OFF 16
#define EROFS_SB_BUILD_TIME_OFF 24
#define EROFS_SB_BUILD_TIME_NSEC_OFF 32
#define EROFS_SB_BLOCKS_OFF 36
#define EROFS_SB_META_BLKADDR_OFF 40
#define EROFS_SB_XATTR_BLKADDR_OFF 44
#define EROFS_SB_FEATURE_INCOMPAT_OFF 80

/* 32-byte inode: no mtime (taken from build_time), 16-bit ids, 32-bit size. */
struct erofs_inode_compact {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_nlink;
	uint32_t i_size;
	uint32_t i_reserved;
	uint32_t i_u;                   /* raw_blkaddr, rdev or chunk format */
	uint32_t i_ino;
	uint16_t i_uid;
	uint16_t i_gid;
	uint32_t i_reserved2;
};
_Static_assert(sizeof(struct erofs_inode_compact) == 32, "compact inode");
#define EROFS_IC_FORMAT_OFF 0
#define EROFS_IC_XATTR_ICOUNT_OFF 2
#define EROFS_IC_MODE_OFF 4
#define EROFS_IC_NLINK_OFF 6
#define EROFS_IC_SIZE_OFF 8
#define EROFS_IC_U_OFF 16
#define EROFS_IC_INO_OFF 20
#define EROFS_IC_UID_OFF 24
#define EROFS_IC_GID_OFF 26

struct erofs_inode_extended {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_reserved;
	uint64_t i_size;
	uint32_t i_u;
	uint32_t i_ino;
	uint32_t i_uid;
	uint32_t i_gid;
	uint64_t i_mtime;
	uint32_t i_mtime_nsec;
	uint32_t i_nlink;
	uint8_t i_reserved2[16];
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_inode_extended) == 64, "extended inode");
#define EROFS_IE_SIZE_OFF 8
#define EROFS_IE_U_OFF 16
#define EROFS_IE_INO_OFF 20
#define EROFS_IE_UID_OFF 24
#define EROFS_IE_GID_OFF 28
#define EROFS_IE_MTIME_OFF 32
#define EROFS_IE_MTIME_NSEC_OFF 40
#define EROFS_IE_NLINK_OFF 44

/* In-inode xattr area: this header, shared xattr ids (u32 each), entries. */
struct erofs_xattr_ibody_header {
	uint32_t h_name_filter;         /* bit set = no xattr with that name hash */
	uint8_t h_shared_count;
	uint8_t h_reserved2[7];
};
_Static_assert(sizeof(struct erofs_xattr_ibody_header) == 12, "xattr ibody header");

/* Followed by name (without prefix) and value; padded to 4 bytes. */
struct erofs_xattr_entry {
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint16_t e_value_size;
};
_Static_assert(sizeof(struct erofs_xattr_entry) == 4, "xattr entry");

struct erofs_dirent {
	uint64_t nid;
	uint16_t nameoff;               /* from the start of the dirent block */
	uint8_t file_type;
	uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_dirent) == 12, "dirent");

#endif
