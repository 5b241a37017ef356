# Sourced by tests/integration/*.sh. Each check prints one TAP line
# ("ok - NAME" or "not ok - NAME"); tests/run counts them.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BOOTSEAL=${BOOTSEAL:-$top/build/tools/bootseal}
VECTORS=${VECTORS:-$top/tests/vectors}
work=$(mktemp -d "${TMPDIR:-/tmp}/bootseal-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failures=$((failures + 1)); }

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@" >"$work/.out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		sed 's/^/#   /' "$work/.out" | head -20
	fi
}

# check_eq NAME EXPECTED ACTUAL: returns 1 when they differ, so that a
# caller can explain the difference (check_eq ... || explain ...).
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
		return 1
	fi
}

# check_fails NAME EXIT_CODE MESSAGE_REGEX CMD...: the command must exit with
# EXIT_CODE, print nothing on stdout and one stderr line matching the regex.
check_fails() {
	local name=$1 code=$2 regex=$3 rc=0
	shift 3
	"$@" >"$work/.stdout" 2>"$work/.stderr" || rc=$?
	if [ "$rc" = "$code" ] && [ ! -s "$work/.stdout" ] &&
		[ "$(wc -l <"$work/.stderr")" = 1 ] && grep -Eq -- "$regex" "$work/.stderr"; then
		ok "$name"
	else
		not_ok "$name"
		echo "#   exit $rc (want $code); stderr: $(head -3 "$work/.stderr")"
		[ -s "$work/.stdout" ] && echo "#   stdout: $(head -3 "$work/.stdout")"
	fi
}

# A peer the test needs must be there: a missing oracle fails loudly.
need() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null; then
			not_ok "oracle $tool is installed (run scripts/install-deps)"
			exit 1
		fi
	done
}

# kill_shim_preload: the LD_PRELOAD value for the kill-at-rename shim
# (tests/crash). A sanitized bootseal stops at once unless its sanitizer
# runtime comes first in the list, and then no rename would ever be reached.
kill_shim_preload() {
	local shim=${KILL_SHIM:-$(dirname "$BOOTSEAL")/../tests/crash/kill-at-rename.so} asan
	[ -f "$shim" ] || return 1
	asan=$(ldd "$BOOTSEAL" 2>/dev/null | awk '$1 ~ /^libasan/ { print $3 }')
	echo "${asan:+$asan }$shim"
}

finish() {
	[ "$failures" = 0 ]
}
