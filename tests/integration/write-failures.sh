#!/usr/bin/env bash
# Writing an image that cannot be finished: the disk fills up, or a signal
# arrives. No crash, one line naming the destination, nothing left behind,
# and an image already at the destination stays as it was.
. "$(dirname "$0")/../lib.sh"
need skopeo

"$top/scripts/make-example-image" "$work/ex" >/dev/null || { not_ok "example image builds"; exit 1; }
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
seal() { "$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "$@"; }

# A full disk: a small tmpfs. The sealed example takes about 16 MiB; at 4 MiB
# layer 1 does not fit, at 18 MiB the layout fits beside it but an
# oci-archive of it does not.
mnt=$work/mnt
mkdir -p "$mnt"
if [ "$(id -u)" != 0 ]; then
	echo "# SKIP disk-full checks: mounting a tmpfs needs root"
else
	trap 'umount "$mnt" 2>/dev/null; rm -rf "$work"' EXIT
	full() { # NAME SIZE DEST ARGS...: seal onto a SIZE tmpfs must fail cleanly
		local name=$1 size=$2 dest=$3
		shift 3
		mount -t tmpfs -o "size=$size" tmpfs "$mnt" || { not_ok "$name: tmpfs mounts"; return; }
		check_fails "disk full, $name: exit 3, one line naming the destination" 3 \
			"^bootseal: seal: $mnt/out(\.tar)?: .*No space left on device$" \
			seal "$@" "oci:$work/ex/image:example" "$dest"
		check_eq "disk full, $name: nothing left behind" "" "$(ls -A "$mnt")"
		umount "$mnt"
	}
	for c in gzip zstd none; do
		full "layer 1 as $c" 4m "oci:$mnt/out:x" --rewrite-layer --compression "$c"
	done
	full "layer 1 reused" 4m "oci:$mnt/out:x"
	full "oci-archive" 18m "oci-archive:$mnt/out.tar"
fi

finish
