#!/usr/bin/env bash
# fsverity-digest against Debian's fsverity-utils, the reference implementation.
. "$(dirname "$0")/../lib.sh"
need fsverity python3

python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
def pattern(n):
    return bytes((31 * i + 7) & 0xff for i in range(n))
for n in (0, 1, 4095, 4096, 4097, 524289, 600000, 262145, 1048577):
    open(f"{d}/p{n}", "wb").write(pattern(n))
with open(f"{d}/sparse", "wb") as f:
    f.seek(5 * 1024 * 1024)
    f.write(b"x")
PY
files=("$work"/p* "$work/sparse")

salt32=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
for alg in sha256 sha512; do
	for bs in 1024 4096 65536; do
		for salt in "" "--salt=ab" "--salt=$salt32"; do
			want=$(cd "$work" && fsverity digest --hash-alg=$alg --block-size=$bs $salt "${files[@]##*/}")
			got=$(cd "$work" && "$BOOTSEAL" fsverity-digest --hash-alg=$alg --block-size=$bs $salt "${files[@]##*/}")
			check_eq "$alg block $bs ${salt:-no salt}: same output as fsverity digest" "$want" "$got"
		done
	done
done
check_eq "--compact matches" "$(fsverity digest --compact "$work/p4097")" \
	"$("$BOOTSEAL" fsverity-digest --compact "$work/p4097")"
check_eq "--jobs 1 gives the same bytes" "$(fsverity digest "${files[@]}")" \
	"$("$BOOTSEAL" fsverity-digest --jobs 1 "${files[@]}")"

# Bad input: one line, exit 2, nothing on stdout.
mkdir "$work/dir"
check_fails "missing file" 2 "fsverity-digest: $work/nope: cannot open: No such file" \
	"$BOOTSEAL" fsverity-digest "$work/nope"
check_fails "directory" 2 "fsverity-digest: $work/dir: not a regular file" \
	"$BOOTSEAL" fsverity-digest "$work/dir"
check_fails "block size not a power of two" 2 "block size 3000 is not a power of two" \
	"$BOOTSEAL" fsverity-digest --block-size 3000 "$work/p1"
check_fails "block size too small" 2 "block size 512 " "$BOOTSEAL" fsverity-digest --block-size 512 "$work/p1"
check_fails "block size too large" 2 "block size 131072 " "$BOOTSEAL" fsverity-digest --block-size 131072 "$work/p1"
check_fails "block size not a number" 2 "invalid block size '4k'" "$BOOTSEAL" fsverity-digest --block-size 4k "$work/p1"
check_fails "odd-length salt" 2 "salt 'abc' is not an even number of hex digits" \
	"$BOOTSEAL" fsverity-digest --salt abc "$work/p1"
check_fails "too-long salt" 2 "longer than 32 bytes" "$BOOTSEAL" fsverity-digest --salt "${salt32}00" "$work/p1"
check_fails "unknown hash" 2 "unknown hash algorithm 'md5'" "$BOOTSEAL" fsverity-digest --hash-alg md5 "$work/p1"
check_fails "no files" 2 "^bootseal: fsverity-digest: expected at least one FILE" "$BOOTSEAL" fsverity-digest
if [ "$(id -u)" != 0 ]; then
	cp "$work/p1" "$work/unreadable" && chmod 000 "$work/unreadable"
	check_fails "unreadable file" 2 "cannot open: Permission denied" "$BOOTSEAL" fsverity-digest "$work/unreadable"
fi

# A bad file among good ones: the good ones still get their line, in order.
rc=0
"$BOOTSEAL" fsverity-digest "$work/p1" "$work/nope" "$work/p0" >"$work/mixed.out" 2>"$work/mixed.err" || rc=$?
check_eq "mixed: exit 2" 2 "$rc"
check_eq "mixed: good files printed in order" "$(fsverity digest "$work/p1" "$work/p0")" "$(cat "$work/mixed.out")"
check_eq "mixed: one error line" 1 "$(wc -l <"$work/mixed.err")"
finish
