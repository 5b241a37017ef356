#!/usr/bin/env bash
# Forms users bring from the tools bootseal replaces (issue 20): bootc's
# container spellings, C mkcomposefs/composefs-info flags and actions,
# sbverify --detached, ukify's inspect/build/genkey forms, sbctl's key tree.
. "$(dirname "$0")/../lib.sh"
need python3 fsverity openssl sbsign sbverify sbattach objcopy cert-to-efi-sig-list sign-efi-sig-list umoci apt-get dpkg-deb

# --- container compute-composefs-digest: bootc's spelling of the top-level command ---
mkdir -p "$work/cc/usr/lib" "$work/cc/boot" "$work/cc/sysroot" && echo x >"$work/cc/usr/lib/f"
check_eq "container compute-composefs-digest = compute-composefs-digest" \
	"$("$BOOTSEAL" compute-composefs-digest "$work/cc")" "$("$BOOTSEAL" container compute-composefs-digest "$work/cc")"

# --- mkcomposefs flags and composefs-info actions, against C composefs 1.0.8's outputs ---
F=$VECTORS/composefs-c/flags
for t in small xattrs; do
	python3 "$F/make-tree.py" "$t" "$work/$t"
	for f in none use-epoch skip-xattrs user-xattrs; do
		flag=()
		[ "$f" = none ] || flag=("--$f")
		check_eq "mkcomposefs --print-digest-only ${flag[*]}: $t as C mkcomposefs" "$(cat "$F/$t.$f.digest")" \
			"$("$BOOTSEAL" mkcomposefs --print-digest-only "${flag[@]}" "$work/$t")"
		"$BOOTSEAL" mkcomposefs "${flag[@]}" "$work/$t" "$work/$t.$f.img"
		check_eq "mkcomposefs ${flag[*]}: $t's image dumps as C's" "$(cat "$F/$t.$f.dump")" \
			"$("$BOOTSEAL" composefs-info dump "$work/$t.$f.img")"
	done
done
check_eq "mkcomposefs --threads 1: the same digest" "$(cat "$F/small.none.digest")" \
	"$("$BOOTSEAL" mkcomposefs --print-digest-only --threads 1 "$work/small")"
check_eq "mkcomposefs --threads=3 --print-digest: the same digest, image written" "$(cat "$F/small.none.digest")" \
	"$("$BOOTSEAL" mkcomposefs --print-digest --threads=3 "$work/small" "$work/t3.img")"
check "the image was written" test -s "$work/t3.img"
check_fails "mkcomposefs --threads 0" 2 "mkcomposefs: invalid --threads '0'" \
	"$BOOTSEAL" mkcomposefs --threads 0 "$work/small" "$work/x.img"
check_fails "mkcomposefs --print-digest-only with an IMAGE" 2 "writes no IMAGE" \
	"$BOOTSEAL" mkcomposefs --print-digest-only "$work/small" "$work/x.img"
check "mkcomposefs --print-digest-only wrote nothing" test ! -e "$work/x.img"
img=$work/small.none.img
check_eq "composefs-info objects: C's list" "$(cat "$F/small.objects")" "$("$BOOTSEAL" composefs-info objects "$img")"
check_eq "composefs-info objects of two images: each object once" "$(cat "$F/small.objects")" \
	"$("$BOOTSEAL" composefs-info objects "$img" "$work/small.use-epoch.img")"
mkdir -p "$work/base"
while read -r o; do mkdir -p "$work/base/${o%/*}" && : >"$work/base/$o"; done <"$F/small.present-objects"
check_eq "composefs-info --basedir missing-objects: C's list" "$(cat "$F/small.missing-objects")" \
	"$("$BOOTSEAL" composefs-info --basedir "$work/base" missing-objects "$img")"
check_fails "composefs-info missing-objects without --basedir" 2 "needs --basedir" \
	"$BOOTSEAL" composefs-info missing-objects "$img"
check_eq "composefs-info measure-file: C's digests" "$(sed 1d "$F/small.measure-file")" \
	"$(cd "$work/small" && "$BOOTSEAL" composefs-info measure-file usr/size-1 usr/size-4096 usr/size-9000 usr/bin/tool)"
# C 1.0.8 hashes an empty file in userspace unlike the kernel; bootseal gives what the kernel measures.
check_eq "composefs-info measure-file of an empty file: fsverity-utils' digest" \
	"$(fsverity digest --compact "$work/small/usr/size-0")" "$("$BOOTSEAL" composefs-info measure-file "$work/small/usr/size-0")"
check_fails "composefs-info measure-file of a directory" 2 "composefs-info: .*usr" \
	"$BOOTSEAL" composefs-info measure-file "$work/small/usr"

# --- verify --detached SIG and --no-verify, against sbverify ---
cd "$work"
for k in db other; do
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$k" -days 30 -keyout $k.key -out $k.crt 2>/dev/null
done
cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi img.efi
"$BOOTSEAL" sign --detached --key db.key --cert db.crt --output bs.pk7 img.efi
sbsign --detached --key db.key --cert db.crt --output sb.pk7 img.efi 2>/dev/null
check "oracle: sbverify --detached accepts bootseal's .pk7" sbverify --cert db.crt --detached bs.pk7 img.efi
check_eq "verify --detached: bootseal's .pk7" "Signature verification OK" \
	"$("$BOOTSEAL" verify --cert db.crt --detached bs.pk7 img.efi)"
check_eq "verify --detached: sbsign's .pk7" "Signature verification OK" \
	"$("$BOOTSEAL" verify --cert db.crt --detached sb.pk7 img.efi)"
check "oracle: sbverify --detached refuses another certificate" bash -c '! sbverify --cert other.crt --detached bs.pk7 img.efi'
check_fails "verify --detached: another certificate" 1 "verify: img.efi: detached signature: not signed by a trusted certificate" \
	"$BOOTSEAL" verify --cert other.crt --detached bs.pk7 img.efi
# --no-verify as older sbverify has it (PKCS7_NOVERIFY: the hash and the signer's
# signature are checked, the trust is not); Debian 12's sbverify 0.9.4 dropped the flag.
check_eq "verify --no-verify --detached: any signer" "Signature verification OK" \
	"$("$BOOTSEAL" verify --no-verify --detached bs.pk7 img.efi)"
cp img.efi changed.efi && printf 'X' | dd of=changed.efi bs=1 seek=2000 conv=notrunc 2>/dev/null
check "oracle: sbverify --detached refuses a changed image" bash -c '! sbverify --cert db.crt --detached bs.pk7 changed.efi'
check_fails "verify --no-verify --detached: a changed image" 1 "image hash does not match the signed hash" \
	"$BOOTSEAL" verify --no-verify --detached bs.pk7 changed.efi
check_fails "verify --detached: not PKCS#7" 1 "detached signature: signature is not PKCS#7 DER" \
	"$BOOTSEAL" verify --cert db.crt --detached db.crt img.efi
check_fails "verify --detached: no such file" 2 "verify: nope.pk7: " \
	"$BOOTSEAL" verify --cert db.crt --detached nope.pk7 img.efi
"$BOOTSEAL" sign --key other.key --cert other.crt --output signed.efi img.efi
check_eq "verify --no-verify: an attached signature by anyone" "Signature verification OK" \
	"$("$BOOTSEAL" verify --no-verify signed.efi)"
check_fails "verify --no-verify: an unsigned image" 1 "no signature table present" \
	"$BOOTSEAL" verify --no-verify img.efi
check_eq "verify --json --detached" '{"verified":true}' \
	"$("$BOOTSEAL" verify --json --cert db.crt --detached bs.pk7 img.efi | tr -d ' \n')"
cd - >/dev/null

# --- keygen --layout sbctl, and sbctl's tree as deploy --keys ---
# The layout is sbctl's (Foxboron/sbctl config.MkConfig, backend SaveKey,
# CreateGUID); sbctl itself is not in Debian 12.
"$BOOTSEAL" keygen --layout sbctl --output-dir "$work/sbctl" >/dev/null
check_eq "keygen --layout sbctl: sbctl's files and modes" \
	"$(printf '%s\n' "644 GUID" "755 keys" "755 keys/KEK" "400 keys/KEK/KEK.key" "400 keys/KEK/KEK.pem" \
		"755 keys/PK" "400 keys/PK/PK.key" "400 keys/PK/PK.pem" "755 keys/db" "400 keys/db/db.key" "400 keys/db/db.pem")" \
	"$(cd "$work/sbctl" && find . -mindepth 1 -printf '%m %P\n' | LC_ALL=C sort -k2)"
check "keygen --layout sbctl: GUID is a bare lowercase GUID, no newline" \
	grep -qxE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$work/sbctl/GUID"
check_eq "keygen --layout sbctl: GUID is 36 bytes" 36 "$(stat -c %s "$work/sbctl/GUID")"
for k in PK KEK db; do
	# PKCS#8 PEM is what `openssl pkey` writes back: the traditional RSA form would differ.
	check "keygen --layout sbctl: $k.key is PKCS#8 PEM, as sbctl writes" \
		cmp -s <(openssl pkey -in "$work/sbctl/keys/$k/$k.key") "$work/sbctl/keys/$k/$k.key"
	check_eq "keygen --layout sbctl: $k.key is $k.pem's key" \
		"$(openssl x509 -noout -pubkey -in "$work/sbctl/keys/$k/$k.pem")" "$(openssl pkey -pubout -in "$work/sbctl/keys/$k/$k.key")"
done
check_fails "keygen --layout sbctl twice without --force" 2 "keys/PK/PK.key: already exists" \
	"$BOOTSEAL" keygen --layout sbctl --output-dir "$work/sbctl"
check_fails "keygen --layout: an unknown name" 2 "unknown layout 'nope'" "$BOOTSEAL" keygen --layout nope

"$top/scripts/make-example-image" "$work/ex" >/dev/null
S=$work/sbctl/keys
"$BOOTSEAL" seal --key "$S/db/db.key" --cert "$S/db/db.pem" --sign-bootloader --quiet \
	"oci:$work/ex/image:example" "oci:$work/sealed:s" >/dev/null
ts="2024-02-29 23:59:58"
SOURCE_DATE_EPOCH=$(date -u -d "$ts" +%s) "$BOOTSEAL" deploy --allow-missing-verity --esp "$work/esp" \
	--keys "$work/sbctl" "oci:$work/sealed:s" "$work/repo" >/dev/null
check "deploy --keys SBCTL-TREE: the ESP enrolls on next boot" grep -qx "secure-boot-enroll force" "$work/esp/loader/loader.conf"
G=$(cat "$work/sbctl/GUID")
cd "$work"
signer_for() { case $1 in PK | KEK) echo PK ;; *) echo KEK ;; esac; }
for var in PK KEK db; do
	s=$(signer_for $var)
	cert-to-efi-sig-list -g "$G" "$S/$var/$var.pem" "$var.esl" >/dev/null
	sign-efi-sig-list -t "$ts" -k "$S/$s/$s.key" -c "$S/$s/$s.pem" "$var" "$var.esl" "$var.oracle.auth" >/dev/null
	check "deploy --keys SBCTL-TREE: $var.auth = sign-efi-sig-list with sbctl's $s key" \
		cmp "$var.oracle.auth" "$work/esp/loader/keys/auto/$var.auth"
done
cd - >/dev/null
keygen_other=$work/other-sbctl
"$BOOTSEAL" keygen --layout sbctl --output-dir "$keygen_other" >/dev/null
check_fails "deploy --keys SBCTL-TREE whose db did not sign the image" 1 "does not verify against the db: not signed by a trusted certificate" \
	"$BOOTSEAL" deploy --allow-missing-verity --esp "$work/esp2" --keys "$keygen_other" "oci:$work/sealed:s" "$work/repo2"

# --- ukify: inspect --json=pretty|short|off, build --section/--microcode/--sign-kernel/--signtool, genkey ---
# ukify is not in Debian 12: the oracle is ukify.py's inspect behaviour written
# against Debian's python3-pefile (the module ukify reads PE files with).
PY=/usr/bin/python3
check "python3-pefile is installed (scripts/install-deps)" $PY -c 'import pefile'
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
cache=${BOOTSEAL_TEST_CACHE:-/var/cache/bootseal-test}
kernel=$(ls "$cache"/kernel/boot/vmlinuz-* 2>/dev/null | head -1)
if [ -z "$kernel" ]; then
	# As uki.sh: a Debian kernel, downloaded (not installed).
	(mkdir -p "$work/kdl" && cd "$work/kdl" && apt-get download -q "$(apt-cache depends linux-image-amd64 |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')" >/dev/null 2>&1 && dpkg-deb -x ./*.deb x)
	kernel=$(ls "$work"/kdl/x/boot/vmlinuz-* 2>/dev/null | head -1)
	[ -n "$kernel" ] || { not_ok "a Debian kernel for the UKI tests (network?)"; exit 1; }
fi
cd "$work"
cat >inspect-oracle.py <<'PYEOF'
# What `ukify inspect` prints, per systemd's ukify.py: sections in file order;
# by default those ukify lists, with --all every one; size = VirtualSize; the
# digest of pefile's get_data(length=size); text sections decoded as UTF-8;
# json.dump (indent 4 for pretty, none for short) or the "NAME:" text form.
import hashlib, json, sys, textwrap, pefile
mode, path = sys.argv[1], sys.argv[2]
every = sys.argv[3:] == ["all"]
texts = {".cmdline", ".osrel", ".uname", ".pcrpkey", ".pcrsig", ".sbat", ".profile"}
listed = texts | {".linux", ".initrd", ".ucode", ".splash", ".dtb", ".sbom"}
out = {}
for sec in pefile.PE(path, fast_load=True).sections:
    name = sec.Name.rstrip(b"\0").decode()
    if not (every or name in listed):
        continue
    blob = sec.get_data(length=sec.Misc_VirtualSize)
    e = {"size": sec.Misc_VirtualSize, "sha256": hashlib.sha256(blob).hexdigest()}
    if name in texts:
        try:
            e["text"] = blob.decode()
        except UnicodeDecodeError:
            e["text"] = "(not valid UTF-8)"
    out[name] = e
    if mode == "off":
        print(f"{name}:\n  size: {e['size']} bytes\n  sha256: {e['sha256']}")
        if "text" in e:
            print("  text:\n" + textwrap.indent(e["text"].rstrip(), "    "))
if mode != "off":
    json.dump(out, sys.stdout, indent=4 if mode == "pretty" else None)
PYEOF
printf 'ID=t\nNAME="T\xc3\xa9st \xe2\x9c\x93 \xf0\x9f\x90\xa7"\nQUOTE="a\\b"\tTAB\n' >osr
printf 'GenuineIntel microcode' >ucode
printf 'not \xff utf-8' >bad.txt
check "ukify build --microcode --section TEXT --section @FILE" "$BOOTSEAL" ukify build --linux "$kernel" \
	--cmdline "ro quiet" --os-release @osr --stub "$STUB" --microcode ucode --section .extra:hello \
	--section .pcrsig:@bad.txt --output u.efi
check_eq "ukify build: .ucode after the initrd slot, --section after it, before .linux (ukify's order)" \
	".sbat .sdmagic .osrel .cmdline .uname .ucode .extra .pcrsig .linux" \
	"$(objdump -h u.efi | awk '$2 ~ /^\./ { print $2 }' | sed -n '7,$p' | tr '\n' ' ' | sed 's/ $//')"
objcopy -O binary --only-section=.ucode u.efi ucode.out
check "ukify build: .ucode holds the microcode" cmp <(head -c "$(stat -c %s ucode)" ucode.out) ucode
for m in short pretty off; do
	check "ukify inspect --json=$m = ukify's" cmp <($PY inspect-oracle.py $m u.efi) <("$BOOTSEAL" ukify inspect --json=$m u.efi)
done
check "ukify inspect -j = --json=pretty" cmp <($PY inspect-oracle.py pretty u.efi) <("$BOOTSEAL" ukify inspect -j u.efi)
check "ukify inspect --json short (a separate word)" cmp <($PY inspect-oracle.py short u.efi) <("$BOOTSEAL" ukify inspect --json short u.efi)
check "ukify inspect --all -j: every section" cmp <($PY inspect-oracle.py pretty u.efi all) <("$BOOTSEAL" ukify inspect --all -j u.efi)
check_eq "ukify inspect --json=short: a section that is not UTF-8" '"(not valid UTF-8)"' \
	"$("$BOOTSEAL" ukify inspect --json=short u.efi | $PY -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[".pcrsig"]["text"]))')"
check_eq "ukify inspect --section NAME:text@FILE: only it, its bytes written" \
	'{".extra": {"size": 5, "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "text": "hello"}}' \
	"$("$BOOTSEAL" ukify inspect --json=short --section .extra:text@extra.out u.efi)"
check_eq "ukify inspect --section ...@FILE wrote the section" hello "$(cat extra.out)"
check "ukify inspect (no flag) keeps bootseal's table" bash -c "'$BOOTSEAL' ukify inspect u.efi | grep -q '^section '"
check_fails "ukify inspect --json=loud" 2 "unknown --json 'loud'" "$BOOTSEAL" ukify inspect --json=loud u.efi
check_fails "ukify inspect: JSON of two files" 2 "several files need --json=off" "$BOOTSEAL" ukify inspect -j u.efi u.efi

# Section headers: Debian 12's systemd-stub 252 has room for 15, 8 of them its own.
sx=()
for i in 1 2 3 4; do sx+=(--section ".x$i:v$i"); done
check_fails "ukify build: more sections than the stub's headers hold" 2 \
	"the stub's headers hold 15 section headers \(8 its own\); this UKI needs 16" \
	"$BOOTSEAL" ukify build --linux "$kernel" --cmdline ro --os-release @osr --stub "$STUB" "${sx[@]}" --output h.efi
check "ukify build: one fewer fits" "$BOOTSEAL" ukify build --linux "$kernel" --cmdline ro --os-release @osr \
	--stub "$STUB" "${sx[@]:0:6}" --output h.efi
check_fails "ukify build --section: a name over 8 bytes" 2 "bad section name" \
	"$BOOTSEAL" ukify build --linux "$kernel" --section .toolongname:x --output z.efi
check_fails "ukify build --section: two ':' (ukify refuses them too)" 2 "more than one ':'" \
	"$BOOTSEAL" ukify build --linux "$kernel" --section .a:b:c --output z.efi
check_fails "ukify build --section: a section ukify already writes" 2 "duplicate section .cmdline" \
	"$BOOTSEAL" ukify build --linux "$kernel" --cmdline x --section .cmdline:y --stub "$STUB" --output z.efi
check_fails "ukify build --signtool: only ukify's two" 2 "unknown --signtool 'osslsigncode'" \
	"$BOOTSEAL" ukify build --linux "$kernel" --signtool osslsigncode --output z.efi
check_fails "ukify build --sign-kernel without a key (ukify refuses it too)" 2 "--sign-kernel needs --secureboot-private-key" \
	"$BOOTSEAL" ukify build --linux "$kernel" --sign-kernel --output z.efi

# --sign-kernel: Debian's kernel is signed; a copy without its signature is not.
cp "$kernel" k.signed && cp "$kernel" k.unsigned && sbattach --remove k.unsigned >/dev/null 2>&1
cat >trim.py <<'PYEOF'
# The kernel in a UKI's .linux, cut at the end of its certificate table (the section is padded).
import sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
d = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_SECURITY"]]
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data[:d.VirtualAddress + d.Size] if d.VirtualAddress else data)
PYEOF
for mode in default sign-kernel no-sign-kernel; do
	for k in signed unsigned; do
		f=() && [ $mode != default ] && f=(--$mode)
		# One signing time for both: the same signer must give the same bytes.
		for tool in sbsign pesign; do
			SOURCE_DATE_EPOCH=1700000000 "$BOOTSEAL" ukify build --linux k.$k --cmdline ro --os-release @osr \
				--stub "$STUB" --signtool $tool --secureboot-private-key db.key --secureboot-certificate db.crt \
				"${f[@]}" --output "s-$mode-$k-$tool.efi"
		done
		check "ukify build --signtool pesign = sbsign: bootseal's signer ($mode, $k kernel)" \
			cmp "s-$mode-$k-sbsign.efi" "s-$mode-$k-pesign.efi"
		objcopy -O binary --only-section=.linux "s-$mode-$k-sbsign.efi" lin.raw && $PY trim.py lin.raw "lin-$mode-$k"
	done
done
check "ukify build (default): an unsigned kernel is signed with the UKI's key (sbverify)" sbverify --cert db.crt lin-default-unsigned
check "ukify build (default): a signed kernel is left as it is" cmp <(head -c "$(stat -c %s k.signed)" lin-default-signed) k.signed
check "ukify build --sign-kernel: a signed kernel gets the UKI's signature too (sbverify)" sbverify --cert db.crt lin-sign-kernel-signed
check "ukify build --no-sign-kernel: an unsigned kernel stays unsigned" \
	bash -c 'sbverify --list "$1" 2>&1 | grep -q "No signature table present"' _ lin-no-sign-kernel-unsigned
check "ukify build --signtool sbsign: the UKI verifies (sbverify)" sbverify --cert db.crt s-default-signed-sbsign.efi

# genkey: ukify's key pair for signing.
check "ukify genkey" "$BOOTSEAL" ukify genkey --secureboot-private-key sb.key --secureboot-certificate sb.crt \
	--secureboot-certificate-validity 30
check_eq "ukify genkey: the key is private" 600 "$(stat -c %a sb.key)"
check_eq "ukify genkey: RSA 2048, ukify's key length" "Public-Key: (2048 bit)" "$(openssl pkey -in sb.key -noout -text_pub | head -1)"
check_eq "ukify genkey: ukify's subject" "subject=CN = SecureBoot signing key on host $($PY -c 'import socket; print(socket.getfqdn())')" \
	"$(openssl x509 -in sb.crt -noout -subject)"
check_eq "ukify genkey: basicConstraints critical CA:FALSE only" \
	"$(printf '%s\n' "X509v3 Basic Constraints: critical" "CA:FALSE")" \
	"$(openssl x509 -in sb.crt -noout -ext basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier | sed 's/^ *//')"
check_eq "ukify genkey --secureboot-certificate-validity 30: 30 days" 2592000 \
	"$(( $(date -d "$(openssl x509 -in sb.crt -noout -enddate | cut -d= -f2)" +%s) - $(date -d "$(openssl x509 -in sb.crt -noout -startdate | cut -d= -f2)" +%s) ))"
check_eq "ukify genkey: the pair signs a UKI that verifies" "Signature verification OK" \
	"$("$BOOTSEAL" ukify build --linux k.unsigned --os-release @osr --stub "$STUB" --secureboot-private-key sb.key \
		--secureboot-certificate sb.crt --output g.efi && sbverify --cert sb.crt g.efi 2>/dev/null | tail -1)"
check_fails "ukify genkey: an existing file is refused (ukify: 'is present')" 2 "sb.key: is present" \
	"$BOOTSEAL" ukify genkey --secureboot-private-key sb.key --secureboot-certificate new.crt
check "ukify genkey: nothing written when refused" test ! -e new.crt
check_fails "ukify genkey: both files are needed" 2 "genkey: --secureboot-private-key and --secureboot-certificate are required" \
	"$BOOTSEAL" ukify genkey --secureboot-private-key only.key
cd - >/dev/null

finish
