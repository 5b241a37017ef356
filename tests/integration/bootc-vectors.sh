#!/usr/bin/env bash
# compute-composefs-digest against tests/vectors/bootc: each tree is a dump
# made into a directory; bootc printed NAME.digest for it, or refused it
# (NAME.fails holds bootc's message), and then bootseal must refuse it too.
. "$(dirname "$0")/../lib.sh"
need python3

for dump in "$VECTORS"/bootc/*.dump; do
	name=$(basename "$dump" .dump)
	dir=$work/$name
	if ! python3 "$top/tests/integration/dump2dir.py" "$dump" "$dir" >"$work/.d2d" 2>&1; then
		not_ok "$name: the tree is made from the dump"
		sed 's/^/#   /' "$work/.d2d"
		continue
	fi
	# The BLS entries of an image are read from its layers as they stream.
	case $name in
	bls-* | fail-bls-*)
		python3 "$top/tests/integration/oci-mkimage.py" from-dir "$work/oci-$name" "$dir"
		if [ -f "${dump%.dump}.digest" ]; then
			check "$name: as an OCI image, a digest" sh -c \
				"'$BOOTSEAL' compute-composefs-digest --quiet 'oci:$work/oci-$name:t' | grep -Eqx '[0-9a-f]{128}'"
		else
			check_fails "$name: as an OCI image, refused" 2 "oci:$work/oci-$name:t/boot/loader/entries/" \
				"$BOOTSEAL" compute-composefs-digest --quiet "oci:$work/oci-$name:t"
		fi
		;;
	esac
	if [ -f "${dump%.dump}.digest" ]; then
		check_eq "$name: bootc's digest" "$(cat "${dump%.dump}.digest")" \
			"$("$BOOTSEAL" compute-composefs-digest --quiet "$dir" 2>&1)"
	else
		check_fails "$name: bootc refuses it ($(tail -n 1 "${dump%.dump}.fails" | sed 's/^ *//' | head -c 70)), bootseal too" 2 \
			"^bootseal: compute-composefs-digest: $dir/" "$BOOTSEAL" compute-composefs-digest --quiet "$dir"
	fi
done
# C mkcomposefs compares mtimes as signed, unlike composefs-rs: mkcomposefs
# keeps C's build time for the same tree.
grep -v '^#' "$VECTORS/bootc/negative-mtime.dump" >"$work/negative-mtime.dump"
check "mkcomposefs of negative-mtime.dump" "$BOOTSEAL" mkcomposefs --from-file "$work/negative-mtime.dump" "$work/nm.img"
check_eq "mkcomposefs: C mkcomposefs 1.0.8's image, not bootc's" \
	"$(cat "$VECTORS/bootc/negative-mtime.mkcomposefs-sha256")" "$(sha256sum <"$work/nm.img" | cut -d' ' -f1)"
finish
