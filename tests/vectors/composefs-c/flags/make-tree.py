#!/usr/bin/env python3
# Writes the input trees of these vectors: make-tree.py NAME DIR (NAME: small or xattrs).
# Everything (contents, modes, owners, xattrs, mtimes) is fixed, so the tree is the
# same wherever it is made. No hardlinks: C mkcomposefs 1.0.8 stores each link of a
# directory's file as its own inode, composefs-rs (and bootseal) as one.
import os, sys

name, r = sys.argv[1], sys.argv[2]

def pattern(n, seed):
    return bytes((seed * 31 + 7 * i + 3) & 0xff for i in range(n))

def write(path, data, mode=0o644):
    with open(os.path.join(r, path), "wb") as f:
        f.write(data)
    os.chmod(os.path.join(r, path), mode)

os.makedirs(r)
os.makedirs(f"{r}/usr/bin")
os.makedirs(f"{r}/etc/empty")
for n in (0, 1, 64, 65, 4096, 9000):
    write(f"usr/size-{n}", pattern(n, n))
write("usr/bin/tool", pattern(20000, 5), 0o755)
write("etc/same-a", pattern(5000, 9))
write("etc/same-b", pattern(5000, 9))
os.symlink("../usr/size-1", f"{r}/etc/link")
os.chown(f"{r}/usr/size-65", 1000, 1001)
if name == "xattrs":
    os.setxattr(f"{r}/usr/size-64", "user.note", b"kept by --user-xattrs")
    os.setxattr(f"{r}/usr/size-9000", "user.other", b"x")
    os.setxattr(f"{r}/usr/size-9000", "trusted.tag", b"dropped by --user-xattrs")
    os.setxattr(f"{r}/etc", "trusted.dir", b"on a directory")
    os.setxattr(f"{r}/usr/bin/tool", "security.capability",
                bytes.fromhex("0100000200200000000000000000000000000000"))
t = 1700000000
for dirpath, dirs, files in sorted(os.walk(r, topdown=False)):
    for e in sorted(files) + sorted(dirs):
        t += 1
        os.utime(os.path.join(dirpath, e), ns=(0, t * 10**9 + 123456789), follow_symlinks=False)
os.utime(r, ns=(0, 1600000000 * 10**9))
