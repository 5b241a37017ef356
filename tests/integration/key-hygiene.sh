#!/usr/bin/env bash
# Key hygiene (issue 9): make throwaway keys with keygen, use them with every
# command that takes a private key (sign, sign --detached, ukify build, auth
# sign), including failing calls and keys passed as env:NAME and fd:N, then
# scan every output and log for the private keys' bytes: each PEM body line,
# the DER encoding and the raw private value. Only the .key files may hold
# them. Also: key files are 0600 and never overwritten without --force.
source "$(dirname "$0")/../lib.sh"
need openssl python3
B=$BOOTSEAL
H=$top/tests/hostile
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$STUB" ] || { not_ok "systemd-boot-efi stub at $STUB (run scripts/install-deps)"; exit 1; }
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000
mkdir logs

# run NAME CMD...: runs CMD with its stdout and stderr kept under logs/.
run() {
	local name=$1
	shift
	"$@" >"logs/$name.out" 2>"logs/$name.err"
}

run keygen-rsa $B keygen --output-dir rsa
run keygen-ec $B keygen --output-dir ec --key-type ecdsa-p256
for k in rsa/PK rsa/KEK rsa/db ec/PK ec/KEK ec/db; do
	check_eq "$k.key is mode 600" 600 "$(stat -c %a "$k.key")"
done
cp rsa/db.key db.key.before
run keygen-again $B keygen --output-dir rsa
check "keygen without --force keeps existing keys" cmp rsa/db.key db.key.before
rm db.key.before

python3 "$H/make-pe.py" app.efi plain
python3 "$H/make-pe.py" kernel.efi bzimage
for t in rsa ec; do
	run "sign-$t" $B sign --key $t/db.key --cert $t/db.crt --output "app-$t.efi" app.efi
	check "sign with the $t db key" $B verify --cert $t/db.crt "app-$t.efi"
	run "sign-detached-$t" $B sign --detached --key $t/db.key --cert $t/db.crt --output "app-$t.p7" app.efi
	run "ukify-$t" $B ukify build --linux kernel.efi --stub "$STUB" --cmdline "ro" \
		--secureboot-private-key $t/db.key --secureboot-certificate $t/db.crt --output "uki-$t.efi"
	check "ukify build signed with the $t db key" $B verify --cert $t/db.crt "uki-$t.efi"
	run "auth-$t" $B auth sign --var db --key $t/KEK.key --cert $t/KEK.crt --output "db-$t.auth" $t/db.esl
	check "auth sign with the $t KEK key" $B auth verify --signer $t/KEK.crt --var db "db-$t.auth"
	# Keys through env: and fd:, and failures: wrong certificate, a key
	# cut in half, a key given as the certificate.
	run "sign-env-$t" env "KEY=$(cat $t/db.key)" $B sign --key env:KEY --cert $t/db.crt \
		--output "app-env-$t.efi" app.efi
	run "sign-fd-$t" $B sign --key fd:3 --cert $t/db.crt --output "app-fd-$t.efi" app.efi 3<$t/db.key
	run "sign-mismatch-$t" $B sign --key $t/db.key --cert $t/KEK.crt --output "bad1-$t.efi" app.efi
	head -c 150 $t/db.key >"half-$t.pem"
	run "sign-half-$t" env "KEY=$(cat "half-$t.pem")" $B sign --key env:KEY --cert $t/db.crt \
		--output "bad2-$t.efi" app.efi
	rm "half-$t.pem"
	run "sign-key-as-cert-$t" $B sign --key $t/db.key --cert $t/db.key --output "bad3-$t.efi" app.efi
	run "auth-mismatch-$t" $B auth sign --var db --key $t/PK.key --cert $t/KEK.crt \
		--output "bad4-$t.auth" $t/db.esl
	check "failed signing wrote nothing ($t)" test ! -e "bad1-$t.efi" -a ! -e "bad2-$t.efi" \
		-a ! -e "bad3-$t.efi" -a ! -e "bad4-$t.auth"
	# A private key is not a public key to embed for TPM policies.
	check_fails "ukify build refuses a private key as --pcrpkey ($t)" 2 "private key" \
		$B ukify build --linux kernel.efi --stub "$STUB" --pcrpkey $t/db.key --output "bad5-$t.efi"
	check "and writes no UKI ($t)" test ! -e "bad5-$t.efi"
done

# The needles: for each key, its PEM body lines, its DER and its raw
# private value, written where the scan does not look.
needles=$(mktemp -d)
for k in rsa/*.key ec/*.key; do
	[ -L "$k" ] && continue
	n=$needles/$(echo "$k" | tr / -)
	openssl pkey -in "$k" -outform DER -out "$n.der"
	grep -v -- '-----' "$k" >"$n.pem-lines"
	openssl pkey -in "$k" -noout -text | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"(?:priv|privateExponent):\s*\n((?:\s+[0-9a-f:]+\n)+)", t)
sys.stdout.buffer.write(bytes.fromhex(re.sub(r"[\s:]", "", m.group(1))).lstrip(b"\0"))' >"$n.raw"
done
leaks=$(python3 - "$needles" <<'EOF'
import os, sys
nd = sys.argv[1]
needles = []
for f in sorted(os.listdir(nd)):
    data = open(os.path.join(nd, f), "rb").read()
    if f.endswith(".pem-lines"):
        needles += [(f, l) for l in data.split(b"\n") if len(l) >= 40]
    else:
        needles.append((f, data))
for root, dirs, files in os.walk("."):
    for name in files:
        p = os.path.join(root, name)
        if name.endswith(".key") or os.path.islink(p):
            continue
        data = open(p, "rb").read()
        for what, n in needles:
            if n and n in data:
                print(f"{p}: {what}")
                break
EOF
)
rm -rf "$needles"
check_eq "no output or log holds private key bytes" "" "$leaks"
check "the scan found the logs" test -s logs/sign-mismatch-rsa.err
finish
