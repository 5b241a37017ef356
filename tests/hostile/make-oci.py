#!/usr/bin/env python3
"""Writes hostile OCI image layouts for tests/integration/hostile.sh: one
gzip (or plain) tar layer made here, the layout around it valid, so that the
layer's contents are what is tested.

usage: make-oci.py CASE DIR
"""
import gzip, hashlib, io, json, os, sys, tarfile, zlib

from tarhdr import ustar_header


def tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            name, kind = e[0], e[1]
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = kind, 0o755 if kind == tarfile.DIRTYPE else 0o644, 1700000000
            data = b""
            if kind == tarfile.REGTYPE:
                data = e[2] if len(e) > 2 else b""
                ti.size = len(data)
            elif kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                ti.linkname = e[2]
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def gnu_sparse(name, realsize, chunks):
    """An old-GNU sparse entry ('S'): CHUNKS is [(offset, data)], at most 4."""
    h = bytearray(ustar_header(name, sum(len(d) for _, d in chunks), b"S"))
    h[257:265] = b"ustar  \0"
    for i, (off, data) in enumerate(chunks):
        h[386 + 24 * i:386 + 24 * i + 24] = b"%011o\0%011o\0" % (off, len(data))
    h[483:495] = b"%011o\0" % realsize
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    body = b"".join(d for _, d in chunks)
    return bytes(h) + body + bytes(-len(body) % 512)


def zeros_bomb(gib):
    """gzip of a tar holding one file of gib GiB of zeros, streamed."""
    size = gib << 30
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(ustar_header(b"usr/zero", size))]
    chunk = bytes(1 << 20)
    for _ in range(size >> 20):
        out.append(c.compress(chunk))
    out.append(c.compress(bytes(1024)))
    out.append(c.flush())
    return b"".join(out)


def layout(root, layer, gz=True, index=None):
    os.makedirs(f"{root}/blobs/sha256", exist_ok=True)

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        open(f"{root}/blobs/sha256/{d}", "wb").write(data)
        return {"digest": "sha256:" + d, "size": len(data)}

    open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    config = blob(json.dumps({"architecture": "amd64", "os": "linux",
                              "rootfs": {"type": "layers", "diff_ids": []}}).encode())
    mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz else "")
    manifest = blob(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **config),
        "layers": [dict(mediaType=mt, **blob(layer))]}).encode())
    if index is None:
        index = json.dumps({"schemaVersion": 2, "manifests": [
            dict(mediaType="application/vnd.oci.image.manifest.v1+json", **manifest)]})
    open(f"{root}/index.json", "w").write(index)


D, F, L, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
case, root = sys.argv[1], sys.argv[2]
gzc = lambda entries: gzip.compress(tar(entries), mtime=0)
if case == "absolute":
    layout(root, gzc([("etc/", D), ("/etc/passwd", F, b"root::0:0::/:/bin/sh\n")]))
elif case == "dotdot":
    layout(root, gzc([("etc/", D), ("etc/../../../x", F, b"x")]))
elif case == "dotdot-escapes":
    # A name with a newline and a terminal escape: the error must stay one line.
    layout(root, gzc([("etc/", D), ("etc/\n\x1b[2J/../../x", F, b"x")]))
elif case == "hardlink-loop":
    layout(root, gzc([("a", H, "b"), ("b", H, "a")]))
elif case == "hardlink-self":
    layout(root, gzc([("a", H, "a")]))
elif case == "hardlink-dir":
    layout(root, gzc([("etc/", D), ("etc-link", H, "etc")]))
elif case == "hardlink-escape":
    layout(root, gzc([("a", H, "../../etc/shadow")]))
elif case == "symlink-escape":
    layout(root, gzc([("x", L, "../../../../etc"), ("x/shadow", F, b"x")]))
elif case == "whiteout-dotdot":
    layout(root, gzc([("usr/", D), ("usr/.wh...", F)]))
elif case == "bomb":
    layout(root, zeros_bomb(int(os.environ.get("BOMB_GIB", "2"))))
elif case == "bomb-truncated":
    b = zeros_bomb(1)
    layout(root, b[: len(b) // 2])
elif case == "pax-huge":
    # a pax extended header claiming 2^40 bytes of records
    layout(root, ustar_header(b"PaxHeader/x", 1 << 40, b"x") + bytes(1024), gz=False)
elif case == "sparse":
    # 4 KiB of hole, "x", 4 KiB of hole: the file reads as the zeros it stands for
    layout(root, gnu_sparse(b"usr/sparse", 8193, [(4096, b"x"), (8193, b"")]) + bytes(1024), gz=False)
elif case == "sparse-huge":
    # a 2 TiB file of one hole and one byte, in a 2 KiB layer
    layout(root, gnu_sparse(b"usr/huge", 2 << 40, [((2 << 40) - 1, b"x")]) + bytes(1024), gz=False)
elif case == "sparse-many":
    # three entries of 400 MiB of hole each: the bound is for the image
    layout(root, b"".join(gnu_sparse(b"usr/s%d" % i, 400 << 20, [(0, b"x"), (400 << 20, b"")])
                          for i in range(3)) + bytes(1024), gz=False)
elif case == "name256":
    layout(root, gzc([("etc/", D), ("etc/" + "n" * 256, F, b"x")]))
elif case == "million":
    # 10^6 empty files in one directory, headers made by hand: tarfile
    # takes a minute for what this does in seconds.
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    out = [c.compress(ustar_header(b"d/", 0, b"5"))]
    template = bytearray(ustar_header(b"d/f0000000", 0))
    template[148:156] = b" " * 8
    base = sum(template) - sum(b"0000000")
    for i in range(1000000):
        digits = b"%07d" % i
        h = template[:]
        h[3:10] = digits
        h[148:156] = b"%06o\0 " % (base + sum(digits))
        out.append(c.compress(h))
    out.append(c.compress(bytes(1024)))
    out.append(c.flush())
    layout(root, b"".join(out))
elif case == "deep-json":
    layout(root, gzc([("a", F, b"a")]), index="[" * 100000 + "]" * 100000)
else:
    sys.exit("unknown case " + case)
