#!/usr/bin/env bash
# completions/bootseal.bash: commands, subcommands, flags, values and paths.
source "$(dirname "$0")/../lib.sh"
source "$top/completions/bootseal.bash"
export LC_ALL=C

# complete LINE: what bash would offer at the end of "bootseal LINE".
complete_line() {
	COMP_LINE="$BOOTSEAL $1"
	COMP_POINT=${#COMP_LINE}
	read -r -a COMP_WORDS <<<"$COMP_LINE"
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_bootseal
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

check_eq "commands starting with 'se'" "seal" "$(complete_line "se")"
check_eq "commands starting with 'verify'" "verify verify-seal" "$(complete_line "verify")"
all=$("$BOOTSEAL" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')
check_eq "every command, help and the global flags" "$(echo "--help --version $all help" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(complete_line "")"
check_eq "help COMMAND" "verify verify-seal" "$(complete_line "help ver")"
check_eq "seal --k" "--karg --key --key-env --key-fd" "$(complete_line "seal --k")"
check "verify-seal flags include --db, --expect, --json" bash -c \
	'for f in --db --expect --json --help; do [[ " $1 " == *" $f "* ]] || exit 1; done' _ "$(complete_line "verify-seal --")"
check_eq "verify-seal --e" "--expect" "$(complete_line "verify-seal --e")"
check_eq "esl subcommands" "from-cert from-hash list" "$(complete_line "esl ")"
check_eq "composefs-info actions" "dump ls measure-file missing-objects objects" "$(complete_line "composefs-info ")"
check_eq "container subcommands" "compute-composefs-digest inspect ukify" "$(complete_line "container ")"
check_eq "container inspect --format values" "humanreadable json" "$(complete_line "container inspect --format ")"
check_eq "mkcomposefs --format values" "v0 v1 v2" "$(complete_line "mkcomposefs --format ")"
check_eq "--compression values" "gzip none zstd" "$(complete_line "seal --compression ")"
check_eq "--hash-alg values" "sha256 sha512" "$(complete_line "fsverity-digest --hash-alg ")"
check_eq "mkcomposefs --hash values" "sha256 sha512" "$(complete_line "mkcomposefs --hash ")"
check_eq "--key-type values" "ecdsa-p256 ecdsa-p384 rsa2048 rsa3072 rsa4096" "$(complete_line "keygen --key-type ")"
check_eq "--var values" "KEK PK db dbx" "$(complete_line "auth sign --var ")"
check_eq "keygen --layout values" "bootseal sbctl" "$(complete_line "keygen --layout ")"
check_eq "ukify build --signtool values" "pesign sbsign" "$(complete_line "ukify build --signtool ")"
check_eq "ukify subcommands" "build genkey inspect" "$(complete_line "ukify ")"
check_eq "no completion for mkcomposefs --threads" "" "$(complete_line "mkcomposefs --threads ")"
check_eq "composefs-info --basedir completes directories" "$work/images/one $work/images/two" \
	"$(mkdir -p "$work/images/one" "$work/images/two"; complete_line "composefs-info --basedir $work/images/")"
check_eq "--efi-arch values" "aa64 arm" "$(complete_line "ukify build --efi-arch a")"
check_eq "--pcr-banks values" "sha1 sha256 sha384 sha512" "$(complete_line "ukify build --pcr-banks ")"
check_eq "pcr predict --bank values" "sha384" "$(complete_line "pcr predict --bank sha3")"
check_eq "--phases words" "enter-initrd" "$(complete_line "seal --phases en")"
check_eq "ukify build --pcr flags" "--pcr-banks --pcr-private-key --pcr-public-key --pcrpkey" "$(complete_line "ukify build --pcr")"
check_eq "pcr subcommands" "predict" "$(complete_line "pcr ")"
check_eq "no completion for --jobs" "" "$(complete_line "seal --jobs ")"

mkdir -p "$work/images/one" "$work/images/two"
touch "$work/images/key.pem"
check_eq "a key file" "$work/images/key.pem" "$(complete_line "sign --key $work/images/k")"
check_eq "--output-dir completes directories" "$work/images/one $work/images/two" \
	"$(complete_line "keygen --output-dir $work/images/")"
unset COMP_WORDBREAKS
check_eq "oci:DIR" "oci:$work/images/one oci:$work/images/two" "$(complete_line "seal oci:$work/images/")"
check_eq "image reference prefixes" "oci-archive: oci:" "$(complete_line "seal oc")"
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
check_eq "oci:DIR when bash splits at ':'" "$work/images/one $work/images/two" "$(complete_line "seal oci:$work/images/")"
finish
