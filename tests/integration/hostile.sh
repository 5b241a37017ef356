#!/usr/bin/env bash
# Hostile inputs for the CLI (issue 9): composefs dumps and images, PE files,
# EFI signature lists and .auth updates. Each must exit 2 with one stderr
# line naming the file, print nothing on stdout, leave nothing in the output
# directory, and not crash (.ci/run also runs this script against its
# ASan/UBSan build: a sanitizer report is an extra stderr line and fails
# the check). Inputs are generated here; tests/hostile/ holds the generators.
# OCI layer contents are here too; layouts and media types are in oci.sh.
source "$(dirname "$0")/../lib.sh"
need python3 fsverity
B=$BOOTSEAL
H=$top/tests/hostile
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000
asan=0
ldd "$B" 2>/dev/null | grep -q libasan && asan=1

# hostile NAME FILE REGEX CMD...: exit 2, one line "bootseal: ...: FILE: REGEX",
# no stdout, and the output directory out/ stays empty.
hostile() {
	local name=$1 file=$2 regex=$3
	shift 3
	rm -rf out && mkdir out
	check_fails "$name" 2 "^bootseal: [a-z-]+( [a-z-]+)?: ([^ ]*/)?${file//./\\.}: .*$regex" "$@"
	if [ -n "$(ls -A out)" ]; then
		not_ok "$name: left $(ls -A out | head -3 | tr '\n' ' ')in the output directory"
	fi
}

# --- composefs dumps (mkcomposefs --from-file) -----------------------------
root='/ 0 40755 2 0 0 0 0.0 - - -'
long=$(printf 'n%.0s' $(seq 256))
printf '%s\n/%s 0 100644 1 0 0 0 0.0 - - -\n' "$root" "$long" >name256.dump
hostile "dump: a 256-byte name" name256.dump "line 2: file name longer than 255 bytes" \
	$B mkcomposefs --from-file name256.dump out/x.img
printf '%s\n/%s 0 120777 1 0 0 0 0.0 %s - -\n' "$root" l "$(printf 't%.0s' $(seq 5000))" >longlink.dump
hostile "dump: a 5000-byte symlink target" longlink.dump "line 2: " \
	$B mkcomposefs --from-file longlink.dump out/x.img
printf '%s\n/a/b/c 0 100644 1 0 0 0 0.0 - - -\n' "$root" >noparent.dump
hostile "dump: a path under a missing directory" noparent.dump "line 2: parent directory of 'a/b/c' is missing" \
	$B mkcomposefs --from-file noparent.dump out/x.img
printf '%s\n/f 18446744073709551616 100644 1 0 0 0 0.0 - - -\n' "$root" >bigsize.dump
hostile "dump: a size past 2^64" bigsize.dump "line 2: " \
	$B mkcomposefs --from-file bigsize.dump out/x.img
printf '%s\n/f 0 100644 1 0 0 0 0.0 - - - user.x=%s\n' "$root" "$(printf 'v%.0s' $(seq 70000))" >bigxattr.dump
hostile "dump: a 70000-byte xattr value" bigxattr.dump "line 2: " \
	$B mkcomposefs --from-file bigxattr.dump out/x.img

# 10^6 entries in one directory: accepted, in bounded time and memory (the
# normal build takes ~6 s and ~550 MB); the same with one bad last line is
# rejected with its line number and leaves no image.
million() {
	python3 - "$1" <<'EOF'
import sys
w = sys.stdout.write
w("/ 0 40755 3 0 0 0 0.0 - - -\n/d 0 40755 2 0 0 0 0.0 - - -\n")
w("".join("/d/f%07d 0 100644 1 0 0 0 0.0 - - -\n" % i for i in range(1000000)))
if sys.argv[1] == "bad":
    w("/d/f0000000 0 100644 1 0 0 0 0.0 - - -\n")
EOF
}
million good >million.dump
million bad >million-bad.dump
limit=
[ "$asan" = 0 ] && limit="ulimit -v 2097152;"   # ASan reserves terabytes of address space
rm -rf out && mkdir out
start=$SECONDS
check "dump: 10^6 entries in one directory within 2 GiB and 120 s" \
	bash -c "$limit exec timeout 120 \"\$0\" mkcomposefs --from-file million.dump out/m.img" "$B"
echo "# 10^6 entries: $((SECONDS - start)) s"
check_eq "dump: 10^6 entries read back" 1000001 \
	"$(bash -c "$limit exec timeout 120 \"\$0\" composefs-info ls out/m.img" "$B" | wc -l)"
hostile "dump: 10^6 entries and a duplicate name" million-bad.dump "line 1000003: " \
	bash -c "$limit exec timeout 120 \"\$0\" mkcomposefs --from-file million-bad.dump out/x.img" "$B"
rm -f million.dump million-bad.dump

# Deep nesting: 3000 directories inside each other (paths of 6000 bytes)
# are written and read back without recursion trouble.
python3 - >deep.dump <<'EOF'
import sys
print("/ 0 40755 3 0 0 0 0.0 - - -")
p = ""
for i in range(3000):
    p += "/d"
    print("%s 0 40755 %d 0 0 0 0.0 - - -" % (p, 2 if i == 2999 else 3))
EOF
rm -rf out && mkdir out
check "dump: 3000 nested directories" $B mkcomposefs --from-file deep.dump out/deep.img
check_eq "dump: 3000 nested directories read back" 3001 "$($B composefs-info dump out/deep.img | wc -l)"
{ cat deep.dump; echo "$(printf '/d%.0s' $(seq 3000))/x/y 0 100644 1 0 0 0 0.0 - - -"; } >deep-bad.dump
hostile "dump: a missing directory 3000 levels down" deep-bad.dump "line 3002: parent directory" \
	$B mkcomposefs --from-file deep-bad.dump out/x.img

# --- composefs images (composefs-info, diff) -------------------------------
$B mkcomposefs --from-file "$VECTORS/composefs-c/special.dump" good.img
size=$(stat -c %s good.img)
head -c 2000 good.img >trunc-sb.img
head -c $((size - 4096)) good.img >trunc-data.img
: >empty.img
python3 - <<'EOF'
import struct
d = bytearray(open("good.img", "rb").read())
g = bytearray(d); g[1024:1028] = b"\0\0\0\0"; open("magic.img", "wb").write(g)
g = bytearray(d); struct.pack_into("<H", g, 1024 + 14, 0xFFFF); open("rootnid.img", "wb").write(g)
g = bytearray(d); struct.pack_into("<I", g, 1024 + 40, 0xFFFFFFF0); open("metablk.img", "wb").write(g)
g = bytearray(d)
for i in range(1200, len(g), 97):     # every 97th byte of the metadata flipped
    g[i] ^= 0x5A
open("garbled.img", "wb").write(g)
EOF
# 20 one-byte files whose inodes are then pointed at the same blocks, each
# claiming nearly the whole image: their data adds up to more than the image.
{ echo '/ 0 40755 2 0 0 0 0.0 - - -'; for i in $(seq 20); do echo "/f$i 1 100644 1 0 0 0 0.0 - x -"; done; } >small.dump
$B mkcomposefs --from-file small.dump small.img
python3 - <<'EOF'
import struct
d = bytearray(open("small.img", "rb").read())
meta = struct.unpack_from("<I", d, 1024 + 40)[0] * 4096
claim = (len(d) - 4096) // 4096 * 4096
hit = 0
for off in range(meta, len(d) - 32, 32):
    fmt, _, mode = struct.unpack_from("<HHH", d, off)
    size = struct.unpack_from("<Q" if fmt & 1 else "<I", d, off + 8)[0]
    if mode == 0o100644 and size == 1 and (fmt >> 1) & 7 == 2:
        struct.pack_into("<H", d, off, fmt & ~0xE)                      # FLAT_PLAIN
        struct.pack_into("<Q" if fmt & 1 else "<I", d, off + 8, claim)
        struct.pack_into("<I", d, off + 16, 0)                          # from block 0
        hit += 1
assert hit == 20, hit
open("shared.img", "wb").write(d)
EOF
hostile "erofs: inodes sharing data blocks" shared.img "the inodes' data adds up to more than the image" \
	$B composefs-info dump shared.img
hostile "erofs: truncated superblock" trunc-sb.img "corrupt composefs image" $B composefs-info dump trunc-sb.img
hostile "erofs: truncated data" trunc-data.img "corrupt composefs image" $B composefs-info dump trunc-data.img
hostile "erofs: empty file" empty.img "corrupt composefs image: empty" $B composefs-info ls empty.img
hostile "erofs: no magic" magic.img "no EROFS superblock magic" $B composefs-info dump magic.img
hostile "erofs: root inode outside" rootnid.img "inode 65535 is outside the image" $B composefs-info dump rootnid.img
hostile "erofs: metadata block outside" metablk.img "corrupt composefs image" $B composefs-info ls metablk.img
hostile "erofs: garbled metadata" garbled.img "corrupt composefs image" $B composefs-info dump garbled.img
hostile "diff: garbled image" garbled.img "corrupt composefs image" $B diff garbled.img good.img

# --- PE files (verify, sign, ukify inspect) --------------------------------
$B keygen --output-dir keys --key-type ecdsa-p256 >/dev/null
declare -A pe_msg=(
	[overlap]="sections .text and .data overlap in the file"
	[outside]="section .data data ends at 0x1400, outside the file"
	[certpastend]="certificate table ends at 0x700, past the end of the file"
	[truncated]="truncated headers"
	[opthdr-overflow]="truncated headers: optional header \\(0xffff bytes\\)"
	[lfanew]="PE header offset 0xfffffff0 is outside the file"
	[manysections]="65535 sections"
	[wincert-length]="certificate table entry at 0x600 has length 4096, outside the table"
	[wincert-tiny]="certificate table entry at 0x600 has length 4, outside the table"
	[filealign]="FileAlignment 0x80000000 is above 64 KiB"
)
for v in overlap outside certpastend truncated opthdr-overflow lfanew manysections wincert-length wincert-tiny filealign; do
	python3 "$H/make-pe.py" "$v.efi" "$v"
	hostile "pe $v: verify --list" "$v.efi" "${pe_msg[$v]}" $B verify --list "$v.efi"
	hostile "pe $v: verify --cert" "$v.efi" "${pe_msg[$v]}" $B verify --cert keys/db.crt "$v.efi"
	hostile "pe $v: sign" "$v.efi" "${pe_msg[$v]}" \
		$B sign --key keys/db.key --cert keys/db.crt --output out/signed.efi "$v.efi"
	# inspect lists sections only: the certificate entries are not its business
	[[ $v == wincert-* ]] ||
		hostile "pe $v: ukify inspect" "$v.efi" "${pe_msg[$v]}" $B ukify inspect "$v.efi"
done
# A signedData ContentInfo without its content once crashed verify (NULL SignedData).
# Its table is well formed, so verify --cert calls it a signature that fails (exit 1).
python3 "$H/make-pe.py" nosigneddata.efi nosigneddata
hostile "pe nosigneddata: verify --list" nosigneddata.efi \
	"signature 1: signature does not carry SpcIndirectDataContent" $B verify --list nosigneddata.efi
check_fails "pe nosigneddata: verify --cert" 1 "nosigneddata.efi: signature does not carry SpcIndirectDataContent" \
	$B verify --cert keys/db.crt nosigneddata.efi
# A 512-byte stub claiming FileAlignment 2 GiB once made ukify build use 4 GiB.
python3 "$H/make-pe.py" kernel.efi bzimage
hostile "pe filealign: ukify build" filealign.efi "FileAlignment 0x80000000 is above 64 KiB" \
	bash -c "$limit exec \"\$0\" ukify build --linux kernel.efi --stub filealign.efi --output out/uki.efi" "$B"
python3 "$H/make-pe.py" plain.efi plain
rm -rf out && mkdir out
check "pe: the well-formed fixture signs" \
	$B sign --key keys/db.key --cert keys/db.crt --output out/signed.efi plain.efi
check "pe: and verifies" $B verify --cert keys/db.crt out/signed.efi
mv out/signed.efi signed.efi
head -c 1636 signed.efi >signed-trunc.efi
hostile "pe: signed image cut inside its certificate table" signed-trunc.efi "past the end of the file" \
	$B verify --cert keys/db.crt signed-trunc.efi

# --- EFI signature lists and .auth (esl list, auth verify, auth sign) -------
python3 - <<'EOF'
import struct
sha256 = bytes.fromhex("2616c4c14c509240aca941f936934328")
x509 = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")
def esl(name, t, lsize, hsize, ssize, body):
    open(name, "wb").write(t + struct.pack("<III", lsize, hsize, ssize) + body)
esl("listsize.esl", sha256, 0xFFFFFFF0, 0, 48, b"\0" * 48)       # 28 + ... wraps 32 bits
esl("sigsize.esl", sha256, 28 + 48, 0, 0xFFFFFFFF, b"\0" * 48)
esl("hdrsize.esl", sha256, 28 + 48, 0xFFFFFFF0, 48, b"\0" * 48)  # 28 + header wraps
esl("sigsize0.esl", sha256, 28 + 48, 0, 0, b"\0" * 48)
esl("x509-garbage.esl", x509, 28 + 16 + 8, 0, 16 + 8, b"\0" * 16 + b"\x30\x82\xff\xff" + b"\0" * 4)
open("short.esl", "wb").write(sha256 + b"\1\0")
EOF
declare -A esl_msg=(
	[listsize]="signature list at offset 0 claims 4294967280 bytes, 76 are left"
	[sigsize]="not a multiple of signature size 4294967295"
	[hdrsize]="header size 4294967280 exceeds list size 76"
	[sigsize0]="not a multiple of signature size 0"
	[x509-garbage]="entry 0 is not one DER certificate"
	[short]="truncated signature list header"
)
for v in listsize sigsize hdrsize sigsize0 x509-garbage short; do
	hostile "esl $v: esl list" "$v.esl" "${esl_msg[$v]}" $B esl list "$v.esl"
	hostile "esl $v: auth sign" "$v.esl" "${esl_msg[$v]}" \
		$B auth sign --var db --key keys/KEK.key --cert keys/KEK.crt --output out/db.auth "$v.esl"
done
auth_size=$(stat -c %s keys/db.auth)
head -c 30 keys/db.auth >hdr.auth
head -c 100 keys/db.auth >cert.auth
head -c $((auth_size - 10)) keys/db.auth >data.auth
python3 - <<'EOF'
import struct
d = bytearray(open("keys/db.auth", "rb").read())
g = bytearray(d); struct.pack_into("<I", g, 16, 0xFFFFFFFF); open("wclen.auth", "wb").write(g)
g = bytearray(d); struct.pack_into("<I", g, 16, 8); open("wcshort.auth", "wb").write(g)
g = bytearray(d); g[40:44] = b"\xff\xff\xff\xff"; open("pkcs7.auth", "wb").write(g)
# digestAlgorithms naming an unknown digest (sha256's OID, last arc 127)
oid = bytes.fromhex("0609608648016503040201")
for src, dst in (("keys/db.auth", "unkmd.auth"), ("signed.efi", "unkmd.efi")):
    g = bytearray(open(src, "rb").read()); i = g.find(oid); g[i + 10] = 0x7F
    open(dst, "wb").write(g)
EOF
declare -A auth_msg=(
	[hdr]="too short for an authentication header" [cert]="WIN_CERTIFICATE length [0-9]+ does not fit the file"
	[data]="signature list at offset 0 claims" [wclen]="WIN_CERTIFICATE length"
	[wcshort]="WIN_CERTIFICATE length" [pkcs7]="not a DER PKCS#7 SignedData"
)
for v in hdr cert data wclen wcshort pkcs7; do
	hostile "auth $v: auth verify" "$v.auth" "${auth_msg[$v]}" \
		$B auth verify --signer keys/KEK.crt --var db "$v.auth"
done
# --- OCI layers (oci flatten / inspect) -----------------------------------
# oci.sh has the layout and media-type cases; these are the layer contents.
oci_hostile() { # CASE REGEX
	python3 "$H/make-oci.py" "$1" "oci-$1"
	rm -rf out && mkdir out
	check_fails "oci $1" 2 "^bootseal: oci flatten: $2" $B oci flatten "oci:oci-$1" "oci:out/dest"
	[ -z "$(ls -A out)" ] || not_ok "oci $1: left $(ls -A out | tr '\n' ' ')in the output directory"
	rm -rf "oci-$1"
}
oci_hostile dotdot "layer 1: etc/\\.\\./\\.\\./\\.\\./x: path has a '\\.\\.' component"
oci_hostile dotdot-escapes "layer 1: etc/\\\\x0a\\\\x1b\\[2J/\\.\\./\\.\\./x: path has a '\\.\\.' component"
oci_hostile hardlink-loop "layer 1: a: hardlink to 'b', which does not exist"
oci_hostile hardlink-self "layer 1: a: hardlink to 'a', which does not exist"
oci_hostile hardlink-dir "layer 1: etc-link: hardlink to the directory 'etc'"
oci_hostile hardlink-escape "layer 1: a: path has a '..' component"
oci_hostile symlink-escape "layer 1: x/shadow: path goes through the symlink 'x'"
oci_hostile bomb-truncated "layer 1: usr/zero: corrupt layer: truncated gzip"
oci_hostile pax-huge "layer 1: corrupt layer: "
oci_hostile sparse-huge "layer 1: usr/huge: sparse file: more than 1024 MiB of holes in the image"
oci_hostile sparse-many "layer 1: usr/s2: sparse file: more than 1024 MiB of holes in the image"
oci_hostile deep-json "([^ ]*/)?index.json: malformed JSON"
oci_hostile name256 "layer 1: etc/n{256}: name longer than 255 bytes"
# A directory tree 2000 levels deep (a path of 4000 bytes, one open
# directory per level): scanned without running out of stack, which a
# 4 KiB symlink buffer in every level's frame once did (SIGSEGV).
mkdir deep && (cd deep && for i in $(seq 2000); do mkdir a && cd a; done)
check "dir: a tree 2000 levels deep" bash -c 'ulimit -n 8192 && exec "$0" mkcomposefs deep out-deep.img' "$B"
check_eq "dir: and every level is in the image" 2001 "$($B composefs-info dump out-deep.img | wc -l)"
rm -rf deep out-deep.img
# 10^6 entries in one directory of a layer: read within 2 GiB and 120 s
# (about 4 s and 620 MB).
python3 "$H/make-oci.py" million oci-million
start=$SECONDS
check "oci: 10^6 entries in one directory within 2 GiB and 120 s" \
	bash -c "$limit exec timeout 120 \"\$0\" oci inspect --dump million.dump oci:oci-million" "$B"
echo "# oci, 10^6 entries: $((SECONDS - start)) s"
check_eq "oci: 10^6 entries listed" 1000000 "$(grep -c '^/d/f' million.dump)"
rm -rf oci-million million.dump
# An absolute path stays inside the image: /etc/passwd of the tree.
python3 "$H/make-oci.py" absolute oci-absolute
$B oci inspect --dump absolute.dump oci:oci-absolute >/dev/null
check "oci: an absolute path lands inside the tree" grep -q '^/etc/passwd 21 100644 ' absolute.dump
# A sparse entry reads as the zeros of its holes, as GNU tar extracts it.
python3 "$H/make-oci.py" sparse oci-sparse
# A FIFO for a blob, or for the archive, is refused at once, not waited on.
cp -a oci-sparse oci-fifo
layer=$(python3 -c 'import json,sys; d=sys.argv[1]; b=lambda g: f"{d}/blobs/sha256/{g[7:]}"; print(b(json.load(open(b(json.load(open(d + "/index.json"))["manifests"][0]["digest"])))["layers"][0]["digest"]))' oci-fifo)
rm "$layer" && mkfifo "$layer"
check_fails "oci: a FIFO for a layer blob" 2 "blob is not a regular file" timeout 60 $B oci inspect oci:oci-fifo
mkfifo archive.fifo
check_fails "oci: a FIFO for an oci-archive" 2 "archive.fifo: cannot open: not a regular file" \
	timeout 60 $B oci inspect oci-archive:archive.fifo
rm -rf oci-fifo archive.fifo
$B oci inspect --dump sparse.dump oci:oci-sparse >/dev/null
python3 -c 'import sys; sys.stdout.buffer.write(bytes(4096) + b"x" + bytes(4096))' >sparse.want
check_eq "oci: a sparse entry's digest is that of its zeros and data" \
	"$(fsverity digest --hash-alg=sha512 --compact sparse.want)" \
	"$(awk '$1 == "/usr/sparse" { print $11 }' sparse.dump)"
rm -rf oci-sparse sparse.dump sparse.want
# A gzip bomb (1 GiB of zeros in a 1 MB layer) is hashed as a stream: it
# takes seconds and a few MB, not 1 GiB of memory.
BOMB_GIB=1 python3 "$H/make-oci.py" bomb oci-bomb
start=$SECONDS
check "oci: a 1 GiB gzip bomb inspects within 512 MiB and 120 s" \
	bash -c "${limit/2097152/524288} exec timeout 120 \"\$0\" oci inspect oci:oci-bomb >/dev/null" "$B"
echo "# 1 GiB gzip bomb: $((SECONDS - start)) s"
rm -rf oci-bomb

# --- SELinux policies of a root filesystem (compute-composefs-digest) ------
# A policy is bounded in memory and in steps per lookup, and on average.
# policy_root LINES PATTERN: a root whose file_contexts is "/.*" and then
# LINES lines of PATTERN, with /usr/a...a (200 bytes) in it.
policy_root() {
	rm -rf root && mkdir -p root/etc/selinux/targeted/contexts/files root/usr/"$(printf 'a%.0s' $(seq 200))"
	echo SELINUXTYPE=targeted >root/etc/selinux/config
	awk -v n="$1" -v p="$2" 'BEGIN { print "/.* system_u:object_r:default_t:s0"
		for (i = 0; i < n; i++) print p " system_u:object_r:x_t:s0" }' \
		>root/etc/selinux/targeted/contexts/files/file_contexts
}
policy_hostile() { # NAME FILE REGEX
	hostile "selinux: $1" "$2" "SELinux file_contexts: $3" \
		$B compute-composefs-digest --create-missing-dirs --write-dumpfile-to out/x.dump root
}
policy_root 1200 '/[ab]{3000}'
policy_hostile "automata past 128 MiB" / "its patterns need more than 128 MiB compiled, at '/\\[ab\\]\\{3000\\}'"
policy_root 20000 '/usr/.*z'
policy_hostile "a lookup past 4096 steps a byte" "a{200}" "looking up this path takes more than 4096 steps a byte \\(at '/usr/\\.\\*z'\\)"
policy_root 20000 '/.*z'
policy_hostile "lookups past 1024 steps a byte on average" selinux "lookups take more than 1024 steps a byte on average"
# The same twenty thousand lines, if they cannot match, cost nothing.
policy_root 20000 '/nowhere/.*z'
check "selinux: 20000 lines that cannot match are fine" \
	$B compute-composefs-digest --create-missing-dirs --write-dumpfile-to x.dump root
check "selinux: ... and label" grep -q '^/usr/a* .*security.selinux=system_u:object_r:default_t:s0' x.dump
rm -rf root x.dump

# A signature no digest of which OpenSSL knows: verification fails (exit 1),
# and under ASan, without the leak OpenSSL's PKCS7_verify has there.
check_fails "auth: unknown digest algorithm" 1 "unkmd.auth: signature does not verify" \
	$B auth verify --signer keys/KEK.crt --var db unkmd.auth
check_fails "pe: unknown digest algorithm" 1 "unkmd.efi: " $B verify --cert keys/db.crt unkmd.efi
finish
