#!/usr/bin/env bash
# Issue 16: a file name is any bytes but NUL and '/'. Names holding UTF-8
# (é, ő), a lone Latin-1 byte (0xe9), invalid UTF-8 (0xff 0xc3), long ones
# that only fit in PAX path/linkpath records, and symlink targets with such
# bytes go through oci flatten, seal, diff, dump files, seal dir: and deploy
# byte for byte. umoci (Go's tar reader), GNU tar and fsck.erofs say what the
# bytes on disk are. Everything runs under LC_ALL=C and LC_ALL=C.UTF-8, with
# the same output.
. "$(dirname "$0")/../lib.sh"
need umoci tar fsck.erofs python3
mkimage=$top/tests/integration/oci-mkimage.py

# One line per path under DIR: the name's bytes, its type, a symlink's
# target, a hardlink group (same inode) — repr() keeps every byte visible.
# Character devices (composefs's 00..ff overlay whiteouts) are left out.
listing() {
	python3 - "$1" <<'PY'
import os, sys
top = os.fsencode(sys.argv[1])
inodes = {}
for d, dirs, files in os.walk(top):
    dirs.sort()  # os.walk descends in this order: readdir's, which differs by file system
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        st = os.lstat(p)
        kind = "l" if os.path.islink(p) else "d" if os.path.isdir(p) else "c" if os.path.stat.S_ISCHR(st.st_mode) else "f"
        target = os.readlink(p) if kind == "l" else b""
        group = inodes.setdefault(st.st_ino, len(inodes)) if kind == "f" and st.st_nlink > 1 else ""
        if kind != "c":
            print(repr(os.path.relpath(p, top)), kind, repr(target), group)
PY
}
layer_of() { # LAYOUT: path of the blob of its first layer
	python3 -c 'import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))
m=json.load(open(d+"/blobs/sha256/"+i["manifests"][0]["digest"][7:]))
print(d+"/blobs/sha256/"+m["layers"][0]["digest"][7:])' "$1"
}

# Image 1, made with Python's tarfile: the names in every tar form.
python3 "$mkimage" names "$work/py" || { not_ok "the names image builds"; exit 1; }
umoci unpack --image "$work/py:t" "$work/py-in" >/dev/null 2>&1
listing "$work/py-in/rootfs" >"$work/py-in.list"
check "umoci unpacks the input with the names intact" \
	grep -qF "b'usr/n/d\\xe9\\xff/f\\xc3' f b''" "$work/py-in.list"

# Image 2, bootable: the example image plus a layer umoci writes (Go's PAX
# records) with a Debian ca-certificates name, é, 0xe9, 0xff 0xc3.
"$top/scripts/make-example-image" "$work/ex" >/dev/null || { not_ok "example image builds"; exit 1; }
umoci unpack --image "$work/ex/image:example" "$work/b3" >/dev/null 2>&1
r=$work/b3/rootfs/usr/share/ca-certificates/mozilla
mkdir -p "$r"
long=$(printf 'x%.0s' $(seq 120))
printf a >"$r/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt"
printf b >"$r/café.txt"
printf c >"$r/lat$(printf '\351')"
printf d >"$r/bad$(printf '\377\303')"
printf e >"$r/$long$(printf '\351\377')"
ln "$r/$long$(printf '\351\377')" "$r/hard$(printf '\351')"
ln -s "tgt$(printf '\377\303\351')" "$r/lnk"
ln -s "$long$(printf '\377')" "$r/long-lnk"
umoci repack --image "$work/ex/image:example" "$work/b3" >/dev/null
umoci unpack --image "$work/ex/image:example" "$work/ex-in" >/dev/null 2>&1
listing "$work/ex-in/rootfs" >"$work/ex-in.list"
src="oci:$work/ex/image:example"
"$BOOTSEAL" keygen --output-dir "$work/keys" >/dev/null
keys=(--key "$work/keys/db.key" --cert "$work/keys/db.crt")

for loc in C C.UTF-8; do
	export LC_ALL=$loc
	check "$loc: oci flatten of the names image" "$BOOTSEAL" oci flatten "oci:$work/py:t" "oci:$work/flat-$loc:x"
	check "$loc: oci flatten of the example image with names" "$BOOTSEAL" oci flatten "$src" "oci:$work/exflat-$loc:x"
	check "$loc: seal" "$BOOTSEAL" seal "${keys[@]}" --json "$src" "oci:$work/sealed-$loc:x"
	"$BOOTSEAL" seal "${keys[@]}" --json "$src" "oci:$work/sealed2-$loc:x" >"$work/seal-$loc.json"
done
unset LC_ALL
check_eq "the flattened names image is the same under LC_ALL=C and C.UTF-8" \
	"$(cat "$work/flat-C/index.json" 2>&1)" "$(cat "$work/flat-C.UTF-8/index.json" 2>&1)"
check_eq "the sealed image is the same under LC_ALL=C and C.UTF-8" \
	"$(cat "$work/sealed-C/index.json" 2>&1)" "$(cat "$work/sealed-C.UTF-8/index.json" 2>&1)" ||
	python3 "$top/tests/oci-explain-diff.py" "$work/sealed-C" "$work/sealed-C.UTF-8"
check_eq "a second seal under LC_ALL=C gives the same image" \
	"$(cat "$work/sealed-C/index.json" 2>&1)" "$(cat "$work/sealed2-C/index.json" 2>&1)" ||
	python3 "$top/tests/oci-explain-diff.py" "$work/sealed-C" "$work/sealed2-C"
check "the names still write PAX records, non-UTF-8 ones under hdrcharset=BINARY" \
	sh -c "zcat '$(layer_of "$work/flat-C")' | grep -aq 'hdrcharset=BINARY'"

# What umoci and GNU tar unpack from our output is the input's names, byte
# for byte (symlink targets and hardlinks included).
umoci unpack --image "$work/flat-C:x" "$work/py-out" >/dev/null 2>&1
check_eq "umoci unpacks the flattened names image byte for byte" \
	"$(cat "$work/py-in.list")" "$(listing "$work/py-out/rootfs")"
for loc in C C.UTF-8; do
	mkdir "$work/gnu-$loc"
	LC_ALL=$loc tar -xzf "$(layer_of "$work/flat-C")" -C "$work/gnu-$loc" 2>/dev/null
	check_eq "GNU tar (LC_ALL=$loc) extracts the flattened layer byte for byte" \
		"$(cat "$work/py-in.list")" "$(listing "$work/gnu-$loc")"
done
umoci unpack --image "$work/exflat-C:x" "$work/ex-flat" >/dev/null 2>&1
check_eq "umoci unpacks the flattened example image byte for byte" \
	"$(cat "$work/ex-in.list")" "$(listing "$work/ex-flat/rootfs")"
umoci unpack --image "$work/sealed-C:x" "$work/ex-sealed" >/dev/null 2>&1
check_eq "umoci unpacks the sealed image byte for byte (plus the UKI)" \
	"$(grep -v "EFI" "$work/ex-in.list")" "$(listing "$work/ex-sealed/rootfs" | grep -v EFI)"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$work/seal-C.json")
check_eq "seal's digest = compute-composefs-digest of the tree umoci unpacks" \
	"$digest" "$("$BOOTSEAL" compute-composefs-digest "$work/ex-sealed/rootfs" 2>&1)"
check "verify-seal accepts the sealed image" "$BOOTSEAL" verify-seal --db "$work/keys/db.crt" "oci:$work/sealed-C:x"

# diff: no difference between the image and what umoci unpacked; a real one
# on a non-UTF-8 name is reported with the name in \xNN form, valid JSON.
check "diff: the names image and its umoci unpack are the same" \
	"$BOOTSEAL" diff "oci:$work/py:t" "dir:$work/py-in/rootfs"
check "diff: the flattened image and the input are the same" \
	"$BOOTSEAL" diff "oci:$work/flat-C:x" "oci:$work/py:t"
cp -a "$work/py-in/rootfs" "$work/py-edit"
printf X >"$work/py-edit/usr/n/lat$(printf '\351')"
printf X >"$work/py-edit/usr/n/back\x41 sp ace"
"$BOOTSEAL" diff --json "oci:$work/py:t" "dir:$work/py-edit" >"$work/diff.json"
check_eq "diff --json: a Latin-1 byte and a backslash as \\xNN, in valid UTF-8 JSON" \
	"/usr/n/back\\x5cx41 sp ace: content|/usr/n/lat\\xe9: content" \
	"$(python3 -c 'import json,sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
print("|".join(sorted({x["path"] + ": " + x["field"] for x in d["differences"] if x["field"] != "mtime"})))' "$work/diff.json")"
check_eq "diff: the text form names the files" "/usr/n/back\x41 sp ace: content|/usr/n/lat$(printf '\351'): content" \
	"$("$BOOTSEAL" diff "oci:$work/py:t" "dir:$work/py-edit" | grep -a ': content: ' | sed 's/: content: .*/: content/' | paste -sd'|')"

# Dump files: names escaped as \xNN, read back to the same digest; the EROFS
# image holds the names byte for byte (fsck.erofs extracts it).
check "compute-composefs-digest --write-dumpfile-to" sh -c \
	"'$BOOTSEAL' compute-composefs-digest --write-dumpfile-to '$work/py.dump' 'oci:$work/py:t' >'$work/py.digest'"
check "dump: a non-UTF-8 name is written \\xNN" grep -qF '/usr/n/d\xe9\xff/f\xc3 ' "$work/py.dump"
check "dump: a symlink target with such bytes is written \\xNN" grep -qF ' t\xe9\xff ' "$work/py.dump"
check_eq "dump: read back, the same digest" "$(cat "$work/py.digest")" \
	"$("$BOOTSEAL" mkcomposefs --from-file --format v1 --hash sha512 --print-digest "$work/py.dump" "$work/py.cfs")"
check "diff: the dump file and the image are the same" "$BOOTSEAL" diff "dump:$work/py.dump" "cfs:$work/py.cfs"
fsck.erofs --extract="$work/py-erofs" "$work/py.cfs" >/dev/null 2>&1
check_eq "fsck.erofs extracts the same names and symlink targets from the EROFS image" \
	"$(cut -d' ' -f1-3 "$work/py-in.list")" "$(listing "$work/py-erofs" | cut -d' ' -f1-3)"

# seal dir: (in place) and deploy.
cp -a "$work/ex-in/rootfs" "$work/sealdir"
"$BOOTSEAL" seal "${keys[@]}" --json "dir:$work/sealdir" >"$work/sealdir.json"
check_eq "seal dir: gives the same digest" "$digest" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$work/sealdir.json")"
mkdir "$work/esp"
check "deploy" "$BOOTSEAL" deploy --allow-missing-verity --db "$work/keys/db.crt" --allow-unsigned-bootloader --esp "$work/esp" "oci:$work/sealed-C:x" "$work/repo"
img=$(readlink -f "$work/repo/images/$digest")
check "deploy: the image is the sealed tree" "$BOOTSEAL" diff "cfs:$img" "dir:$work/ex-sealed/rootfs"
fsck.erofs --extract="$work/deployed" "$img" >/dev/null 2>&1
check_eq "deploy: fsck.erofs extracts the names byte for byte" \
	"$(grep -v EFI "$work/ex-in.list" | cut -d' ' -f1-3)" "$(listing "$work/deployed" | grep -v EFI | cut -d' ' -f1-3)"

finish
