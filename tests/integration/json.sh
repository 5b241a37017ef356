#!/usr/bin/env bash
# --json (docs/json.md): each command's output parses, has only the fields
# docs/json.md shows for it, with the same JSON types, and the values that
# matter agree with the text output or an oracle.
source "$(dirname "$0")/../lib.sh"
need python3 umoci fsverity
export SOURCE_DATE_EPOCH=1700000000 TMPDIR=$work

# shape NAME SECTION FILE: FILE's JSON against the examples of the section
# of docs/json.md whose heading is `bootseal SECTION --json`.
shape() {
	check "$1: the fields docs/json.md documents" python3 - "$top/docs/json.md" "$2" "$3" <<'PY'
import json, re, sys
doc, section, path = sys.argv[1:4]
text = open(doc).read()
m = re.search(r"^## `bootseal " + re.escape(section) + r" --json`\n(.*?)(?=^## |\Z)", text, re.M | re.S)
if not m:
    sys.exit(f"no section for {section}")
examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", m.group(1), re.S)]
def kind(v):
    return "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__
def fits(actual, example, where):
    if kind(actual) != kind(example):
        return [f"{where}: {kind(actual)}, documented as {kind(example)}"]
    if isinstance(actual, dict):
        errs = []
        for k, v in actual.items():
            if k not in example:
                errs.append(f"{where}.{k}: not documented")
            else:
                errs += fits(v, example[k], f"{where}.{k}")
        return errs
    if isinstance(actual, list) and example:
        return [e for i, v in enumerate(actual) for e in fits(v, example[0], f"{where}[{i}]")]
    return []
actual = json.load(open(path))
results = [fits(actual, ex, "$") for ex in examples]
if not any(not r for r in results):
    sys.exit("; ".join(min(results, key=len)))
PY
}
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v:=v[int(k)] if isinstance(v, list) else v[k] for k in sys.argv[2:]]; print(str(v).lower() if isinstance(v, bool) else v)' "$@"; }

"$BOOTSEAL" keygen --output-dir "$work/keys" --json >"$work/keygen.json"
shape "keygen" keygen "$work/keygen.json"
check_eq "keygen: dir" "$work/keys" "$(field "$work/keygen.json" dir)"
"$BOOTSEAL" keygen --ephemeral --json >"$work/ephemeral.json"
shape "keygen --ephemeral" keygen "$work/ephemeral.json"
check "keygen --ephemeral: the key it names exists" test -f "$(field "$work/ephemeral.json" key)"

"$BOOTSEAL" esl list --json "$work/keys/db.esl" >"$work/esl.json"
shape "esl list" "esl list" "$work/esl.json"
check_eq "esl list: the db certificate" "x509 $(cat "$work/keys/GUID.txt")" \
	"$(field "$work/esl.json" 0 type) $(field "$work/esl.json" 0 owner)"

"$BOOTSEAL" auth verify --json --signer "$work/keys/KEK.crt" "$work/keys/db.auth" >"$work/auth.json"
shape "auth verify" "auth verify" "$work/auth.json"
check_eq "auth verify: db, replace" "true db replace" \
	"$(field "$work/auth.json" verified) $(field "$work/auth.json" variable) $(field "$work/auth.json" mode)"
rc=0
"$BOOTSEAL" auth verify --json --signer "$work/keys/db.crt" "$work/keys/db.auth" >"$work/auth-no.json" 2>/dev/null || rc=$?
check_eq "auth verify with another signer: exit 1" 1 "$rc"
shape "auth verify, negative" "auth verify" "$work/auth-no.json"
check_eq "auth verify with another signer: verified false" false "$(field "$work/auth-no.json" verified)"

printf 'hello json\n' >"$work/f1"
"$BOOTSEAL" fsverity-digest --json --hash-alg sha512 "$work/f1" "$work/nope" >"$work/fsverity.json" 2>/dev/null
shape "fsverity-digest" fsverity-digest "$work/fsverity.json"
check_eq "fsverity-digest: the digest is fsverity digest's" \
	"$(fsverity digest --hash-alg sha512 --compact "$work/f1")" "$(field "$work/fsverity.json" 0 digest)"
check "fsverity-digest: the missing file has an error" test -n "$(field "$work/fsverity.json" 1 error)"

"$BOOTSEAL" mkcomposefs --json --format v1 --hash sha256 --from-file "$VECTORS/composefs-rs/simple.dump" \
	"$work/simple.img" >"$work/mkcfs.json"
shape "mkcomposefs" mkcomposefs "$work/mkcfs.json"
check_eq "mkcomposefs: the digest is the V1 vector of composefs-rs" \
	"ad6db6427568a1e4fdc772cbab7b6063f5eb4b33cb62982a740ba9213e5962b5" "$(field "$work/mkcfs.json" digest)"
check_eq "mkcomposefs: size" "$(stat -c %s "$work/simple.img")" "$(field "$work/mkcfs.json" size)"

mkdir -p "$work/a/usr" "$work/b/usr"
echo one >"$work/a/usr/f"
echo two >"$work/b/usr/f"
# Only the file's content may differ: same times for everything else.
for p in "" /usr /usr/f; do touch -h -d @1700000000 "$work/a$p" "$work/b$p"; done
"$BOOTSEAL" diff --json --raw "$work/a" "$work/b" >"$work/diff.json" || true
shape "diff" diff "$work/diff.json"
check_eq "diff: /usr/f content" "false /usr/f content" \
	"$(field "$work/diff.json" same) $(field "$work/diff.json" differences 0 path) $(field "$work/diff.json" differences 0 field)"

# The built-in example: an OCI image, then sealed in place as a directory.
scripts=$top/scripts
"$scripts/make-example-image" "$work/ex" >/dev/null
"$BOOTSEAL" oci inspect --json "oci:$work/ex/image:example" >"$work/oci.json"
shape "oci inspect" "oci inspect" "$work/oci.json"
check_eq "oci inspect: the layers of the text output" \
	"$("$BOOTSEAL" oci inspect "oci:$work/ex/image:example" | awk '/^layer / { print $3 }' | tr '\n' ' ')" \
	"$(python3 -c 'import json,sys; print(" ".join(l["digest"] for l in json.load(open(sys.argv[1]))["layers"]) + " ")' "$work/oci.json")"

rootless=()
[ "$(id -u)" = 0 ] || rootless=(--rootless)
umoci unpack "${rootless[@]}" --image "$work/ex/image:example" "$work/bundle" >/dev/null
root=$work/bundle/rootfs
"$BOOTSEAL" compute-composefs-digest --json "$root" >"$work/digest.json"
shape "compute-composefs-digest" compute-composefs-digest "$work/digest.json"
check_eq "compute-composefs-digest: the text output's digest" \
	"$("$BOOTSEAL" compute-composefs-digest "$root")" "$(field "$work/digest.json" digest)"

"$BOOTSEAL" container inspect --json --rootfs "$root" >"$work/container-inspect.json"
shape "container inspect" "container inspect" "$work/container-inspect.json"
check_eq "container inspect: the kernel seal finds" \
	"$(ls "$root/usr/lib/modules")" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel"]["version"])' "$work/container-inspect.json")"

"$BOOTSEAL" seal --json --key "$work/keys/db.key" --cert "$work/keys/db.crt" "dir:$root" >"$work/seal.json"
shape "seal" seal "$work/seal.json"
check_eq "seal: the digest compute-composefs-digest prints" "$(field "$work/digest.json" digest)" \
	"$(field "$work/seal.json" digest)"
uki=$root/$(field "$work/seal.json" uki)
"$BOOTSEAL" verify-seal --json --db "$work/keys/db.crt" "dir:$root" >"$work/verify-seal.json"
shape "verify-seal" verify-seal "$work/verify-seal.json"
check_eq "verify-seal: ok" true "$(field "$work/verify-seal.json" ok)"

mkdir -p "$work/repo" "$work/esp"
"$BOOTSEAL" deploy --json --allow-missing-verity --allow-unsigned-bootloader --esp "$work/esp" "dir:$root" "$work/repo" >"$work/deploy.json"
shape "deploy" deploy "$work/deploy.json"
check_eq "deploy: the image is named by the sealed digest" "$(field "$work/seal.json" digest)" "$(field "$work/deploy.json" digest)"
check "deploy: images/<digest> exists" test -e "$work/repo/images/$(field "$work/deploy.json" digest)"

"$BOOTSEAL" ukify inspect --json "$uki" >"$work/inspect.json"
shape "ukify inspect" "ukify inspect" "$work/inspect.json"
check_eq "ukify inspect: the command line seal reports" "$(field "$work/seal.json" cmdline)" \
	"$(field "$work/inspect.json" cmdline)"
"$BOOTSEAL" pcr predict --json "$uki" >"$work/pcr.json"
shape "pcr predict" "pcr predict" "$work/pcr.json"
check_eq "pcr predict: four banks, four phases each" "4 4" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), len(d["sha512"]))' "$work/pcr.json")"
"$BOOTSEAL" verify --json --cert "$work/keys/db.crt" "$uki" >"$work/verify.json"
shape "verify" verify "$work/verify.json"
check_eq "verify: signature 1 verifies" "true 1" "$(field "$work/verify.json" verified) $(field "$work/verify.json" signature)"
rc=0
"$BOOTSEAL" verify --json --cert "$work/keys/KEK.crt" "$uki" >"$work/verify-no.json" 2>/dev/null || rc=$?
check_eq "verify with another certificate: exit 1" 1 "$rc"
shape "verify, negative" verify "$work/verify-no.json"
"$BOOTSEAL" verify --json --list "$uki" >"$work/list.json"
shape "verify --list" verify "$work/list.json"
check_eq "verify --list: the db signer" "/CN=db true" \
	"$(field "$work/list.json" signatures 0 signer_subject) $(field "$work/list.json" signatures 0 digest_matches)"

# Sealed in place with the bootloader signed: the files written keep the
# tree's metadata, so the seal holds (only systemd-boot's content differs).
umoci unpack "${rootless[@]}" --image "$work/ex/image:example" "$work/bundle2" >/dev/null
"$BOOTSEAL" seal --json --sign-bootloader --key "$work/keys/db.key" --cert "$work/keys/db.crt" \
	"dir:$work/bundle2/rootfs" >"$work/seal2.json"
check_eq "seal --sign-bootloader dir: bootloader_signed" true "$(field "$work/seal2.json" bootloader_signed)"
"$BOOTSEAL" verify-seal --json --db "$work/keys/db.crt" "dir:$work/bundle2/rootfs" >"$work/verify-seal2.json"
check_eq "seal --sign-bootloader dir: verify-seal ok" true "$(field "$work/verify-seal2.json" ok)"
check_eq "seal --sign-bootloader dir: only systemd-boot's content changed" \
	"/usr/lib/systemd/boot/efi/systemd-bootx64.efi:size /usr/lib/systemd/boot/efi/systemd-bootx64.efi:content" \
	"$("$BOOTSEAL" diff --json "dir:$root" "dir:$work/bundle2/rootfs" | python3 -c 'import json,sys; print(" ".join(d["path"] + ":" + d["field"] for d in json.load(sys.stdin)["differences"]))')"

# Errors: nothing on stdout, one line on stderr, with or without --json.
check_fails "an error prints no JSON" 2 "^bootseal: oci inspect: " "$BOOTSEAL" oci inspect --json "oci:$work/nope"
finish
