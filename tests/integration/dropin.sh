#!/usr/bin/env bash
# Forms users bring from the tools bootseal replaces (issue 20): bootc's
# container spellings, C mkcomposefs/composefs-info flags and actions,
# sbverify --detached, ukify's inspect/build/genkey forms, sbctl's key tree.
. "$(dirname "$0")/../lib.sh"
need python3 fsverity

# --- container compute-composefs-digest: bootc's spelling of the top-level command ---
mkdir -p "$work/cc/usr/lib" "$work/cc/boot" "$work/cc/sysroot" && echo x >"$work/cc/usr/lib/f"
check_eq "container compute-composefs-digest = compute-composefs-digest" \
	"$("$BOOTSEAL" compute-composefs-digest "$work/cc")" "$("$BOOTSEAL" container compute-composefs-digest "$work/cc")"

# --- mkcomposefs flags and composefs-info actions, against C composefs 1.0.8's outputs ---
F=$VECTORS/composefs-c/flags
for t in small xattrs; do
	python3 "$F/make-tree.py" "$t" "$work/$t"
	for f in none use-epoch skip-xattrs user-xattrs; do
		flag=()
		[ "$f" = none ] || flag=("--$f")
		check_eq "mkcomposefs --print-digest-only ${flag[*]}: $t as C mkcomposefs" "$(cat "$F/$t.$f.digest")" \
			"$("$BOOTSEAL" mkcomposefs --print-digest-only "${flag[@]}" "$work/$t")"
		"$BOOTSEAL" mkcomposefs "${flag[@]}" "$work/$t" "$work/$t.$f.img"
		check_eq "mkcomposefs ${flag[*]}: $t's image dumps as C's" "$(cat "$F/$t.$f.dump")" \
			"$("$BOOTSEAL" composefs-info dump "$work/$t.$f.img")"
	done
done
check_eq "mkcomposefs --threads 1: the same digest" "$(cat "$F/small.none.digest")" \
	"$("$BOOTSEAL" mkcomposefs --print-digest-only --threads 1 "$work/small")"
check_eq "mkcomposefs --threads=3 --print-digest: the same digest, image written" "$(cat "$F/small.none.digest")" \
	"$("$BOOTSEAL" mkcomposefs --print-digest --threads=3 "$work/small" "$work/t3.img")"
check "the image was written" test -s "$work/t3.img"
check_fails "mkcomposefs --threads 0" 2 "mkcomposefs: invalid --threads '0'" \
	"$BOOTSEAL" mkcomposefs --threads 0 "$work/small" "$work/x.img"
check_fails "mkcomposefs --print-digest-only with an IMAGE" 2 "writes no IMAGE" \
	"$BOOTSEAL" mkcomposefs --print-digest-only "$work/small" "$work/x.img"
check "mkcomposefs --print-digest-only wrote nothing" test ! -e "$work/x.img"
img=$work/small.none.img
check_eq "composefs-info objects: C's list" "$(cat "$F/small.objects")" "$("$BOOTSEAL" composefs-info objects "$img")"
check_eq "composefs-info objects of two images: each object once" "$(cat "$F/small.objects")" \
	"$("$BOOTSEAL" composefs-info objects "$img" "$work/small.use-epoch.img")"
mkdir -p "$work/base"
while read -r o; do mkdir -p "$work/base/${o%/*}" && : >"$work/base/$o"; done <"$F/small.present-objects"
check_eq "composefs-info --basedir missing-objects: C's list" "$(cat "$F/small.missing-objects")" \
	"$("$BOOTSEAL" composefs-info --basedir "$work/base" missing-objects "$img")"
check_fails "composefs-info missing-objects without --basedir" 2 "needs --basedir" \
	"$BOOTSEAL" composefs-info missing-objects "$img"
check_eq "composefs-info measure-file: C's digests" "$(sed 1d "$F/small.measure-file")" \
	"$(cd "$work/small" && "$BOOTSEAL" composefs-info measure-file usr/size-1 usr/size-4096 usr/size-9000 usr/bin/tool)"
# C 1.0.8 hashes an empty file in userspace unlike the kernel; bootseal gives what the kernel measures.
check_eq "composefs-info measure-file of an empty file: fsverity-utils' digest" \
	"$(fsverity digest --compact "$work/small/usr/size-0")" "$("$BOOTSEAL" composefs-info measure-file "$work/small/usr/size-0")"
check_fails "composefs-info measure-file of a directory" 2 "composefs-info: .*usr" \
	"$BOOTSEAL" composefs-info measure-file "$work/small/usr"

finish
