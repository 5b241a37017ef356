#!/usr/bin/env bash
# examples/: the Containerfile is checked without a container runtime
# (hadolint is not in Debian 12: tests/integration/containerfile.py parses
# it), its RUN steps are run against the unpacked built-in example with the
# paths of the build mapped to directories, and give the same composefs
# digest and UKI as examples/seal-without-runtime.sh, which runs for real;
# the GitHub workflow parses and keeps the real key away from pull requests.
source "$(dirname "$0")/../lib.sh"
need python3 umoci
python3 -c 'import yaml' 2>/dev/null || { not_ok "python3-yaml is installed (run scripts/install-deps)"; exit 1; }
examples=$top/examples
export SOURCE_DATE_EPOCH=1700000000 TMPDIR=$work

tap() { # NAME CMD...: the TAP lines of a checker, counted by tests/run
	local rc=0
	"$@" >"$work/.tap" 2>&1 || rc=$?
	cat "$work/.tap"
	grep -q '^not ok' "$work/.tap" && failures=$((failures + 1))
	[ "$rc" = 0 ] || grep -q '^not ok' "$work/.tap" || not_ok "$1 exited $rc"
}

# The Containerfile, statically.
tap python3 "$top/tests/integration/containerfile.py" "$BOOTSEAL" "$examples/Containerfile.sealed" "$work/stages"
# ... and the checker catches what it claims to: a wrong stage name, a flag
# that does not exist, an optional secret, a missing label.
sed -e 's/from=rootfs-signed/from=rootfs-sigend/' -e 's/--output \/out\/\$efi/--outptu \/out\/$efi/' \
	-e 's/id=db_cert,required=true/id=db_cert/' -e 's/^LABEL containers.bootc=1/LABEL containers.bootc=0/' \
	"$examples/Containerfile.sealed" >"$work/Containerfile.broken"
python3 "$top/tests/integration/containerfile.py" "$BOOTSEAL" "$work/Containerfile.broken" >"$work/broken.tap" 2>&1
for what in "from=rootfs-sigend: no earlier stage" "bootseal sign --outptu: no such flag" \
	"secret db_cert is not required=true" "containers.bootc': '0'"; do
	check "the Containerfile checker reports: $what" grep -qF "$what" "$work/broken.tap"
done

# The workflow.
tap python3 "$top/tests/integration/workflow.py" "$BOOTSEAL" "$examples/github-workflow.yml"

# seal-without-runtime.sh on the built-in example (downloads cached by
# scripts/make-example-image).
if EXAMPLE_DIR=$work/example BOOTSEAL=$BOOTSEAL sh "$examples/seal-without-runtime.sh" >"$work/seal.json" 2>"$work/seal.err"; then
	ok "seal-without-runtime.sh seals and verifies the built-in example"
else
	not_ok "seal-without-runtime.sh seals and verifies the built-in example"
	sed 's/^/#   /' "$work/seal.err" | tail -5
	exit 1
fi
digest=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])' <"$work/seal.json")
kver=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["kver"])' <"$work/seal.json")
check_eq "seal-without-runtime.sh: verify-seal's four checks hold (seal-layer too)" 4 "$(grep -c '^ok ' "$work/seal.err")"

# The Containerfile's stages, without a runtime: stage 1 is the example
# unpacked; stages 2 and 3 are their RUN steps with /target, /run/secrets and
# /out mapped to directories; stage 4 is a copy.
rootless=()
[ "$(id -u)" = 0 ] || rootless=(--rootless)
umoci unpack "${rootless[@]}" --image "$work/example/image:example" "$work/bundle" >/dev/null
root=$work/bundle/rootfs
mkdir -p "$work/secrets" "$work/bin"
ln -s "$work/example/keys/db.key" "$work/secrets/db_key"
ln -s "$work/example/keys/db.crt" "$work/secrets/db_cert"
ln -s "$BOOTSEAL" "$work/bin/bootseal"
run_stage() { # STAGE OUT: the stage's RUN steps against the mapped paths
	sed -e "s|/run/secrets/|$work/secrets/|g" -e "s|/target|$root|g" -e "s|/out|$2|g" \
		"$work/stages/$1.sh" >"$work/stages/$1.mapped.sh"
	PATH=$work/bin:$PATH sh "$work/stages/$1.mapped.sh"
}
check "stage 2 (sdboot): sign systemd-boot" run_stage sdboot "$work/signed-tree"
# Stage rootfs-signed is the tree stage 2 wrote.
root=$work/signed-tree
check "stage 3 (uki): bootseal container ukify" run_stage uki "$work/out-uki"
check "stage 3 wrote boot/EFI/Linux/$kver.efi" test -f "$work/out-uki/EFI/Linux/$kver.efi"
"$BOOTSEAL" ukify inspect "$work/out-uki/EFI/Linux/$kver.efi" >"$work/inspect.txt" 2>&1
check "the Containerfile's UKI carries seal's composefs digest" grep -q "composefs=$digest" "$work/inspect.txt"

# Stage 4 and the sealed image from seal-without-runtime.sh: the same tree
# and the same UKI, byte for byte.
umoci unpack "${rootless[@]}" --image "$work/example/sealed:example" "$work/sealed" >/dev/null
check "the same signed systemd-boot" cmp "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" \
	"$work/sealed/rootfs/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
check "the same UKI" cmp "$work/out-uki/EFI/Linux/$kver.efi" "$work/sealed/rootfs/boot/EFI/Linux/$kver.efi"
mkdir -p "$root/boot/EFI/Linux"
cp "$work/out-uki/EFI/Linux/$kver.efi" "$root/boot/EFI/Linux/"
# A layer's tar stores whole seconds (containers/storage truncates mtimes);
# bootc keeps /boot's sub-second part, so the copy must not add one.
touch -d "@$(stat -c %Y "$root/boot")" "$root/boot"
check "verify-seal accepts the Containerfile's tree" "$BOOTSEAL" verify-seal --db "$work/example/keys/db.crt" \
	--expect "oci:$work/example/sealed:example" "dir:$root"
finish
