#!/usr/bin/env bash
# deploy and mount on a real filesystem: an ext4 image made with -O verity on
# a loop device (root). The sealed example image is deployed; object names
# are checked against `fsverity digest` (and `fsverity measure` where the
# kernel has fs-verity), the image is mounted through bootseal mount and a
# file compared, then objects and the image are tampered with.
# A kernel without CONFIG_FS_VERITY (uname -r's config) cannot enable
# fs-verity: the checks that need it are reported as "# skip" and the
# enforcement is proven by tests/vm/run under a Debian kernel (README).
. "$(dirname "$0")/../lib.sh"
need mkfs.ext4 losetup fsverity sbverify cmp umoci findmnt
if [ "$(id -u)" != 0 ]; then
	not_ok "deploy.sh runs as root (loop devices, mounts)"
	exit 1
fi
if [ ! -e /dev/loop-control ]; then
	not_ok "loop devices are available (/dev/loop-control missing: modprobe loop)"
	exit 1
fi

loop=
cleanup() {
	for m in "$work/root" "$work/mnt"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	[ -n "$loop" ] && losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT

"$top/scripts/make-example-image" "$work/ex" >/dev/null || { not_ok "example image builds"; exit 1; }
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" --sign-bootloader --json \
	"oci:$work/ex/image:example" "oci:$work/sealed:s" >"$work/seal.json" || { not_ok "seal"; exit 1; }
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$work/seal.json")
kver=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kver"])' "$work/seal.json")

truncate -s 256M "$work/disk.img"
mkfs.ext4 -q -b 4096 -O verity "$work/disk.img" || { not_ok "mkfs.ext4 -b 4096 -O verity"; exit 1; }
loop=$(losetup -f --show "$work/disk.img") || { not_ok "a free loop device"; exit 1; }
mkdir -p "$work/mnt" "$work/root"
mount "$loop" "$work/mnt" || { not_ok "mount the ext4 image"; exit 1; }
repo=$work/mnt/composefs

# Does this kernel enable fs-verity at all?
printf 'probe' >"$work/mnt/probe"
verity=0
fsverity enable --hash-alg=sha512 "$work/mnt/probe" 2>/dev/null && verity=1
rm -f "$work/mnt/probe"
[ "$verity" = 1 ] || echo "# skip: this kernel ($(uname -r)) has no fs-verity: enforcement checks run in tests/vm/run"

esp=(--esp "$work/esp" --keys "$work/keys")
if [ "$verity" = 1 ]; then
	check "deploy" "$BOOTSEAL" deploy "${esp[@]}" "oci:$work/sealed:s" "$repo"
	insecure=
else
	check_fails "deploy: a kernel without fs-verity is an environment problem" 3 "cannot enable fs-verity" \
		"$BOOTSEAL" deploy "${esp[@]}" "oci:$work/sealed:s" "$repo"
	check "deploy --allow-missing-verity" "$BOOTSEAL" deploy --allow-missing-verity "${esp[@]}" "oci:$work/sealed:s" "$repo"
	insecure='?'
fi
check "images/<digest> is the sealed digest, a link into objects/" \
	test "$(readlink "$repo/images/$digest")" = "../objects/${digest:0:2}/${digest:2}"

# meta.json: composefs-rs's RepoMetadata for bootc's repository (SHA-512,
# EROFS V1 by default), which serde_json prints as Python's json does.
want_meta=$(python3 -c 'import json; print(json.dumps({"version": 1, "algorithm": "fsverity-sha512-12",
	"features": {"compatible": [], "read-only-compatible": ["v1_erofs"], "incompatible": []},
	"erofs_formats": {"default": 1}}, indent=2))')
check_eq "meta.json is composefs-rs's for bootc's repository" "$want_meta" "$(cat "$repo/meta.json")"
if [ "$verity" = 1 ]; then
	check "meta.json has fs-verity (every object must)" fsverity measure "$repo/meta.json"
fi
mkdir -p "$work/mnt/repo-sha256"
echo '{"version":1,"algorithm":"fsverity-sha256-12","features":{}}' >"$work/mnt/repo-sha256/meta.json"
check_fails "deploy refuses a SHA-256 repository" 2 \
	"repo-sha256/meta.json: the repository's objects are fsverity-sha256-12, bootc's are fsverity-sha512-12" \
	"$BOOTSEAL" deploy ${insecure:+--allow-missing-verity} "oci:$work/sealed:s" "$work/mnt/repo-sha256"
check_eq "and adds nothing to it" "meta.json" "$(ls "$work/mnt/repo-sha256")"
rm -rf "$work/mnt/repo-sha256"

# Every object is named by its fs-verity digest (the peer computes it).
bad=0
n=0
for o in "$repo"/objects/*/*; do
	name=$(basename "$(dirname "$o")")$(basename "$o")
	got=$(fsverity digest --hash-alg=sha512 --compact "$o")
	[ "$got" = "$name" ] || { bad=$((bad + 1)); echo "#   $o: $got"; }
	if [ "$verity" = 1 ]; then
		m=$(fsverity measure --compact "$o" 2>&1)
		[ "$m" = "sha512:$name" ] || [ "$m" = "$name" ] || { bad=$((bad + 1)); echo "#   measure $o: $m"; }
	fi
	n=$((n + 1))
done
check_eq "every object's name is its fs-verity digest ($n objects)" 0 "$bad"

# The ESP.
(cd "$work" && umoci unpack --image sealed:s u >/dev/null 2>&1)
check "ESP: the UKI" cmp "$work/esp/EFI/Linux/$kver.efi" "$work/u/rootfs/boot/EFI/Linux/$kver.efi"
check "ESP: BOOTX64.EFI is signed by db" sbverify --cert "$work/keys/db.crt" "$work/esp/EFI/BOOT/BOOTX64.EFI"
check "ESP: systemd-bootx64.efi = BOOTX64.EFI" cmp "$work/esp/EFI/BOOT/BOOTX64.EFI" "$work/esp/EFI/systemd/systemd-bootx64.efi"
for k in PK KEK db; do
	check "ESP: loader/keys/auto/$k.auth" cmp "$work/keys/loader/keys/auto/$k.auth" "$work/esp/loader/keys/auto/$k.auth"
done
check_eq "ESP: loader.conf" "secure-boot-enroll force" "$(cat "$work/esp/loader/loader.conf")"

# A directory source: the same repository, objects read from the tree.
check "deploy dir:" "$BOOTSEAL" deploy ${insecure:+--allow-missing-verity} "dir:$work/u/rootfs" "$work/mnt/repo-dir"
check "deploy dir: writes the same repository as oci:" diff -r "$repo" "$work/mnt/repo-dir"
rm -rf "$work/mnt/repo-dir"
cp -a "$work/u/rootfs" "$work/changed"
echo changed >>"$work/changed/usr/lib/os-release"
check_fails "deploy refuses a tree its UKI was not sealed for" 1 "the UKI is sealed for composefs=" \
	"$BOOTSEAL" deploy --allow-missing-verity "dir:$work/changed" "$work/mnt/repo-changed"
check "and writes nothing" test ! -e "$work/mnt/repo-changed"

# Mounting.
if [ "$verity" = 0 ]; then
	check_fails "mount refuses an image without fs-verity" 1 "fs-verity not enabled" \
		"$BOOTSEAL" mount --digest "$digest" "$repo" "$work/root"
fi
check "mount --digest ${insecure}HEX" "$BOOTSEAL" mount --digest "$insecure$digest" "$repo" "$work/root"
opts=$(findmnt -n -o OPTIONS "$work/root")
check "the root is an overlay with metacopy and redirect_dir" grep -q 'redirect_dir=on,metacopy=on' <<<"$opts"
[ "$verity" = 1 ] && check "the overlay has verity=require" grep -q 'verity=require' <<<"$opts"
check_eq "a file through the overlay" "$(cat "$work/u/rootfs/usr/lib/os-release")" "$(cat "$work/root/usr/lib/os-release")"
check "the kernel through the overlay" cmp "$work/u/rootfs/usr/lib/modules/$kver/vmlinuz" "$work/root/usr/lib/modules/$kver/vmlinuz"
check "/boot is empty, as bootc's tree" test -z "$(ls -A "$work/root/boot")"
umount "$work/root"
check "mount --loop (the path of kernels before 6.12)" "$BOOTSEAL" mount --loop --digest "$insecure$digest" "$repo" "$work/root"
check "through a read-only loop device on the image" \
	bash -c "losetup -l -n -O NAME,RO,AUTOCLEAR,BACK-FILE | grep -E '1 +1 +.*${digest:2:20}'"
check_eq "a file through the overlay (loop)" "$(cat "$work/u/rootfs/usr/lib/os-release")" "$(cat "$work/root/usr/lib/os-release")"
umount "$work/root"
sleep 0.2
check "the loop device goes with the mount" bash -c "! losetup -l -n -O BACK-FILE | grep -q '${digest:2:20}'"

# A tampered object: a fresh file of other content (fs-verity files are
# read-only), with fs-verity enabled when the kernel can.
obj=$(fsverity digest --hash-alg=sha512 --compact "$work/u/rootfs/usr/lib/os-release")
obj=$repo/objects/${obj:0:2}/${obj:2}
cp "$obj" "$work/obj.orig"
sed 's/Debian/Evilix/' "$work/obj.orig" >"$work/mnt/tampered"
rm -f "$obj" && mv "$work/mnt/tampered" "$obj"
if [ "$verity" = 1 ]; then
	fsverity enable --hash-alg=sha512 "$obj"
	"$BOOTSEAL" mount --digest "$digest" "$repo" "$work/root"
	check_fails "a tampered object: EIO through the overlay (verity=require)" 1 "Input/output error" \
		cat "$work/root/usr/lib/os-release"
	check "other files still read" cmp "$work/u/rootfs/usr/lib/modules/$kver/vmlinuz" "$work/root/usr/lib/modules/$kver/vmlinuz"
	umount "$work/root"
else
	echo "# skip: a tampered object gives EIO (needs fs-verity; tests/vm/run)"
fi
check "deploy again restores the object" "$BOOTSEAL" deploy ${insecure:+--allow-missing-verity} "oci:$work/sealed:s" "$repo"
check "the restored object" cmp "$work/obj.orig" "$obj"

# A tampered image: replaced by another valid composefs image.
img=$repo/objects/${digest:0:2}/${digest:2}
cp "$img" "$work/img.orig"
"$BOOTSEAL" mkcomposefs --format v1 --hash sha512 "$work/esp" "$work/mnt/other.cfs" >/dev/null
rm -f "$img" && mv "$work/mnt/other.cfs" "$img"
[ "$verity" = 1 ] && fsverity enable --hash-alg=sha512 "$img"
check_fails "a replaced image: mount refuses" 1 "fs-verity digest mismatch" \
	"$BOOTSEAL" mount --digest "$insecure$digest" "$repo" "$work/root"
check "and mounts nothing" bash -c "! mountpoint -q '$work/root'"
check_fails "a digest with no image" 2 "cannot open" \
	"$BOOTSEAL" mount --digest "$insecure$(printf '0%.0s' {1..128})" "$repo" "$work/root"
check_fails "not a digest" 2 "not a composefs digest" "$BOOTSEAL" mount --digest abc "$repo" "$work/root"
finish
