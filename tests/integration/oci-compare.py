#!/usr/bin/env python3
"""What differs between two images of OCI layouts, blob by blob, for a test
that found two seals of one input different: the config's keys, then each
layer as tar entries (name, type, metadata, PAX records, a digest of the
bytes), then the sections of a PE file (a UKI) that differs. Each layer is
also checked against its diff_id, so a blob that does not decode to the tar
it claims is told apart from a valid but different one. Prints nothing and
exits 0 when the two are the same.

usage: oci-compare.py DIR:TAG DIR:TAG
"""
import gzip, hashlib, io, json, struct, sys, tarfile, zlib

def load(spec):
    d, tag = spec.rsplit(":", 1)
    blob = lambda digest: open(d + "/blobs/sha256/" + digest[7:], "rb").read()
    index = json.load(open(d + "/index.json"))
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    manifest = json.loads(blob(desc["digest"]))
    return manifest, json.loads(blob(manifest["config"]["digest"])), blob

def tar_of(data):
    if data[:2] == b"\x1f\x8b":
        # One gzip member must hold it all (bootc's decoder reads only the first).
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(data) + d.flush()
        return out, "" if not d.unused_data.strip(b"\0") else "data after the first gzip member"
    return data, ""

def entries(tar):
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tar), encoding="latin-1", errors="surrogateescape") as t:
        for i, e in enumerate(t):
            data = t.extractfile(e).read() if e.isreg() else b""
            out[e.name] = (i, e.type, e.mode, e.uid, e.gid, e.mtime, e.linkname, e.size,
                           sorted(e.pax_headers.items()), hashlib.sha256(data).hexdigest(), data)
    return out

def pe_sections(data):
    if data[:2] != b"MZ":
        return None
    pe = struct.unpack_from("<I", data, 0x3c)[0]
    n, opt = struct.unpack_from("<HH", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
    secs = {}
    for i in range(n):
        h = pe + 24 + opt + 40 * i
        name = data[h:h + 8].rstrip(b"\0").decode("latin-1")
        size, off = struct.unpack_from("<II", data, h + 16)
        secs[name] = (size, hashlib.sha256(data[off:off + size]).hexdigest()[:16])
        if name == ".cmdline":  # composefs= names the sealed tree: shown whole
            secs[name] += (data[off:off + size].rstrip(b"\0").decode("latin-1"),)
    # The Authenticode signature is no section: the certificate table (data directory 4).
    magic = struct.unpack_from("<H", data, pe + 24)[0]
    off, size = struct.unpack_from("<II", data, pe + 24 + (144 if magic == 0x20b else 128))
    secs["(signature)"] = (size, hashlib.sha256(data[off:off + size]).hexdigest()[:16])
    secs["(headers)"] = (0, hashlib.sha256(data[:0x400]).hexdigest()[:16])
    return secs

def main():
    (ma, ca, ba), (mb, cb, bb) = load(sys.argv[1]), load(sys.argv[2])
    diffs = []
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            diffs.append("config %s: %s | %s" % (key, json.dumps(ca.get(key))[:300], json.dumps(cb.get(key))[:300]))
    for n, (la, lb) in enumerate(zip(ma["layers"], mb["layers"]), 1):
        if la["digest"] == lb["digest"]:
            continue
        diffs.append("layer %d: %s %d | %s %d" % (n, la["digest"][7:19], la["size"], lb["digest"][7:19], lb["size"]))
        ta, tb = [tar_of(b(l["digest"])) for b, l in ((ba, la), (bb, lb))]
        for side, (tar, why), cfg in (("a", ta, ca), ("b", tb, cb)):
            want = cfg["rootfs"]["diff_ids"][n - 1]
            if why or "sha256:" + hashlib.sha256(tar).hexdigest() != want:
                diffs.append("layer %d (%s): does not decode to its diff_id %s %s" % (n, side, want[7:19], why))
        if ta[0] == tb[0]:
            diffs.append("layer %d: the same tar, compressed differently" % n)
            continue
        ea, eb = entries(ta[0]), entries(tb[0])
        for name in sorted(set(ea) | set(eb)):
            a, b = ea.get(name), eb.get(name)
            if a is None or b is None or a[:10] != b[:10]:
                diffs.append("layer %d %r: %s | %s" % (n, name, a and a[:10], b and b[:10]))
                if a and b and a[9] != b[9]:
                    at = next((i for i, (x, y) in enumerate(zip(a[10], b[10])) if x != y), min(len(a[10]), len(b[10])))
                    diffs.append("  bytes differ from offset %d" % at)
                if a and b and pe_sections(a[10]) and pe_sections(a[10]) != pe_sections(b[10]):
                    sa, sb = pe_sections(a[10]), pe_sections(b[10])
                    for s in sorted(set(sa) | set(sb)):
                        if sa.get(s) != sb.get(s):
                            diffs.append("  section %s: %s | %s" % (s, sa.get(s), sb.get(s)))
    for line in diffs:
        print(line)
    return 1 if diffs else 0

sys.exit(main())
