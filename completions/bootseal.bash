# bash completion for bootseal(1). Commands, subcommands and flags come from
# `bootseal --help` and `bootseal CMD --help`, so they follow the binary.
# Installed as bootseal in bash-completion's completions directory.

_bootseal_help() { # CMD: the command's --help text, cached per command
	local cmd=$1 var
	var="_bootseal_help_${cmd//-/_}"
	if [ -z "${!var-}" ]; then
		printf -v "$var" '%s' "$("$_bootseal_bin" "$cmd" --help 2>/dev/null)"
	fi
	printf '%s\n' "${!var}"
}

_bootseal() {
	local cur prev cmd sub="" i word line words cword
	COMPREPLY=()
	# Words split at blanks only: bash would split oci:DIR at the colon.
	line=${COMP_LINE:0:COMP_POINT}
	read -r -a words <<<"$line"
	[[ $line == *[[:space:]] ]] && words+=("")
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	prev=${words[cword - 1]}
	_bootseal_bin=${words[0]}

	if [ "$cword" = 1 ]; then
		local commands
		commands=$("$_bootseal_bin" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
		mapfile -t COMPREPLY < <(compgen -W "$commands help --help --version" -- "$cur")
		return
	fi
	cmd=${words[1]}
	if [ "$cmd" = help ]; then
		[ "$cword" = 2 ] && mapfile -t COMPREPLY < <(compgen -W \
			"$("$_bootseal_bin" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')" -- "$cur")
		return
	fi

	# Subcommands: the word after "bootseal CMD" on the usage lines.
	local subs
	subs=$(_bootseal_help "$cmd" | sed -n "s/^\(usage: \)\{0,1\} *bootseal $cmd \([a-z][a-z|-]*\)\( .*\)\{0,1\}\$/\2/p" | tr '|' ' ')
	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		[[ $word == -* ]] && continue
		for s in $subs; do [ "$word" = "$s" ] && sub=$s; done
		break
	done

	case $prev in
	--hash-alg | --hash) mapfile -t COMPREPLY < <(compgen -W "sha256 sha512" -- "$cur"); return ;;
	--key-type) mapfile -t COMPREPLY < <(compgen -W "rsa2048 rsa3072 rsa4096 ecdsa-p256 ecdsa-p384" -- "$cur"); return ;;
	--format)
		if [ "$cmd" = container ]; then
			mapfile -t COMPREPLY < <(compgen -W "humanreadable json" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "v0 v1 v2" -- "$cur")
		fi
		return ;;
	--compression) mapfile -t COMPREPLY < <(compgen -W "gzip zstd none" -- "$cur"); return ;;
	--var) mapfile -t COMPREPLY < <(compgen -W "PK KEK db dbx" -- "$cur"); return ;;
	--layout) mapfile -t COMPREPLY < <(compgen -W "bootseal sbctl" -- "$cur"); return ;;
	--signtool) mapfile -t COMPREPLY < <(compgen -W "sbsign pesign" -- "$cur"); return ;;
	--pcr-banks | --bank) mapfile -t COMPREPLY < <(compgen -W "sha1 sha256 sha384 sha512" -- "$cur"); return ;;
	--phases) mapfile -t COMPREPLY < <(compgen -W "enter-initrd leave-initrd sysinit ready shutdown final" -- "$cur"); return ;;
	--efi-arch) mapfile -t COMPREPLY < <(compgen -W "x64 aa64 ia32 arm riscv64 loongarch64" -- "$cur"); return ;;
	--jobs | --days | --karg | --label | --owner-guid | --timestamp | --salt | --block-size | \
		--level | --subject-prefix | --min-version | --max-version | --uname | --key-env | --key-fd | \
		--threads | --section | --secureboot-certificate-validity)
		return ;;
	--output-dir | --rootfs | --kernel-dir | --digest-store | --basedir)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	--*)
		# Any other flag that takes a value takes a path.
		if _bootseal_help "$cmd" | grep -Eq -- "$prev [A-Z]"; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return
		fi ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_bootseal_help "$cmd" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u) --help" -- "$cur")
		return
	fi
	if [ -n "$subs" ] && [ -z "$sub" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
		return
	fi
	# Image references: oci:DIR, oci-archive:FILE, dir:PATH, then paths.
	compopt -o filenames 2>/dev/null
	case $cur in
	oci:* | dir:*)
		mapfile -t COMPREPLY < <(compgen -d -- "${cur#*:}" | sed "s|^|${cur%%:*}:|") ;;
	oci-archive:*)
		mapfile -t COMPREPLY < <(compgen -f -- "${cur#oci-archive:}" | sed 's|^|oci-archive:|') ;;
	*)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		case $cmd in seal | verify-seal | diff | oci)
			mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W "oci: oci-archive: dir:" -- "$cur")
			[[ ${COMPREPLY[*]} == *: ]] && compopt -o nospace 2>/dev/null ;;
		esac ;;
	esac
	# bash splits words at ':'; complete what follows it.
	[[ $cur == *:* ]] && compopt -o nospace 2>/dev/null
	if [[ $cur == *:* ]] && [[ ${COMP_WORDBREAKS-} == *:* ]]; then
		local strip=${cur%"${cur##*:}"}
		for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$strip"}; done
	fi
}
complete -F _bootseal bootseal
