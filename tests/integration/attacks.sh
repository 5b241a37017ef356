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
