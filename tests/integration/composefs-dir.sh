#!/usr/bin/env bash
# compute-composefs-digest of a directory: bootc's read rules and transforms,
# checked against fsverity-utils (content digests), the dump round trip
# through mkcomposefs, and erofs-utils.
. "$(dirname "$0")/../lib.sh"
need fsverity fsck.erofs dump.erofs setfattr getfattr setcap python3

root=$work/rootfs
mkdir -p "$root"/{usr/bin,usr/lib,etc,boot/EFI,sysroot/ostree,run/lock,var/tmp,dev}
python3 - "$root" <<'PY'
import os, sys, socket
r = sys.argv[1]
def pattern(n):
    return bytes((7 * i + 3) & 0xff for i in range(n))
for n in (0, 1, 63, 64, 65, 4095, 4096, 4097, 300000):
    open(f"{r}/usr/lib/size-{n}", "wb").write(pattern(n))
open(f"{r}/usr/bin/tool", "wb").write(pattern(9000))
open(f"{r}/boot/EFI/should-vanish", "w").write("x" * 100)
open(f"{r}/run/lock/should-vanish", "w").write("x")
os.makedirs(f"{r}/usr/share/" + "d" * 200)
open(f"{r}/usr/share/" + "n" * 255, "w").write("long name")
os.symlink("t" * 1000, f"{r}/usr/share/long-link")
os.symlink("../lib/size-1", f"{r}/usr/bin/rel-link")
os.mkfifo(f"{r}/usr/share/fifo")
s = socket.socket(socket.AF_UNIX)
s.bind(f"{r}/usr/share/socket")
os.mknod(f"{r}/dev/null", 0o20666, os.makedev(1, 3))
os.mknod(f"{r}/dev/loop0", 0o60660, os.makedev(7, 0))
os.link(f"{r}/usr/lib/size-4097", f"{r}/etc/hardlink-a")
os.link(f"{r}/usr/lib/size-4097", f"{r}/var/hardlink-b")
os.link(f"{r}/usr/lib/size-1", f"{r}/etc/small-hardlink")
os.chmod(f"{r}/usr/bin/tool", 0o4755)
os.chmod(f"{r}/var/tmp", 0o1777)
os.chown(f"{r}/usr/lib/size-65", 1000, 1001)
os.utime(f"{r}/usr/lib/size-64", ns=(0, 1234567890123456789))
PY
setcap cap_net_raw+ep "$root/usr/bin/tool"
setfattr -n user.dropped -v yes "$root/usr/lib/size-65"
setfattr -n trusted.dropped -v yes "$root/usr/lib/size-65"
touch -d '2024-01-02 03:04:05.123456789' "$root/usr"
chmod 0750 "$root/usr"

digest=$("$BOOTSEAL" compute-composefs-digest --write-dumpfile-to "$work/tree.dump" "$root")
check_eq "digest is 128 hex digits" 128 "$(printf %s "$digest" | grep -cE '^[0-9a-f]{128}$' | sed 's/1/128/')"
check_eq "same digest with 1 job" "$digest" "$("$BOOTSEAL" compute-composefs-digest --jobs 1 "$root")"
check_eq "dump round trip: mkcomposefs --from-file gives the same digest" "$digest" \
	"$("$BOOTSEAL" mkcomposefs --from-file --format v1 --hash sha512 --print-digest "$work/tree.dump" "$work/tree.img")"
check "fsck.erofs accepts the image" fsck.erofs "$work/tree.img"
check "dump.erofs reads the image" dump.erofs "$work/tree.img"
check_eq "digest of the image file equals the printed digest" "$digest" \
	"$(fsverity digest --compact --hash-alg=sha512 "$work/tree.img")"

# The kernel reads the image: the same names (plus the 256 whiteout stubs V1
# puts in /), hardlinks as one inode, inline bytes and link targets as written.
# Skipped (documented in README) when not root or the kernel cannot loop-mount EROFS.
mnt=$work/mnt
mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && mount -t erofs -o loop,ro "$work/tree.img" "$mnt" 2>/dev/null; then
	want=$( (awk '$1 != "/" { print substr($1, 2) }' "$work/tree.dump"; for i in $(seq 0 255); do printf '%02x\n' "$i"; done) | LC_ALL=C sort)
	got=$(cd "$mnt" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort)
	check_eq "mounted image lists the dump's paths and the whiteout stubs" "$(echo "$want" | md5sum)" "$(echo "$got" | md5sum)"
	check_eq "mounted: hardlinks share an inode" "$(stat -c %i "$mnt/etc/hardlink-a")" "$(stat -c %i "$mnt/var/hardlink-b")"
	check_eq "mounted: inline content" "$(cat "$root/usr/lib/size-63" | md5sum)" "$(cat "$mnt/usr/lib/size-63" | md5sum)"
	check_eq "mounted: symlink target" "../lib/size-1" "$(readlink "$mnt/usr/bin/rel-link")"
	check "mounted: external file has its redirect" sh -c "getfattr -n trusted.overlay.redirect '$mnt/usr/bin/tool' | grep -q redirect"
	umount "$mnt"
else
	echo "# SKIP EROFS mount checks: needs root and a kernel that loop-mounts EROFS"
fi

line() { grep -E "^$(printf '%s' "$1" | sed 's/[.[\*^$]/\\&/g') " "$work/tree.dump"; }
field() { line "$1" | awk -v f="$2" '{ print $f }'; }

# Every external file carries the SHA-512 fs-verity digest fsverity-utils computes.
for f in usr/lib/size-65 usr/lib/size-4095 usr/lib/size-4096 etc/hardlink-a usr/lib/size-300000 usr/bin/tool; do
	want=$(fsverity digest --compact --hash-alg=sha512 "$root/$f")
	check_eq "/$f: content digest as fsverity digest" "$want" "$(field "/$f" 11)"
	check_eq "/$f: redirect names the object" "${want:0:2}/${want:2}" "$(field "/$f" 9)"
done
check_eq "64-byte file is inline" "-" "$(field /usr/lib/size-64 11)"
check_eq "65-byte file is external" 65 "$(field /usr/lib/size-65 2)"
check_eq "empty file: size 0" 0 "$(field /usr/lib/size-0 2)"
check_eq "mtime keeps nanoseconds" "1234567890.123456789" "$(field /usr/lib/size-64 8)"
check_eq "uid/gid kept" "1000 1001" "$(field /usr/lib/size-65 5) $(field /usr/lib/size-65 6)"
check_eq "setuid bit kept" 104755 "$(field /usr/bin/tool 3)"
check_eq "sticky bit kept" 41777 "$(field /var/tmp 3)"
check_eq "security.capability kept" 1 "$(line /usr/bin/tool | grep -c 'security.capability=')"
check_eq "user.* and trusted.* xattrs dropped" 0 "$(line /usr/lib/size-65 | grep -c 'dropped')"
check_eq "char device rdev" "$(((1 << 8) | 3))" "$(field /dev/null 7)"
check_eq "block device rdev" "$((7 << 8))" "$(field /dev/loop0 7)"
check_eq "fifo" 10644 "$(field /usr/share/fifo 3)"
check_eq "socket" 140755 "$(field /usr/share/socket 3)"
check_eq "1000-byte symlink target" 1000 "$(field /usr/share/long-link 2)"
check_eq "255-byte name present" 1 "$(grep -c "/usr/share/$(printf 'n%.0s' $(seq 255)) " "$work/tree.dump")"
check_eq "hardlink group of three: nlink 3" 3 "$(field /etc/hardlink-a 4)"
check_eq "other names of the group are hardlinks" "@ @" \
	"$(field /usr/lib/size-4097 3 | cut -c1) $(field /var/hardlink-b 3 | cut -c1)"
# The dump is composefs-rs's (what bootc --write-dumpfile-to writes).
check_eq "dump: other names of a hardlink as composefs-rs writes them" \
	"/var/hardlink-b 0 @120000 - - - - 0.0 /etc/hardlink-a - -" "$(line /var/hardlink-b)"
check_eq "dump: directory size 0, nlink 2 + subdirectories (bin, lib, share)" "0 5" "$(field /usr 2) $(field /usr 4)"
check_eq "dump: empty inline file has '-' content" "- - -" "$(field /usr/lib/size-0 9) $(field /usr/lib/size-0 10) $(field /usr/lib/size-0 11)"
check_eq "/ takes /usr's mode and mtime" "40750 1704164645.123456789" "$(field / 3) $(field / 8)"
check_eq "/boot emptied" 0 "$(grep -c '^/boot/' "$work/tree.dump")"
check_eq "/run emptied" 0 "$(grep -c '^/run/' "$work/tree.dump")"
check_eq "/sysroot emptied" 0 "$(grep -c '^/sysroot/' "$work/tree.dump")"
check_eq "/run takes /usr's mtime" "1704164645.123456789" "$(field /run 8)"
check_eq "/boot takes /usr's mtime seconds only" "1704164645" "$(field /boot 8 | cut -d. -f1)"

# Content outside /boot changes the digest; content inside it does not.
echo changed >"$root/boot/EFI/should-vanish"
check_eq "changes under /boot do not change the digest" "$digest" "$("$BOOTSEAL" compute-composefs-digest "$root")"
printf 'x' >>"$root/usr/lib/size-300000"
check "one more byte in a file changes the digest" test "$digest" != "$("$BOOTSEAL" compute-composefs-digest "$root")"

# SELinux: labels from the tree's own policy; a hardlink whose names get
# different labels is split.
mkdir -p "$root/etc/selinux/targeted/contexts/files"
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$root/etc/selinux/config"
{
	echo '/.*	system_u:object_r:default_t:s0'
	echo '/usr(/.*)?	system_u:object_r:usr_t:s0'
	echo '/usr/bin(/.*)?	--	system_u:object_r:bin_t:s0'
	echo '/etc(/.*)?	system_u:object_r:etc_t:s0'
	echo '/usr/lib/size-4097	system_u:object_r:etc_t:s0'
	echo '/var/hardlink-b	<<none>>'
	# Padding so that the policy is an external (hashed) file.
	for i in $(seq 20); do echo "/opt/pad$i	system_u:object_r:pad_t:s0"; done
} >"$root/etc/selinux/targeted/contexts/files/file_contexts"
"$BOOTSEAL" compute-composefs-digest --write-dumpfile-to "$work/label.dump" "$root" >/dev/null
lab() { grep -E "^$1 " "$work/label.dump" | grep -o 'security.selinux=[^ ]*' | cut -d= -f2; }
check_eq "root labelled" "system_u:object_r:default_t:s0" "$(lab /)"
check_eq "typed spec for a regular file" "system_u:object_r:bin_t:s0" "$(lab /usr/bin/tool)"
check_eq "typed spec skips the directory" "system_u:object_r:usr_t:s0" "$(lab /usr/bin)"
check_eq "later spec wins" "system_u:object_r:etc_t:s0" "$(lab /etc/selinux/config)"
check_eq "<<none>> leaves no label" "" "$(lab /var/hardlink-b)"
check_eq "split hardlink: first names keep the group" 2 "$(grep -E '^/etc/hardlink-a ' "$work/label.dump" | awk '{ print $4 }')"
check_eq "split hardlink: the unlabelled name is its own file" "1 100644" \
	"$(grep -E '^/var/hardlink-b ' "$work/label.dump" | awk '{ print $4, $3 }')"
check_eq "labelled dump round trip" "$("$BOOTSEAL" compute-composefs-digest "$root")" \
	"$("$BOOTSEAL" mkcomposefs --from-file --format v1 --hash sha512 --print-digest "$work/label.dump" "$work/label.img")"
rm -rf "$root/etc/selinux"

# Bad input: one line naming the path, exit 2, no digest.
mv "$root/boot" "$work/boot.saved"
check_fails "missing /boot" 2 "$root: /boot is missing: .*--create-missing-dirs" \
	"$BOOTSEAL" compute-composefs-digest "$root"
check "--create-missing-dirs creates it" "$BOOTSEAL" compute-composefs-digest --create-missing-dirs "$root"
mv "$work/boot.saved" "$root/boot"
mv "$root/usr" "$work/usr.saved"
check_fails "missing /usr" 2 "$root: /usr is missing" "$BOOTSEAL" compute-composefs-digest "$root"
mv "$work/usr.saved" "$root/usr"
rm -rf "$root/run" && ln -s /tmp "$root/run"
check_fails "/run is a symlink" 2 "/run is not a directory" "$BOOTSEAL" compute-composefs-digest "$root"
check_fails "rootfs missing" 2 "$work/nope: cannot open directory: No such file" \
	"$BOOTSEAL" compute-composefs-digest "$work/nope"
check_fails "active root refused" 2 "active root filesystem" "$BOOTSEAL" compute-composefs-digest /
rm "$root/run" && mkdir "$root/run"
# An unreadable file, as an unprivileged user: root reads everything.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$work/unpriv/usr" "$work/unpriv/boot" "$work/unpriv/sysroot"
	head -c 100 /dev/zero >"$work/unpriv/usr/secret" && chmod 000 "$work/unpriv/usr/secret"
	chmod 755 "$work" && chown -R 65534:65534 "$work/unpriv"
	nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	check_fails "unreadable file" 2 "$work/unpriv/usr/secret: cannot (open|read): Permission denied" \
		"${nobody[@]}" "$BOOTSEAL" compute-composefs-digest "$work/unpriv"
	check_fails "mkcomposefs of a tree with an unreadable file" 2 "usr/secret: cannot (open|read): Permission denied" \
		"${nobody[@]}" "$BOOTSEAL" mkcomposefs --format v1 --hash sha512 "$work/unpriv" "$work/unpriv.img"
	check "no image is left behind" test ! -e "$work/unpriv.img"
fi
# The walk hands files, still open, to the hashing threads in batches; with
# fewer descriptors than a batch holds it hashes what it has and goes on.
many=$work/many
mkdir -p "$many/usr/share/many" "$many/boot" "$many/sysroot"
for i in $(seq 600); do printf '%0100d\n' "$i" >"$many/usr/share/many/f$i"; done
mkdir -p "$many/usr/share/many/deep/a/b/c" && cp "$many/usr/share/many/f1" "$many/usr/share/many/deep/a/b/c/x"
want=$("$BOOTSEAL" compute-composefs-digest "$many")
check_eq "600 hashed files with 24 descriptors: the same digest" "$want" \
	"$(ulimit -n 24; "$BOOTSEAL" compute-composefs-digest --jobs 2 "$many")"
check_eq "... and hashed on one thread" "$want" "$("$BOOTSEAL" compute-composefs-digest --jobs 1 "$many")"
check_fails "dump to a missing directory" 2 "$work/no/such.dump: cannot create" \
	"$BOOTSEAL" compute-composefs-digest --write-dumpfile-to "$work/no/such.dump" "$root"
finish
