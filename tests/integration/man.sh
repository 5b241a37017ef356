#!/usr/bin/env bash
# The man pages: each renders without warnings, each command of the dispatch
# table has one, `CMD --help` and the page name the same flags, every flag the
# source parses is in both, and `bootseal help CMD` prints `CMD --help`.
source "$(dirname "$0")/../lib.sh"
need groff man
man_dir=$top/docs/man

# The commands, as `bootseal --help` lists them (the dispatch table).
mapfile -t commands < <("$BOOTSEAL" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
check "bootseal --help lists commands" test "${#commands[@]}" -ge 10

for page in "$man_dir"/*.1; do
	name=$(basename "$page")
	check "$name: groff -ww renders without warnings" bash -c \
		'out=$(groff -man -ww -z "$1" 2>&1) && [ -z "$out" ] || { echo "$out"; false; }' _ "$page"
	check "$name: man --warnings renders without warnings" bash -c \
		'out=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null) && [ -z "$out" ] || { echo "$out"; false; }' _ "$page"
	check "$name: installed by meson" grep -q "'$name'" "$man_dir/meson.build"
done

# The flags a page mentions, from the roff source (no hyphenation to undo):
# \- becomes -, font escapes go.
page_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em//g' "$1"
}
has_flag() { # TEXT-FILE FLAG
	grep -Eq -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" "$1"
}
# `{ "name", no_argument, ...` entries of a command's getopt tables and
# `{ "name", 'n', CLI_...` and CLI_OPTION_NAME(...) entries of its cli_option tables.
source_flags() {
	sed -n -e 's/^[[:space:]]*{ "\([a-z][a-z0-9-]*\)", \(no\|required\|optional\)_argument.*/--\1/p' \
		-e "s/^[[:space:]]*{ \"\([a-z][a-z0-9-]*\)\", \(0\|'.'\), CLI_.*/--\1/p" \
		-e 's/^[[:space:]]*CLI_OPTION_\([A-Z]*\)(.*/--\L\1/p' "$1" |
		grep -vx -- --help | sort -u
}

page_text "$man_dir/bootseal.1" >"$work/bootseal.txt"
for cmd in "${commands[@]}"; do
	page=$man_dir/bootseal-$cmd.1
	check "$cmd: has a man page" test -f "$page"
	[ -f "$page" ] || continue
	check "$cmd: bootseal(1) lists it" grep -q "^\.B $cmd\$" "$work/bootseal.txt"
	check "$cmd: bootseal(1) refers to its page" grep -q "bootseal-$cmd (1)" "$work/bootseal.txt"
	page_text "$page" >"$work/$cmd.txt"

	"$BOOTSEAL" "$cmd" --help >"$work/$cmd.help" 2>&1
	check_eq "$cmd: --help exits 0" 0 "$?"
	check_eq "$cmd: bootseal help $cmd prints $cmd --help" "$(cat "$work/$cmd.help")" \
		"$("$BOOTSEAL" help "$cmd" 2>&1)"

	missing=""
	for flag in $(grep -oE -- '--[a-z][a-z0-9-]*' "$work/$cmd.help" | grep -vx -- --help | sort -u); do
		has_flag "$work/$cmd.txt" "$flag" || missing="$missing $flag"
	done
	check_eq "$cmd: every flag of --help is in bootseal-$cmd(1)" "" "$missing"
	missing=""
	for flag in $(sed -n '/^\.SH SYNOPSIS/,/^\.SH/p' "$work/$cmd.txt" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		has_flag "$work/$cmd.help" "$flag" || missing="$missing $flag"
	done
	check_eq "$cmd: every flag of the SYNOPSIS of bootseal-$cmd(1) is in --help" "" "$missing"

	src=$top/tools/cmd-$cmd.c
	[ -f "$src" ] || continue
	missing_help="" missing_page=""
	for flag in $(source_flags "$src"); do
		has_flag "$work/$cmd.help" "$flag" || missing_help="$missing_help $flag"
		has_flag "$work/$cmd.txt" "$flag" || missing_page="$missing_page $flag"
	done
	check_eq "$cmd: every flag of tools/cmd-$cmd.c is in --help" "" "$missing_help"
	check_eq "$cmd: every flag of tools/cmd-$cmd.c is in the man page" "" "$missing_page"
done

# bootseal(1) documents the exit codes of tools/cli.h.
for code in 0 1 2 3; do
	check "bootseal(1) documents exit code $code" \
		bash -c 'sed -n "/^\.SH EXIT STATUS/,/^\.SH/p" "$1" | grep -q "^\.B $2\$"' _ "$man_dir/bootseal.1" "$code"
	check "docs/exit-codes.md documents exit code $code" grep -q "^| $code |" "$top/docs/exit-codes.md"
done
check_fails "help for an unknown command" 2 "unknown command 'nope'" "$BOOTSEAL" help nope
finish
