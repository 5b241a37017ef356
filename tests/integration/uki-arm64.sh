#!/usr/bin/env bash
# aarch64 UKIs from Debian's arm64 systemd-stub and kernel (downloaded by
# tests/fetch-arm64): the added sections follow the stub's without a gap,
# the signature is accepted by sbverify, osslsigncode and bootseal alike,
# and the stub is chosen by the kernel's architecture (ukify build,
# container ukify) or the image config's (seal). Booting one under
# Secure Boot is in tests/vm/aarch64.
source "$(dirname "$0")/../lib.sh"

need aarch64-linux-gnu-objdump aarch64-linux-gnu-objcopy sbverify osslsigncode openssl umoci apt-get apt-cache dpkg-deb cpio
cache=${BOOTSEAL_TEST_CACHE:-/var/cache/bootseal-test}/arm64
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$work/cache-arm64
if ! "$top/tests/fetch-arm64" "$cache" 2>"$work/fetch.err"; then
	not_ok "Debian's arm64 stub and kernel: $(cat "$work/fetch.err")"
	exit 1
fi
STUB=$cache/stub/linuxaa64.efi.stub
kernel=$(ls "$cache"/kernel/vmlinuz-* | head -1)
kver=${kernel##*/vmlinuz-}
X64_STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj /CN=bootseal-db -days 30 2>/dev/null
mkdir -p ird/etc && echo one >ird/etc/one
(cd ird && find . | cpio -o -H newc 2>/dev/null) >one.cpio
printf 'ID=bootseal-test\nVERSION_ID=1\n' >os-release

# --- Layout: no gap ---------------------------------------------------------
# Debian's stub (systemd 252) ends with 5 KiB that no section covers; the
# first added section must start where the stub's last one ends in the file.
check "ukify build from Debian's arm64 stub and kernel" "$BOOTSEAL" ukify build --linux "$kernel" \
	--initrd one.cpio --cmdline "console=ttyAMA0 ro" --os-release @os-release --stub "$STUB" \
	--secureboot-private-key db.key --secureboot-certificate db.crt --output uki.efi
hdr() { aarch64-linux-gnu-objdump -h "$1" | awk '$2 ~ /^\./ { print $2, $3, $6 }'; }
check_eq "sections in ukify's order" ".text .data .osrel .cmdline .uname .initrd .linux .sbat " \
	"$(hdr uki.efi | awk '{ print $1 }' | tr '\n' ' ')"
aarch64-linux-gnu-objcopy -O binary --only-section=.uname uki.efi uname.out
check_eq ".uname from the kernel's banner, as ukify scrapes it" "$kver" "$(cat uname.out)"
falign=$((0x$(aarch64-linux-gnu-objdump -p "$STUB" | awk '/^FileAlignment/ { print $2 }')))
read -r _ ssize soff < <(hdr "$STUB" | sort -k3 | tail -1)
stub_end=$((0x$soff + 0x$ssize))
read -r first _ foff < <(hdr uki.efi | sed -n 3p)
check_eq "the first added section ($first) starts where the stub's sections end" \
	"$(printf %x $stub_end)" "$(printf %x $((0x$foff)))"
gaps="" end=""
while read -r name size off; do
	[ -n "$end" ] && [ $((0x$off)) != "$end" ] && gaps+="$name at 0x$off, previous ends at $(printf 0x%x "$end"); "
	end=$((0x$off + (0x$size + falign - 1) / falign * falign))
done < <(hdr uki.efi | sort -k3)
check_eq "objdump -h shows no gap between sections" "" "$gaps"

# --- Signature: three verifiers, one digest ------------------------------------
check "sbverify --cert accepts it" sbverify --cert db.crt uki.efi
check "osslsigncode verify -CAfile accepts it" osslsigncode verify -CAfile db.crt -in uki.efi
check "bootseal verify accepts it" "$BOOTSEAL" verify --cert db.crt uki.efi
check "unsigned build" "$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio \
	--cmdline "console=ttyAMA0 ro" --os-release @os-release --stub "$STUB" --output unsigned.efi
check "sbsign signs bootseal's unsigned UKI" sbsign --key db.key --cert db.crt --output sbsigned.efi unsigned.efi
check "bootseal verify accepts sbsign's signature" "$BOOTSEAL" verify --cert db.crt sbsigned.efi
check "sbverify accepts bootseal sign's signature" bash -c \
	"'$BOOTSEAL' sign --key db.key --cert db.crt --output bssigned.efi unsigned.efi && sbverify --cert db.crt bssigned.efi"

# --- The stub follows the kernel's architecture ----------------------------------
if [ -e /usr/lib/systemd/boot/efi/linuxaa64.efi.stub ]; then
	check "no --stub: the aa64 stub for an arm64 kernel" "$BOOTSEAL" ukify build --linux "$kernel" \
		--os-release x --output default.efi
else
	check_fails "no --stub: the aa64 stub for an arm64 kernel (not installed here)" 2 \
		"/usr/lib/systemd/boot/efi/linuxaa64.efi.stub: cannot open" \
		"$BOOTSEAL" ukify build --linux "$kernel" --os-release x --output default.efi
fi
check_fails "--efi-arch x64 with an arm64 kernel is refused" 2 "linuxx64.efi.stub: the stub is for x64, the kernel for aa64" \
	"$BOOTSEAL" ukify build --linux "$kernel" --efi-arch x64 --os-release x --output mixed.efi
check_fails "an x64 --stub with an arm64 kernel is refused" 2 "the stub is for x64, the kernel for aa64" \
	"$BOOTSEAL" ukify build --linux "$kernel" --stub "$X64_STUB" --os-release x --output mixed.efi
check_fails "an unknown --efi-arch is refused" 2 "unknown EFI architecture 'sparc64'" \
	"$BOOTSEAL" ukify build --linux "$kernel" --efi-arch sparc64 --os-release x --output mixed.efi
check_eq "no UKI after a refusal" "" "$(ls mixed.efi 2>/dev/null)"

# container ukify on an arm64 rootfs: the image's own aa64 stub, and the
# kargs.d entries that match aarch64 (whatever the host is).
R=$work/rootfs
mkdir -p "$R/usr/lib/modules/$kver" "$R/usr/lib/bootc/kargs.d" "$R/usr/lib/systemd/boot/efi" "$R/boot" "$R/sysroot"
cp "$kernel" "$R/usr/lib/modules/$kver/vmlinuz"
cp one.cpio "$R/usr/lib/modules/$kver/initramfs.img"
cp os-release "$R/usr/lib/os-release"
printf 'kargs = ["console=ttyAMA0"]\n' >"$R/usr/lib/bootc/kargs.d/10-console.toml"
printf 'kargs = ["arm64only=1"]\nmatch-architectures = ["aarch64"]\n' >"$R/usr/lib/bootc/kargs.d/20-arm.toml"
printf 'kargs = ["x86only=1"]\nmatch-architectures = ["x86_64"]\n' >"$R/usr/lib/bootc/kargs.d/20-x86.toml"
if [ ! -e /usr/lib/systemd/boot/efi/linuxaa64.efi.stub ]; then
	check_fails "container ukify without a stub in the rootfs: the host's aa64 one (absent here)" 2 \
		"/usr/lib/systemd/boot/efi/linuxaa64.efi.stub: cannot open" \
		"$BOOTSEAL" container ukify --rootfs "$R" -- --output "$work/cu-host-stub.efi"
fi
cp "$STUB" "$R/usr/lib/systemd/boot/efi/linuxaa64.efi.stub"
digest=$("$BOOTSEAL" compute-composefs-digest "$R")
out=$("$BOOTSEAL" container ukify --rootfs "$R" -- --output "$work/cu.efi" 2>&1)
check_eq "container ukify: the aarch64 kargs.d entries" "console=ttyAMA0 arm64only=1 composefs=$digest" "$out"
check_eq "container ukify: an aarch64 UKI" "pei-aarch64-little" \
	"$(aarch64-linux-gnu-objdump -f cu.efi | sed -n 's/.*file format //p')"
read -r _ foff < <(hdr cu.efi | awk '$1 == ".osrel" { print $1, $3 }')
check_eq "container ukify: no gap after the stub" "$(printf %x $stub_end)" "$(printf %x $((0x${foff:-0})))"

# seal: the image config's architecture picks the image's stub (and kargs.d).
umoci init --layout img >/dev/null 2>&1 && umoci new --image img:arm64 >/dev/null 2>&1 &&
	umoci unpack --image img:arm64 bundle >/dev/null 2>&1 && cp -a "$R/." bundle/rootfs/ &&
	umoci repack --image img:arm64 bundle >/dev/null 2>&1 &&
	umoci config --image img:arm64 --architecture arm64 >/dev/null 2>&1 ||
	not_ok "an arm64 OCI image from the rootfs (umoci)"
check "seal an image whose config says arm64" "$BOOTSEAL" seal --key db.key --cert db.crt \
	oci:img:arm64 oci:sealed:arm64
umoci unpack --image sealed:arm64 sealed-bundle >/dev/null 2>&1
suki=sealed-bundle/rootfs/boot/EFI/Linux/$kver.efi
check_eq "seal: an aarch64 UKI" "pei-aarch64-little" \
	"$(aarch64-linux-gnu-objdump -f "$suki" 2>/dev/null | sed -n 's/.*file format //p')"
read -r _ foff < <(hdr "$suki" | awk '$1 == ".osrel" { print $1, $3 }')
check_eq "seal: no gap after the stub" "$(printf %x $stub_end)" "$(printf %x $((0x${foff:-0})))"
aarch64-linux-gnu-objcopy -O binary --only-section=.cmdline "$suki" sealed-cmdline.out 2>/dev/null
check "seal: the aarch64 kargs.d entries" grep -q "^console=ttyAMA0 arm64only=1 composefs=" sealed-cmdline.out
check "seal: sbverify accepts the UKI" sbverify --cert db.crt "$suki"
check "seal: osslsigncode accepts the UKI" osslsigncode verify -CAfile db.crt -in "$suki"
umoci config --image img:arm64 --tag amd64 --architecture amd64 >/dev/null 2>&1
check_fails "seal: a config saying amd64 looks for the x64 stub in the image" 2 \
	"usr/lib/systemd/boot/efi/linuxx64.efi.stub: not in the image" \
	"$BOOTSEAL" seal --key db.key --cert db.crt oci:img:amd64 oci:sealed:amd64

finish
