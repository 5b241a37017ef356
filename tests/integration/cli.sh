#!/usr/bin/env bash
# The option rules every command shares (tools/cli-options.c), for every
# command and subcommand `bootseal --help` and `CMD --help` name: -h is
# --help, an unknown option and a bad shared value are one line naming the
# command, exit 2, before any work.
source "$(dirname "$0")/../lib.sh"

commands=$("$BOOTSEAL" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
check "bootseal --help lists the commands" test "$(wc -w <<<"$commands")" -ge 18

# "CMD" or "CMD SUB" for every subcommand on CMD's usage lines.
invocations=()
for c in $commands; do
	subs=$("$BOOTSEAL" "$c" --help | sed -n "s/^\(usage: \)\{0,1\} *bootseal $c \([a-z][a-z|-]*\)\( .*\)\{0,1\}\$/\2/p" | tr '|' ' ')
	if [ -z "$subs" ]; then
		invocations+=("$c")
	else
		for s in $subs; do invocations+=("$c $s"); done
	fi
done
check "subcommands found (ukify build, oci flatten, auth sign ...)" \
	grep -q "ukify build.*oci flatten\|oci flatten.*ukify build" <<<"${invocations[*]}"

for inv in "${invocations[@]}"; do
	read -r -a words <<<"$inv"
	# composefs-info's options come before its verb, as in C composefs-info.
	named=$inv
	[ "${words[0]}" = composefs-info ] && named=composefs-info
	long=$("$BOOTSEAL" "${words[@]}" --help 2>&1)
	rc=$?
	check_eq "$inv --help exits 0" 0 "$rc"
	check "$inv --help prints a usage line" grep -q "^usage: bootseal " <<<"$long"
	check_eq "$inv -h is --help" "$long" "$("$BOOTSEAL" "${words[@]}" -h 2>&1)"
	check_fails "$inv: an unknown option names the command" 2 \
		"^bootseal: $named: unrecognized option '--no-such-option'" \
		"$BOOTSEAL" "${words[@]}" --no-such-option
done

# Shared values, checked as they are read: nothing is opened, so a source that
# does not exist is never named.
for inv in "seal" "verify-seal" "compute-composefs-digest" "fsverity-digest" "diff" "deploy"; do
	read -r -a words <<<"$inv"
	check_fails "$inv --jobs 0" 2 "^bootseal: $inv: invalid job count '0'" \
		"$BOOTSEAL" "${words[@]}" --jobs 0 oci:/nonexistent oci:/nonexistent2
	check_fails "$inv --jobs x" 2 "^bootseal: $inv: invalid job count 'x'" \
		"$BOOTSEAL" "${words[@]}" --jobs x oci:/nonexistent oci:/nonexistent2
done
check_fails "seal --compression lz4" 2 "^bootseal: seal: unknown compression 'lz4'" \
	"$BOOTSEAL" seal --ephemeral-keys --compression lz4 oci:/nonexistent oci:/out
check_fails "seal --level 0" 2 "^bootseal: seal: invalid compression level '0'" \
	"$BOOTSEAL" seal --ephemeral-keys --level 0 oci:/nonexistent oci:/out
check_fails "seal --level 5x" 2 "^bootseal: seal: invalid compression level '5x'" \
	"$BOOTSEAL" seal --ephemeral-keys --level 5x oci:/nonexistent oci:/out
check_fails "seal --key-env with a name too long to hold" 2 "^bootseal: seal: --key-env '" \
	"$BOOTSEAL" seal --key-env "$(printf 'K%.0s' $(seq 300))" --cert x oci:/nonexistent oci:/out
check_fails "seal with three operands" 2 "^bootseal: seal: expected SRC \[DEST\]" \
	"$BOOTSEAL" seal --ephemeral-keys a b c
check_fails "sign without a PE" 2 "^bootseal: sign: expected exactly one PE image" \
	"$BOOTSEAL" sign --key k --cert c
finish
