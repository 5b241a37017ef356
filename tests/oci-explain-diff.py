#!/usr/bin/env python3
"""Says where two OCI layouts that should be identical differ.

Usage: oci-explain-diff.py DIR_A DIR_B   (the first manifest of each index.json)

Prints, as "# " lines for a TAP log: the config fields that differ and, for
each layer whose blob differs, whether the uncompressed tar differs and the
first tar member that does (name, header fields, content hash), or that only
the compression differs. Used by reproducibility checks when they fail, so a
failure in CI says what changed, not only that something did.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(layout, digest):
    algo, hexd = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algo, hexd), "rb") as f:
        return f.read()


def first_manifest(layout):
    with open(os.path.join(layout, "index.json"), "rb") as f:
        index = json.load(f)
    desc = index["manifests"][0]
    return desc["digest"], json.loads(blob(layout, desc["digest"]))


def uncompressed(data, media_type):
    if media_type.endswith("+gzip") or data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if media_type.endswith("+zstd"):
        return None  # no zstd module in Debian's python3: say so below
    return data


def pe_sections(data):
    """Section name -> sha256 prefix, and the signature's; {} when not PE."""
    try:
        import pefile
        pe = pefile.PE(data=data, fast_load=True)
    except Exception:
        return {}
    out = {s.Name.rstrip(b"\0").decode(errors="replace"): hashlib.sha256(s.get_data()).hexdigest()[:16]
           for s in pe.sections}
    sec = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4]
    out["(signature)"] = hashlib.sha256(data[sec.VirtualAddress:sec.VirtualAddress + sec.Size]).hexdigest()[:16]
    return out


def members(tar_bytes, contents=None):
    out = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:", encoding="utf-8",
                      errors="surrogateescape") as t:
        for m in t:
            content = t.extractfile(m).read() if m.isreg() else b""
            if contents is not None:
                contents[m.name] = content
            out.append((m.name, m.type, m.mode, m.uid, m.gid, m.mtime, m.linkname,
                        tuple(sorted(m.pax_headers.items())), m.size,
                        hashlib.sha256(content).hexdigest()[:16]))
    return out


def explain_layer(i, la, lb, a, b):
    if la["digest"] == lb["digest"]:
        return
    print(f"# layer {i + 1}: {la['digest'][:19]}… ({la['size']} bytes) vs {lb['digest'][:19]}… ({lb['size']} bytes)")
    ta = uncompressed(blob(a, la["digest"]), la["mediaType"])
    tb = uncompressed(blob(b, lb["digest"]), lb["mediaType"])
    if ta is None or tb is None:
        print("#   compressed with zstd: not compared further")
        return
    if ta == tb:
        print(f"#   the uncompressed tars are identical ({len(ta)} bytes): only the compression differs")
        return
    print(f"#   the uncompressed tars differ ({len(ta)} vs {len(tb)} bytes)")
    ca, cb = {}, {}
    ma, mb = members(ta, ca), members(tb, cb)
    for x, y in zip(ma, mb):
        if x != y:
            print(f"#   first differing member: {x!r}")
            print(f"#                      vs: {y!r}")
            sa, sb = pe_sections(ca.get(x[0], b"")), pe_sections(cb.get(y[0], b""))
            for name in sorted(set(sa) | set(sb)):
                if sa.get(name) != sb.get(name):
                    print(f"#   PE section {name}: {sa.get(name)} vs {sb.get(name)}")
            return
    print(f"#   {len(ma)} vs {len(mb)} members, the common ones equal")


def main():
    a, b = sys.argv[1], sys.argv[2]
    da, ma = first_manifest(a)
    db, mb = first_manifest(b)
    if da == db:
        print("# the manifests are identical")
        return 0
    ca = json.loads(blob(a, ma["config"]["digest"]))
    cb = json.loads(blob(b, mb["config"]["digest"]))
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            print(f"# config {key}: {json.dumps(ca.get(key))[:300]}")
            print(f"#    vs {key}: {json.dumps(cb.get(key))[:300]}")
    if len(ma["layers"]) != len(mb["layers"]):
        print(f"# {len(ma['layers'])} vs {len(mb['layers'])} layers")
    for i, (la, lb) in enumerate(zip(ma["layers"], mb["layers"])):
        explain_layer(i, la, lb, a, b)
    return 1


if __name__ == "__main__":
    sys.exit(main())
