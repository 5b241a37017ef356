#!/usr/bin/env python3
# Writes small PE32+ EFI applications for the hostile suite and the fuzz
# seeds, laid out like tests/unit/pe-fixture.h: headers in 0x200 bytes,
# .text at RVA 0x1000 (file 0x200), .data at RVA 0x2000 (file 0x400).
# Usage: make-pe.py OUT [VARIANT]; variants: plain, bzimage (a .text that
# carries an x86 setup header with a kernel release), sbat, and the hostile
# ones: overlap, outside, certpastend, truncated, opthdr-overflow, lfanew,
# manysections, wincert-length, wincert-tiny, filealign, nosigneddata.
import struct
import sys

LFANEW = 0x40
COFF = LFANEW + 4
OPT = COFF + 20
OPT_SIZE = 240
SECT = OPT + OPT_SIZE
CERT_DIR = OPT + 144
SIZE = 0x600


def section(p, i, name, vsize, va, raw_size, raw_off, flags=0x40000040):
    h = SECT + 40 * i
    p[h:h + 8] = name.encode().ljust(8, b"\0")
    struct.pack_into("<IIII", p, h + 8, vsize, va, raw_size, raw_off)
    struct.pack_into("<I", p, h + 36, flags)


def build(nsect=2):
    p = bytearray(SIZE)
    p[0:2] = b"MZ"
    struct.pack_into("<I", p, 0x3C, LFANEW)
    p[LFANEW:LFANEW + 4] = b"PE\0\0"
    struct.pack_into("<HH", p, COFF, 0x8664, nsect)
    struct.pack_into("<HH", p, COFF + 16, OPT_SIZE, 0x206)
    struct.pack_into("<H", p, OPT, 0x20B)
    struct.pack_into("<II", p, OPT + 32, 0x1000, 0x200)
    struct.pack_into("<II", p, OPT + 56, 0x3000, 0x200)
    struct.pack_into("<H", p, OPT + 68, 10)
    struct.pack_into("<I", p, OPT + 108, 16)
    section(p, 0, ".text", 0x10, 0x1000, 0x200, 0x200)
    section(p, 1, ".data", 0x20, 0x2000, 0x200, 0x400)
    for i in range(0x400):
        p[0x200 + i] = (i * 7 + 1) & 0xFF
    return p


def main():
    out, variant = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "plain"
    p = build()
    if variant == "bzimage":
        p[0x202:0x206] = b"HdrS"
        struct.pack_into("<H", p, 0x20E, 0x40)        # string at 0x240
        s = b"6.1.0-fuzz (fuzz@example) #1 SMP\0"
        p[0x240:0x240 + len(s)] = s
    elif variant == "sbat":
        section(p, 1, ".sbat", 0x40, 0x2000, 0x200, 0x400)
        s = b"sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        p[0x400:0x600] = s.ljust(0x200, b"\0")
    elif variant == "overlap":                       # .data starts inside .text
        section(p, 1, ".data", 0x20, 0x2000, 0x200, 0x300)
    elif variant == "outside":                       # .data ends past the file
        section(p, 1, ".data", 0x20, 0x2000, 0x1000, 0x400)
    elif variant == "certpastend":                   # table at the end, size past it
        struct.pack_into("<II", p, CERT_DIR, SIZE, 0x100)
    elif variant == "truncated":                     # the optional header is cut off
        p = p[:OPT + 40]
    elif variant == "opthdr-overflow":               # SizeOfOptionalHeader past the file
        struct.pack_into("<H", p, COFF + 16, 0xFFFF)
    elif variant == "lfanew":                        # PE header offset near 4 GiB
        struct.pack_into("<I", p, 0x3C, 0xFFFFFFF0)
    elif variant == "manysections":                  # 65535 section headers in 0x600 bytes
        struct.pack_into("<H", p, COFF + 2, 0xFFFF)
    elif variant in ("wincert-length", "wincert-tiny"):
        # A certificate table of one WIN_CERTIFICATE whose dwLength runs past
        # the table (or is shorter than its own header).
        length = 0x1000 if variant == "wincert-length" else 4
        p += struct.pack("<IHH", length, 0x200, 2) + b"\0" * 8
        struct.pack_into("<II", p, CERT_DIR, SIZE, 16)
    elif variant == "nosigneddata":
        # A ContentInfo of type signedData whose optional content is absent:
        # OpenSSL decodes it with no SignedData behind it.
        body = bytes.fromhex("300b06092a864886f70d010702")
        entry = struct.pack("<IHH", 8 + len(body), 0x200, 2) + body
        entry += b"\0" * (-len(entry) % 8)
        p += entry
        struct.pack_into("<II", p, CERT_DIR, SIZE, len(entry))
    elif variant == "filealign":                     # 2 GiB FileAlignment, no section data
        struct.pack_into("<I", p, OPT + 36, 0x80000000)
        for i in range(2):
            struct.pack_into("<II", p, SECT + 40 * i + 16, 0, 0)
        p = p[:0x200]
    elif variant != "plain":
        sys.exit("unknown variant " + variant)
    with open(out, "wb") as f:
        f.write(p)


main()
