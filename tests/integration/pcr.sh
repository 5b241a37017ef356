#!/usr/bin/env bash
# Signed PCR policies: `pcr predict` and the .pcrsig of `ukify build` and
# `seal --pcr-private-key`, against Debian 12's systemd-measure (calculate
# and sign over the same section files; its sign needs a TPM for the policy
# digest, so it gets a swtpm). RSA PKCS#1 v1.5 signatures are deterministic:
# the JSON must be byte-identical.
. "$(dirname "$0")/../lib.sh"
measure=${SYSTEMD_MEASURE:-/usr/lib/systemd/systemd-measure}
if [ ! -x "$measure" ]; then
	not_ok "oracle $measure is installed (package systemd)"
	exit 1
fi
need swtpm openssl objcopy objdump python3 umoci

# A swtpm on a free TCP port, for systemd-measure sign only.
port=
for try in 1 2 3 4 5; do
	p=$((20000 + RANDOM % 20000))
	mkdir -p "$work/tpm"
	if swtpm socket --tpm2 --tpmstate dir="$work/tpm" --server type=tcp,port=$p,bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear \
		--pid file="$work/swtpm.pid" --daemon 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { not_ok "swtpm starts"; exit 1; }
trap 'kill "$(cat "$work/swtpm.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$work"' EXIT
tpm=(--tpm2-device="swtpm:host=127.0.0.1,port=$port")

cd "$work" || exit 1
openssl genrsa -out k1.pem 2048 2>/dev/null
openssl pkey -in k1.pem -pubout -out p1.pem
openssl genrsa -out k2.pem 3072 2>/dev/null
openssl pkey -in k2.pem -pubout -out p2.pem
openssl ecparam -name prime256v1 -genkey -noout -out ec.pem
printf 'ID=debian\nVERSION_ID="12"\n' >osrel
printf 'console=ttyS0 rw quiet' >cmdline
head -c 70000 /dev/urandom >linux   # no PE header: .linux is the file as it is
head -c 9000 /dev/urandom >initrd
head -c 600 /dev/urandom >splash

# Section NAME of PE file as the stub measures it: VirtualSize bytes, zeros
# beyond the file data. Written to OUT.
section() { # PE NAME OUT
	python3 - "$@" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", d, 0x3c)[0]
n, opt = struct.unpack_from("<H", d, pe + 6)[0], struct.unpack_from("<H", d, pe + 20)[0]
for i in range(n):
    h = pe + 24 + opt + 40 * i
    name = d[h:h + 8].rstrip(b"\0").decode()
    vs, va, rs, ro = struct.unpack_from("<IIII", d, h + 8)
    if name == sys.argv[2]:
        data = d[ro:ro + min(vs, rs)]
        open(sys.argv[3], "wb").write(data + b"\0" * (vs - len(data)))
        sys.exit(0)
sys.exit(1)
EOF
}
# systemd-measure calculate/sign over section files, in its option names.
sm() { "$measure" "$@" 2>/dev/null; }

# 1. Default phases and banks, one key with its public key file.
"$BOOTSEAL" ukify build --linux linux --initrd initrd --cmdline @cmdline --os-release @osrel \
	--uname 6.1.0-test --pcr-private-key k1.pem --pcr-public-key p1.pem --output a.efi
section a.efi .pcrpkey a.pcrpkey
check ".pcrpkey is the --pcr-public-key file" cmp a.pcrpkey p1.pem
files=(--linux=linux --osrel=osrel --cmdline=cmdline --initrd=initrd --pcrpkey=p1.pem)
sm calculate "${files[@]}" --json=short >calc.json
"$BOOTSEAL" pcr predict --json a.efi >predict.json
check_eq "pcr predict --json = systemd-measure calculate (4 banks, 4 phases; .uname not measured by a 252 stub)" \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' calc.json)" \
	"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' predict.json)"
sm calculate "${files[@]}" --bank=sha256 --phase=enter-initrd:leave-initrd >calc.txt
check_eq "pcr predict text: the value of systemd-measure calculate" \
	"$(sed -n 's/^11:sha256=//p' calc.txt)" \
	"$("$BOOTSEAL" pcr predict --bank sha256 --phases enter-initrd:leave-initrd a.efi | sed -n 's/^11:enter-initrd:leave-initrd:sha256=//p')"
section a.efi .pcrsig a.pcrsig
sm sign "${files[@]}" --private-key=k1.pem --public-key=p1.pem --json=short "${tpm[@]}" >a.oracle
check "systemd-measure sign ran (swtpm)" test -s a.oracle
check ".pcrsig = systemd-measure sign, byte for byte (sha1..sha512, 4 phases)" cmp a.oracle a.pcrsig
check ".pcrsig is the last section" sh -c "objdump -h a.efi | awk '/^ +[0-9]+ /{n=\$2} END{exit n != \".pcrsig\"}'"

# 2. Chosen phases and banks; .pcrpkey derived from the private key.
phases='enter-initrd enter-initrd:leave-initrd:sysinit:ready:shutdown:final sysinit'
"$BOOTSEAL" ukify build --linux linux --cmdline @cmdline --os-release @osrel --uname x \
	--pcr-private-key k1.pem --phases "$phases" --pcr-banks sha384,SHA256 --output b.efi
section b.efi .pcrpkey b.pcrpkey
check ".pcrpkey without --pcr-public-key: the private key's public PEM" cmp b.pcrpkey p1.pem
section b.efi .pcrsig b.pcrsig
sm sign --linux=linux --osrel=osrel --cmdline=cmdline --pcrpkey=p1.pem --bank=sha256 --bank=sha384 \
	--phase=enter-initrd --phase=enter-initrd:leave-initrd:sysinit:ready:shutdown:final --phase=sysinit \
	--private-key=k1.pem --json=short "${tpm[@]}" >b.oracle
check "--phases and --pcr-banks: .pcrsig = systemd-measure sign" cmp b.oracle b.pcrsig

# 3. Two key groups, as ukify pairs them: entries per bank, first key's first.
"$BOOTSEAL" ukify build --linux linux --cmdline @cmdline --os-release @osrel --uname x \
	--pcr-private-key k1.pem --phases 'enter-initrd' --pcr-private-key k2.pem --pcr-public-key p1.pem \
	--pcr-public-key p2.pem --phases 'enter-initrd:leave-initrd enter-initrd' --pcr-banks sha256 --output c.efi
check "two keys: no .pcrpkey (which one would it be?)" sh -c "! objdump -h c.efi | grep -q pcrpkey"
section c.efi .pcrsig c.pcrsig
sm sign --linux=linux --osrel=osrel --cmdline=cmdline --bank=sha256 --phase=enter-initrd \
	--private-key=k1.pem --json=short "${tpm[@]}" >c1.oracle
sm sign --linux=linux --osrel=osrel --cmdline=cmdline --bank=sha256 --phase=enter-initrd:leave-initrd \
	--phase=enter-initrd --private-key=k2.pem --json=short "${tpm[@]}" >c2.oracle
check_eq "two keys: .pcrsig = both systemd-measure outputs merged per bank" \
	"$(python3 -c 'import json,sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
print(json.dumps({k: a[k] + b[k] for k in a}, separators=(",", ":")))' c1.oracle c2.oracle)" "$(cat c.pcrsig)"

# 4. A PE kernel: the stub measures .linux up to its VirtualSize (SizeOfImage).
cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi pe-linux
"$BOOTSEAL" ukify build --linux pe-linux --cmdline @cmdline --os-release @osrel --uname x \
	--pcr-private-key k1.pem --pcr-banks sha256 --output d.efi
section d.efi .linux d.linux
check "PE kernel: .linux measured past the file (VirtualSize = SizeOfImage)" \
	test "$(stat -c %s d.linux)" -gt "$(stat -c %s pe-linux)"
check "PE kernel: .linux is the kernel, then zeros" cmp -n "$(stat -c %s pe-linux)" d.linux pe-linux
section d.efi .pcrsig d.pcrsig
sm sign --linux=d.linux --osrel=osrel --cmdline=cmdline --pcrpkey=p1.pem --bank=sha256 \
	--private-key=k1.pem --json=short "${tpm[@]}" >d.oracle
check "PE kernel: .pcrsig = systemd-measure sign over the loaded .linux" cmp d.oracle d.pcrsig

# 5. Refusals: each one line, nothing written.
check_fails "--pcr-public-key of another key: exit 2" 2 "p2.pem: is not the public key of the PCR private key" \
	"$BOOTSEAL" ukify build --linux linux --pcr-private-key k1.pem --pcr-public-key p2.pem --output e.efi
check_fails "an EC PCR key: exit 2" 2 "ec.pem: not an RSA key" \
	"$BOOTSEAL" ukify build --linux linux --pcr-private-key ec.pem --output e.efi
check_fails "an unknown phase word: exit 2" 2 "bad phase path 'enter-initrd:boot'" \
	"$BOOTSEAL" ukify build --linux linux --pcr-private-key k1.pem --phases 'enter-initrd:boot' --output e.efi
check_fails "an unknown bank: exit 2" 2 "unknown PCR bank 'md5'" \
	"$BOOTSEAL" ukify build --linux linux --pcr-private-key k1.pem --pcr-banks sha256,md5 --output e.efi
check_fails "two --phases for one key: exit 2" 2 "2 --phases for 1 --pcr-private-key" \
	"$BOOTSEAL" ukify build --linux linux --pcr-private-key k1.pem --phases enter-initrd --phases sysinit --output e.efi
check_fails "--phases without a key: exit 2" 2 "need --pcr-private-key" \
	"$BOOTSEAL" ukify build --linux linux --phases enter-initrd --output e.efi
# Debian 12's stub has header room for 7 sections: a splash beside .pcrsig is one too many.
check_fails "no header room for .pcrsig: exit 3, said so" 3 "no room in the stub's headers for .pcrsig" \
	"$BOOTSEAL" ukify build --linux linux --initrd initrd --splash splash --cmdline @cmdline --os-release @osrel \
	--uname x --pcr-private-key k1.pem --output e.efi
check "nothing written by the refusals" test ! -e e.efi
check_fails "pcr predict: not a PE file: exit 2" 2 "pcr predict: .*linux" "$BOOTSEAL" pcr predict linux

# 6. Signed, and sealed: the .pcrsig section is covered by the Authenticode signature.
"$BOOTSEAL" keygen --output-dir keys >/dev/null
"$BOOTSEAL" ukify build --linux linux --initrd initrd --cmdline @cmdline --os-release @osrel --uname x \
	--pcr-private-key k1.pem --secureboot-private-key keys/db.key --secureboot-certificate keys/db.crt \
	--output f.efi
check "signed UKI with .pcrsig verifies" "$BOOTSEAL" verify --cert keys/db.crt f.efi
section f.efi .pcrsig f.pcrsig
"$BOOTSEAL" ukify build --linux linux --initrd initrd --cmdline @cmdline --os-release @osrel --uname x \
	--pcr-private-key k1.pem --output g.efi
section g.efi .pcrsig g.pcrsig
check "the same .pcrsig signed or not" cmp f.pcrsig g.pcrsig

# 7. seal: the UKI of a sealed image (Debian kernel, initramfs, its own
# 252 stub) signs what that stub will measure of it.
if "$top/scripts/make-example-image" "$work/ex" >/dev/null; then
	"$BOOTSEAL" seal --key keys/db.key --cert keys/db.crt --pcr-private-key k1.pem --pcr-banks sha256 \
		--phases 'enter-initrd enter-initrd:leave-initrd' --json "oci:$work/ex/image:example" "oci:$work/sealed:s" >seal.json
	umoci unpack --image "$work/sealed:s" unpacked >/dev/null 2>&1
	uki=$(ls unpacked/rootfs/boot/EFI/Linux/*.efi 2>/dev/null | head -1)
	check "seal --pcr-private-key: a sealed, signed UKI" "$BOOTSEAL" verify --cert keys/db.crt "$uki"
	for s in linux osrel cmdline initrd pcrpkey pcrsig; do section "$uki" ".$s" "s.$s"; done
	check "seal: .pcrpkey is the key's public PEM" cmp s.pcrpkey p1.pem
	sm sign --linux=s.linux --osrel=s.osrel --cmdline=s.cmdline --initrd=s.initrd --pcrpkey=s.pcrpkey \
		--bank=sha256 --phase=enter-initrd --phase=enter-initrd:leave-initrd --private-key=k1.pem \
		--json=short "${tpm[@]}" >s.oracle
	check "seal: .pcrsig = systemd-measure sign over the UKI's loaded sections" cmp s.oracle s.pcrsig
else
	not_ok "example image builds (scripts/make-example-image)"
fi

finish
