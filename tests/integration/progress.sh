#!/usr/bin/env bash
# Progress of seal and compute-composefs-digest: a line on stderr only when
# stderr is a terminal (script(1) gives the command one), none with --quiet
# or on a pipe; stdout is the same either way.
source "$(dirname "$0")/../lib.sh"
need script umoci
export SOURCE_DATE_EPOCH=1700000000 TMPDIR=$work

mkdir -p "$work/root/usr/lib" "$work/root/boot" "$work/root/sysroot"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((i * 70000)) /dev/zero >"$work/root/usr/lib/f$i"
done
# on_tty OUT CMD...: runs CMD with a terminal as stdin, stdout and stderr.
on_tty() {
	local out=$1
	shift
	script -qec "$(printf '%q ' "$@")" /dev/null >"$out" </dev/null
}

expected=$("$BOOTSEAL" compute-composefs-digest "$work/root" 2>"$work/pipe.err")
check_eq "compute-composefs-digest: nothing on a piped stderr" "" "$(cat "$work/pipe.err")"
check "compute-composefs-digest on a terminal" on_tty "$work/tty.out" "$BOOTSEAL" compute-composefs-digest "$work/root"
check "... shows files, bytes and rates" grep -aq 'hashing: [0-9]*/8 files, .* MiB/s, .* files/s' "$work/tty.out"
check "... clears the line before the digest" grep -aq "$(printf '\033')\[K$expected" "$work/tty.out"
check "compute-composefs-digest --quiet on a terminal" on_tty "$work/quiet.out" \
	"$BOOTSEAL" compute-composefs-digest --quiet "$work/root"
check_eq "... prints only the digest" "$expected" "$(tr -d '\r' <"$work/quiet.out")"

"$top/scripts/make-example-image" "$work/ex" >/dev/null
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
seal() { "$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "$@"; }
expected=$(seal "oci:$work/ex/image:example" "oci:$work/s1:x" 2>"$work/pipe.err")
check_eq "seal: nothing on a piped stderr" "" "$(cat "$work/pipe.err")"
check "seal on a terminal" on_tty "$work/seal.out" "$BOOTSEAL" seal --key "$work/keys/db.key" \
	--cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$work/s2:x"
check "... shows the layers, bytes and rates" grep -aq 'layer 2/2: [0-9]* files, [0-9]*/[0-9]* MiB, .* MiB/s' "$work/seal.out"
check "... and the same digest" grep -aq "$expected" "$work/seal.out"
check "... names the steps without counters" grep -aq 'building and signing the UKI' "$work/seal.out"
check "... shows the layer written, with entries and bytes out of their totals" \
	grep -aq 'writing layer 2/2: [0-9]*/[0-9]* files, [0-9]*/[0-9]* MiB' "$work/seal.out"
check "seal --rewrite-layer on a terminal" on_tty "$work/rewrite.out" "$BOOTSEAL" seal --rewrite-layer \
	--key "$work/keys/db.key" --cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$work/s4:x"
check "... shows layer 1 written too" grep -aq 'writing layer 1/2: [0-9]*/[0-9]* files, [0-9]*/[0-9]* MiB' "$work/rewrite.out"
check "seal --quiet on a terminal" on_tty "$work/seal-quiet.out" "$BOOTSEAL" seal --quiet --key "$work/keys/db.key" \
	--cert "$work/keys/db.crt" "oci:$work/ex/image:example" "oci:$work/s3:x"
check_eq "... prints only the digest" "$expected" "$(tr -d '\r' <"$work/seal-quiet.out")"
check "verify-seal on a terminal" on_tty "$work/verify.out" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/s1:x"
check "... shows the layers read" grep -aq 'layer 2/2: [0-9]* files' "$work/verify.out"
check "verify-seal --quiet on a terminal" on_tty "$work/verify-quiet.out" "$BOOTSEAL" verify-seal --quiet \
	--db "$work/keys/db.crt" "oci:$work/s1:x"
check "... shows none" bash -c '! grep -aq "MiB/s" "$1"' _ "$work/verify-quiet.out"
finish
