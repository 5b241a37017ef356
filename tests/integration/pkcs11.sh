#!/usr/bin/env bash
# Keys that never leave a token: a db key imported into SoftHSM signs
# through a pkcs11: URI (libp11's engine, Debian's only PKCS#11 route for
# OpenSSL 3) exactly the bytes the same key signs from a file, in `sign`,
# `auth sign`, `ukify build` and `seal`; a wrong PIN is one line that does
# not show it.
source "$(dirname "$0")/../lib.sh"
need softhsm2-util sbverify openssl umoci
engine=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')/pkcs11.so
[ -f "$engine" ] || { not_ok "libp11's OpenSSL engine at $engine (run scripts/install-deps)"; exit 1; }
B=$BOOTSEAL
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000
# libp11 makes key methods that OpenSSL's exit-time cleanup does not free
# after a failed login: LeakSanitizer findings of theirs, named narrowly
# (bootseal makes no key methods).
printf 'leak:EVP_PKEY_meth_new\nleak:EC_KEY_METHOD_new\nleak:RSA_meth_new\nleak:RSA_meth_dup\n' >lsan.supp
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$work/lsan.supp:print_suppressions=0
# Whole stacks through libcrypto (no frame pointers), or the names above are not in them.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" >softhsm2.conf
export SOFTHSM2_CONF=$work/softhsm2.conf
softhsm2-util --init-token --free --label bootseal --pin 1234 --so-pin 5678 >/dev/null
"$B" keygen --output-dir keys >/dev/null
softhsm2-util --import keys/db.key --token bootseal --label db --id 01 --pin 1234 >/dev/null
# The PIN from a file (RFC 7512 pin-source), not the command line.
printf '1234\n' >pin && chmod 600 pin
printf '9999\n' >wrong-pin
uri="pkcs11:token=bootseal;object=db;type=private?pin-source=file:$work/pin"

stub=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
check "sign with a token key" "$B" sign --key "$uri" --cert keys/db.crt --output token.efi "$stub"
check "sbverify accepts it" sbverify --cert keys/db.crt token.efi
"$B" sign --key keys/db.key --cert keys/db.crt --output file.efi "$stub"
check "the token signs the bytes the key file signs" cmp token.efi file.efi

check "auth sign with a token key" "$B" auth sign --var db --key "$uri" --cert keys/db.crt -o token.auth keys/KEK.esl
"$B" auth sign --var db --key keys/db.key --cert keys/db.crt -o file.auth keys/KEK.esl
check "the token's .auth equals the key file's" cmp token.auth file.auth

kernel=/usr/lib/systemd/boot/efi/linuxx64.efi.stub   # any PE will do as the kernel here
ukify() { # KEY OUT
	"$B" ukify build --linux "$kernel" --stub "$kernel" --cmdline quiet --secureboot-private-key "$1" \
		--secureboot-certificate keys/db.crt --output "$2" >/dev/null 2>&1
}
ukify "$uri" uki-token.efi
ukify keys/db.key uki-file.efi
check "ukify build with a token key" sbverify --cert keys/db.crt uki-token.efi
check "the token's UKI equals the key file's" cmp uki-token.efi uki-file.efi

"$top/scripts/make-example-image" ex >/dev/null
check "seal with a token key" "$B" seal --key "$uri" --cert keys/db.crt oci:ex/image:example oci:token:x
"$B" seal --key keys/db.key --cert keys/db.crt oci:ex/image:example oci:file:x >/dev/null
check "the token's seal equals the key file's" cmp token/index.json file/index.json
check "verify-seal accepts it" "$B" verify-seal --db keys/db.crt oci:token:x

check "pin-source=PATH (no file:)" \
	"$B" sign --key "${uri/file:/}" --cert keys/db.crt --output path.efi "$stub"
check "pin-source=env:NAME" env PIN=1234 "$B" sign --key "${uri/file:$work\/pin/env:PIN}" --cert keys/db.crt \
	--output env.efi "$stub"
check "pin-source=fd:N" "$B" sign --key "${uri/file:$work\/pin/fd:3}" --cert keys/db.crt --output fd.efi "$stub" 3<pin
check "each signs the same bytes" sh -c "cmp path.efi file.efi && cmp env.efi file.efi && cmp fd.efi file.efi"
check "pin-value= still works" "$B" sign --key "${uri/pin-source=file:$work\/pin/pin-value=1234}" --cert keys/db.crt \
	--output value.efi "$stub"
check_fails "a wrong PIN: exit 2, one line, the PIN not shown" 2 \
	"^bootseal: sign: pkcs11:token=bootseal;object=db;type=private: no private key found" \
	"$B" sign --key "${uri%/pin}/wrong-pin" --cert keys/db.crt --output wrong.efi "$stub"
rc=0
"$B" sign --key "${uri/pin-source=file:$work\/pin/pin-value=9999}" --cert keys/db.crt --output wrong.efi "$stub" \
	2>err || rc=$?
check_eq "a wrong pin-value: exit 2, the warning and one error line, the PIN not shown" "2 2 0" \
	"$rc $(wc -l <err) $(grep -c 9999 err)"
check "a wrong PIN writes nothing" test ! -e wrong.efi
check_fails "no PIN: refused at once, nothing prompts" 2 "no private key found" \
	timeout 20 "$B" sign --key "${uri%%\?*}" --cert keys/db.crt --output wrong.efi "$stub"
check_fails "an object the token lacks" 2 "no private key found" \
	"$B" sign --key "${uri/object=db/object=nope}" --cert keys/db.crt --output wrong.efi "$stub"
finish
