#!/bin/sh
# The result of examples/Containerfile.sealed with one bootseal call: no
# container runtime, no root, no user namespaces, reproducible.
#
# Usage: examples/seal-without-runtime.sh [SRC DEST KEYDIR]
#   SRC   the image to seal: oci:DIR[:TAG], oci-archive:FILE
#   DEST  the sealed image: oci:DIR[:TAG], oci-archive:FILE
#   KEYDIR  db.key and db.crt (bootseal keygen --output-dir KEYDIR)
# Without arguments: the built-in example image (scripts/make-example-image)
# and fresh keys, in ${EXAMPLE_DIR:-target/example-sealed}.
# BOOTSEAL: the binary (default: bootseal on PATH, else build/tools/bootseal).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${BOOTSEAL:-}" ]; then
	BOOTSEAL=$(command -v bootseal || echo "$top/build/tools/bootseal")
fi

if [ $# = 0 ]; then
	out=${EXAMPLE_DIR:-$top/target/example-sealed}
	mkdir -p "$out"
	[ -f "$out/image/index.json" ] || "$top/scripts/make-example-image" "$out" >/dev/null
	[ -f "$out/keys/db.key" ] || "$BOOTSEAL" keygen --output-dir "$out/keys"
	rm -rf "$out/sealed"
	set -- "oci:$out/image:example" "oci:$out/sealed:example" "$out/keys"
elif [ $# != 3 ]; then
	echo "usage: $0 [SRC DEST KEYDIR]" >&2
	exit 2
fi
src=$1 dest=$2 keys=$3

# Stages 1 to 4 of the Containerfile: flatten, sign systemd-boot, build and
# sign the UKI with composefs=<digest>, copy /boot on top, label.
"$BOOTSEAL" seal --key "$keys/db.key" --cert "$keys/db.crt" --sign-bootloader --json "$src" "$dest"
# And the proof: every UKI signed by db, its composefs= the recomputed digest.
"$BOOTSEAL" verify-seal --db "$keys/db.crt" "$dest" >&2
