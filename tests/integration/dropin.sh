#!/usr/bin/env bash
# Forms users bring from the tools bootseal replaces (issue 20): bootc's
# container spellings, C mkcomposefs/composefs-info flags and actions,
# sbverify --detached, ukify's inspect/build/genkey forms, sbctl's key tree.
. "$(dirname "$0")/../lib.sh"
need python3 fsverity openssl sbsign sbverify cert-to-efi-sig-list sign-efi-sig-list umoci

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
	check "keygen --layout sbctl: $k.key is PKCS#8 PEM, as sbctl writes" grep -qx -- '-----BEGIN PRIVATE KEY-----' "$work/sbctl/keys/$k/$k.key"
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

finish
