#!/usr/bin/env bash
# The library boundary: libbootseal.so exports exactly the functions and
# objects include/bootseal/*.h declare (nm -D both ways), and the installed
# pkg-config file links a program statically.
. "$(dirname "$0")/../lib.sh"
need nm python3 cc pkg-config fsverity

build=$(cd "$(dirname "$BOOTSEAL")/.." && pwd)
so=$build/lib/libbootseal.so
[ -f "$so" ] || { not_ok "libbootseal.so is built ($so)"; exit 1; }

# Declared: every bs_ name a public header declares as a function (the name
# directly before its parameter list) or as an extern object, read from the
# preprocessed headers so that comments and macros do not count.
for h in "$top"/include/bootseal/*.h; do echo "#include <bootseal/$(basename "$h")>"; done >"$work/all.c"
cc -E -P -I"$top/include" "$work/all.c" >"$work/all.i" || { not_ok "public headers preprocess"; exit 1; }
python3 - "$work/all.i" >"$work/declared" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
names = set(re.findall(r'\b(bs_[A-Za-z0-9_]+)\s*\(', s))
names |= set(re.findall(r'\bextern\b[^;(]*?\b(bs_[A-Za-z0-9_]+)\s*;', s))
print('\n'.join(sorted(names)))
PY
# Names starting with __ are the toolchain's (a sanitizer's ODR indicators).
nm -D --defined-only "$so" | awk '$2 ~ /^[TDRBVWi]$/ && $3 !~ /^__/ { print $3 }' | sed 's/@.*//' |
	sort -u >"$work/exported"

check "the public headers declare at least 150 functions" test "$(wc -l <"$work/declared")" -ge 150
extra=$(comm -13 "$work/declared" "$work/exported")
missing=$(comm -23 "$work/declared" "$work/exported")
check_eq "every symbol libbootseal.so exports is declared in include/bootseal" "" "$extra"
check_eq "every function include/bootseal declares is exported (BS_EXPORT)" "" "$missing"
check_eq "no exported symbol outside the bs_ prefix" "" "$(grep -v '^bs_' "$work/exported")"
check "tools/ includes no header of lib/" bash -c "! grep -n '#include \"\\.\\./lib/' '$top'/tools/*.[ch]"

# A program built against the installed library, statically, from what
# `pkg-config --static` says: a missing Requires.private fails the link.
meson install -C "$build" --no-rebuild --destdir "$work/root" >/dev/null 2>&1 ||
	{ not_ok "meson install into a destdir"; exit 1; }
pc=$(find "$work/root" -name bootseal.pc | head -1)
[ -n "$pc" ] || { not_ok "bootseal.pc is installed"; exit 1; }
pcq() { PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$work/root pkg-config "$@" bootseal; }
check "bootseal.pc names no libselinux" bash -c "! grep -q selinux '$pc'"
cat >"$work/prog.c" <<'C'
#include <stdio.h>
#include <bootseal/fsverity.h>

int main(int argc, char **argv)
{
	struct bs_fsverity_ctx *ctx = NULL;
	uint8_t d[BS_FSVERITY_MAX_DIGEST_SIZE];
	struct bs_error err = { 0 };

	if (argc != 2 || bs_fsverity_new(NULL, &ctx) < 0 || bs_fsverity_digest_path(ctx, argv[1], d, &err) < 0)
		return 1;
	printf("sha256:");
	for (size_t i = 0; i < bs_fsverity_digest_size(ctx); i++)
		printf("%02x", d[i]);
	printf("\n");
	bs_fsverity_free(ctx);
	return 0;
}
C
# The link takes libbootseal.a and exactly what `pkg-config --static` adds:
# a dependency missing from Requires.private is an undefined reference. A
# sanitized build (.ci/run) adds its runtime; fully static (-static) only
# when every library named has an archive (Debian ships no libisal.a).
libs=$(pcq --static --libs | sed 's/-lbootseal\b/-l:libbootseal.a/')
san=
nm "$build/lib/libbootseal.a" 2>/dev/null | grep -q ' U __asan_' && san="-fsanitize=address,undefined"
static=-static
[ -n "$san" ] && static=
for l in $libs; do
	case $l in -l:*) ;; -l*) [ "$(cc -print-file-name="lib${l#-l}.a")" = "lib${l#-l}.a" ] && static= ;; esac
done
# shellcheck disable=SC2086
check "pkg-config --static --libs bootseal links a program with libbootseal.a" \
	cc $san $static -o "$work/prog" "$work/prog.c" $(pcq --cflags) $libs
check "the program needs no libbootseal.so" bash -c "! ldd '$work/prog' 2>/dev/null | grep -q libbootseal"
if [ "$static" = -static ]; then
	check "... and is fully static" bash -c "! nm -D '$work/prog' 2>/dev/null | grep -q ."
else
	ok "fully static # SKIP a library without an archive, or a sanitized build"
fi
head -c 100000 /dev/urandom >"$work/data"
check_eq "the program's digest is fsverity's" \
	"$(fsverity digest --compact "$work/data")" "$("$work/prog" "$work/data" 2>&1 | sed 's/^sha256://')"

finish
