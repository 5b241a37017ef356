#!/usr/bin/env bash
# SIGKILL at random points during seal and keygen: the destination is either
# absent or complete and valid, never partial.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo

"$top/scripts/make-example-image" "$work/ex" >/dev/null || { not_ok "example image builds"; exit 1; }
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
rounds=${CRASH_ROUNDS:-8}
# seal stages the kernel and initramfs in a private directory under TMPDIR;
# a killed seal leaves it behind, so keep those here and check them below.
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp

# Kill delays spread over a whole run: measure one first.
t0=$(date +%s%N)
"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$work/ref:x" >/dev/null
span=$((($(date +%s%N) - t0) / 1000000))
partial=0 complete=0 absent=0
for i in $(seq "$rounds"); do
	dest=$work/seal-$i
	delay=$((RANDOM % (span + 1)))
	"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$dest:x" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' "$delay")" 2>/dev/null || sleep 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ ! -e "$dest" ]; then
		absent=$((absent + 1))
	elif skopeo inspect "oci:$dest:x" >/dev/null 2>&1 &&
		"$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$dest:x" >/dev/null 2>&1; then
		complete=$((complete + 1))
	else
		partial=$((partial + 1))
		echo "# partial image after a kill at ${delay} ms: $dest"
	fi
done
check_eq "seal killed at $rounds random points: never a partial image ($absent absent, $complete complete)" 0 "$partial"
openssl pkey -in "$work/keys/db.key" -outform DER >"$work/key.der" 2>/dev/null
check_eq "what a killed seal leaves in TMPDIR holds no key bytes" "" "$(python3 - "$work/key.der" "$work/tmp" <<'PY'
import os, sys
key = open(sys.argv[1], "rb").read()
windows = [key[i:i + 32] for i in range(len(key) // 2, len(key) - 32, 97)]
for d, _, files in os.walk(sys.argv[2]):
    for f in files:
        p = os.path.join(d, f)
        if os.path.isfile(p) and any(w in open(p, "rb").read() for w in windows):
            print(p)
PY
)"

# What killed seals left (the layout beside the destination, the staging and
# capture directories in TMPDIR) is removed by the next seal.
leftovers() { find "$work" "$work/tmp" -mindepth 1 -maxdepth 1 \( -name '.seal-*.tmp-*' -o -name 'bootseal-*' \); }
left=$(leftovers | wc -l)
for i in $(seq "$rounds"); do
	compgen -G "$work/.seal-$i.tmp-*" >/dev/null || continue
	"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" \
		"oci:$work/seal-$i:x" >/dev/null 2>&1
done
"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$work/ref:y" >/dev/null
check_eq "the next seal removes what $left killed runs left behind" "" "$(leftovers)"

partial=0
for i in $(seq "$rounds"); do
	dest=$work/keys-$i
	"$BOOTSEAL" keygen --output-dir "$dest" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % 400)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -e "$dest" ] || continue
	for f in PK KEK db; do
		if [ ! -s "$dest/$f.key" ] || [ ! -s "$dest/$f.crt" ] || [ ! -s "$dest/$f.auth" ] ||
			! openssl pkey -in "$dest/$f.key" -noout 2>/dev/null; then
			partial=$((partial + 1))
			echo "# partial key set after a kill: $dest ($f)"
			break
		fi
	done
done
check_eq "keygen killed at $rounds random points: never a partial key set" 0 "$partial"
# A killed keygen leaves its 0700 temporary directory, keys inside; the next
# keygen into the same place removes it, but never a live run's.
left=$(find "$work" -maxdepth 1 -name '.keys-*.tmp-*' | wc -l)
for i in $(seq "$rounds"); do
	"$BOOTSEAL" keygen --output-dir "$work/keys-$i" >/dev/null 2>&1
done
check_eq "the next keygen removes what $left killed runs left behind" "" \
	"$(find "$work" -maxdepth 1 -name '.keys-*.tmp-*')"
mkdir -m 0700 "$work/.keys-live.tmp-AbCdEf" "$work/.keys-live.tmp-dEaDaB"
touch "$work/.keys-live.tmp-AbCdEf/PK.key" "$work/.keys-live.tmp-dEaDaB/PK.key"
flock "$work/.keys-live.tmp-AbCdEf" sleep 30 &
holder=$!
sleep 0.3
"$BOOTSEAL" keygen --output-dir "$work/keys-live" >/dev/null
check "keygen leaves a temporary directory a live run holds" test -e "$work/.keys-live.tmp-AbCdEf/PK.key"
check "keygen removes one nobody holds" test ! -e "$work/.keys-live.tmp-dEaDaB"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
# Killed at an exact rename, not at a time: a test-only LD_PRELOAD shim
# (tests/crash) raises SIGKILL just before the Nth rename.
shim=$(kill_shim_preload) || { not_ok "the kill-at-rename shim is built (tests/crash)"; exit 1; }
killed_at() { # N CMD...
	local at=$1
	shift
	(export KILL_AT_RENAME=$at LD_PRELOAD="$shim"; "$@" >/dev/null 2>&1; :) 2>/dev/null
}
# Blobs that no manifest reachable from index.json names, and temporary names.
strays() { python3 "$top/tests/layout-strays.py" "$1"; }

# A seal into an existing layout with another tool's tag, killed at each of
# its renames that touch the layout (the others are in private directories):
# every tag stays readable after each kill; the next seal removes what all
# the killed ones left and nothing else.
lay=$work/lay
seal_to() { "$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$lay:$1"; }
seal_to a >/dev/null
skopeo copy -q "oci:$work/ex/image:example" "oci:$lay:other"
(export RENAME_LOG=$work/seal-renames SOURCE_DATE_EPOCH=1700000001 LD_PRELOAD=$shim; seal_to k >/dev/null 2>&1)
points=$(awk -v l="$lay/" 'index($4, l) == 1 { print $1 }' "$work/seal-renames" 2>/dev/null)
check "seal renames files in the layout, to be killed at (test premise)" test -n "$points"
broken=0
for i in $points; do
	# A new image each time: its blobs are new to the layout.
	RENAME_LOG=$work/killed-$i.renames SOURCE_DATE_EPOCH=$((1700000100 + i)) killed_at "$i" seal_to k
	for tag in a other; do
		skopeo inspect "oci:$lay:$tag" >/dev/null 2>&1 || { broken=$((broken + 1)); echo "# tag $tag broken after a kill at rename $i"; }
	done
done
check_eq "seal into a layout killed at renames $(echo $points): its other tags stay whole" 0 "$broken"
seal_to b >/dev/null
check_eq "the next seal leaves no temporary file and no unreferenced blob" "" "$(strays "$lay")" ||
	for i in $points; do # where each killed run stopped, against the premise run's renames
		echo "#   killed at $i: $(wc -l <"$work/killed-$i.renames") renames, the last: $(tail -n 1 "$work/killed-$i.renames")"
	done
check "... and every tag is whole" sh -c "skopeo inspect oci:$lay:other >/dev/null && \
	'$BOOTSEAL' verify-seal --db '$work/keys/db.crt' oci:$lay:a >/dev/null && \
	'$BOOTSEAL' verify-seal --db '$work/keys/db.crt' oci:$lay:b >/dev/null"

# deploy killed at each of its renames: the next deploy completes and leaves
# no temporary object.
rm -f "$work/deploy-renames"
(export RENAME_LOG=$work/deploy-renames LD_PRELOAD=$shim
	"$BOOTSEAL" deploy --allow-missing-verity "oci:$lay:a" "$work/repo-count" >/dev/null 2>&1)
check "deploy renames files, to be killed at (test premise)" test -s "$work/deploy-renames"
left=0
for i in $(seq "$(cat "$work/deploy-renames" 2>/dev/null | wc -l)"); do
	repo=$work/repo-$i
	killed_at "$i" "$BOOTSEAL" deploy --allow-missing-verity "oci:$lay:a" "$repo"
	"$BOOTSEAL" deploy --allow-missing-verity "oci:$lay:a" "$repo" >/dev/null 2>&1 || left=$((left + 1))
	[ -z "$(find "$repo" -name '.tmp.*')" ] || { left=$((left + 1)); echo "# deploy killed at rename $i: leftovers kept"; }
	cmp -s <(cd "$work/repo-count" && find . | sort) <(cd "$repo" && find . | sort) || left=$((left + 1))
done
check_eq "deploy killed at each rename: the next one completes, nothing left" 0 "$left"
finish
