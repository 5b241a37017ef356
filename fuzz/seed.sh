#!/usr/bin/env bash
# Regenerates the committed seed corpora fuzz/corpus/<target>/ from the test
# vectors and from small inputs made here with bootseal itself (a throwaway
# key signs the PE and .auth seeds and is deleted; no key is committed).
# Usage: fuzz/seed.sh [BOOTSEAL] (default build/tools/bootseal).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$top/build/tools/bootseal}
C=$top/fuzz/corpus
V=$top/tests/vectors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SOURCE_DATE_EPOCH=1700000000
# Files are (re)written, never removed: regression inputs of fixed bugs
# (leak-*, filealign.efi, ...) live beside these seeds.
mkdir -p "$C"/{dump,erofs,pe,esl,auth,kargs,uki,oci-json,oci-tar,selabel}

# composefs dumps: the small C and rs vectors, accepted and should-fail
for f in "$V"/composefs-c/*.dump "$V"/composefs-rs/*.dump; do
	[ "$(stat -c %s "$f")" -le 12000 ] && cp "$f" "$C/dump/"
done
# images of them, in each layout
for f in "$V"/composefs-c/{special,special_v1,longlink,no-newline,bigfile-xattr}.dump "$V"/composefs-rs/simple.dump; do
	n=$(basename "$f" .dump)
	for fmt in v0 v1 v2; do
		"$B" mkcomposefs --format $fmt --from-file "$f" "$tmp/$n-$fmt.img" 2>/dev/null || continue
		[ "$(stat -c %s "$tmp/$n-$fmt.img")" -le 65536 ] && cp "$tmp/$n-$fmt.img" "$C/erofs/"
	done
done

# PE: the unit-test fixture, signed once and twice
"$B" keygen --output-dir "$tmp/keys" --key-type ecdsa-p256 >/dev/null
python3 "$top/tests/hostile/make-pe.py" "$tmp/plain.efi" plain
python3 "$top/tests/hostile/make-pe.py" "$C/pe/sbat.efi" sbat
cp "$tmp/plain.efi" "$C/pe/plain.efi"
"$B" sign --key "$tmp/keys/db.key" --cert "$tmp/keys/db.crt" --output "$C/pe/signed.efi" "$tmp/plain.efi"
"$B" sign --key "$tmp/keys/KEK.key" --cert "$tmp/keys/KEK.crt" --output "$C/pe/signed2.efi" "$C/pe/signed.efi"
for v in overlap outside certpastend truncated nosigneddata; do
	python3 "$top/tests/hostile/make-pe.py" "$C/pe/$v.efi" $v
done
# UKI: stub/kernel seeds
python3 "$top/tests/hostile/make-pe.py" "$C/uki/bzimage.efi" bzimage
cp "$C/pe/sbat.efi" "$C/pe/plain.efi" "$C/uki/"

# EFI signature lists and .auth updates from keygen
for v in PK KEK db; do
	cp "$tmp/keys/$v.esl" "$C/esl/"
	cp "$tmp/keys/$v.auth" "$C/auth/"
done
"$B" esl from-hash --owner-guid 11111111-2222-3333-4444-555555555555 --output "$C/esl/hashes.esl" \
	"$(printf '%064d' 1)" "$(printf '%064d' 2)"
cat "$C/esl/db.esl" "$C/esl/hashes.esl" >"$C/esl/two-lists.esl"

# kargs.d TOML
printf 'kargs = ["console=ttyS0,115200n8", "quiet"]\n' >"$C/kargs/simple.toml"
printf '# comment\nkargs = [\n  "a=\\"b c\\"",\n  '"'"'lit'"'"',\n]\nmatch-architectures = ["x86_64", "aarch64"]\n' >"$C/kargs/multi.toml"
printf 'kargs = ["x"]\nmatch-architectures = ["s390x"]\n' >"$C/kargs/arch.toml"
printf 'init=/bin/sh "quoted arg" dup=1 dup_x=2 dup-x=2\n' >"$C/kargs/cmdline"

# OCI JSON: index NUL manifest NUL config, with the $XX tokens of fuzz-oci-json.c
{
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$MD","size":$MS,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}\0'
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$CD","size":$CS},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"$LD","size":$LS}]}\0'
	printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"a":"b"}},"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"x"}]}'
} >"$C/oci-json/oci.bin"
{
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"$MD","size":$MS}]}\0'
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"$CD","size":$CS},"layers":[]}\0{}'
} >"$C/oci-json/docker.bin"

# SELinux: file_contexts NUL file_contexts.subs_dist NUL a path to look up
printf '%s\t%s\n' '/.*' system_u:object_r:default_t:s0 '/usr(/.*)?' system_u:object_r:usr_t:s0 \
	'/usr/bin(/.*)?' system_u:object_r:bin_t:s0 '/usr/share/none' '<<none>>' \
	'/home/[^/]+/\.ssh(/.*)?' system_u:object_r:ssh_home_t:s0 >"$C/selabel/fc.bin"
printf '/usr/bin/special\t--\tsystem_u:object_r:special_exec_t:s0\n/usr/bin(/.*)?\t-d\tsystem_u:object_r:bindir_t:s0\n\0/alias /usr/bin\n/opt /usr\n\0/usr/bin/special' >>"$C/selabel/fc.bin"

# OCI layers: a small rootfs with links, whiteouts and an opaque directory
python3 - "$C/oci-tar" <<'PY'
import gzip, io, sys, tarfile
out = sys.argv[1]
def tar(name, entries, gz=False):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e[0]); ti.type = e[1]; data = b""
            if e[1] == tarfile.REGTYPE: data = e[2]; ti.size = len(data)
            elif e[1] in (tarfile.SYMTYPE, tarfile.LNKTYPE): ti.linkname = e[2]
            if e[1] == tarfile.DIRTYPE: ti.mode = 0o755
            if len(e) > 3: ti.pax_headers = e[3]
            t.addfile(ti, io.BytesIO(data))
    raw = b.getvalue()
    open(f"{out}/{name}", "wb").write(gzip.compress(raw, mtime=0) if gz else raw)
D, F, L, H = tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
tar("rootfs.tar", [("./", D), ("usr/", D), ("usr/lib/", D), ("usr/lib/os-release", F, b"ID=fuzz\n"),
    ("etc/", D), ("etc/os-release", L, "../usr/lib/os-release"), ("usr/bin/", D),
    ("usr/bin/big", F, b"x" * 200), ("usr/bin/link", H, "usr/bin/big"),
    ("boot/", D), ("boot/vmlinuz", F, b"MZ" + b"\0" * 100,
     {"SCHILY.xattr.security.selinux": "system_u:object_r:boot_t:s0"})])
tar("whiteouts.tar", [("usr/", D), ("usr/.wh.bin", F, b""), ("etc/", D), ("etc/.wh..wh..opq", F, b""),
    ("etc/hostname", F, b"fuzz\n")])
tar("rootfs.tar.gz", [("a/", D), ("a/b", F, b"hello"), ("a/c", L, "b")], gz=True)
PY
# A GNU sparse entry (holes read as zeros), the layer hostile.sh builds
python3 "$top/tests/hostile/make-oci.py" sparse "$tmp/sparse"
python3 - "$tmp/sparse" "$C/oci-tar/sparse.tar" <<'PY'
import json, shutil, sys
d = sys.argv[1]
blob = lambda dg: f"{d}/blobs/sha256/{dg[7:]}"
man = json.load(open(blob(json.load(open(f"{d}/index.json"))["manifests"][0]["digest"])))
shutil.copy(blob(man["layers"][0]["digest"]), sys.argv[2])
PY
# Names that are not ASCII or not UTF-8, in ustar fields and PAX records
# (issue 16); the dump of that tree, its names escaped \xNN.
python3 "$top/tests/integration/oci-mkimage.py" names "$tmp/names"
cp "$tmp/names.tar" "$C/oci-tar/names.tar"
"$B" compute-composefs-digest --write-dumpfile-to "$C/dump/names.dump" "oci:$tmp/names:t" >/dev/null
du -sh "$C"
