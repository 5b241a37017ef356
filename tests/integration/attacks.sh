#!/usr/bin/env bash
# The seal must not be subvertible (issue 17): one case per attack an image
# author, a later layer or a crafted file could try. docs/threat-model.md says
# who is trusted and which check stops what. Each case failed on the code
# before its fix.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo sbverify objcopy python3
B=$BOOTSEAL
cd "$work" || exit 1
export SOURCE_DATE_EPOCH=1700000000

# --- 1-3, 5, 12: what the signed command line and signature may say ---------

# --- 4, 6, 7: /boot after the seal, the bootloader, escapes from the tree ---

# --- 8-11: resources ---------------------------------------------------------

# --- 13-15: crash safety and secrets -----------------------------------------
# A test-only LD_PRELOAD shim (tests/crash) raises SIGKILL at the Nth rename.
shim=${KILL_SHIM:-$(dirname "$BOOTSEAL")/../tests/crash/kill-at-rename.so}
[ -f "$shim" ] || { not_ok "the kill-at-rename shim is built ($shim)"; exit 1; }
renames() { # LOG CMD...: runs CMD, prints how many renames it made
	local log=$1
	shift
	rm -f "$log"
	(export RENAME_LOG=$log LD_PRELOAD=$shim; "$@" >/dev/null 2>&1)
	[ -f "$log" ] && wc -l <"$log" || echo 0
}
killed_at() { # KILL_AT_RENAME|KILL_AFTER_RENAME N CMD...: no "Killed" from the shell
	local how=$1 at=$2
	shift 2
	(export "$how=$at" LD_PRELOAD="$shim"; "$@" >/dev/null 2>&1; :) 2>/dev/null
}
# One key set, whole: each key matches its certificate, the .cer, .esl, sb-*
# and loader copies hold the same, and each .auth verifies with its signer.
key_set_whole() { # DIR
	local d=$1 f
	for f in PK KEK db; do
		[ "$(openssl pkey -in "$d/$f.key" -pubout 2>/dev/null)" = \
			"$(openssl x509 -in "$d/$f.crt" -noout -pubkey 2>/dev/null)" ] || return 1
		openssl x509 -in "$d/$f.crt" -outform DER 2>/dev/null | cmp -s - "$d/$f.cer" || return 1
		tail -c "$(stat -c %s "$d/$f.cer")" "$d/$f.esl" | cmp -s - "$d/$f.cer" || return 1
		cmp -s "$d/$f.key" "$d/sb-$f.key" && cmp -s "$d/$f.crt" "$d/sb-$f.crt" &&
			cmp -s "$d/$f.auth" "$d/loader/keys/auto/$f.auth" || return 1
	done
	"$B" auth verify --signer "$d/PK.crt" "$d/PK.auth" >/dev/null 2>&1 &&
		"$B" auth verify --signer "$d/PK.crt" "$d/KEK.auth" >/dev/null 2>&1 &&
		"$B" auth verify --signer "$d/KEK.crt" "$d/db.auth" >/dev/null 2>&1
}

# 13: keygen --force killed at each of its renames leaves the old set or the
# new one, never PK.key of one beside PK.crt of the other; what else the
# directory held stays; the next run leaves no temporary directory.
"$B" keygen --key-type ecdsa-p256 --output-dir k13 >/dev/null
echo mine >k13/README
n=$(renames "$work/r13" "$B" keygen --key-type ecdsa-p256 --force --output-dir k13)
mixed=0
for i in $(seq "$n"); do
	cp -a k13 k13.before
	killed_at KILL_AT_RENAME "$i" "$B" keygen --key-type ecdsa-p256 --force --output-dir k13
	if ! key_set_whole k13 || ! cmp -s k13/README k13.before/README; then
		mixed=$((mixed + 1))
		echo "# keygen --force killed at rename $i: not one whole key set"
		"$B" keygen --key-type ecdsa-p256 --force --output-dir k13 >/dev/null 2>&1
	fi
	rm -rf k13.before
done
check_eq "13: keygen --force killed at each of its $n renames: one whole key set" 0 "$mixed"
killed_at KILL_AFTER_RENAME "$n" "$B" keygen --key-type ecdsa-p256 --force --output-dir k13
"$B" keygen --key-type ecdsa-p256 --force --output-dir k13 >/dev/null 2>&1
check "13: after the next run, the set is whole and README kept" key_set_whole k13
check_eq "13: ... and no temporary directory is left" "" "$(find . -maxdepth 1 -name '.k13.tmp-*')"
check_eq "13: ... README kept" mine "$(cat k13/README)"


# 14: a seal into an existing layout killed at its last rename (index.json)
# leaves a temporary index and blobs no index names; the next seal removes
# both, and keeps every blob of the layout's other tags. A deploy killed at
# a rename leaves objects/XX/.tmp.*; the next deploy removes it.
"$top/scripts/make-example-image" ex >/dev/null
"$B" keygen --key-type ecdsa-p256 --output-dir k14 >/dev/null
seal14() { "$B" seal --key k14/db.key --cert k14/db.crt oci:ex/image:example "oci:lay:$1"; }
seal14 a >/dev/null
skopeo copy -q oci:ex/image:example oci:lay:other
# Blobs no manifest of index.json reaches, and temporary names, in a layout.
strays() { python3 - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
seen, todo = set(), [json.load(open(f"{d}/index.json"))]
while todo:
    o = todo.pop()
    for k in ("config", "subject"):
        if isinstance(o.get(k), dict):
            seen.add(o[k]["digest"][7:])
    for k in ("manifests", "layers", "blobs"):
        for x in o.get(k, []):
            seen.add(x["digest"][7:])
            if "manifest" in x.get("mediaType", "") or "index" in x.get("mediaType", ""):
                todo.append(json.load(open(f"{d}/blobs/sha256/{x['digest'][7:]}")))
for b in sorted(os.listdir(f"{d}/blobs/sha256")):
    if b not in seen:
        print("unreferenced", b)
for root, dirs, files in os.walk(d):
    for f in files + dirs:
        if ".tmp" in f or f.startswith(".bootseal"):
            print("left", os.path.join(root, f))
PY
}
n=$(SOURCE_DATE_EPOCH=1700000001 renames "$work/r14" seal14 b)
SOURCE_DATE_EPOCH=1700000001 killed_at KILL_AT_RENAME "$n" seal14 b
check "14: the killed seal left something to clean (test premise)" test -n "$(strays lay)"
# Killed just after index.json names its blobs: the journal stays, the blobs are referenced.
SOURCE_DATE_EPOCH=1700000002 killed_at KILL_AFTER_RENAME "$n" seal14 d
seal14 c >/dev/null
check_eq "14: the next seal leaves no temporary file and no unreferenced blob" "" "$(strays lay)"
check "14: ... the other tag is whole" skopeo inspect oci:lay:other
check "14: ... and so is the one whose run was killed after naming it" "$B" verify-seal --db k14/db.crt oci:lay:d
check "14: ... and so are the sealed ones" "$B" verify-seal --db k14/db.crt oci:lay:a
n=$(renames "$work/r14d" "$B" deploy --allow-missing-verity oci:lay:a repo14)
rm -rf repo14
killed_at KILL_AT_RENAME $((n / 2)) "$B" deploy --allow-missing-verity oci:lay:a repo14
check "14: the killed deploy left a temporary object (test premise)" \
	test -n "$(find repo14 -name '.tmp.*')"
"$B" deploy --allow-missing-verity oci:lay:a repo14 >/dev/null
check_eq "14: the next deploy leaves no temporary object" "" "$(find repo14 -name '.tmp.*')"

# 15: a PIN in the --key URI (pin-value=) is in /proc/PID/cmdline for every
# local user to read. RFC 7512's pin-source reads it from a file (or, as for
# keys, fd:N or env:NAME) instead; pin-value still works, with a warning.
need softhsm2-util
mkdir tokens15
printf 'directories.tokendir = %s/tokens15\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" >softhsm2.conf
export SOFTHSM2_CONF=$work/softhsm2.conf
softhsm2-util --init-token --free --label t15 --pin 4321 --so-pin 8765 >/dev/null
softhsm2-util --import k14/db.key --token t15 --label db --id 01 --pin 4321 >/dev/null
printf '4321\n' >pin15
stub=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
uri15='pkcs11:token=t15;object=db;type=private'
sign15() { "$B" sign --key "$1" --cert k14/db.crt --output "$2" "$stub"; }
check_eq "15: pin-source=file:PATH signs, silently" "0:" \
	"$(sign15 "$uri15?pin-source=file:$work/pin15" s1.efi 2>&1; echo "$?:")"
check "15: ... and sbverify accepts it" sbverify --cert k14/db.crt s1.efi
check_eq "15: pin-source=env:NAME signs" "0:" "$(PIN15=4321 sign15 "$uri15?pin-source=env:PIN15" s2.efi 2>&1; echo "$?:")"
rc=0
sign15 "$uri15?pin-value=4321" s3.efi 2>err15 || rc=$?
check_eq "15: pin-value= on the command line still signs, with one warning line" "0 1 1" \
	"$rc $(wc -l <err15) $(grep -c '^bootseal: sign: warning: a pin-value= on the command line' err15)"
rc=0
"$B" auth sign --var db --key "$uri15?pin-source=file:$work/pin15&pin-value=4321" --cert k14/db.crt \
	-o x.auth k14/db.esl 2>err15 || rc=$?
check_eq "15: pin-value and pin-source together are refused (exit 2), the PIN not shown" "2 1 0" \
	"$rc $(grep -c 'both pin-value and pin-source' err15) $(grep -c 4321 err15)"
unset SOFTHSM2_CONF

finish
