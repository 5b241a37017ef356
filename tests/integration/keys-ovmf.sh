#!/usr/bin/env bash
# keygen's loader/keys/auto/*.auth enrolled by real firmware: OVMF (Secure
# Boot build, SMM, TCG) starts with an empty variable store, so it is in Setup
# Mode; the unsigned systemd-boot enrolls db, KEK and PK ("secure-boot-enroll
# force") and resets. Then a db-signed systemd-boot starts under Secure Boot
# and the unsigned one is refused. About 20 s.
. "$(dirname "$0")/../lib.sh"
need qemu-system-x86_64 sbsign strings
code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
for f in "$code" "$vars" "$sdboot"; do
	[ -f "$f" ] || { not_ok "$f is installed (ovmf, systemd-boot-efi; run scripts/install-deps)"; exit 1; }
done
cd "$work" || exit 1

# The serial console without carriage returns and escape sequences.
console() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' | strings; }

# boot VARS LOG MARKER SECONDS: runs the firmware on esp/ until MARKER shows up
# on the console (then stops it) or, for an empty MARKER, until it resets.
boot() {
	local pid i
	qemu-system-x86_64 -machine q35,smm=on,accel=tcg -global driver=cfi.pflash01,property=secure,value=on \
		-m 256 -nographic -no-reboot -net none \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
		-drive if=pflash,format=raw,unit=1,file="$1" \
		-drive if=none,id=esp,format=raw,readonly=on,file=fat:esp \
		-device virtio-blk-pci,drive=esp </dev/null >"$2" 2>&1 &
	pid=$!
	for ((i = 0; i < $4 * 4; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		[ -n "$3" ] && console "$2" | grep -qF -- "$3" && break
		sleep 0.25
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ -n "$3" ]; then console "$2" | grep -qF -- "$3"; else [ "$i" -lt $(($4 * 4)) ]; fi
}

"$BOOTSEAL" keygen --output-dir keys >/dev/null || { not_ok "keygen"; exit 1; }
mkdir -p esp/EFI/BOOT esp/loader/keys
cp "$sdboot" esp/EFI/BOOT/BOOTX64.EFI
cp -r keys/loader/keys/auto esp/loader/keys/
printf 'timeout 3\nsecure-boot-enroll force\n' >esp/loader/loader.conf
cp "$vars" vars.fd

check "boot 1 (Setup Mode): systemd-boot enrolls and resets" boot vars.fd boot1.log "" 120
check "boot 1: systemd-boot enrolled from loader/keys/auto" grep -q "Enrolling secure boot keys from directory: .loader.keys.auto" \
	<(console boot1.log)
# The firmware keeps each certificate list in the variable store.
od -An -tx1 -v vars.fd | tr -d ' \n' >vars.hex
for n in PK KEK db; do
	check "boot 1: the variable store now holds the $n certificate" \
		grep -qF "$(od -An -tx1 -v "keys/$n.cer" | tr -d ' \n')" vars.hex
done
cp vars.fd vars-enrolled.fd

sbsign --key keys/db.key --cert keys/db.crt --output esp/EFI/BOOT/BOOTX64.EFI "$sdboot" >/dev/null 2>&1
printf 'timeout menu-force\n' >esp/loader/loader.conf
check "boot 2 (User Mode): the db-signed systemd-boot starts and shows its menu" \
	boot vars.fd boot2.log "Reboot Into Firmware Interface" 120

cp "$sdboot" esp/EFI/BOOT/BOOTX64.EFI
cp vars-enrolled.fd vars.fd
check "boot 3 (User Mode): the unsigned systemd-boot is refused" \
	boot vars.fd boot3.log 'from PciRoot(0x0)/Pci(0x2,0x0): Access Denied' 120
check "boot 3: and never starts" bash -c "! grep -q 'Reboot Into Firmware' <(tr -d '\r' <boot3.log | strings)"

# Firmware checks a PK write against the certificate in its own payload even
# in Setup Mode: a PK.auth signed by another key must be refused.
"$BOOTSEAL" auth sign --var PK --key keys/KEK.key --cert keys/KEK.crt -o esp/loader/keys/auto/PK.auth keys/PK.esl
printf 'timeout 3\nsecure-boot-enroll force\n' >esp/loader/loader.conf
cp "$vars" vars.fd
check "boot 4 (Setup Mode): a PK.auth signed by the KEK is refused" \
	boot vars.fd boot4.log "Security Policy Violation" 120
od -An -tx1 -v vars.fd | tr -d ' \n' >vars.hex
check "boot 4: no PK was enrolled" bash -c "! grep -qF $(od -An -tx1 -v keys/PK.cer | tr -d ' \n') vars.hex"

finish
