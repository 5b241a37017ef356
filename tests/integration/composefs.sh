#!/usr/bin/env bash
# composefs images against the peers' vectors: C mkcomposefs v1.0.8 image
# hashes (tests/vectors/composefs-c), composefs-rs fs-verity digests
# (tests/vectors/composefs-rs), hostile dumps, erofs-utils as a checker, and
# the dump -> image -> composefs-info dump -> image round trip.
source "$(dirname "$0")/../lib.sh"
need fsck.erofs dump.erofs sha256sum zcat

cvec=$VECTORS/composefs-c
rsvec=$VECTORS/composefs-rs

# Input file of a vector; special_v1.dump is stored as a link to special.dump.
input_of() {
	local f=$1 target
	if [ "$(wc -l <"$f")" -le 1 ] && target=$(cat "$f") && [ -f "$cvec/$target" ]; then
		echo "$cvec/$target"
	else
		echo "$f"
	fi
}

# mkcomposefs_from VECTOR IMAGE [OPTIONS...]: decompresses .gz through stdin.
mkcomposefs_from() {
	local src=$1 img=$2
	shift 2
	if [[ $src == *.gz ]]; then
		zcat "$src" | "$BOOTSEAL" mkcomposefs "$@" --from-file - "$img"
	else
		"$BOOTSEAL" mkcomposefs "$@" --from-file "$src" "$img"
	fi
}

erofs_ok() {
	fsck.erofs "$1" >/dev/null 2>&1 && dump.erofs "$1" >/dev/null 2>&1 &&
		dump.erofs -s "$1" >/dev/null 2>&1
}

for f in "$cvec"/*.dump "$cvec"/*.dump.gz; do
	name=$(basename "$f")
	[[ $name == should-fail-* ]] && continue
	opts=()
	if [ -f "$f.version" ]; then
		v=$(cat "$f.version")
		opts=(--min-version "$v" --max-version "$v")
	fi
	img=$work/$name.img
	if ! mkcomposefs_from "$(input_of "$f")" "$img" "${opts[@]}" 2>"$work/.err"; then
		not_ok "composefs-c $name builds"
		echo "#   $(head -1 "$work/.err")"
		continue
	fi
	check_eq "composefs-c $name image sha256" "$(cut -d' ' -f1 "$f.sha256")" \
		"$(sha256sum <"$img" | cut -d' ' -f1)"
	check "composefs-c $name passes fsck.erofs and dump.erofs" erofs_ok "$img"
done

for f in "$cvec"/should-fail-*.dump; do
	name=$(basename "$f")
	out=$work/fail-$name
	mkdir -p "$out"
	check_fails "rejects $name" 2 "^bootseal: mkcomposefs: .*$name: line [0-9]+: " \
		"$BOOTSEAL" mkcomposefs --from-file "$f" "$out/image"
	check_eq "no output left behind for $name" "" "$(ls -A "$out")"
done

# composefs-rs: SHA-256 fs-verity digest of the whole image (README table).
rs_digest() {
	sed -n "s/^| \`$1\` | \`\([0-9a-f]*\)\` | \`\([0-9a-f]*\)\` | \`\([0-9a-f]*\)\` |\$/\1 \2 \3/p" \
		"$rsvec/README.md" | cut -d' ' -f$(($2 + 1))
}
for tree in empty simple; do
	for v in 0 1 2; do
		want=$(rs_digest "$tree" "$v")
		img=$work/rs-$tree-v$v.img
		got=$("$BOOTSEAL" mkcomposefs --format "v$v" --print-digest --from-file \
			"$rsvec/$tree.dump" "$img" 2>&1)
		check_eq "composefs-rs $tree V$v fs-verity digest" "$want" "$got"
		check "composefs-rs $tree V$v passes fsck.erofs and dump.erofs" erofs_ok "$img"
	done
done

# Round trip through our own reader: the image rebuilt from its dump is identical.
roundtrip() {
	local img=$1 v=$2
	"$BOOTSEAL" composefs-info dump "$img" >"$work/rt.dump" &&
		"$BOOTSEAL" mkcomposefs --min-version "$v" --max-version "$v" --from-file \
			"$work/rt.dump" "$work/rt.img" &&
		cmp -s "$img" "$work/rt.img"
}
for f in "$cvec"/*.dump "$cvec"/*.dump.gz; do
	name=$(basename "$f")
	[[ $name == should-fail-* ]] && continue
	img=$work/$name.img
	[ -f "$img" ] || continue
	v=$(od -An -tu4 -j12 -N4 "$img" | tr -d ' ')
	check "round trip dump -> image -> composefs-info dump -> image: $name" roundtrip "$img" "$v"
done

finish
