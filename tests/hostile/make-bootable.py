#!/usr/bin/env python3
"""Writes a small bootable container image as an OCI layout, for the
resource cases of tests/integration/attacks.sh: one gzip layer with a kernel,
an initramfs, os-release, the host's systemd-stub and systemd-boot, and
whatever the options add. Big files are old-GNU sparse tar entries of zeros,
so a "2 GiB" kernel costs a few bytes on disk and in the layer.

usage: make-bootable.py DIR [--kargs FILES ARGS] [--kernel-size N]
                            [--initramfs-size N] [--uki-size N]
--kargs FILES ARGS: FILES kargs.d files of ARGS distinct short arguments each.
--uki-size N: a file of N bytes at boot/EFI/Linux/big.efi.
--filler N: a file of N random bytes at usr/share/filler (a layer that
does not compress).
"""
import argparse, gzip, hashlib, io, json, os, tarfile

from tarhdr import ustar_header

KVER = "6.1.0-attack"
STUB_DIR = "/usr/lib/systemd/boot/efi"


def header(name, size, typeflag=b"0", mode=0o644):
    return ustar_header(name.encode(), size, typeflag, mode)


def regular(name, data, mode=0o644):
    return header(name, len(data), mode=mode) + data + bytes(-len(data) % 512)


def directory(name):
    return header(name, 0, b"5", 0o755)


def sparse_zeros(name, size):
    """An old-GNU sparse entry ('S') of SIZE bytes with one 512-byte chunk of
    zeros at its end: libarchive reads it as a file of SIZE zeros."""
    h = bytearray(header(name, 512, b"S"))
    h[257:265] = b"ustar  \0"
    h[386:410] = b"%011o\0%011o\0" % (size - 512, 512)
    h[483:495] = b"%011o\0" % size
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + bytes(512)


def layout(root, layer_tar):
    os.makedirs(f"{root}/blobs/sha256", exist_ok=True)
    with open(f"{root}/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        with open(f"{root}/blobs/sha256/{d}", "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + d, "size": len(data)}

    gz = gzip.compress(layer_tar, compresslevel=6, mtime=0)
    cfg = json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                      "config": {"Labels": {"containers.bootc": "1"}},
                      "rootfs": {"type": "layers",
                                 "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]}}).encode()
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **blob(cfg)),
                      "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip",
                                      **blob(gz))]}).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json",
                                annotations={"org.opencontainers.image.ref.name": "t"}, **blob(man))]}
    with open(f"{root}/index.json", "w") as f:
        json.dump(index, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--kargs", nargs=2, type=int, metavar=("FILES", "ARGS"))
    ap.add_argument("--kernel-size", type=int)
    ap.add_argument("--initramfs-size", type=int)
    ap.add_argument("--uki-size", type=int)
    ap.add_argument("--filler", type=int)
    a = ap.parse_args()

    t = bytearray()
    for d in ["usr/", "usr/lib/", "usr/lib/modules/", f"usr/lib/modules/{KVER}/", "usr/lib/systemd/",
              "usr/lib/systemd/boot/", "usr/lib/systemd/boot/efi/", "usr/lib/bootc/",
              "usr/lib/bootc/kargs.d/", "etc/", "boot/", "boot/EFI/", "boot/EFI/Linux/", "sysroot/"]:
        t += directory(d)
    kernel = f"usr/lib/modules/{KVER}/vmlinuz"
    initramfs = f"usr/lib/modules/{KVER}/initramfs.img"
    t += sparse_zeros(kernel, a.kernel_size) if a.kernel_size else regular(kernel, b"kernel\n" * 64)
    t += sparse_zeros(initramfs, a.initramfs_size) if a.initramfs_size else regular(initramfs, b"070701" * 64)
    t += regular("usr/lib/os-release", b'ID=attack\nNAME="Attack"\nVERSION_ID=1\n')
    for name in ("linuxx64.efi.stub", "systemd-bootx64.efi"):
        with open(f"{STUB_DIR}/{name}", "rb") as f:
            t += regular(f"usr/lib/systemd/boot/efi/{name}", f.read())
    t += regular("usr/lib/bootc/kargs.d/00-base.toml", b'kargs = ["rw"]\n')
    if a.kargs:
        files, args = a.kargs
        for i in range(files):
            body = ", ".join(f'"k{i}x{j}"' for j in range(args))
            t += regular(f"usr/lib/bootc/kargs.d/{10 + i}-many.toml", f"kargs = [{body}]\n".encode())
    if a.filler:
        t += directory("usr/share/") + regular("usr/share/filler", os.urandom(a.filler))
    if a.uki_size:
        t += sparse_zeros("boot/EFI/Linux/big.efi", a.uki_size)
    t += bytes(1024)
    layout(a.dir, bytes(t))


main()
