# shellcheck shell=bash disable=SC2034,SC2154
# Sourced by tests/vm/run and tests/real/run: the test initramfs (busybox,
# bootseal, tests/vm/init and kernel modules) and QEMU boots under OVMF with
# Secure Boot. The caller sets top, work, cache and BOOTSEAL, and has a
# cleanup that kills "$qemu_pid".
qemu_pid=
vm_code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
vm_vars=/usr/share/OVMF/OVMF_VARS_4M.fd

# vm_fetch_deb PACKAGE [APT-OPTIONS...]: its .deb in $cache, downloaded once.
vm_fetch_deb() {
	local pkg=$1 deb
	shift
	deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		(cd "$cache" && apt-get "$@" download -q "$pkg" >/dev/null 2>&1) ||
			{ apt-get "$@" update -q >/dev/null 2>&1 && (cd "$cache" && apt-get "$@" download -q "$pkg" >/dev/null 2>&1); }
		deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -1)
	fi
	echo "$deb"
}

# vm_initramfs MODULES-DIR OUT: an initramfs of busybox-static, bootseal with
# the libraries ldd names, tests/vm/init and, from MODULES-DIR
# (…/lib/modules/KVER), the modules for virtio disks, ext4, EROFS, overlayfs
# and loop with their dependencies. Prints the number of modules.
vm_initramfs() {
	local mods=$1 out=$2 bdeb d=$work/vm-initrd
	bdeb=$(vm_fetch_deb busybox-static)
	[ -n "$bdeb" ] || return 1
	rm -rf "$d" "$work/vm-busybox"
	dpkg-deb -x "$bdeb" "$work/vm-busybox"
	mkdir -p "$d/bin" "$d/usr/bin" "$d/lib/modules"
	cp "$work/vm-busybox/bin/busybox" "$d/bin/busybox"
	cp "$top/tests/vm/init" "$d/init"
	cp "$BOOTSEAL" "$d/usr/bin/bootseal"
	ldd "$BOOTSEAL" | grep -o '/[^ ]*' | while read -r lib; do cp -L --parents "$lib" "$d/"; done
	declare -A seen
	unpack_ko() { case $1 in *.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;; esac; }
	add_module() { # NAME: its dependencies first, then itself
		local f dep
		[ -n "${seen[$1]:-}" ] && return
		seen[$1]=1
		f=$(find "$mods" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" | head -1)
		if [ -z "$f" ]; then # built in, or missing: say so
			grep -q "/$1\.ko" "$mods/modules.builtin" 2>/dev/null || echo "# vm_initramfs: no module $1 in $mods" >&2
			return 0
		fi
		for dep in $(unpack_ko "$f" | strings | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
		unpack_ko "$f" >"$d/lib/modules/$1.ko"
		echo "$1" >>"$d/lib/modules/order"
	}
	touch "$d/lib/modules/order"
	for m in virtio_blk ext4 crc32c_generic erofs overlay loop; do add_module "$m"; done
	(cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$out"
	wc -l <"$d/lib/modules/order"
}

# vm_boot LOG SECONDS MARKER-ERE QEMU-ARGS...: runs QEMU until the console
# (carriage returns and escape sequences removed) matches MARKER-ERE, QEMU
# exits, or SECONDS pass; then kills it. Prints the seconds it took.
vm_console() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*[a-zA-Z]//g' | strings; }
vm_boot() {
	local log=$1 secs=$2 marker=$3 i start
	shift 3
	start=$(date +%s)
	: >"$log"
	qemu-system-x86_64 -m 1024 -nographic -no-reboot -net none "$@" </dev/null >"$log" 2>&1 &
	qemu_pid=$!
	for ((i = 0; i < secs * 4; i++)); do
		kill -0 "$qemu_pid" 2>/dev/null || break
		[ -n "$marker" ] && vm_console "$log" | grep -Eq -- "$marker" && break
		sleep 0.25
	done
	kill "$qemu_pid" 2>/dev/null
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=
	echo $(($(date +%s) - start))
}
vm_disk() { echo "-drive if=none,id=$1,format=raw,file=$2 -device virtio-blk-pci,drive=$1"; }
vm_grep() { vm_console "$1" | grep -Eq -- "$2"; }

# vm_fw VARS ESP-DIR DISK LOG SECONDS MARKER: a boot under OVMF with Secure
# Boot (SMM, TCG: KVM here has no SMM), the ESP a read-only FAT directory.
vm_fw() {
	# shellcheck disable=SC2046
	vm_boot "$4" "$5" "$6" -machine q35,smm=on,accel=tcg -global driver=cfi.pflash01,property=secure,value=on \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$vm_code" -drive if=pflash,format=raw,unit=1,file="$1" \
		-drive if=none,id=esp,format=raw,readonly=on,file=fat:"$2" -device virtio-blk-pci,drive=esp,bootindex=0 \
		$(vm_disk root "$3")
}

# vm_install LOG KERNEL INITRAMFS SECONDS CMDLINE DISKS...: a direct kernel
# boot (no firmware) of the test initramfs with bootseal.install.
vm_install() {
	local log=$1 kernel=$2 initrd=$3 secs=$4 cmdline=$5 args=() i=0 f
	shift 5
	# shellcheck disable=SC2207
	for f in "$@"; do args+=($(vm_disk "d$i" "$f")); i=$((i + 1)); done
	vm_boot "$log" "$secs" 'BOOTSEAL-DONE' -machine q35,accel=tcg -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 bootseal.install $cmdline" "${args[@]}"
}
