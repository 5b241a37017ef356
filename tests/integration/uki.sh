#!/usr/bin/env bash
# UKI assembly and Authenticode against Debian's peers: objdump/objcopy read
# the layout, sbverify/osslsigncode/pesign accept our signatures, sbsign's
# signature is reproduced byte for byte, and hostile PE inputs are refused.
source "$(dirname "$0")/../lib.sh"

need objdump objcopy sbsign sbverify sbattach osslsigncode pesign openssl apt-get apt-cache dpkg-deb cpio
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || { not_ok "systemd-boot-efi stub is installed"; exit 1; }

# A Debian kernel, downloaded (not installed) once and kept between runs.
cache=${BOOTSEAL_TEST_CACHE:-/var/cache/bootseal-test}
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$work/cache
mkdir -p "$cache"
kernel=$(ls "$cache"/kernel/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -z "$kernel" ]; then
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	ls "$cache"/"$pkg"_*.deb >/dev/null 2>&1 || (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1)
	deb=$(ls "$cache"/"$pkg"_*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || { not_ok "download $pkg (network?)"; exit 1; }
	dpkg-deb -x "$deb" "$cache/kernel.tmp" && mkdir -p "$cache/kernel/boot" &&
		mv "$cache"/kernel.tmp/boot/vmlinuz-* "$cache/kernel/boot/" && rm -rf "$cache/kernel.tmp"
	kernel=$(ls "$cache"/kernel/boot/vmlinuz-* | head -1)
fi
kver=${kernel##*/vmlinuz-}

cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj /CN=bootseal-db -days 30 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -subj /CN=other -days 30 2>/dev/null
mkdir -p ird1/etc ird2/bin
echo one >ird1/etc/one; echo two >ird2/bin/two
(cd ird1 && find . | cpio -o -H newc 2>/dev/null) >one.cpio
(cd ird2 && find . | cpio -o -H newc 2>/dev/null | gzip -n) >two.cpio.gz
printf 'ID=bootseal-test\nVERSION_ID=1\n' >os-release

# --- UKI layout -------------------------------------------------------------
check "ukify build" "$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio --initrd two.cpio.gz \
	--cmdline "  root=/dev/vda   ro quiet " --os-release @os-release --stub "$STUB" --output uki.efi

hdr() { objdump -h "$1" | awk '$2 ~ /^\./ { print $2, $3, $4, $6 }'; }
names=$(hdr uki.efi | awk '{ print $1 }' | tr '\n' ' ')
check_eq "sections in ukify's order" ".text .reloc .data .dynamic .rela .dynsym .sbat .sdmagic .osrel .cmdline .uname .initrd .linux " "$names"

# The first new section sits at the next SectionAlignment boundary after the
# stub's last section; each next one after the previous, all aligned.
salign=$((0x$(objdump -p "$STUB" | awk '/^SectionAlignment/ { print $2 }')))
falign=$((0x$(objdump -p "$STUB" | awk '/^FileAlignment/ { print $2 }')))
read -r _ size vma _ < <(hdr "$STUB" | tail -1)
want=$(((0x$vma + 0x$size + salign - 1) / salign * salign))
layout_ok=1 prev_end=0
while read -r name size vma off; do
	case $name in .osrel | .cmdline | .uname | .initrd | .linux) ;; *) continue ;; esac
	[ "$prev_end" = 0 ] && [ $((0x$vma)) != "$want" ] && { layout_ok=0; echo "# $name at $vma, want $(printf %x $want)"; }
	[ $((0x$vma % salign)) = 0 ] && [ $((0x$off % falign)) = 0 ] && [ $((0x$vma)) -ge "$prev_end" ] ||
		{ layout_ok=0; echo "# $name misplaced: vma $vma off $off"; }
	prev_end=$((0x$vma + 0x$size))
done < <(hdr uki.efi)
check_eq "new sections aligned after the stub's last section" 1 "$layout_ok"

objcopy -O binary --only-section=.cmdline uki.efi cmdline.out
check_eq ".cmdline has ukify's whitespace rules" "root=/dev/vda ro quiet" "$(cat cmdline.out)"
objcopy -O binary --only-section=.uname uki.efi uname.out
check_eq ".uname read from the kernel header" "$kver" "$(cat uname.out)"
objcopy -O binary --only-section=.osrel uki.efi osrel.out
check "os-release copied verbatim" cmp osrel.out os-release
# Several initrds are concatenated, each padded to 4 bytes.
{ cat one.cpio; head -c $(((4 - $(stat -c %s one.cpio) % 4) % 4)) /dev/zero; cat two.cpio.gz
  head -c $(((4 - $(stat -c %s two.cpio.gz) % 4) % 4)) /dev/zero; } >initrd.want
objcopy -O binary --only-section=.initrd uki.efi initrd.out
check "initrds concatenated on 4-byte boundaries" cmp initrd.out initrd.want
objcopy -O binary --only-section=.linux uki.efi linux.out
check "kernel copied intact" cmp -n "$(stat -c %s "$kernel")" linux.out "$kernel"
objcopy -O binary --only-section=.sbat uki.efi sbat.out
objcopy -O binary --only-section=.sbat "$STUB" stub-sbat.out
check "stub SBAT entries kept" grep -qF "$(sed -n 2p stub-sbat.out)" sbat.out
check "UKI SBAT entry added" grep -q '^uki,1,UKI,uki,1,' sbat.out
check "ukify inspect prints .cmdline" bash -c "'$BOOTSEAL' ukify inspect uki.efi | grep -qx '    root=/dev/vda ro quiet'"
check "ukify inspect lists .linux" bash -c "'$BOOTSEAL' ukify inspect uki.efi | grep -q '^.linux '"
# A UKI's text is the image author's: a terminal escape in it is shown, not sent.
printf 'ro quiet\033[2J\033]0;owned\007' >esc.cmdline
check "ukify build with control bytes in .cmdline" "$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio \
	--cmdline @esc.cmdline --os-release @os-release --stub "$STUB" --output esc.efi
check_eq "ukify inspect shows them as \\xNN" '    ro quiet\x1b[2J\x1b]0;owned\x07' \
	"$("$BOOTSEAL" ukify inspect esc.efi | grep -a '^    ro quiet')"

# --- Signatures ---------------------------------------------------------------
check "ukify build signed" "$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio --cmdline "ro" \
	--os-release @os-release --stub "$STUB" --secureboot-private-key db.key \
	--secureboot-certificate db.crt --output signed.efi
check "sbverify accepts our UKI signature" sbverify --cert db.crt signed.efi
check "osslsigncode accepts our UKI signature" osslsigncode verify -CAfile db.crt -in signed.efi
check "pesign lists our signature" bash -c "pesign -S -i signed.efi | grep -q 'common name is bootseal-db'"
check "bootseal verify accepts our UKI" "$BOOTSEAL" verify --cert db.crt signed.efi

# signingTime of the signature at table offset SKIP (default: the first one)
# of a signed image, as seconds since the epoch.
signing_time() {
	local off len t
	read -r off len < <(objdump -p "$1" | awk '/Security Directory/ { print $3, $4 }')
	tail -c +$((0x$off + ${2:-0} + 9)) "$1" >"$1.sig"
	t=$(openssl asn1parse -inform DER -in "$1.sig" 2>/dev/null | grep -A2 ':signingTime' | sed -n 's/.*UTCTIME *:\([0-9]*\)Z.*/\1/p' | head -1)
	date -u -d "20${t:0:2}-${t:2:2}-${t:4:2} ${t:6:2}:${t:8:2}:${t:10:2}" +%s
}

check "ukify build unsigned" "$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio --cmdline "ro" \
	--os-release @os-release --stub "$STUB" --output unsigned.efi
for img in "$STUB" unsigned.efi; do
	name=$(basename "$img")
	sbsign --key db.key --cert db.crt --output "sb-$name" "$img" 2>/dev/null
	# sbsign signs the current time into signingTime; give ours the same second.
	SOURCE_DATE_EPOCH=$(signing_time "sb-$name") "$BOOTSEAL" sign --key db.key --cert db.crt \
		--output "bs-$name" "$img"
	check "signature of $name equals sbsign's byte for byte" cmp "sb-$name" "bs-$name"
	check "bootseal verify accepts sbsign's signature on $name" "$BOOTSEAL" verify --cert db.crt "sb-$name"
	check "sbverify accepts ours on $name" sbverify --cert db.crt "bs-$name"
	check "osslsigncode accepts ours on $name" osslsigncode verify -CAfile db.crt -in "bs-$name"
done
sbsign --detached --key db.key --cert db.crt --output sb.pk7 unsigned.efi 2>/dev/null
SOURCE_DATE_EPOCH=$(date -u -d "$(openssl pkcs7 -inform DER -in sb.pk7 -print | sed -n 's/.*UTCTIME:\(.*\)/\1/p' | head -1)" +%s) \
	"$BOOTSEAL" sign --detached --key db.key --cert db.crt --output bs.pk7 unsigned.efi
check "detached signature equals sbsign --detached" cmp sb.pk7 bs.pk7
cp unsigned.efi attached.efi
sbattach --attach bs.pk7 attached.efi >/dev/null 2>&1
check "sbattach + sbverify accept our detached signature" sbverify --cert db.crt attached.efi

# Debian signs its kernels: our image hash must match Debian's signed one, and
# the signature must verify with Debian's signer certificate as the anchor.
check "verify --list: Debian's kernel signature matches our image hash" \
	bash -c "'$BOOTSEAL' verify --list '$kernel' | grep -q 'image digest:   sha256, matches'"
read -r koff klen < <(objdump -p "$kernel" | awk '/Security Directory/ { print $3, $4 }')
tail -c +$((0x$koff + 9)) "$kernel" >debian.sig
openssl pkcs7 -inform DER -in debian.sig -print_certs 2>/dev/null | openssl x509 -out debian-signer.pem
check "bootseal verify accepts Debian's kernel signature" "$BOOTSEAL" verify --cert debian-signer.pem "$kernel"
# A second signature on an already signed image, compared with sbsign's.
sbsign --key db.key --cert db.crt --output k-sb.efi "$kernel" 2>/dev/null
SOURCE_DATE_EPOCH=$(signing_time k-sb.efi $((0x$klen))) "$BOOTSEAL" sign --key db.key --cert db.crt \
	--output k-bs.efi "$kernel"
check "second signature equals sbsign's byte for byte" cmp k-sb.efi k-bs.efi
check "both signatures verify" bash -c "'$BOOTSEAL' verify --cert db.crt k-bs.efi && '$BOOTSEAL' verify --cert debian-signer.pem k-bs.efi"

check_fails "signature by another key is rejected" 1 "not signed by a trusted certificate" \
	"$BOOTSEAL" verify --cert other.crt sb-unsigned.efi
cp sb-unsigned.efi flipped.efi
off=$((0x$(objdump -h flipped.efi | awk '$2 == ".linux" { print $6 }') + 4096))
byte=$(od -An -tu1 -j "$off" -N1 flipped.efi | tr -d ' ')
printf "\\$(printf %03o $(((byte + 1) % 256)))" | dd of=flipped.efi bs=1 seek="$off" conv=notrunc 2>/dev/null
check_fails "a one-byte change is rejected" 1 "image hash does not match" \
	"$BOOTSEAL" verify --cert db.crt flipped.efi
check_fails "an unsigned image is rejected" 1 "no signature" "$BOOTSEAL" verify --cert db.crt unsigned.efi

# A second signature is appended, not substituted.
check "second signature" "$BOOTSEAL" sign --key other.key --cert other.crt --output double.efi bs-unsigned.efi
check_eq "sbverify lists two signatures" 2 "$(sbverify --list double.efi 2>/dev/null | grep -c '^signature')"
check "either signer verifies" bash -c "'$BOOTSEAL' verify --cert db.crt double.efi && '$BOOTSEAL' verify --cert other.crt double.efi"
check "sbverify accepts the first of two" sbverify --cert db.crt double.efi

# --- Hostile inputs: exit 2, one line, no output file -----------------------------
poke32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($2 & 255)) $(($2 >> 8 & 255)) $(($2 >> 16 & 255)) $(($2 >> 24 & 255)))" |
	dd of="$1" bs=1 seek="$3" conv=notrunc 2>/dev/null; }
pe=$(( $(od -An -tu4 -j 60 -N4 "$STUB") ))
opt=$((pe + 24))
sect=$((opt + $(od -An -tu2 -j $((pe + 20)) -N2 "$STUB")))
size=$(stat -c %s "$STUB")
head -c $((sect + 40)) "$STUB" >truncated.efi
cp "$STUB" outside.efi; poke32 outside.efi $((size + 4096)) $((sect + 7 * 40 + 20))
cp "$STUB" overlap.efi; poke32 overlap.efi 0x400 $((sect + 1 * 40 + 20))
cp "$STUB" certpast.efi; poke32 certpast.efi $((size & ~7)) $((opt + 144)); poke32 certpast.efi 4096 $((opt + 148))
cp "$STUB" notefi.efi; printf '\003' | dd of=notefi.efi bs=1 seek=$((opt + 68)) conv=notrunc 2>/dev/null
head -c 4096 /bin/true >elf.efi
for h in truncated:"truncated headers" outside:"outside the file" overlap:"overlap in the file" \
	certpast:"certificate table ends at .* past the end" elf:"not a PE image"; do
	name=${h%%:*} msg=${h#*:}
	check_fails "sign refuses $name" 2 "$name.efi: .*$msg" "$BOOTSEAL" sign --key db.key --cert db.crt \
		--output "out-$name.efi" "$name.efi"
	check_eq "no output for $name" "" "$(ls "out-$name.efi" 2>/dev/null)"
	check_fails "ukify refuses the $name stub" 2 "$msg" "$BOOTSEAL" ukify build --linux "$kernel" \
		--stub "$name.efi" --os-release x --output "uki-$name.efi"
	check_eq "no UKI for $name" "" "$(ls "uki-$name.efi" .uki-"$name".efi.tmp-* 2>/dev/null)"
done
check_fails "ukify refuses a non-EFI stub" 2 "not an EFI application" "$BOOTSEAL" ukify build \
	--linux "$kernel" --stub notefi.efi --os-release x --output uki-notefi.efi
check_eq "no UKI for a non-EFI stub" "" "$(ls uki-notefi.efi 2>/dev/null)"
for part in --linux --initrd --splash --devicetree; do
	args=(--linux "$kernel" --stub "$STUB" --os-release x --output uki-dir.efi)
	[ $part = --linux ] && args[1]=ird1 || args+=("$part" ird1)
	check_fails "ukify refuses a directory as $part" 2 "ird1: not a regular file" \
		"$BOOTSEAL" ukify build "${args[@]}"
	check_fails "ukify names a missing $part" 2 "nothere: cannot open" \
		"$BOOTSEAL" ukify build "${args[@]/ird1/nothere}"
done
for part in --sbat --cmdline --os-release; do
	check_fails "ukify names a missing $part @file" 2 "nothere: cannot open" "$BOOTSEAL" ukify build \
		--linux "$kernel" --stub "$STUB" "$part" @nothere --output uki-dir.efi
done
"$BOOTSEAL" ukify build --linux "$kernel" --stub "$STUB" --cmdline @<(printf 'from a pipe') --output uki-pipe.efi
objcopy -O binary --only-section=.cmdline uki-pipe.efi uki-pipe.cmdline
check_eq "ukify reads --cmdline @FILE from a pipe to its end" "from a pipe" "$(cat uki-pipe.cmdline)"
check_fails "ukify bounds --cmdline @FILE that never ends" 2 "/dev/zero: larger than 16777216 bytes" \
	"$BOOTSEAL" ukify build --linux "$kernel" --stub "$STUB" --cmdline @/dev/zero --output uki-dir.efi
check_eq "no UKI from a directory or a missing file" "" "$(ls uki-dir.efi .uki-dir.efi.tmp-* 2>/dev/null)"

# --- container ukify on a rootfs made from Debian packages -----------------------
# The kernel package's vmlinuz and module lists, base-files' os-release, laid
# out the way bootc images are (usr/lib/modules/KVER/{vmlinuz,initramfs.img}).
kdeb=$(ls "$cache"/linux-image-[0-9]*.deb 2>/dev/null | head -1)
ls "$cache"/base-files_*.deb >/dev/null 2>&1 || (cd "$cache" && apt-get download -q base-files >/dev/null 2>&1)
bdeb=$(ls "$cache"/base-files_*.deb 2>/dev/null | head -1)
[ -n "$kdeb" ] && [ -n "$bdeb" ] || { not_ok "Debian packages for the rootfs (network?)"; finish; exit; }
R=$work/rootfs
mkdir -p "$R/usr/lib/modules" "$R/usr/lib/bootc/kargs.d" "$R/boot" "$R/sysroot" "$work/bf"
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$R" --wildcards './boot/vmlinuz-*' './lib/modules/*/modules.order'
mv "$R/lib/modules/$kver" "$R/usr/lib/modules/$kver" && rm -rf "$R/lib"
mv "$R/boot/vmlinuz-$kver" "$R/usr/lib/modules/$kver/vmlinuz"
cp one.cpio "$R/usr/lib/modules/$kver/initramfs.img"
dpkg-deb -x "$bdeb" "$work/bf" && cp "$work/bf/usr/lib/os-release" "$R/usr/lib/os-release"
printf 'kargs = ["console=ttyS0", "rw"]\n' >"$R/usr/lib/bootc/kargs.d/10-console.toml"
printf 'kargs = ["arm64only=1"]\nmatch-architectures = ["aarch64"]\n' >"$R/usr/lib/bootc/kargs.d/20-arm.toml"
printf 'kargs = [\n  "quiet",\n  "console=ttyS0",  # again\n]\nmatch-architectures = ["x86_64", "aarch64"]\n' \
	>"$R/usr/lib/bootc/kargs.d/05-quiet.toml"
printf 'not toml' >"$R/usr/lib/bootc/kargs.d/README"

digest=$("$BOOTSEAL" compute-composefs-digest "$R")
want="quiet console=ttyS0 rw composefs=$digest foo=bar"
out=$("$BOOTSEAL" container ukify --rootfs "$R" --karg foo=bar --karg rw -- --output "$work/cu.efi" 2>&1)
check_eq "container ukify prints bootc's command line" "$want" "$out"
objcopy -O binary --only-section=.cmdline cu.efi cu-cmdline.out
check_eq "the UKI carries that command line" "$want" "$(cat cu-cmdline.out)"
objcopy -O binary --only-section=.uname cu.efi cu-uname.out
check_eq "container ukify: .uname is the modules directory" "$kver" "$(cat cu-uname.out)"
objcopy -O binary --only-section=.osrel cu.efi cu-osrel.out
check "container ukify: .osrel is the rootfs's os-release" cmp cu-osrel.out "$R/usr/lib/os-release"
out=$("$BOOTSEAL" container ukify --rootfs "$R" --allow-missing-verity -- --output "$work/cu2.efi" \
	--secureboot-private-key "$work/db.key" --secureboot-certificate "$work/db.crt" 2>&1)
check_eq "--allow-missing-verity marks the digest optional" "quiet console=ttyS0 rw composefs=?$digest" "$out"
# --write-dumpfile-to, as bootc's: a relative FILE is where we were started, not in the rootfs.
"$BOOTSEAL" compute-composefs-digest --write-dumpfile-to cd.dump "$R" >/dev/null
"$BOOTSEAL" container ukify --rootfs "$R" --write-dumpfile-to cu.dump -- --output "$work/cu4.efi" >/dev/null
check "container ukify --write-dumpfile-to writes compute-composefs-digest's dump" cmp cd.dump cu.dump
check_eq "... beside the caller, not in the rootfs" "" "$(ls "$R/cu.dump" 2>/dev/null)"
check "container ukify signs with ukify's flags" sbverify --cert db.crt cu2.efi
check_fails "container ukify refuses the running root" 2 "active root filesystem" \
	"$BOOTSEAL" container ukify --rootfs / -- --output "$work/cu3.efi"
check_fails "container ukify without --rootfs asks for it" 2 "container ukify: --rootfs DIR is needed" \
	"$BOOTSEAL" container ukify -- --output "$work/cu3.efi"
check "container ukify --help names no default rootfs" bash -c "'$BOOTSEAL' container ukify --help | grep -q -- 'ukify --rootfs DIR' && ! '$BOOTSEAL' container ukify --help | grep -q 'default /'"

# --- container inspect: bootc's JSON keys and human rows (bootc 534c76ea status.rs tests) ---
json_get() { python3 -c 'import json,sys; o=json.load(sys.stdin); print(json.dumps(eval(sys.argv[1], {"o": o}), separators=(",", ":")))' "$1"; }
"$BOOTSEAL" container inspect --rootfs "$R" --json >inspect.json
check_eq "container inspect --json: .kernel.version is the modules directory" "\"$kver\"" "$(json_get 'o["kernel"]["version"]' <inspect.json)"
check_eq "container inspect --json: a vmlinuz kernel is not unified" false "$(json_get 'o["kernel"]["unified"]' <inspect.json)"
check_eq "container inspect --json: kargs.d's arguments, one per element" '["quiet","console=ttyS0","rw"]' \
	"$(json_get 'o["kargs"]' <inspect.json)"
check_eq "container inspect --format json = --json" "$(cat inspect.json)" \
	"$("$BOOTSEAL" container inspect --rootfs "$R" --format json)"
check_eq "container inspect: bootc's human rows" \
	"$(printf 'Kernel: %s\n  Type: vmlinuz\n Kargs: quiet console=ttyS0 rw' "$kver")" \
	"$("$BOOTSEAL" container inspect --rootfs "$R")"
mkdir -p "$work/uki-root/boot/EFI/Linux"
: >"$work/uki-root/boot/EFI/Linux/b.efi"; : >"$work/uki-root/boot/EFI/Linux/a.b.efi"; : >"$work/uki-root/boot/EFI/Linux/.efi"
check_eq "container inspect: the first UKI in byte order, its name less .efi, no kargs" \
	"$(printf 'Kernel: a.b\n  Type: UKI\n Kargs: <none>')" "$("$BOOTSEAL" container inspect --rootfs "$work/uki-root")"
check_eq "container inspect --json: a UKI is unified" true \
	"$("$BOOTSEAL" container inspect --rootfs "$work/uki-root" --json | json_get 'o["kernel"]["unified"]')"
mkdir -p "$work/empty-root"
check_eq "container inspect --json: no kernel is null" '{"kargs":[],"kernel":null}' \
	"$("$BOOTSEAL" container inspect --rootfs "$work/empty-root" --json | json_get o)"
check_eq "container inspect: no kernel, no kargs" "$(printf 'Kernel: <none>\n Kargs: <none>')" \
	"$("$BOOTSEAL" container inspect --rootfs "$work/empty-root")"
check_fails "container inspect refuses --json with --format" 2 "cannot be used together" \
	"$BOOTSEAL" container inspect --rootfs "$R" --json --format json
check_fails "container inspect names an unknown format" 2 "unsupported format 'yaml'" \
	"$BOOTSEAL" container inspect --rootfs "$R" --format yaml
check_eq "container compute-composefs-digest is compute-composefs-digest under bootc's name" "$digest" \
	"$("$BOOTSEAL" container compute-composefs-digest "$R")"
mkdir -p "$R/usr/lib/modules/9.9.9"; : >"$R/usr/lib/modules/9.9.9/vmlinuz"
check_fails "container ukify refuses two kernels" 2 "several kernels in usr/lib/modules" \
	"$BOOTSEAL" container ukify --rootfs "$R" -- --output "$work/cu3.efi"
check_fails "container inspect refuses two kernels, as bootc" 2 "multiple subdirectories in usr/lib/modules" \
	"$BOOTSEAL" container inspect --rootfs "$R"
check_eq "no UKI after a refusal" "" "$(ls cu3.efi 2>/dev/null)"

# --- Secure Boot under OVMF ---------------------------------------------------
# Debian's OVMF ships vars with PK/KEK/db enrolled for its snakeoil test key
# (passphrase "snakeoil"). A UKI we sign with it must boot with Secure Boot on;
# one signed by another key must be refused by the firmware.
boot_uefi() { # ESP_DIR LOG PATTERN SECONDS: boots until PATTERN shows in the serial log
	local esp=$1 log=$2 pattern=$3 secs=$4 pid i
	cp /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd "$esp.vars"
	qemu-system-x86_64 -machine q35,smm=on,accel=tcg -m 1024 -display none -nic none -no-reboot \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd \
		-drive if=pflash,format=raw,unit=1,file="$esp.vars" \
		-drive file=fat:rw:"$esp",format=raw,if=virtio -serial file:"$log" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < secs * 2; i++)); do
		grep -aqE "$pattern" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	return 0
}
if [ -f /usr/share/ovmf/PkKek-1-snakeoil.key ] && command -v qemu-system-x86_64 >/dev/null; then
	openssl pkey -in /usr/share/ovmf/PkKek-1-snakeoil.key -passin pass:snakeoil -out snakeoil.key
	mkdir -p esp-good/EFI/BOOT esp-bad/EFI/BOOT
	"$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio --cmdline "console=ttyS0 panic=-1 bootseal.test=1" \
		--os-release @os-release --stub "$STUB" --secureboot-private-key snakeoil.key \
		--secureboot-certificate /usr/share/ovmf/PkKek-1-snakeoil.pem --output esp-good/EFI/BOOT/BOOTX64.EFI
	"$BOOTSEAL" ukify build --linux "$kernel" --initrd one.cpio --cmdline "console=ttyS0 panic=-1" \
		--os-release @os-release --stub "$STUB" --secureboot-private-key db.key \
		--secureboot-certificate db.crt --output esp-bad/EFI/BOOT/BOOTX64.EFI
	boot_uefi esp-good good.log "Kernel panic|Run /init|Unable to mount root" 240
	check "signed UKI boots with Secure Boot enabled" grep -aq "secureboot: Secure boot enabled" good.log
	check "the kernel got the UKI's command line" grep -aq "Command line: console=ttyS0 panic=-1 bootseal.test=1" good.log
	check "the kernel got the UKI's initrd" grep -aq "Trying to unpack rootfs image as initramfs" good.log
	boot_uefi esp-bad bad.log "Access Denied|Linux version" 240
	check "firmware refuses a UKI signed by a key not in db" grep -aq "Access Denied" bad.log
	check_eq "... and never starts its kernel" "" "$(grep -a 'Linux version' bad.log)"
else
	not_ok "OVMF snakeoil vars and qemu-system-x86 are installed (run scripts/install-deps)"
fi

finish
