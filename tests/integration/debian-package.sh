#!/usr/bin/env bash
# debian/: dpkg-buildpackage -us -uc -b builds bootseal, libbootseal0 and
# libbootseal-dev from a copy of the tree (the checkout is left untouched);
# the packages are unpacked into a throwaway root (dpkg -x, nothing is
# installed on the machine), the CLI runs from there, and a small program
# using bs_fsverity_* builds against the -dev package with pkg-config.
source "$(dirname "$0")/../lib.sh"
need dpkg-buildpackage dh fakeroot dpkg-deb dpkg-architecture pkg-config cc fsverity man

src=$work/src
mkdir -p "$src"
# The tree as git sees it (tracked and new files, not build directories).
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"; done | tar -c --null -T - -f -) | tar -x -C "$src"
else
	(cd "$top" && tar -c --exclude='./build*' --exclude=./target --exclude=./.git -f - .) | tar -x -C "$src"
fi

start=$(date +%s)
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b"
	tail -30 "$work/build.log" | sed 's/^/#   /'
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
version=$(cd "$src" && dpkg-parsechangelog -S Version)
for p in bootseal libbootseal0 libbootseal-dev; do
	check "$p: built" test -f "$work/${p}_${version}_$arch.deb"
done
check "the checkout is untouched (no debian/files, .debhelper, obj-*)" bash -c \
	'! ls -d "$1"/debian/files "$1"/debian/.debhelper "$1"/debian/bootseal "$1"/obj-* "$1"/../bootseal_*.deb 2>/dev/null' _ "$top"

contents() { dpkg-deb -c "$work/${1}_${version}_$arch.deb" | awk '{ print $6 }' | sed 's|^\./|/|'; }
contents bootseal >"$work/bootseal.list"
contents libbootseal0 >"$work/lib.list"
contents libbootseal-dev >"$work/dev.list"
check "bootseal: /usr/bin/bootseal" grep -qx /usr/bin/bootseal "$work/bootseal.list"
check "bootseal: bash completion" grep -qx /usr/share/bash-completion/completions/bootseal "$work/bootseal.list"
for page in "$top"/docs/man/*.1; do
	check "bootseal: man page $(basename "$page")" grep -qx "/usr/share/man/man1/$(basename "$page").gz" "$work/bootseal.list"
done
check "libbootseal0: libbootseal.so.0" grep -qx "/usr/lib/$ma/libbootseal.so.0" "$work/lib.list"
check "libbootseal0: no headers" bash -c '! grep -q include "$1"' _ "$work/lib.list"
check "libbootseal-dev: headers" grep -qx /usr/include/bootseal/fsverity.h "$work/dev.list"
check "libbootseal-dev: bootseal.pc" grep -qx "/usr/lib/$ma/pkgconfig/bootseal.pc" "$work/dev.list"
check "libbootseal-dev: static library" grep -qx "/usr/lib/$ma/libbootseal.a" "$work/dev.list"
check "libbootseal-dev: libbootseal.so link" grep -qx "/usr/lib/$ma/libbootseal.so" "$work/dev.list"
check "libbootseal-dev: depends on libbootseal0 of the same version" bash -c \
	'dpkg-deb -f "$1" Depends | grep -q "libbootseal0 (= $2)"' _ "$work/libbootseal-dev_${version}_$arch.deb" "$version"

root=$work/root
for p in bootseal libbootseal0 libbootseal-dev; do
	dpkg -x "$work/${p}_${version}_$arch.deb" "$root"
done
export LD_LIBRARY_PATH=$root/usr/lib/$ma
check_eq "bootseal --version from the package" "bootseal $version" "$("$root/usr/bin/bootseal" --version)"
check "bootseal help seal from the package" "$root/usr/bin/bootseal" help seal
check "man -l renders the packaged bootseal.1" bash -c \
	'out=$(MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null) && [ -z "$out" ]' _ "$root/usr/share/man/man1/bootseal.1.gz"

# pkg-config against the unpacked -dev package.
export PKG_CONFIG_PATH=$root/usr/lib/$ma/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs bootseal 2>&1)
check "pkg-config --cflags --libs bootseal" pkg-config --cflags --libs bootseal
check "pkg-config links -lbootseal from the package" bash -c '[[ $1 == *"-L$2/usr/lib/'"$ma"'"* && $1 == *-lbootseal* ]]' _ "$flags" "$root"
cat >"$work/digest.c" <<'C'
#include <stdio.h>
#include <bootseal/fsverity.h>

int main(void)
{
	struct bs_fsverity_params p = { .hash_alg = BS_HASH_SHA256 };
	struct bs_fsverity_ctx *ctx;
	uint8_t d[BS_FSVERITY_MAX_DIGEST_SIZE];
	static const char text[] = "hello from libbootseal-dev\n";

	if (bs_fsverity_new(&p, &ctx) < 0 || bs_fsverity_update(ctx, text, sizeof(text) - 1) < 0 ||
	    bs_fsverity_final(ctx, d) < 0)
		return 1;
	for (size_t i = 0; i < bs_fsverity_digest_size(ctx); i++)
		printf("%02x", d[i]);
	printf("\n");
	bs_fsverity_free(ctx);
	return 0;
}
C
printf 'hello from libbootseal-dev\n' >"$work/hello.txt"
# shellcheck disable=SC2046
check "a program using bs_fsverity_* compiles and links (shared)" \
	cc -std=c11 -Wall -Werror -o "$work/digest" "$work/digest.c" $(pkg-config --cflags --libs bootseal)
check "... against the package's libbootseal.so.0" bash -c 'ldd "$1" | grep -q "libbootseal.so.0 => $2/"' _ "$work/digest" "$root"
check_eq "... and its digest is fsverity digest's" "$(fsverity digest --compact "$work/hello.txt")" "$("$work/digest")"
# shellcheck disable=SC2046
check "... and links against libbootseal.a (its dependencies shared)" \
	cc -std=c11 -Wall -Werror -o "$work/digest-static" "$work/digest.c" $(pkg-config --cflags bootseal) \
	"$root/usr/lib/$ma/libbootseal.a" $(pkg-config --libs $(pkg-config --print-requires-private bootseal | awk '{ print $1 }')) -pthread
check_eq "... with the same digest" "$(fsverity digest --compact "$work/hello.txt")" "$(env -u LD_LIBRARY_PATH "$work/digest-static")"
finish
