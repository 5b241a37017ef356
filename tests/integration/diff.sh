#!/usr/bin/env bash
# bootseal diff names the path and the field of every change, one change at a time.
. "$(dirname "$0")/../lib.sh"
need setfattr

base=$work/base
mkdir -p "$base"/{usr/bin,usr/lib,etc,boot,sysroot}
head -c 5000 /dev/zero | tr '\0' a >"$base/usr/lib/big"
echo small >"$base/usr/bin/small"
ln "$base/usr/lib/big" "$base/etc/big-link"
ln -s /usr/bin/small "$base/usr/bin/link"
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= "$base/usr/bin/small"
"$BOOTSEAL" compute-composefs-digest --write-dumpfile-to "$work/base.dump" "$base" >/dev/null
"$BOOTSEAL" mkcomposefs --from-file --format v1 --hash sha512 "$work/base.dump" "$work/base.img"

rc=0
"$BOOTSEAL" diff "$base" "$work/base.img" >"$work/out" || rc=$?
check_eq "directory and its own image: no difference, exit 0" "0:" "$rc:$(cat "$work/out")"
rc=0
"$BOOTSEAL" diff "$work/base.dump" "$work/base.img" >/dev/null || rc=$?
check_eq "dump and image: exit 0" 0 "$rc"

# tamper NAME EXPECTED_LINE_REGEX COMMAND...: a copy changed one way must give that line.
tamper() {
	local name=$1 want=$2 rc=0
	shift 2
	rm -rf "$work/t" && cp -a "$base" "$work/t"
	(cd "$work/t" && "$@")
	"$BOOTSEAL" diff "$base" "$work/t" >"$work/out" 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -Eq -- "$want" "$work/out"; then
		ok "diff: $name"
	else
		not_ok "diff: $name"
		echo "#   exit $rc, output: $(head -5 "$work/out")"
	fi
}
tamper "one byte of one file" '^/usr/lib/big: content: digest:[0-9a-f]{128} -> digest:[0-9a-f]{128}$' \
	sh -c 'printf b | dd of=usr/lib/big bs=1 seek=100 conv=notrunc status=none; touch -r ../base/usr/lib/big usr/lib/big'
tamper "one mode bit" '^/usr/bin/small: mode: 0644 -> 0645$' chmod 0645 usr/bin/small
tamper "one xattr" '^/usr/bin/small: xattr security.capability: ' setfattr -x security.capability usr/bin/small
tamper "a deleted file" '^/usr/bin/small: removed: file -> -$' rm usr/bin/small
tamper "an added file" '^/usr/bin/new: added: - -> file$' touch usr/bin/new
tamper "owner" '^/usr/bin/small: uid: 0 -> 1234$' chown 1234 usr/bin/small
tamper "symlink target" '^/usr/bin/link: link-target: /usr/bin/small -> /usr/bin/other$' \
	sh -c 'rm usr/bin/link && ln -s /usr/bin/other usr/bin/link && touch -h -r ../base/usr/bin/link usr/bin/link'
tamper "hardlink broken" '^/etc/big-link: hardlink: 2 names, first /etc/big-link -> 1 name$' \
	sh -c 'cp -p usr/lib/big usr/lib/big.new && mv usr/lib/big.new usr/lib/big'
tamper "mtime" '^/usr/bin/small: mtime: ' touch -d '2001-01-01' usr/bin/small

rc=0
"$BOOTSEAL" diff --json "$base" "$work/base.dump" >"$work/json" || rc=$?
check_eq "--json: same" "0 true" "$rc $(python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["same"]).lower())' "$work/json")"
check_fails "diff of a missing tree" 2 "$work/nope: cannot open" "$BOOTSEAL" diff "$base" "$work/nope"
printf 'not a dump\n' >"$work/bad.dump"
check_fails "diff of a malformed dump" 2 "bad.dump" "$BOOTSEAL" diff "$base" "$work/bad.dump"
finish
