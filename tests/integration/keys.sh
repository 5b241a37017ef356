#!/usr/bin/env bash
# keygen, esl and auth against efitools (cert-to-efi-sig-list, sign-efi-sig-list,
# sig-list-to-certs), sbsigntool's sbsiglist and openssl. Every key is made
# here, at run time; none is committed.
. "$(dirname "$0")/../lib.sh"
need openssl cert-to-efi-sig-list sign-efi-sig-list sig-list-to-certs sbsiglist cmp od

G=7e2c5a3d-1b4f-4c8e-9a60-2d3f4b5c6d7e
cd "$work" || exit 1

# Oracle keys come from openssl req, not from bootseal.
mkkey() { # NAME REQ-ARGS...
	openssl req -new -x509 "${@:2}" -nodes -subj "/CN=$1" -days 3650 -sha256 \
		-keyout "$1.key" -out "$1.crt" 2>/dev/null &&
		openssl x509 -in "$1.crt" -outform DER -out "$1.cer"
}
{ mkkey PK -newkey rsa:2048 && mkkey KEK -newkey rsa:2048 && mkkey db -newkey rsa:2048 &&
	mkkey big -newkey rsa:4096 && mkkey ec -newkey ec -pkeyopt ec_paramgen_curve:P-256; } ||
	{ not_ok "openssl makes test keys"; exit 1; }

expires() { ! openssl x509 -in "$1" -noout -checkend "$2" >/dev/null; }
same() { # NAME FILE1 FILE2: byte-identical
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; cmp "$2" "$3" | sed 's/^/#   /'; fi
}

# ---- EFI signature lists ----
for n in PK KEK db big ec; do
	cert-to-efi-sig-list -g "$G" "$n.crt" "$n.oracle.esl" >/dev/null
	sbsiglist --owner "$G" --type x509 --output "$n.sbsiglist.esl" "$n.cer"
	"$BOOTSEAL" esl from-cert --owner-guid "$G" --output "$n.esl" "$n.crt"
	same "esl $n from PEM = cert-to-efi-sig-list" "$n.oracle.esl" "$n.esl"
	same "esl $n = sbsiglist --type x509" "$n.sbsiglist.esl" "$n.esl"
	"$BOOTSEAL" esl from-cert --owner-guid "$G" --output "$n.der.esl" "$n.cer"
	same "esl $n from DER = cert-to-efi-sig-list" "$n.oracle.esl" "$n.der.esl"
done
cert-to-efi-sig-list db.crt db.zero.oracle.esl >/dev/null
"$BOOTSEAL" esl from-cert --output db.zero.esl db.crt
same "esl from-cert without --owner-guid = cert-to-efi-sig-list without -g (zero GUID)" db.zero.oracle.esl db.zero.esl
check_fails "esl from-hash still needs --owner-guid, as sbsiglist" 2 "owner-guid is required" \
	"$BOOTSEAL" esl from-hash -o h0.esl "$(printf '0%.0s' $(seq 64))"
cat PK.oracle.esl KEK.oracle.esl db.oracle.esl >three.oracle.esl
"$BOOTSEAL" esl from-cert --owner-guid "$G" -o three.esl PK.crt KEK.cer db.crt
same "esl of three certs = three efitools lists concatenated" three.oracle.esl three.esl
check_eq "GUID stored as in the spec (a1 59 c0 a5 ...)" "a159c0a5e494a74a87b5ab155c2bf072" \
	"$(od -An -tx1 -N16 db.esl | tr -d ' \n')"

h1=$(printf 'one' | openssl dgst -sha256 -r | cut -c1-64)
h2=$(printf 'two' | openssl dgst -sha256 -r | cut -c1-64)
printf 'one' | openssl dgst -sha256 -binary >h1.bin
sbsiglist --owner "$G" --type sha256 --output h1.oracle.esl h1.bin
"$BOOTSEAL" esl from-hash --owner-guid "$G" -o h1.esl "$h1"
same "esl from-hash = sbsiglist --type sha256" h1.oracle.esl h1.esl
"$BOOTSEAL" esl from-hash --owner-guid "$G" -o h2.esl "$h1" "$h2"
check_eq "two hashes share one list of 28 + 2 * 48 bytes" 124 "$(stat -c %s h2.esl)"
check_eq "esl list shows both hashes" "sha256 $G $h1
sha256 $G $h2" "$("$BOOTSEAL" esl list h2.esl)"
check_eq "esl list shows the certificates" "x509 $G CN=PK
x509 $G CN=KEK
x509 $G CN=db" "$("$BOOTSEAL" esl list three.esl)"

# Round trip: efitools takes the certificate back out.
for n in PK db big; do
	sig-list-to-certs "$n.esl" "rt-$n" >/dev/null
	same "sig-list-to-certs $n.esl gives the same DER" "$n.cer" "rt-$n-0.der"
done

# ---- signed updates ----
signer_for() { case $1 in PK | KEK) echo PK ;; *) echo KEK ;; esac; }
ts="2024-02-29 23:59:58"
for var in PK KEK db dbx; do
	s=$(signer_for "$var")
	esl=$([ "$var" = dbx ] && echo h2.esl || echo "$var.esl")
	for mode in replace append; do
		a=() && [ $mode = append ] && a=(-a)
		sign-efi-sig-list "${a[@]}" -t "$ts" -g "$G" -k "$s.key" -c "$s.crt" "$var" "$esl" \
			"$var.$mode.oracle.auth" >/dev/null
		b=() && [ $mode = append ] && b=(--append)
		"$BOOTSEAL" auth sign --var "$var" --owner-guid "$G" --key "$s.key" --cert "$s.crt" \
			"${b[@]}" --timestamp "$ts" --output "$var.$mode.auth" "$esl"
		same "auth $var $mode signed by $s = sign-efi-sig-list" "$var.$mode.oracle.auth" "$var.$mode.auth"
	done
done
for t in "2000-01-01 00:00:00" "2037-12-31 23:59:59" "2099-06-15 12:30:45"; do
	sign-efi-sig-list -t "$t" -g "$G" -k big.key -c big.crt db db.esl big.oracle.auth >/dev/null
	"$BOOTSEAL" auth sign --var db --owner-guid "$G" --key big.key --cert big.crt --timestamp "$t" \
		-o big.auth db.esl
	same "auth with an RSA 4096 signer at $t = sign-efi-sig-list" big.oracle.auth big.auth
done
sign-efi-sig-list -t "$ts" -g "$G" -k ec.key -c ec.crt db db.esl ec.oracle.auth >/dev/null 2>&1 &&
	"$BOOTSEAL" auth sign --var db --key ec.key --cert ec.crt --timestamp "$ts" -o ec.auth db.esl &&
	check "auth with an ECDSA P-256 signer verifies" "$BOOTSEAL" auth verify --signer ec.crt ec.auth
sign-efi-sig-list -t "$ts" -g "$G" -k KEK.key -c KEK.crt MokList db.esl mok.oracle.auth >/dev/null
"$BOOTSEAL" auth sign --var MokList --owner-guid "$G" --key KEK.key --cert KEK.crt --timestamp "$ts" -o mok.auth db.esl
same "auth of another variable: --owner-guid is its vendor GUID, as -g" mok.oracle.auth mok.auth
check_fails "auth of another variable needs --owner-guid" 2 "variable 'MokList' is not PK, KEK, db or dbx" \
	"$BOOTSEAL" auth sign --var MokList --key KEK.key --cert KEK.crt -o mok.auth db.esl
: >empty.esl
sign-efi-sig-list -t "$ts" -k KEK.key -c KEK.crt db empty.esl delete.oracle.auth >/dev/null
"$BOOTSEAL" auth sign --var db --key KEK.key --cert KEK.crt --timestamp "$ts" -o delete.auth empty.esl
same "auth over an empty list (deletes the variable) = sign-efi-sig-list" delete.oracle.auth delete.auth
check "auth verify accepts the deletion" "$BOOTSEAL" auth verify --signer KEK.crt delete.auth
check_eq "EFI_TIME of 2024-02-29 23:59:58" "e8 07 02 1d 17 3b 3a 00 00 00 00 00 00 00 00 00" \
	"$(od -An -tx1 -N16 db.replace.auth | sed 's/^ //')"

# Keys from fd: and env: give the same bytes.
SBKEY=$(cat KEK.key) "$BOOTSEAL" auth sign --var db --key env:SBKEY --cert KEK.crt --timestamp "$ts" \
	-o env.auth db.esl
same "--key env:NAME signs the same" db.replace.oracle.auth env.auth
"$BOOTSEAL" auth sign --var db --key fd:3 --cert fd:4 --timestamp "$ts" -o fd.auth db.esl 3<KEK.key 4<KEK.cer
same "--key fd:N --cert fd:N (DER) sign the same" db.replace.oracle.auth fd.auth

# SOURCE_DATE_EPOCH: 1700000000 is 2023-11-14 22:13:20 UTC.
SOURCE_DATE_EPOCH=1700000000 "$BOOTSEAL" auth sign --var KEK --key PK.key --cert PK.crt -o sde1.auth KEK.esl
sleep 1
SOURCE_DATE_EPOCH=1700000000 "$BOOTSEAL" auth sign --var KEK --key PK.key --cert PK.crt -o sde2.auth KEK.esl
sign-efi-sig-list -t "2023-11-14 22:13:20" -k PK.key -c PK.crt KEK KEK.esl sde.oracle.auth >/dev/null
same "SOURCE_DATE_EPOCH makes auth sign reproducible" sde1.auth sde2.auth
same "SOURCE_DATE_EPOCH is the timestamp sign-efi-sig-list -t gets" sde.oracle.auth sde1.auth

# openssl smime verifies the signed bytes of the spec: name (UTF-16LE) ||
# vendor GUID || attributes || EFI_TIME || data, with the bare SignedData
# put back into a ContentInfo.
be16() { printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))"; }
wrap() { # AUTH OUT: ContentInfo { signedData, [0] SignedData }
	local len
	len=$(($(od -An -tu4 -j16 -N4 "$1") - 24))
	{ printf '\x30\x82'; be16 $((len + 15)); printf '\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02\xa0\x82'
	  be16 "$len"; tail -c +41 "$1" | head -c "$len"; } >"$2"
}
content() { # VAR ATTR AUTH ESL OUT
	local guid
	case $1 in
	PK) guid='\x61\xdf\xe4\x8b\xca\x93\xd2\x11\xaa\x0d\x00\xe0\x98\x03\x2b\x8c'; printf 'P\0K\0' ;;
	KEK) guid='\x61\xdf\xe4\x8b\xca\x93\xd2\x11\xaa\x0d\x00\xe0\x98\x03\x2b\x8c'; printf 'K\0E\0K\0' ;;
	db) guid='\xcb\xb2\x19\xd7\x3a\x3d\x96\x45\xa3\xbc\xda\xd0\x0e\x67\x65\x6f'; printf 'd\0b\0' ;;
	dbx) guid='\xcb\xb2\x19\xd7\x3a\x3d\x96\x45\xa3\xbc\xda\xd0\x0e\x67\x65\x6f'; printf 'd\0b\0x\0' ;;
	esac >"$5"
	{ printf "$guid"; printf "\\x$2\\x00\\x00\\x00"; head -c 16 "$3"; cat "$4"; } >>"$5"
}
for var in PK KEK db dbx; do
	s=$(signer_for "$var")
	esl=$([ "$var" = dbx ] && echo h2.esl || echo "$var.esl")
	for mode in replace append; do
		attr=$([ $mode = append ] && echo 67 || echo 27)
		wrap "$var.$mode.auth" "$var.$mode.p7"
		content "$var" "$attr" "$var.$mode.auth" "$esl" "$var.$mode.content"
		check "openssl smime verifies $var $mode against $s.crt" openssl smime -verify -binary \
			-inform DER -in "$var.$mode.p7" -content "$var.$mode.content" -CAfile "$s.crt" \
			-purpose any -out /dev/null
	done
done

# ---- auth verify ----
check "auth verify: db signed by KEK" "$BOOTSEAL" auth verify --signer KEK.crt db.replace.auth
check_eq "auth verify names the variable and mode" \
	"db.append.auth: verified: db append, time $ts, signer CN=KEK" \
	"$("$BOOTSEAL" auth verify --signer KEK.cer db.append.auth)"
check "auth verify: efitools' PK.auth against PK.crt" "$BOOTSEAL" auth verify --signer PK.crt PK.replace.oracle.auth
check_fails "auth verify: db.auth against the wrong signer exits 1" 1 \
	"^bootseal: auth verify: db.replace.auth: signature does not verify against db.crt" \
	"$BOOTSEAL" auth verify --signer db.crt db.replace.auth
sign-efi-sig-list -t "$ts" -k db.key -c db.crt db db.esl wrong.auth >/dev/null
check_fails "auth verify: db.auth signed by db instead of KEK exits 1" 1 "does not verify against KEK.crt" \
	"$BOOTSEAL" auth verify --signer KEK.crt wrong.auth
check_fails "auth verify --var KEK on a db update exits 1" 1 "does not verify against KEK.crt for KEK" \
	"$BOOTSEAL" auth verify --signer KEK.crt --var KEK db.replace.auth
# One flipped byte of the data after the header.
cp db.replace.auth flipped.auth
printf '\x00' | dd of=flipped.auth bs=1 seek=$(($(stat -c %s flipped.auth) - 100)) conv=notrunc 2>/dev/null
check_fails "auth verify: a changed byte in the signed certificate list exits 1" 1 "flipped.auth: signature does not verify" \
	"$BOOTSEAL" auth verify --signer KEK.crt flipped.auth

# ---- bad input: exit 2, one line naming the file, no output ----
put_le32() { # FILE OFFSET VALUE
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($3 & 255)) $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.key 2>/dev/null
check_fails "esl from-cert with a private key PEM" 2 "esl from-cert: PK.key: not an X.509 certificate \(PEM block is PRIVATE KEY\)" \
	"$BOOTSEAL" esl from-cert --owner-guid "$G" -o notcert.esl PK.key
check "esl from-cert with a key PEM leaves no output" test ! -e notcert.esl
openssl genpkey -algorithm ed25519 -out ed.key 2>/dev/null
openssl req -new -x509 -key ed.key -subj /CN=ed -days 10 -out ed.crt 2>/dev/null
check_fails "sign refuses an Ed25519 key, naming it and what is accepted" 2 \
	"sign: ed.key: cannot sign with a key of type ED25519: RSA and ECDSA keys are accepted" \
	"$BOOTSEAL" sign --key ed.key --cert ed.crt --output ed.efi /usr/lib/systemd/boot/efi/systemd-bootx64.efi
check_fails "auth sign refuses an Ed25519 key" 2 "auth sign: ed.key: cannot sign with a key of type ED25519" \
	"$BOOTSEAL" auth sign --var db --key ed.key --cert ed.crt -o ed.auth db.esl
check "no output from an Ed25519 key" test ! -e ed.efi -a ! -e ed.auth
head -c 500 db.esl >trunc.esl
check_fails "esl list: truncated list" 2 "esl list: trunc.esl: signature list at offset 0 claims [0-9]+ bytes, 500 are left" \
	"$BOOTSEAL" esl list trunc.esl
head -c 20 db.esl >short.esl
check_fails "esl list: truncated header" 2 "esl list: short.esl: truncated signature list header" \
	"$BOOTSEAL" esl list short.esl
# SignatureSize one byte short: the entries no longer fill the list.
cp db.esl sizes.esl
put_le32 sizes.esl 24 $(($(od -An -tu4 -j24 -N4 db.esl) - 1))
check_fails "esl list: list and signature sizes disagree" 2 "esl list: sizes.esl: .*not a multiple of signature size" \
	"$BOOTSEAL" esl list sizes.esl
cp db.esl hdr.esl
put_le32 hdr.esl 20 4294967295
check_fails "esl list: header size 0xffffffff (32-bit wrap)" 2 "esl list: hdr.esl: .*header size 4294967295 exceeds" \
	"$BOOTSEAL" esl list hdr.esl
echo previous >keep.auth
check_fails "auth sign: truncated esl" 2 "auth sign: trunc.esl: signature list at offset 0" \
	"$BOOTSEAL" auth sign --var db --key KEK.key --cert KEK.crt --timestamp "$ts" -o keep.auth trunc.esl
check_fails "auth sign: esl sizes disagree" 2 "auth sign: sizes.esl:" \
	"$BOOTSEAL" auth sign --var db --key KEK.key --cert KEK.crt --timestamp "$ts" -o keep.auth sizes.esl
check_fails "auth sign: key does not match the cert" 2 "auth sign: KEK.crt: private key does not match this certificate" \
	"$BOOTSEAL" auth sign --var db --key other.key --cert KEK.crt --timestamp "$ts" -o keep.auth db.esl
check_fails "auth sign: cert is not a cert" 2 "auth sign: KEK.key: not an X.509 certificate" \
	"$BOOTSEAL" auth sign --var db --key KEK.key --cert KEK.key --timestamp "$ts" -o keep.auth db.esl
check_fails "auth sign: key is not a key" 2 "auth sign: KEK.crt: not a private key \(PEM block is CERTIFICATE\)" \
	"$BOOTSEAL" auth sign --var db --key KEK.crt --cert KEK.crt --timestamp "$ts" -o keep.auth db.esl
check_fails "auth sign: month 13" 2 "invalid timestamp '2024-13-01 00:00:00'" \
	"$BOOTSEAL" auth sign --var db --key KEK.key --cert KEK.crt --timestamp "2024-13-01 00:00:00" -o keep.auth db.esl
check_eq "failed auth sign runs left the existing output untouched" previous "$(cat keep.auth)"
check_eq "and left no temporary files" "" "$(ls -A | grep '\.tmp-' || true)"
for off in 7 8 12 14 15; do
	cp db.replace.auth "pad$off.auth"
	printf '\x01' | dd of="pad$off.auth" bs=1 seek=$off conv=notrunc 2>/dev/null
	check_fails "auth verify: non-zero EFI_TIME byte $off" 2 "auth verify: pad$off.auth: EFI_TIME byte $off must be zero" \
		"$BOOTSEAL" auth verify --signer KEK.crt "pad$off.auth"
done
head -c 600 db.replace.auth >cut.auth
check_fails "auth verify: truncated auth" 2 "auth verify: cut.auth: WIN_CERTIFICATE length .* does not fit" \
	"$BOOTSEAL" auth verify --signer KEK.crt cut.auth

# ---- keygen ----
SOURCE_DATE_EPOCH=1700000000 "$BOOTSEAL" keygen --output-dir kg/keys --owner-guid "$G" >kg.out 2>&1
check_eq "keygen prints nothing and succeeds" "" "$(cat kg.out)"
for f in PK KEK db; do
	check_eq "keygen: $f.key is 0600" 600 "$(stat -c %a "kg/keys/$f.key")"
	check_eq "keygen: $f.crt subject is CN=$f" "subject=CN = $f" "$(openssl x509 -in "kg/keys/$f.crt" -noout -subject)"
	check "keygen: $f.key matches $f.crt" test "$(openssl pkey -in "kg/keys/$f.key" -pubout)" = \
		"$(openssl x509 -in "kg/keys/$f.crt" -noout -pubkey)"
	openssl x509 -in "kg/keys/$f.crt" -outform DER -out "kg-$f.cer"
	same "keygen: $f.cer is $f.crt in DER" "kg-$f.cer" "kg/keys/$f.cer"
	cert-to-efi-sig-list -g "$G" "kg/keys/$f.crt" "kg-$f.esl" >/dev/null
	same "keygen: $f.esl = cert-to-efi-sig-list" "kg-$f.esl" "kg/keys/$f.esl"
	s=$(signer_for "$f")
	sign-efi-sig-list -t "2023-11-14 22:13:20" -g "$G" -k "kg/keys/$s.key" -c "kg/keys/$s.crt" "$f" \
		"kg/keys/$f.esl" "kg-$f.auth" >/dev/null
	same "keygen: $f.auth = sign-efi-sig-list by $s" "kg-$f.auth" "kg/keys/$f.auth"
	same "keygen: loader/keys/auto/$f.auth is $f.auth" "kg/keys/$f.auth" "kg/keys/loader/keys/auto/$f.auth"
	same "keygen: sb-$f.key alias" "kg/keys/$f.key" "kg/keys/sb-$f.key"
	same "keygen: sb-$f.crt alias" "kg/keys/$f.crt" "kg/keys/sb-$f.crt"
done
check_eq "keygen: GUID.txt" "$G" "$(cat kg/keys/GUID.txt)"
check_eq "keygen: certificate extensions are openssl req's" \
	"X509v3 Subject Key Identifier,X509v3 Authority Key Identifier,X509v3 Basic Constraints: critical,CA:TRUE" \
	"$(openssl x509 -in kg/keys/db.crt -noout -text | grep -A1 -E 'X509v3 (Sub|Auth|Basic)' | grep -v -- -- |
		sed 's/^ *//; s/: *$//' | grep -v -E '^([0-9A-F]{2}:)+[0-9A-F]{2}$' | paste -sd,)"
check_eq "keygen: validity 3650 days" "$(date -u -d "@$(($(date -d "$(openssl x509 -in kg/keys/PK.crt -noout -startdate | cut -d= -f2)" +%s) + 3650 * 86400))" +%Y%m%d)" \
	"$(date -u -d "$(openssl x509 -in kg/keys/PK.crt -noout -enddate | cut -d= -f2)" +%Y%m%d)"
check_eq "keygen: sha256WithRSAEncryption, RSA 2048" "sha256WithRSAEncryption 2048" \
	"$(openssl x509 -in kg/keys/db.crt -noout -text | grep -m1 -o 'sha256WithRSAEncryption') $(openssl x509 -in kg/keys/db.crt -noout -text | grep -o 'Public-Key: ([0-9]*' | tr -dc 0-9)"

# No private key byte in any other output: the PEM body lines, and 16-byte
# windows of the DER taken after the (public) modulus.
leaks=0
for f in PK KEK db; do
	grep -v -- ----- "kg/keys/$f.key" >"body-$f"
	openssl pkey -in "kg/keys/$f.key" -outform DER -out "der-$f"
	for off in 400 600 800 1000 1150; do
		od -An -tx1 -v -j $off -N16 "der-$f" | tr -d ' \n'
		echo
	done >"win-$f"
	while IFS= read -r out; do
		grep -qF -f "body-$f" "$out" && { echo "#   $f PEM body line in $out"; leaks=$((leaks + 1)); }
		hex=$(od -An -tx1 -v "$out" | tr -d ' \n')
		while read -r w; do
			[[ $hex == *"$w"* ]] && { echo "#   $f DER bytes in $out"; leaks=$((leaks + 1)); }
		done <"win-$f"
	done < <(find kg -type f ! -name '*.key'; echo kg.out)
done
check_eq "no private key bytes in any non-key keygen output" 0 "$leaks"

before=$(cat kg/keys/*.key kg/keys/*.auth | openssl dgst -sha256 -r)
check_fails "keygen refuses to overwrite without --force" 2 "keygen: kg/keys/PK.key: already exists \(use --force to replace\)" \
	"$BOOTSEAL" keygen --output-dir kg/keys
check_eq "the refused run changed nothing" "$before" "$(cat kg/keys/*.key kg/keys/*.auth | openssl dgst -sha256 -r)"
check "keygen --force replaces" "$BOOTSEAL" keygen --output-dir kg/keys --force --owner-guid "$G"
check "the replaced keys differ" test "$before" != "$(cat kg/keys/*.key kg/keys/*.auth | openssl dgst -sha256 -r)"
check "after --force, db.auth verifies against the new KEK" "$BOOTSEAL" auth verify --signer kg/keys/KEK.crt kg/keys/db.auth

mkdir -p blocked/keys && echo x >blocked/keys/loader
check_fails "keygen into a dir where loader/ is a file fails" 2 "blocked/keys/loader" \
	"$BOOTSEAL" keygen --output-dir blocked/keys --force
check_eq "and leaves no key and no temporary directory" "loader" "$(ls -A blocked/keys; ls -A blocked | grep -v '^keys$')"

"$BOOTSEAL" keygen --output-dir ec/keys --key-type ecdsa-p384 --days 30 --subject-prefix "Acme " >/dev/null
check_eq "keygen --key-type ecdsa-p384: the key is on P-384" "NIST CURVE: P-384" \
	"$(openssl x509 -in ec/keys/db.crt -noout -text | grep -o 'NIST CURVE: P-384')"
check_eq "keygen --subject-prefix" "subject=CN = Acme KEK" "$(openssl x509 -in ec/keys/KEK.crt -noout -subject)"
check "keygen --days 30: still valid in 29 days" openssl x509 -in ec/keys/PK.crt -noout -checkend $((29 * 86400))
check "keygen --days 30: expired in 31 days" expires ec/keys/PK.crt $((31 * 86400))
wrap ec/keys/db.auth ec-db.p7
content db 27 ec/keys/db.auth ec/keys/db.esl ec-db.content
check "ECDSA db.auth verifies with openssl smime against KEK.crt" openssl smime -verify -binary -inform DER \
	-in ec-db.p7 -content ec-db.content -CAfile ec/keys/KEK.crt -purpose any -out /dev/null
check_fails "keygen --key-type rsa1024 is refused" 2 "unknown key type 'rsa1024'" \
	"$BOOTSEAL" keygen --output-dir nope --key-type rsa1024

# ---- ephemeral ----
TMPDIR=$work "$BOOTSEAL" keygen --ephemeral --owner-guid "$G" >eph.out
edir=$(sed -n 's/^dir //p' eph.out)
ekey=$(sed -n 's/^key //p' eph.out)
ecrt=$(sed -n 's/^cert //p' eph.out)
check "ephemeral: a new directory under TMPDIR" test -d "$edir" -a "${edir#"$work"/bootseal-ephemeral-}" != "$edir"
check_eq "ephemeral: directory 0700, key 0600" "700 600" "$(stat -c %a "$edir") $(stat -c %a "$ekey")"
check_eq "ephemeral: db key pair and lists only" "db.cer db.crt db.esl db.key" "$(ls "$edir" | paste -sd' ')"
check "ephemeral: valid for a day" openssl x509 -in "$ecrt" -noout -checkend 86000
check "ephemeral: not valid after a day" expires "$ecrt" 86401
check_fails "ephemeral refuses --output-dir" 2 "--ephemeral writes to a new temporary directory" \
	"$BOOTSEAL" keygen --ephemeral --output-dir x

finish
