#!/usr/bin/env bash
# seal and verify-seal end to end on the example image (Debian kernel and
# systemd-boot), checked with umoci, skopeo, sbverify and the digest of the
# unpacked tree; then tampered with one way at a time.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo sbverify sbsign objcopy setfattr

"$top/scripts/make-example-image" "$work/ex" >/dev/null || { not_ok "example image builds"; exit 1; }
sleep 1   # a time umoci or cpio stamped would now differ
"$top/scripts/make-example-image" "$work/ex-again" >/dev/null
check_eq "the example image is reproducible: building it twice gives the same manifest" \
	"$(sha256sum <"$work/ex/image/index.json")" "$(sha256sum <"$work/ex-again/image/index.json")"
rm -rf "$work/ex-again"
src="oci:$work/ex/image:example"
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
"$BOOTSEAL" keygen --output-dir "$work/other" >/dev/null
keys=(--key "$work/keys/db.key" --cert "$work/keys/db.crt")

check "seal" "$BOOTSEAL" seal "${keys[@]}" --karg quiet --json "$src" "oci:$work/out:sealed"
"$BOOTSEAL" seal "${keys[@]}" --karg quiet --json "$src" "oci:$work/out2:sealed" >"$work/seal.json"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$work/seal.json")
kver=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kver"])' "$work/seal.json")
check_eq "sealing twice gives the same image" "$(sha256sum <"$work/out/index.json")" "$(sha256sum <"$work/out2/index.json")" ||
	python3 "$top/tests/oci-explain-diff.py" "$work/out" "$work/out2"
check "skopeo inspect accepts the output" skopeo inspect "oci:$work/out:sealed"
check_eq "labels" '{"containers.bootc":"1","ostree.bootable":"1"}' \
	"$(skopeo inspect "oci:$work/out:sealed" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["Labels"], separators=(",",":"), sort_keys=True))')"
check_eq "two layers" 2 "$(skopeo inspect "oci:$work/out:sealed" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Layers"]))')"
umoci unpack --image "$work/out:sealed" "$work/unpacked" >/dev/null 2>&1
umoci unpack --image "$work/ex/image:example" "$work/input" >/dev/null 2>&1
uki=$work/unpacked/rootfs/boot/EFI/Linux/$kver.efi
check "the UKI is at /boot/EFI/Linux/<kver>.efi" test -s "$uki"
check "sbverify accepts the UKI" sbverify --cert "$work/keys/db.crt" "$uki"
check_eq "digest on the command line = compute-composefs-digest of the unpacked tree" \
	"$("$BOOTSEAL" compute-composefs-digest "$work/unpacked/rootfs")" "$digest"
objcopy -O binary --only-section=.cmdline "$uki" "$work/cmdline"
check_eq "command line: kargs.d, composefs=, --karg (bootc's order)" \
	"console=ttyS0 rw composefs=$digest quiet" "$(tr -d '\0' <"$work/cmdline")"
check "unpacked output = unpacked input plus the UKI" \
	diff -r --no-dereference -x EFI "$work/input/rootfs" "$work/unpacked/rootfs"
check "verify-seal accepts the sealed image" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/out:sealed"
check "verify-seal accepts db.esl and db.auth as the db" \
	"$BOOTSEAL" verify-seal --db "$work/keys/db.esl" --db "$work/keys/db.auth" "oci:$work/out:sealed"
check "verify-seal --json" sh -c "'$BOOTSEAL' verify-seal --json --db '$work/keys/db.crt' 'oci:$work/out:sealed' | grep -q '\"ok\":true'"

# A one-layer input keeps its layer blob; --rewrite-layer and zstd rewrite it; the seal is the same.
"$BOOTSEAL" oci flatten "$src" "oci:$work/flat:one" >/dev/null
layer_of() { skopeo inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Layers"][0])'; }
"$BOOTSEAL" seal "${keys[@]}" --karg quiet "oci:$work/flat:one" "oci:$work/reuse:x" >"$work/d.reuse"
check_eq "one-layer input: its layer blob is layer 1 of the sealed image" "$(layer_of "oci:$work/flat:one")" "$(layer_of "oci:$work/reuse:x")"
"$BOOTSEAL" seal "${keys[@]}" --karg quiet --rewrite-layer --compression zstd "oci:$work/flat:one" "oci:$work/rw:x" >"$work/d.rw"
check "--rewrite-layer --compression zstd writes a new layer" test "$(layer_of "oci:$work/flat:one")" != "$(layer_of "oci:$work/rw:x")"
check_eq "same digest whichever way layer 1 is written" "$(cat "$work/d.reuse")" "$(cat "$work/d.rw")"
check_eq "flattening first does not change the digest" "$digest" "$(cat "$work/d.reuse")"
check "verify-seal accepts the reused-layer image" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/reuse:x"
check "verify-seal accepts the zstd image" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/rw:x"

# Keys from an fd and an environment variable; an oci-archive: output.
check_eq "key from --key-fd gives the same image" "$(sha256sum <"$work/out/index.json")" \
	"$("$BOOTSEAL" seal --key-fd 3 --cert "$work/keys/db.crt" --karg quiet "$src" "oci:$work/fd:sealed" 3<"$work/keys/db.key" >/dev/null && sha256sum <"$work/fd/index.json")"
check_eq "key from --key-env gives the same image" "$(sha256sum <"$work/out/index.json")" \
	"$(DBKEY=$(cat "$work/keys/db.key") "$BOOTSEAL" seal --key-env DBKEY --cert "$work/keys/db.crt" --karg quiet "$src" "oci:$work/env:sealed" >/dev/null && sha256sum <"$work/env/index.json")"
long=$(printf 'K%.0s' $(seq 300))
check_fails "a --key-env name too long to hold is refused, not cut short" 2 "--key-env 'K+' is too long" \
	"$BOOTSEAL" seal --key-env "$long" --cert "$work/keys/db.crt" "$src" "oci:$work/long:sealed"
check "seal to oci-archive:" "$BOOTSEAL" seal "${keys[@]}" "$src" "oci-archive:$work/sealed.tar"
check "skopeo reads the archive" skopeo inspect "oci-archive:$work/sealed.tar"
check "verify-seal reads the archive" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci-archive:$work/sealed.tar"

# The key never lands in the output.
body=$(grep -v '^-----' "$work/keys/db.key" | head -3 | tr -d '\n' | cut -c1-48)
check_eq "no private key text in the output image" "" "$(grep -rlF "$body" "$work/out" "$work/unpacked" 2>/dev/null)"
openssl pkey -in "$work/keys/db.key" -outform DER >"$work/key.der" 2>/dev/null
check_eq "no private key bytes in the output image" "" "$(python3 - "$work/key.der" "$work/out" "$work/unpacked" <<'PY'
import os, sys
key = open(sys.argv[1], "rb").read()
# Windows from the private part of the DER (past the public modulus).
windows = [key[i:i + 32] for i in range(len(key) // 2, len(key) - 32, 97)]
for top in sys.argv[2:]:
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            data = open(p, "rb").read()
            if any(w in data for w in windows):
                print(p)
PY
)"

# --sign-bootloader: systemd-boot inside the tree, signed before the digest.
check "seal --sign-bootloader" "$BOOTSEAL" seal "${keys[@]}" --sign-bootloader "$src" "oci:$work/sb:sealed"
umoci unpack --image "$work/sb:sealed" "$work/sb-unpacked" >/dev/null 2>&1
check "systemd-boot is signed by db" sbverify --cert "$work/keys/db.crt" \
	"$work/sb-unpacked/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
"$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/sb:sealed" >"$work/sb.out"
check_eq "verify-seal checks the bootloader" 1 "$(grep -c '^ok   bootloader-signature /usr/lib/systemd/boot/efi/systemd-bootx64.efi' "$work/sb.out")"
check "sealed dir: compute-composefs-digest agrees after signing the bootloader" test \
	"$(grep -o 'composefs=[0-9a-f]*' "$work/sb.out" | head -1)" = \
	"composefs=$("$BOOTSEAL" compute-composefs-digest "$work/sb-unpacked/rootfs")"

# A dir: seal that fails after signing systemd-boot in place puts it back.
cp -a "$work/input/rootfs" "$work/failing"
rm "$work/failing/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
listing() { (cd "$1" && find . -printf '%p %s %m %T@\n' | sort && sha256sum usr/lib/systemd/boot/efi/systemd-bootx64.efi); }
listing "$work/failing" >"$work/failing.before"
check_fails "a dir: seal failing after --sign-bootloader" 2 "no systemd-stub at" \
	"$BOOTSEAL" seal "${keys[@]}" --sign-bootloader "dir:$work/failing"
check_eq "leaves systemd-boot, /boot and every time as they were" "$(cat "$work/failing.before")" \
	"$(listing "$work/failing")"
rm -rf "$work/failing"

# Tampering, one way at a time, on the unpacked tree (dir: form).
base=$work/unpacked/rootfs
check "verify-seal accepts the unpacked tree" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "$base"
tamper() { # NAME CHECK REGEX COMMAND...: verify-seal must fail naming CHECK
	local name=$1 want=$2 rc=0
	shift 2
	rm -rf "$work/t" && cp -a "$base" "$work/t"
	(cd "$work/t" && "$@") >/dev/null 2>&1
	"$BOOTSEAL" verify-seal --db "$work/keys/db.crt" --expect "oci:$work/out:sealed" "$work/t" >"$work/v.out" 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -Eq -- "$want" "$work/v.out"; then
		ok "verify-seal fails: $name"
	else
		not_ok "verify-seal fails: $name"
		echo "#   exit $rc: $(head -4 "$work/v.out")"
	fi
}
u=boot/EFI/Linux/$kver.efi
tamper "one byte of a file" '^FAIL composefs-digest.*\n?|  /usr/bin/hello: content' \
	sh -c 'printf X | dd of=usr/bin/hello bs=1 seek=5 conv=notrunc status=none'
grep -q '  /usr/bin/hello: content: ' "$work/v.out" && ok "--expect names the changed file" || not_ok "--expect names the changed file"
tamper "one mode bit" '  /usr/bin/hello: mode: 0755 -> 0754' chmod 0754 usr/bin/hello
tamper "one xattr" '  /usr/bin/hello: xattr security.capability' setcap cap_net_raw+ep usr/bin/hello
tamper "a deleted file" '  /usr/bin/hello: removed' rm usr/bin/hello
tamper "an added file" '  /usr/bin/new: added' touch usr/bin/new
tamper "a UKI re-signed with another key" '^FAIL uki-signature' \
	sh -c "sbattach --remove $u; sbsign --key '$work/other/db.key' --cert '$work/other/db.crt' --output $u $u"
tamper "one byte of the UKI" '^FAIL uki-signature' \
	sh -c "printf X | dd of=$u bs=1 seek=100000 conv=notrunc status=none"
tamper "the cmdline digest, re-signed by db" '^FAIL composefs-digest.*the command line has composefs=0' \
	sh -c "sbattach --remove $u && objcopy -O binary --only-section=.cmdline $u c && sed -i 's/composefs=[0-9a-f]*/composefs=$(printf '0%.0s' $(seq 128))/' c && objcopy --update-section .cmdline=c $u && sbsign --key '$work/keys/db.key' --cert '$work/keys/db.crt' --output $u $u"

# Bad input: exit 2, one line.
check_fails "verify-seal: not an image" 2 "not an image|cannot open" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "$work/seal.json"
check_fails "verify-seal: empty db" 2 "db is empty" "$BOOTSEAL" verify-seal "$base"
rm -rf "$work/t" && cp -a "$base" "$work/t" && head -c 300 "$base/$u" >"$work/t/$u"
check_fails "verify-seal: truncated UKI" 2 "$kver.efi" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "$work/t"
resign() { # the UKI of $work/t, re-signed by db after COMMAND changed it
	sbattach --remove "$work/t/$u" && "$@" && sbsign --key "$work/keys/db.key" --cert "$work/keys/db.crt" \
		--output "$work/t/$u" "$work/t/$u" >/dev/null 2>&1
}
rm -rf "$work/t" && cp -a "$base" "$work/t" && resign objcopy --remove-section .cmdline "$work/t/$u"
check_fails "verify-seal: UKI without .cmdline" 2 "no .cmdline" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "$work/t"
rm -rf "$work/t" && cp -a "$base" "$work/t" && printf 'ro quiet' >"$work/c" && resign objcopy --update-section .cmdline="$work/c" "$work/t/$u"
check_fails "verify-seal: cmdline without composefs=" 2 "no composefs=" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "$work/t"
check_fails "verify-seal: a db file that is not one" 2 "seal.json" "$BOOTSEAL" verify-seal --db "$work/seal.json" "$base"

# seal's bad input leaves DEST untouched.
umoci init --layout "$work/nokernel" >/dev/null && umoci new --image "$work/nokernel:x" >/dev/null
check_fails "seal: image without a kernel" 2 "no kernel" "$BOOTSEAL" seal "${keys[@]}" "oci:$work/nokernel:x" "oci:$work/d1:x"
check "seal: no destination after a failure" test ! -e "$work/d1"
cp -a "$work/ex/image" "$work/bad"
blob=$(ls -S "$work"/bad/blobs/sha256/* | head -1)
printf X | dd of="$blob" bs=1 seek=1000 conv=notrunc status=none
check_fails "seal: a corrupted layer blob" 2 "layer [0-9]+: .*(corrupt|sha256)" "$BOOTSEAL" seal "${keys[@]}" "oci:$work/bad:example" "oci:$work/d2:x"
check "seal: no destination after a bad blob" test ! -e "$work/d2"
check_fails "seal: a key that does not match the cert names the cert" 2 \
	"^bootseal: seal: $work/keys/db.crt: private key does not match this certificate\$" \
	"$BOOTSEAL" seal --key "$work/other/db.key" --cert "$work/keys/db.crt" "$src" "oci:$work/d3:x"
check_fails "seal: no destination says so" 2 "^bootseal: seal: no destination: " "$BOOTSEAL" seal "${keys[@]}" "$src"
check_fails "seal: a missing tag names index.json and the tags there" 2 \
	"^bootseal: seal: $work/ex/image/index.json: no manifest tagged 'nope'; the tags are 'example'\$" \
	"$BOOTSEAL" seal "${keys[@]}" "oci:$work/ex/image:nope" "oci:$work/d6:x"
check_fails "seal: already sealed" 2 "already holds a UKI" "$BOOTSEAL" seal "${keys[@]}" "oci:$work/out:sealed" "oci:$work/d4:x"
check_fails "seal: destination is not an image reference" 2 "destination must be" "$BOOTSEAL" seal "${keys[@]}" "$src" "$work/d5"
mkdir -p "$work/tmp"
check "ephemeral keys" sh -c "TMPDIR='$work/tmp' '$BOOTSEAL' seal --ephemeral-keys --json '$src' 'oci:$work/eph:x' > '$work/eph.json'"
ecert=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ephemeral_cert"])' "$work/eph.json")
check "ephemeral keys: the certificate is under TMPDIR" test "$(dirname "$(dirname "$ecert")")" = "$work/tmp" -a -f "$ecert"
check "verify-seal with the ephemeral certificate" "$BOOTSEAL" verify-seal --db "$ecert" "oci:$work/eph:x"
rm -rf "$(dirname "$ecert")"
check_fails "ephemeral keys: a seal that fails says why" 2 "already holds a UKI" \
	env TMPDIR="$work/tmp" "$BOOTSEAL" seal --ephemeral-keys "oci:$work/out:sealed" "oci:$work/eph2:x"
check_eq "ephemeral keys: a seal that fails leaves nothing in TMPDIR" "" "$(ls -A "$work/tmp")"
# An architecture with no EFI stub bootseal knows is refused by name, not
# sealed as amd64: the example image, its config saying s390x.
cp -a "$work/ex/image" "$work/s390x"
python3 - "$work/s390x" <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
def blob(d): return os.path.join(root, "blobs", d.replace(":", "/"))
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(d), "wb").write(data)
    return d, len(data)
index = json.load(open(os.path.join(root, "index.json")))
desc = index["manifests"][0]
man = json.load(open(blob(desc["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
cfg["architecture"] = "s390x"
man["config"]["digest"], man["config"]["size"] = put(json.dumps(cfg).encode())
desc["digest"], desc["size"] = put(json.dumps(man).encode())
json.dump(index, open(os.path.join(root, "index.json"), "w"))
PY
check_fails "seal refuses an architecture it has no stub for, naming it" 2 \
	"^bootseal: seal: oci:$work/s390x:example: unknown image architecture 's390x'" \
	"$BOOTSEAL" seal "${keys[@]}" "oci:$work/s390x:example" "oci:$work/d-s390x:x"
check_eq "... and writes nothing" "" "$(ls "$work/d-s390x" 2>/dev/null)"
finish
