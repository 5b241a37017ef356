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
# One example image, sealed with and without --sign-bootloader; a second seal
# of it with a karg that gives a shell is the db-signed UKI an attacker holds.
"$top/scripts/make-example-image" "$work/b-ex" >/dev/null || { not_ok "example image builds"; exit 1; }
"$B" keygen --output-dir "$work/b-keys" >/dev/null
bk=(--key "$work/b-keys/db.key" --cert "$work/b-keys/db.crt")
"$B" seal "${bk[@]}" --sign-bootloader "oci:$work/b-ex/image:example" "oci:$work/b-good:s" >/dev/null
"$B" seal "${bk[@]}" "oci:$work/b-ex/image:example" "oci:$work/b-nosb:s" >/dev/null
"$B" seal "${bk[@]}" --sign-bootloader --karg init=/bin/sh "oci:$work/b-ex/image:example" "oci:$work/b-evil:s" >/dev/null
umoci unpack --image "$work/b-evil:s" "$work/b-evil-u" >/dev/null 2>&1
evil_uki=$(ls "$work"/b-evil-u/rootfs/boot/EFI/Linux/*.efi)
check "the attacker's UKI is signed by db" sbverify --cert "$work/b-keys/db.crt" "$evil_uki"
add_layer() { # IMAGE_DIR DIR: DIR's files (not its directories) as one more layer of IMAGE_DIR:s
	(cd "$2" && find . ! -type d | tar --owner=0 --group=0 --no-recursion -T - -cf "$work/b-layer.tar") &&
		umoci raw add-layer --image "$1:s" "$work/b-layer.tar" >/dev/null 2>&1
}
vs() { "$B" verify-seal --db "$work/b-keys/db.crt" "$@"; }

# 4. One more layer with /boot/EFI/BOOT/BOOTX64.EFI = the other seal's UKI.
cp -a "$work/b-good" "$work/b-att"
mkdir -p "$work/b-add/boot/EFI/BOOT" && cp "$evil_uki" "$work/b-add/boot/EFI/BOOT/BOOTX64.EFI"
add_layer "$work/b-att" "$work/b-add"
vs "oci:$work/b-att:s" >"$work/b-vs.out" 2>&1
check_eq "4: verify-seal fails on a layer after the seal adding /boot/EFI/BOOT/BOOTX64.EFI" 1 "$?"
check "4: and says which layer and file" grep -q '^FAIL seal-layer layer 3 of 3: holds /boot/EFI/BOOT/BOOTX64.EFI' "$work/b-vs.out"
check "4: and that nothing signs it" grep -q '^FAIL boot-binary /boot/EFI/BOOT/BOOTX64.EFI' "$work/b-vs.out"
check_fails "4: deploy --esp refuses it" 1 "boot/EFI/BOOT/BOOTX64.EFI: an EFI binary in /boot that is not a UKI" \
	"$B" deploy --allow-missing-verity --esp "$work/b-esp" --keys "$work/b-keys" "oci:$work/b-att:s" "$work/b-repo"
check "4: and writes no ESP and no repository" test ! -e "$work/b-esp" -a ! -e "$work/b-repo"
check "4: the sealed image alone still verifies" vs "oci:$work/b-good:s"

# 4. The same file, but the seal's UKI layer put back on top of it: the
# last layer is UKI-only, the file in /boot is still refused.
umoci unpack --image "$work/b-good:s" "$work/b-good-u" >/dev/null 2>&1
cp -a "$work/b-att" "$work/b-reorder2"
mkdir -p "$work/b-uki/boot/EFI/Linux" && cp "$work"/b-good-u/rootfs/boot/EFI/Linux/*.efi "$work/b-uki/boot/EFI/Linux/"
add_layer "$work/b-reorder2" "$work/b-uki"
vs "oci:$work/b-reorder2:s" >"$work/b-vs.out" 2>&1
check_eq "4: verify-seal fails when the UKI layer is repeated after the added one" 1 "$?"
check "4: naming the binary in /boot" grep -q '^FAIL boot-binary /boot/EFI/BOOT/BOOTX64.EFI' "$work/b-vs.out"

# 4. A layer after the seal that changes nothing the digest sees (a file
# rewritten as it was, a boot loader entry): only the layer shows it.
cp -a "$work/b-good" "$work/b-same"
mkdir -p "$work/b-same-add/usr/lib" "$work/b-same-add/boot/loader/entries"
cp -a "$work/b-good-u/rootfs/usr/lib/os-release" "$work/b-same-add/usr/lib/os-release"
printf 'title x\nefi /EFI/BOOT/x.efi\n' >"$work/b-same-add/boot/loader/entries/x.conf"
add_layer "$work/b-same" "$work/b-same-add"
vs "oci:$work/b-same:s" >"$work/b-vs.out" 2>&1
check_eq "4: verify-seal fails on a layer after the seal the digest does not see" 1 "$?"
check "4: composefs digest still matches (the hole)" grep -q '^ok   composefs-digest' "$work/b-vs.out"
check "4: the extra layer is named" grep -q '^FAIL seal-layer layer 3 of 3: holds /' "$work/b-vs.out"

# 4. A directory (an unpacked image) with the file in /boot.
cp -a "$work/b-good-u/rootfs" "$work/b-dir"
mkdir -p "$work/b-dir/boot/EFI/BOOT" && cp "$evil_uki" "$work/b-dir/boot/EFI/BOOT/BOOTX64.EFI"
vs "dir:$work/b-dir" >"$work/b-vs.out" 2>&1
check_eq "4: verify-seal of a directory with an EFI binary in /boot fails" 1 "$?"
check_fails "4: seal refuses an input with an EFI binary in /boot" 2 "holds an EFI binary in /boot" \
	"$B" seal "${bk[@]}" "oci:$work/b-att:s" "oci:$work/b-resealed:s"

# 6. An image sealed without --sign-bootloader: its ESP would stop booting
# once the keys are enrolled.
check_fails "6: deploy --esp --keys refuses an unsigned systemd-boot" 1 \
	"systemd-bootx64.efi: systemd-boot does not verify against the db.*--sign-bootloader" \
	"$B" deploy --allow-missing-verity --esp "$work/b-esp6" --keys "$work/b-keys" "oci:$work/b-nosb:s" "$work/b-repo6"
check "6: and writes nothing" test ! -e "$work/b-esp6" -a ! -e "$work/b-repo6"
check_fails "6: deploy --esp with no db to check against refuses too" 1 "no db to check systemd-boot against" \
	"$B" deploy --allow-missing-verity --esp "$work/b-esp6" "oci:$work/b-nosb:s" "$work/b-repo6"
"$B" deploy --allow-missing-verity --allow-unsigned-bootloader --esp "$work/b-esp6" --keys "$work/b-keys" \
	"oci:$work/b-nosb:s" "$work/b-repo6" >"$work/b-dep.out"
check_eq "6: --allow-unsigned-bootloader deploys it" 0 "$?"
check "6: and says UNSIGNED" grep -q 'systemd-boot: UNSIGNED' "$work/b-dep.out"
"$B" keygen --output-dir "$work/b-other" >/dev/null
check_fails "6: a UKI and systemd-boot signed by another db are refused" 1 "does not verify against the db" \
	"$B" deploy --allow-missing-verity --esp "$work/b-esp6b" --db "$work/b-other/db.crt" \
	"oci:$work/b-good:s" "$work/b-repo6b"
"$B" deploy --allow-missing-verity --esp "$work/b-esp6c" --keys "$work/b-keys" "oci:$work/b-good:s" \
	"$work/b-repo6c" >"$work/b-dep.out"
check_eq "6: an image sealed with --sign-bootloader deploys" 0 "$?"
check "6: its BOOTX64.EFI verifies against db (sbverify)" sbverify --cert "$work/b-keys/db.crt" "$work/b-esp6c/EFI/BOOT/BOOTX64.EFI"
check "6: scripts/example seals with --sign-bootloader" grep -q 'seal .*--sign-bootloader' "$top/scripts/example"

# 7. A link in the tree must not take a write, or a read, outside it.
rm -rf "$work/b-outside" && mkdir -p "$work/b-outside"
umoci unpack --image "$work/b-ex/image:example" "$work/b-ex-u" >/dev/null 2>&1
cp -a "$work/b-ex-u/rootfs" "$work/b-t7"
ln -s "$work/b-outside" "$work/b-t7/boot/EFI"
check_fails "7: seal dir: with a symlink at ROOT/boot/EFI is refused" 2 "b-t7/boot/EFI: a symbolic link in the path" \
	"$B" seal "${bk[@]}" "dir:$work/b-t7"
check_eq "7: and writes nothing outside the tree" "" "$(ls -A "$work/b-outside")"
rm -rf "$work/b-t7" && cp -a "$work/b-ex-u/rootfs" "$work/b-t7" && mkdir "$work/b-t7/boot/EFI"
ln -s "$work/b-outside" "$work/b-t7/boot/EFI/Linux"
check_fails "7: seal dir: with a symlink at ROOT/boot/EFI/Linux is refused" 2 "b-t7/boot/EFI/Linux: a symbolic link in the path" \
	"$B" seal "${bk[@]}" "dir:$work/b-t7"
check_eq "7: and writes nothing outside the tree" "" "$(ls -A "$work/b-outside")"
rm -rf "$work/b-t7" && cp -a "$work/b-ex-u/rootfs" "$work/b-t7"
mv "$work/b-t7/boot" "$work/b-outside/boot" && ln -s "$work/b-outside/boot" "$work/b-t7/boot"
check_fails "7: seal dir: with ROOT/boot a symlink is refused" 2 "b-t7/boot: a symbolic link in the path" \
	"$B" seal "${bk[@]}" "dir:$work/b-t7"
check_eq "7: and writes nothing outside the tree" "" "$(ls -A "$work/b-outside/boot")"

# --- 8-11: resources ---------------------------------------------------------

# --- 13-15: crash safety and secrets -----------------------------------------

finish
