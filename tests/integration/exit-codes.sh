#!/usr/bin/env bash
# Exit codes (docs/exit-codes.md): 0 ok, 1 verification failed, 2 bad input
# or usage, 3 environment problem; errors are one line and stdout stays empty.
source "$(dirname "$0")/../lib.sh"
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
[ -f "$stub" ] || { not_ok "systemd-boot-efi is installed (run scripts/install-deps)"; exit 1; }
export TMPDIR=$work SOURCE_DATE_EPOCH=1700000000

mkdir -p "$work/a/usr" "$work/b/usr"
echo one >"$work/a/usr/f"
echo two >"$work/b/usr/f"
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
"$BOOTSEAL" keygen --output-dir "$work/other" >/dev/null
"$BOOTSEAL" sign --key "$work/keys/db.key" --cert "$work/keys/db.crt" --output "$work/stub.signed" "$stub"

# 0: ok.
check "0: --version" "$BOOTSEAL" --version
check_eq "0: -h prints --help" "$("$BOOTSEAL" --help)" "$("$BOOTSEAL" -h)"
check "0: help" "$BOOTSEAL" help
check "0: fsverity-digest" "$BOOTSEAL" fsverity-digest "$work/a/usr/f"
check "0: diff of equal trees" "$BOOTSEAL" diff --raw "$work/a" "$work/a"
check "0: verify with the signer's certificate" "$BOOTSEAL" verify --cert "$work/keys/db.crt" "$work/stub.signed"
check "0: auth verify with the KEK" "$BOOTSEAL" auth verify --signer "$work/keys/KEK.crt" "$work/keys/db.auth"

# 1: the input is fine, the answer is no.
rc=0
"$BOOTSEAL" diff --raw "$work/a" "$work/b" >/dev/null 2>&1 || rc=$?
check_eq "1: diff of different trees" 1 "$rc"
check_fails "1: verify with another certificate" 1 "verify: .*" \
	"$BOOTSEAL" verify --cert "$work/other/db.crt" "$work/stub.signed"
check_fails "1: verify of an unsigned image" 1 "verify: .*" \
	"$BOOTSEAL" verify --cert "$work/keys/db.crt" "$stub"
check_fails "1: auth verify with another signer" 1 "does not verify" \
	"$BOOTSEAL" auth verify --signer "$work/other/KEK.crt" "$work/keys/db.auth"

# 2: bad input or usage.
rc=0
"$BOOTSEAL" >/dev/null 2>&1 || rc=$?
check_eq "2: no command (usage on stderr)" 2 "$rc"
# One reader of SOURCE_DATE_EPOCH: digits only, up to year 9999, checked before any work.
for bad in abc " 1700000000" +1700000000 -1 17e8 253402300800; do
	check_fails "2: sign refuses SOURCE_DATE_EPOCH='$bad'" 2 "^bootseal: sign: SOURCE_DATE_EPOCH: '.*' is not a number of seconds" \
		env SOURCE_DATE_EPOCH="$bad" "$BOOTSEAL" sign --key "$work/keys/db.key" --cert "$work/keys/db.crt" \
		--output "$work/epoch.efi" "$stub"
	check_fails "2: keygen refuses SOURCE_DATE_EPOCH='$bad'" 2 "SOURCE_DATE_EPOCH: '.*' is not a number of seconds" \
		env SOURCE_DATE_EPOCH="$bad" "$BOOTSEAL" keygen --output-dir "$work/epoch-keys"
done
# A compression level the format does not have is refused before any work:
# the source does not even exist.
check_fails "2: seal refuses gzip --level 12 before reading the source" 2 \
	"^bootseal: seal: oci:$work/level-out: gzip level 12 is not 1\.\.9$" \
	"$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" --level 12 \
	"oci:$work/no-such-image" "oci:$work/level-out"
cp -a "$work/a" "$work/epoch-root"
check_fails "2: seal dir: refuses SOURCE_DATE_EPOCH=abc before touching the tree" 2 \
	"^bootseal: seal: SOURCE_DATE_EPOCH: 'abc' is not a number of seconds" \
	env SOURCE_DATE_EPOCH=abc "$BOOTSEAL" seal --key "$work/keys/db.key" --cert "$work/keys/db.crt" "dir:$work/epoch-root"
check "... the tree is as it was" diff -r "$work/a" "$work/epoch-root"
check_eq "no output from a bad SOURCE_DATE_EPOCH" "" "$(ls -d "$work/epoch.efi" "$work/epoch-keys" 2>/dev/null)"
check "SOURCE_DATE_EPOCH=253402300799 (the end of year 9999) signs" env SOURCE_DATE_EPOCH=253402300799 \
	"$BOOTSEAL" sign --key "$work/keys/db.key" --cert "$work/keys/db.crt" --output "$work/epoch-max.efi" "$stub"

check_fails "2: unknown command" 2 "^bootseal: unknown command 'frobnicate'" "$BOOTSEAL" frobnicate
check_fails "2: unknown option" 2 "^bootseal: seal: unrecognized option '--frobnicate'" \
	"$BOOTSEAL" seal --frobnicate
check_fails "2: missing option argument" 2 "^bootseal: keygen: option '--days' requires an argument" \
	"$BOOTSEAL" keygen --days
# A subcommand's option errors name the command and the subcommand.
for sub in "auth sign" "auth verify" "esl from-cert" "esl from-hash" "ukify build" "container ukify" "container inspect"; do
	# shellcheck disable=SC2086
	check_fails "2: unknown option of $sub" 2 "^bootseal: $sub: unrecognized option '--frobnicate'\$" \
		"$BOOTSEAL" $sub --frobnicate
done
check_fails "2: missing option argument of ukify build" 2 "^bootseal: ukify build: option '--output' requires an argument" \
	"$BOOTSEAL" ukify build --output
check_fails "2: missing file" 2 "^bootseal: fsverity-digest: $work/nope: cannot open: No such file" \
	"$BOOTSEAL" fsverity-digest "$work/nope"
check_fails "2: not a PE image" 2 "^bootseal: verify: " \
	"$BOOTSEAL" verify --cert "$work/keys/db.crt" "$work/a/usr/f"
check_fails "2: key not matching the certificate" 2 "^bootseal: sign: " \
	"$BOOTSEAL" sign --key "$work/keys/db.key" --cert "$work/other/db.crt" --output "$work/x.efi" "$stub"
check "2: ... and no output left behind" test ! -e "$work/x.efi"
check_fails "2: seal without keys" 2 "^bootseal: seal: a db key and certificate are needed" \
	"$BOOTSEAL" seal "oci:$work/none" "oci:$work/out"

# 2: a file that cannot be read is bad input (as root, read it as nobody).
echo secret >"$work/secret"
chmod 0600 "$work/secret"
if [ "$(id -u)" != 0 ]; then
	chmod 0000 "$work/secret"
	check_fails "2: unreadable file" 2 "Permission denied" "$BOOTSEAL" fsverity-digest "$work/secret"
elif command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BOOTSEAL" --version >/dev/null 2>&1; then
	chmod 0755 "$work"
	check_fails "2: unreadable file" 2 "Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BOOTSEAL" fsverity-digest "$work/secret"
	chmod 0700 "$work"
else
	ok "2: unreadable file # SKIP the binary is not reachable by nobody"
fi
# 3: environment: the system does not permit the operation (-EPERM).
if [ "$(id -u)" = 0 ]; then
	check_fails "3: operation not permitted" 3 "Operation not permitted" \
		"$BOOTSEAL" keygen --output-dir /sys/bootseal-test-keys
else
	check_fails "3: operation not permitted" 3 "Operation not permitted|Permission denied" \
		"$BOOTSEAL" keygen --output-dir /sys/bootseal-test-keys
fi
# oci's subcommands parse their own options: errors name "oci SUB", and one
# takes no option of the other.
for sub in "oci inspect" "oci flatten"; do
	# shellcheck disable=SC2086
	check_fails "2: unknown option of $sub" 2 "^bootseal: $sub: unrecognized option '--frobnicate'\$" \
		"$BOOTSEAL" $sub --frobnicate
done
check_fails "2: oci inspect takes no --zstd" 2 "^bootseal: oci inspect: unrecognized option '--zstd'\$" \
	"$BOOTSEAL" oci inspect --zstd "oci:$work/none"
check_fails "2: oci without a subcommand: one line" 2 "^bootseal: oci: missing subcommand: inspect or flatten" \
	"$BOOTSEAL" oci
check_fails "2: oci flatten refuses gzip --level 12 before reading the image" 2 \
	"^bootseal: oci flatten: oci:$work/out: gzip level 12 is not 1\.\.9\$" \
	"$BOOTSEAL" oci flatten --level 12 "oci:$work/none" "oci:$work/out"
check_fails "2: mount without --digest or --from-cmdline" 2 "^bootseal: mount: expected --digest HEX or --from-cmdline" \
	"$BOOTSEAL" mount "$work/repo" "$work/mnt"
# A full standard output is the environment (3), said as FILE: problem.
mkdir -p "$work/cfs-src" && seq 1 20000 >"$work/cfs-src/f"
"$BOOTSEAL" mkcomposefs "$work/cfs-src" "$work/cfs.img"
for action in dump objects; do
	check_fails "3: composefs-info $action to a full standard output" 3 \
		"^bootseal: composefs-info: standard output: cannot write: No space left on device\$" \
		bash -c '"$0" composefs-info "$1" "$2" >/dev/full' "$BOOTSEAL" "$action" "$work/cfs.img"
done
# A subcommand's own errors name it; a missing or unknown one lists those there are.
check_fails "2: ukify without a subcommand lists them" 2 \
	"^bootseal: ukify: missing subcommand: build, inspect or genkey \(see --help\)$" "$BOOTSEAL" ukify
check_fails "2: ukify with an unknown subcommand lists them" 2 \
	"^bootseal: ukify: unknown subcommand 'frob': build, inspect or genkey" "$BOOTSEAL" ukify frob
check_fails "2: ukify genkey names itself" 2 "^bootseal: ukify genkey: --secureboot-private-key and" \
	"$BOOTSEAL" ukify genkey --secureboot-private-key "$work/gen.key"
check_fails "2: ukify build: a bad --section before any file is read" 2 \
	"^bootseal: ukify build: --section 'nocolon': expected NAME:TEXT" \
	"$BOOTSEAL" ukify build --linux "$work/none" --output "$work/none.efi" --cmdline @"$work/none" --section nocolon
check_fails "2: ukify inspect names itself" 2 "^bootseal: ukify inspect: unknown --json 'loud' \(pretty, short or off\)$" \
	"$BOOTSEAL" ukify inspect --json=loud "$stub"
check_fails "2: esl from-hash names itself" 2 "^bootseal: esl from-hash: --owner-guid is required" \
	"$BOOTSEAL" esl from-hash --output "$work/h.esl" "$(printf '0%.0s' $(seq 64))"
check_fails "2: esl list takes its options before the file" 2 "^bootseal: esl list: unrecognized option '--frob'" \
	"$BOOTSEAL" esl list --frob "$work/keys/db.esl"
check_fails "2: auth sign names itself" 2 "^bootseal: auth sign: invalid timestamp 'noon'" \
	"$BOOTSEAL" auth sign --var db --key "$work/keys/KEK.key" --cert "$work/keys/KEK.crt" --timestamp noon \
	--output "$work/noon.auth" "$work/keys/db.esl"
check_fails "2: auth verify names itself" 2 "^bootseal: auth verify: --signer CERT is required" \
	"$BOOTSEAL" auth verify "$work/keys/db.auth"
finish
