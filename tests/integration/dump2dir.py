#!/usr/bin/env python3
"""Makes a directory from a composefs dump (the format of composefs-dump(5)),
so a vector can describe a whole tree (names, modes, owners, mtimes before
1970, hardlinks, xattrs) as text. Regular files must have their content
inline; sockets are not supported. Needs root for owners and devices.

Usage: dump2dir.py DUMP DIR    (DIR must not exist)
"""
import os
import re
import stat
import sys


def unescape(field):
    if field == "-":
        return b""
    out = bytearray()
    i = 0
    raw = field.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            if n == ord("x"):
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("\\"): 0x5C}[n])
            i += 2
            continue
        out.append(c)
        i += 1
    return bytes(out)


def main():
    dump, top = sys.argv[1], sys.argv[2]
    os.mkdir(top)
    top_b = top.encode()
    entries = []
    links = []
    with open(dump, "rb") as f:
        for line in f.read().decode("utf-8", "surrogateescape").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split(" ")
            path = unescape(fields[0])
            full = top_b + (b"" if path == b"/" else path)
            mode = fields[2]
            if mode.startswith("@"):
                links.append((top_b + unescape(fields[8]), full))
                continue
            mode = int(mode, 8)
            uid, gid, rdev = int(fields[4]), int(fields[5]), int(fields[6])
            sec, _, nsec = fields[7].partition(".")
            mtime = int(sec) * 10**9 + int(nsec or 0)
            kind = stat.S_IFMT(mode)
            if path == b"/":
                pass
            elif kind == stat.S_IFDIR:
                os.mkdir(full)
            elif kind == stat.S_IFREG:
                content = unescape(fields[9])
                if len(content) != int(fields[1]):
                    sys.exit(f"{dump}: {fields[0]}: content must be inline")
                with open(full, "wb") as out:
                    out.write(content)
            elif kind == stat.S_IFLNK:
                os.symlink(unescape(fields[8]), full)
            elif kind in (stat.S_IFIFO, stat.S_IFCHR, stat.S_IFBLK):
                os.mknod(full, mode, rdev)
            else:
                sys.exit(f"{dump}: {fields[0]}: unsupported file type")
            os.lchown(full, uid, gid)
            if kind != stat.S_IFLNK:
                os.chmod(full, stat.S_IMODE(mode))
            # After chown, which drops security.capability.
            for x in fields[11:]:
                key, _, value = x.partition("=")
                os.setxattr(full, unescape(key), unescape(value), follow_symlinks=False)
            entries.append((full, mtime))
    for target, full in links:
        os.link(target, full)
    # Children before their directories, so creating names does not move a
    # directory's mtime after it is set.
    for full, mtime in reversed(entries):
        os.utime(full, ns=(mtime, mtime), follow_symlinks=False)


if __name__ == "__main__":
    main()
