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

# Signals: SIGINT and SIGTERM at several points of a seal, into a new
# layout, into an existing layout and over an existing oci-archive. The
# process ends by the signal, leaves no temporary beside the destination or
# in TMPDIR, and what was at the destination is unchanged. (A shell starts
# background jobs with SIGINT ignored, and bootseal keeps an ignored signal
# ignored: env --default-signal gives it back.)
mkdir -p "$work/tmp" "$work/sig"
export TMPDIR=$work/tmp
src=oci:$work/ex/image:example
seal --compression zstd "$src" "oci:$work/sig/layout:x" >/dev/null
seal --compression zstd "$src" "oci-archive:$work/sig/old.tar" >/dev/null
before_layout=$(cd "$work/sig/layout" && find . -type f | sort | xargs sha256sum | sha256sum)
before_tar=$(sha256sum <"$work/sig/old.tar")
t0=$(date +%s%N)
seal --rewrite-layer "$src" "oci:$work/sig/timing:x" >/dev/null
span=$((($(date +%s%N) - t0) / 1000000))
rm -rf "$work/sig/timing"

# wait_for GLOB PID: until a path matches GLOB (or the process is gone).
wait_for() {
	local i
	for i in $(seq 3000); do
		compgen -G "$1" >/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.002
	done
	return 1
}
interrupted=0
for sig in INT TERM; do
	for point in layout blob staging middle; do
		for dest in "oci:$work/sig/new:x" "oci:$work/sig/layout:x" "oci-archive:$work/sig/old.tar"; do
			env --default-signal="$sig" "$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" \
				--rewrite-layer "$src" "$dest" >/dev/null 2>&1 &
			pid=$!
			case $point in
			layout) wait_for "$work/sig/.*.tmp-*" $pid ;;
			blob) wait_for "$work/sig/.*.tmp-*/blobs/sha256/.new-*" $pid ;;
			staging) wait_for "$work/tmp/bootseal-*" $pid ;;
			middle) sleep "$((span / 2000)).$(printf %03d $((span / 2 % 1000)))" ;;
			esac
			kill -"$sig" $pid 2>/dev/null
			rc=0
			wait $pid || rc=$?
			name="SIG$sig at $point, ${dest%%:*}:${dest##*/}"
			[ "$rc" = 0 ] && { echo "# $name: seal finished before the signal"; rm -rf "$work/sig/new"; continue; }
			interrupted=$((interrupted + 1))
			check_eq "$name: ended by the signal" "$((128 + $(kill -l "$sig")))" "$rc"
			check_eq "$name: no temporary left" "" "$(ls -A "$work/sig" "$work/tmp" | grep -E '^\.|^bootseal-')"
			check_eq "$name: an existing layout unchanged" "$before_layout" \
				"$(cd "$work/sig/layout" && find . -type f | sort | xargs sha256sum | sha256sum)"
			check_eq "$name: an existing archive unchanged" "$before_tar" "$(sha256sum <"$work/sig/old.tar")"
			check_eq "$name: no new image" "" "$(ls -A "$work/sig" | grep -v -e '^layout$' -e '^old.tar$')"
		done
	done
done
check "signals arrived during most seals ($interrupted of 24)" test "$interrupted" -ge 16

finish
