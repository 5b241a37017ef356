#!/usr/bin/env bash
# The seal must not be subvertible (issue 17): one case per attack an image
# author, a later layer or a crafted file could try. docs/threat-model.md says
# who is trusted and which check stops what. Each case failed on the code
# before its fix.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo sbverify objcopy python3
B=$BOOTSEAL
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000

# --- 1-3, 5, 12: what the signed command line and signature may say ---------

# --- 4, 6, 7: /boot after the seal, the bootloader, escapes from the tree ---

# --- 8-11: resources ---------------------------------------------------------
# An image may ask for any amount of work; each input has a bound, and past it
# the command stops at once with an error naming the bound.
H=$top/tests/hostile
"$B" keygen --output-dir res-keys >/dev/null
reskeys=(--key res-keys/db.key --cert res-keys/db.crt)
python3 "$H/make-bootable.py" res-plain

# 8: kargs.d merges in linear time, and a command line the kernel would cut
# (COMMAND_LINE_SIZE 2048 on x86_64, NUL included) is refused, not signed.
python3 "$H/make-bootable.py" res-kargs --kargs 4 16000
start=$SECONDS
check_fails "8: kargs.d of 4 x 16,000 arguments: refused, naming COMMAND_LINE_SIZE" 2 \
	"^bootseal: seal: oci:res-kargs:t: kernel command line of [0-9]+ bytes; the x86_64 kernel keeps at most 2047 \(COMMAND_LINE_SIZE 2048\)" \
	timeout 120 "$B" seal "${reskeys[@]}" oci:res-kargs:t oci:res-out8:s
check "8: and in seconds, not minutes" test $((SECONDS - start)) -lt 10
# "rw composefs=<128 hex>" is 141 bytes; a --karg of 1905 makes 2047.
pad=a=$(printf 'x%.0s' $(seq 1903))
check "8: a command line of 2047 bytes is sealed" \
	"$B" seal "${reskeys[@]}" --karg "$pad" oci:res-plain:t oci:res-out8b:s
check_fails "8: one of 2048 bytes is refused" 2 "kernel command line of 2048 bytes" \
	"$B" seal "${reskeys[@]}" --karg "${pad}x" oci:res-plain:t oci:res-out8c:s

# 9: a compressed oci-archive is not unpacked whole: only what the index
# leads to is. Its first member is 64 MiB of zeros nothing references (a
# gzip of 4 GiB of them is 4 MiB); with files capped at 16 MiB, unpacking it
# would be killed. Its layer, of 6 MiB, is unpacked in a second pass.
python3 "$H/make-bootable.py" res-filler --filler $((6 << 20))
python3 - res-filler res-arch.tar.gz $((64 << 20)) <<'PY'
import gzip, io, os, sys, tarfile
src, out, big = sys.argv[1], sys.argv[2], int(sys.argv[3])
class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readable(self): return True
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k
with gzip.open(out, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add(f"{src}/oci-layout", "oci-layout")
    ti = tarfile.TarInfo("blobs/sha256/" + "0" * 64)
    ti.size = big
    t.addfile(ti, io.BufferedReader(Zeros(big), 1 << 20))
    for name in sorted(os.listdir(f"{src}/blobs/sha256")):
        t.add(f"{src}/blobs/sha256/{name}", f"blobs/sha256/{name}")
    t.add(f"{src}/index.json", "index.json")
PY
"$B" oci inspect oci:res-filler:t >res-inspect.want
check_eq "9: oci inspect of the archive unpacks only what the index references" "$(cat res-inspect.want)" \
	"$(ulimit -f $((16 << 10)); "$B" oci inspect oci-archive:res-arch.tar.gz 2>&1)"
check "9: and seal reads its layers from it" \
	sh -c "ulimit -f $((16 << 10)) && '$B' seal --key res-keys/db.key --cert res-keys/db.crt oci-archive:res-arch.tar.gz oci:res-out9:s"
check_eq "9: the same seal as from the layout" "$("$B" seal "${reskeys[@]}" oci:res-filler:t oci:res-out9b:s)" \
	"$("$B" seal "${reskeys[@]}" oci-archive:res-arch.tar.gz oci:res-out9c:s)"

# 10: kernel 256 MiB, initramfs 512 MiB, a UKI or other boot file 784 MiB
# (uki.h), checked before a byte is read. The big files are sparse tar
# entries: a few bytes in the layer, as a gzip of zeros would be.
python3 "$H/make-bootable.py" res-kernel --kernel-size $(((256 << 20) + 4096))
check_fails "10: a kernel past 256 MiB is refused, naming the bound" 2 \
	"^bootseal: seal: usr/lib/modules/[^:]*/vmlinuz: kernel of 268439552 bytes, past the bound of 268435456 \(256 MiB\)" \
	"$B" seal "${reskeys[@]}" oci:res-kernel:t oci:res-out10:s
python3 "$H/make-bootable.py" res-initrd --initramfs-size $(((512 << 20) + 4096))
check_fails "10: an initramfs past 512 MiB is refused, naming the bound" 2 \
	"^bootseal: seal: usr/lib/modules/[^:]*/initramfs.img: initramfs of 536875008 bytes, past the bound of 536870912 \(512 MiB\)" \
	"$B" seal "${reskeys[@]}" oci:res-initrd:t oci:res-out10:s
python3 "$H/make-bootable.py" res-uki --uki-size $((1 << 30))
for cmd in verify-seal deploy; do
	case $cmd in
	verify-seal) args=(--db res-keys/db.crt oci:res-uki:t) ;;
	deploy) args=(oci:res-uki:t res-repo) ;;
	esac
	check_fails "10: $cmd: a 1 GiB file under /boot/EFI/Linux is refused, naming the bound" 2 \
		"^bootseal: $cmd: layer 1: boot/EFI/Linux/big.efi: 1073741824 bytes, past the bound of 822083584 \(784 MiB\) on a boot file" \
		"$B" "$cmd" "${args[@]}"
done
check "10: deploy left no repository behind" test ! -e res-repo
mkdir -p res-dir/boot/EFI/Linux && truncate -s 1G res-dir/boot/EFI/Linux/big.efi
check_fails "10: verify-seal dir:, the same file on disk, is refused, naming the bound" 2 \
	"^bootseal: verify-seal: [^:]*res-dir/boot/EFI/Linux/big.efi: larger than 822083584 bytes \(784 MiB\), the bound on a boot file" \
	"$B" verify-seal --db res-keys/db.crt "dir:$work/res-dir"

# 11: a dump's size must fit the 1024 chunk pointers of 8 TiB that composefs
# gives a file (2^53 bytes). 2^64 - 1 rounded up to chunks wrapped to none,
# and fsck.erofs then spent the better part of an hour on a 16 KiB image.
need fsck.erofs
dumproot='/ 0 40755 2 0 0 0 0.0 - - -'
for size in 18446744073709551615 18446735277616529409 9007199254740993; do
	printf '%s\n/f %s 100644 1 0 0 0 0.0 ab/cdef - -\n' "$dumproot" "$size" >res-size.dump
	check_fails "11: a dump file of $size bytes is refused, naming the bound" 2 \
		"^bootseal: mkcomposefs: res-size.dump: line 2: file size $size is too big for a composefs image: at most 9007199254740992 bytes" \
		"$B" mkcomposefs --from-file res-size.dump res-size.img
done
printf '%s\n/f 9007199254740992 100644 1 0 0 0 0.0 ab/cdef - -\n' "$dumproot" >res-size.dump
check "11: a file of 2^53 bytes, the bound, is written" "$B" mkcomposefs --from-file res-size.dump res-size.img
check "11: and fsck.erofs checks it in seconds" timeout 60 fsck.erofs res-size.img

# --- 13-15: crash safety and secrets -----------------------------------------

finish
