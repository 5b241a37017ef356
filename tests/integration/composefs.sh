#!/usr/bin/env bash
# composefs images against the peers' vectors: C mkcomposefs v1.0.8 image
# hashes (tests/vectors/composefs-c), composefs-rs fs-verity digests
# (tests/vectors/composefs-rs), hostile dumps, erofs-utils as a checker, and
# the dump -> image -> composefs-info dump -> image round trip.
source "$(dirname "$0")/../lib.sh"
need fsck.erofs dump.erofs sha256sum zcat fsverity

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

# The same at every format for a tree with what each layout rewrites: a
# whiteout, a hardlink to an external file, overlay xattrs to escape.
cat >"$work/mixed.dump" <<'EOF'
/ 4096 40755 2 0 0 0 5.7 - - - trusted.overlay.opaque=y user.a=b
/dir 4096 40700 2 10 20 0 6.0 - - - user.a=b
/dir/wh 0 20644 1 0 0 0 5.7 - - - trusted.foo=1
/dir/x 100 100644 2 0 0 0 5.7 ab/cdef - abcdef0000000000000000000000000000000000000000000000000000000000 user.a=b
/y 0 @100644 2 0 0 0 5.7 /dir/x - -
EOF
for v in 0 1 2; do
	"$BOOTSEAL" mkcomposefs --format "v$v" --from-file "$work/mixed.dump" "$work/mixed-$v.img"
	check "mixed tree V$v passes fsck.erofs and dump.erofs" erofs_ok "$work/mixed-$v.img"
	check "round trip of the mixed tree at V$v" roundtrip "$work/mixed-$v.img" "$v"
	check "round trip of composefs-rs simple at V$v" roundtrip "$work/rs-simple-v$v.img" "$v"
done
objpath=5a/$(printf '5a%.0s' $(seq 31))
check_eq "composefs-info ls of composefs-rs simple" \
	"$(printf '/blkdev\n/chrdev\n/fifo\n/regular-external\t@ %s\n/regular-inline\n/socket\n/symlink\t-> /target' "$objpath")" \
	"$("$BOOTSEAL" composefs-info ls "$work/rs-simple-v1.img")"

# A directory source: external files land in the digest store under their
# fs-verity digest (fsverity-utils as the oracle), small files stay inline.
mkdir -p "$work/src/sub" "$work/store"
printf 'small\n' >"$work/src/sub/small"
head -c 100000 /dev/zero | tr '\0' 'x' >"$work/src/big"
ln "$work/src/big" "$work/src/sub/big-link"
"$BOOTSEAL" mkcomposefs --digest-store "$work/store" "$work/src" "$work/dir.img"
want=$(fsverity digest --compact "$work/src/big")
check "digest store holds the object under its fs-verity digest" \
	cmp "$work/src/big" "$work/store/${want:0:2}/${want:2}"
check "directory image passes fsck.erofs and dump.erofs" erofs_ok "$work/dir.img"
check_eq "directory image lists the external file by its object" "$(printf '/big\t@ %s' "${want:0:2}/${want:2}")" \
	"$("$BOOTSEAL" composefs-info ls "$work/dir.img" | grep '^/big')"

finish
