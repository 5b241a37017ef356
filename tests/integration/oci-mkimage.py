#!/usr/bin/env python3
"""Builds small OCI image layouts for tests/integration/oci.sh, hostile ones
included: each layer is a tar made here with tarfile, the layout around it is
written by hand so that it can be broken on purpose.

usage: oci-mkimage.py CASE DIR
"""
import gzip, hashlib, io, json, os, sys, tarfile

def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, link="", mtime=1700000000, pax=None):
    return (name, kind, data, mode, link, mtime, pax)

def make_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data, mode, link, mtime, pax in entries:
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime, ti.linkname = kind, mode, mtime, link
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            if pax:
                ti.pax_headers = pax
            if kind == tarfile.REGTYPE:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    return buf.getvalue()

def gz(data):
    return gzip.compress(data, mtime=0)

class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(f"{root}/blobs/sha256", exist_ok=True)
        with open(f"{root}/oci-layout", "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(f"{self.root}/blobs/sha256/{d}", "wb") as f:
            f.write(data)
        return "sha256:" + d

    def image(self, layers, tag="t", layer_type="application/vnd.oci.image.layer.v1.tar+gzip",
              compress=True, index_text=None, bad_diff_id=False, diff_ids_override=None):
        descs, diff_ids = [], []
        for raw in layers:
            data = gz(raw) if compress else raw
            descs.append({"mediaType": layer_type, "digest": self.blob(data), "size": len(data)})
            diff_ids.append("sha256:" + hashlib.sha256(raw + (b"x" if bad_diff_id else b"")).hexdigest())
        cfg = json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                          "config": {"Labels": {"a": "b"}},
                          "rootfs": {"type": "layers", "diff_ids": diff_ids if diff_ids_override is None
                                     else diff_ids_override(diff_ids)}}).encode()
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": self.blob(cfg), "size": len(cfg)},
                          "layers": descs}).encode()
        md = self.blob(man)
        index = index_text or json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(man),
             "annotations": {"org.opencontainers.image.ref.name": tag}}]})
        with open(f"{self.root}/index.json", "w") as f:
            f.write(index)
        return descs

D = tarfile.DIRTYPE
base = [entry("etc/", D, mode=0o755), entry("etc/passwd", data=b"root:x:0:0\n"),
        entry("etc/big", data=bytes(range(256)) * 40), entry("lnk", tarfile.SYMTYPE, link="/etc")]

def pax_record(key, value):
    body = b" " + key + b"=" + value + b"\n"
    n = len(body) + 1
    while len(str(n).encode() + body) != n:
        n += 1
    return str(n).encode() + body

def raw_pax(path, kind=tarfile.REGTYPE, data=b"", link=b"", records=()):
    """A PAX entry written the way Go's archive/tar (umoci, podman) writes
    one: path and linkpath records hold the raw bytes, no hdrcharset."""
    recs = b"".join(pax_record(k, v) for k, v in records)
    x = tarfile.TarInfo("PaxHeaders.0/x")
    x.type, x.size, x.mtime = tarfile.XHDTYPE, len(recs), 1700000000
    out = x.tobuf(tarfile.USTAR_FORMAT) + recs + b"\0" * (-len(recs) % 512)
    ti = tarfile.TarInfo("usr/n/placeholder")
    ti.type, ti.size, ti.mtime = kind, len(data), 1700000000
    ti.mode = 0o777 if kind == tarfile.SYMTYPE else 0o644
    ti.uid = ti.gid = 0
    out += ti.tobuf(tarfile.USTAR_FORMAT)
    return out + data + b"\0" * (-len(data) % 512)

# Issue 16: names are bytes. Every way a tar can carry a non-ASCII name: the
# ustar name field itself, Go-style PAX records (raw, no hdrcharset), Python's
# PAX records (UTF-8, or raw under hdrcharset=BINARY when not UTF-8); long
# names and link targets only fit in PAX records.
LONG = b"L" * 120
NAMES = [
    # (format, path, kind, content or link target)
    ("ustar", b"boot/", tarfile.DIRTYPE, b""),
    ("ustar", b"sysroot/", tarfile.DIRTYPE, b""),
    ("ustar", b"usr/", tarfile.DIRTYPE, b""),
    ("ustar", b"usr/n/", tarfile.DIRTYPE, b""),
    ("ustar", b"usr/n/ustar-\xe9\xff", tarfile.REGTYPE, b"u"),
    ("ustar", b"usr/n/ustar-lnk", tarfile.SYMTYPE, b"t\xe9\xff"),
    ("go", b"usr/n/go-bad\xff\xc3", tarfile.REGTYPE, b"g"),
    ("go", b"usr/n/go-caf\xc3\xa9.txt", tarfile.REGTYPE, b"c"),
    ("go", b"usr/n/go-lnk", tarfile.SYMTYPE, LONG + b"\xe9"),
    ("pax", b"usr/n/NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.crt", tarfile.REGTYPE, b"n"),
    ("pax", b"usr/n/lat\xe9", tarfile.REGTYPE, b"l"),
    ("pax", b"usr/n/" + LONG + b"\xe9\xff", tarfile.REGTYPE, b"long"),
    ("pax", b"usr/n/hard\xe9", tarfile.LNKTYPE, b"usr/n/" + LONG + b"\xe9\xff"),
    ("pax", b"usr/n/long-lnk", tarfile.SYMTYPE, LONG + b"\xff\xc3"),
    ("pax", b"usr/n/a\nb\tc\x01\x7f", tarfile.REGTYPE, b"x"),
    ("pax", b"usr/n/back\\x41 sp ace", tarfile.REGTYPE, b"y"),
    ("pax", b"usr/n/-", tarfile.REGTYPE, b"z"),
    ("pax", b"usr/n/dash-lnk", tarfile.SYMTYPE, b"-"),
    ("pax", b"usr/n/d\xe9\xff/", tarfile.DIRTYPE, b""),
    ("pax", b"usr/n/d\xe9\xff/f\xc3", tarfile.REGTYPE, b"f"),
]

def names_tar():
    out = b""
    for fmt, path, kind, data in NAMES:
        link = data if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else b""
        body = b"" if link else data
        if fmt == "go":
            recs = [(b"path", path)] + ([(b"linkpath", link)] if link else [])
            out += raw_pax(path, kind, body, link, recs)
            continue
        ti = tarfile.TarInfo(path.decode("utf-8", "surrogateescape"))
        ti.type, ti.size, ti.mtime = kind, len(body), 1700000000
        ti.mode = {tarfile.DIRTYPE: 0o755, tarfile.SYMTYPE: 0o777}.get(kind, 0o644)
        ti.linkname = link.decode("utf-8", "surrogateescape")
        f = tarfile.USTAR_FORMAT if fmt == "ustar" else tarfile.PAX_FORMAT
        out += ti.tobuf(f, "utf-8", "surrogateescape") + body + b"\0" * (-len(body) % 512)
    return out + b"\0" * 1024

def main():
    case, root = sys.argv[1], sys.argv[2]
    img = Layout(root)
    if case == "good":
        img.image([make_tar(base)])
    elif case == "sha-mismatch":
        descs = img.image([make_tar(base)], compress=False)
        path = f"{root}/blobs/sha256/{descs[0]['digest'][7:]}"
        data = bytearray(open(path, "rb").read())
        i = data.index(b"root:x")
        data[i] = ord("R")      # same size, still a valid tar
        open(path, "wb").write(bytes(data))
    elif case == "truncated-gzip":
        data = gz(make_tar(base))[:-40]
        d = img.blob(data)
        img.image([make_tar(base)])
        # point the manifest at the truncated blob, with its true digest and size
        idx = json.load(open(f"{root}/index.json"))
        mpath = f"{root}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"
        man = json.load(open(mpath))
        man["layers"][0].update(digest=d, size=len(data))
        raw = json.dumps(man).encode()
        idx["manifests"][0].update(digest=img.blob(raw), size=len(raw))
        json.dump(idx, open(f"{root}/index.json", "w"))
    elif case == "missing-blob":
        descs = img.image([make_tar(base)])
        os.unlink(f"{root}/blobs/sha256/{descs[0]['digest'][7:]}")
    elif case == "dotdot":
        img.image([make_tar(base + [entry("etc/../../escape", data=b"x")])])
    elif case == "hardlink-missing":
        img.image([make_tar(base + [entry("etc/hl", tarfile.LNKTYPE, link="etc/nothere")])])
    elif case == "through-symlink":
        img.image([make_tar(base), make_tar([entry("lnk/shadow", data=b"x")])])
    elif case == "malformed-json":
        img.image([make_tar(base)], index_text='{"schemaVersion": 2, "manifests": [')
    elif case == "wrong-media-type":
        img.image([make_tar(base)], layer_type="application/vnd.example.not-a-layer")
    elif case == "diffid-mismatch":
        img.image([make_tar(base)], bad_diff_id=True)
    elif case == "no-diff-ids":
        img.image([make_tar(base)], diff_ids_override=lambda ids: [])
    elif case == "diffid-count":
        img.image([make_tar(base)], diff_ids_override=lambda ids: ids + ids)
    elif case == "long-name":
        img.image([make_tar(base + [entry("etc/" + "n" * 256, data=b"x")])])
    elif case == "names":
        raw = names_tar()
        img.image([raw])
        with open(f"{root}.tar", "wb") as f:
            f.write(raw)
    elif case == "from-dir":
        # One layer holding the directory sys.argv[3] (no xattrs).
        buf = io.BytesIO()
        src = sys.argv[3]
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for name in sorted(os.listdir(src)):
                t.add(os.path.join(src, name), arcname=name)
        img.image([buf.getvalue()])
    else:
        sys.exit(f"unknown case {case}")

main()
