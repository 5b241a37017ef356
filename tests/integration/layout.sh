#!/usr/bin/env bash
# The layout of lib/ has no circles (issue 19): drawn from the includes (a
# node per module: lib/X.c, lib/X.h and include/bootseal/X.h) and from the
# calls between the library's object files (nm). abi.sh checks the other
# half of the boundary, that only the public API is exported.
. "$(dirname "$0")/../lib.sh"
need python3 nm

graph=$top/tests/layout-graph.py
build=$(cd "$(dirname "$BOOTSEAL")/.." && pwd)
objs=("$build"/lib/libbootseal.so*.p/*.o)

# The checker itself finds a circle when there is one.
mkdir -p "$work/t/lib" "$work/t/include/bootseal"
printf '#include "b.h"\n' >"$work/t/lib/a.c"
printf '#include <bootseal/c.h>\n' >"$work/t/include/bootseal/b.h"
printf '#include "a.h"\n' >"$work/t/lib/c.h"
: >"$work/t/lib/a.h"
check_eq "the checker finds an include circle of three modules" "cycle a -> b -> c -> a" \
	"$(python3 "$graph" includes "$work/t" | cut -d' ' -f1-8)"
printf 'int b(void) { return 1; }\n' >"$work/b.c"
printf 'int b(void); int a(void) { return b(); }\n' >"$work/a.c"
printf 'int a(void); int c(void) { return a(); }\n' >"$work/c.c"
printf 'int c(void); int b2(void) { return c(); }\n' >>"$work/b.c"
(cd "$work" && cc -c a.c b.c c.c) || not_ok "cc builds the call-circle sample"
check_eq "the checker finds a call circle" "cycle a -> b -> c -> a" \
	"$(python3 "$graph" calls "$work"/a.o "$work"/b.o "$work"/c.o | cut -d' ' -f1-8)"

check_eq "lib/ has no include circle" "" "$(python3 "$graph" includes "$top")"
check "the library's objects are there (${#objs[@]})" test "${#objs[@]}" -ge 50
check_eq "lib/ has no circle of calls between its files" "" "$(python3 "$graph" calls "${objs[@]}")"
finish
