#!/usr/bin/env bash
# OCI images: flattening against `umoci unpack` of the same image (the
# oracle for whiteouts, opaque directories, hardlinks, xattrs), the written
# image against skopeo and umoci, reproducibility, and hostile inputs.
. "$(dirname "$0")/../lib.sh"
need umoci skopeo setfattr python3 strace
mkimage=$top/tests/integration/oci-mkimage.py
cd "$work"; [ -n "${KEEP:-}" ] && trap - EXIT && echo "# work: $work"

# Layer 1 (umoci repack): the base tree.
umoci init --layout img >/dev/null
umoci new --image img:t >/dev/null
umoci unpack --image img:t b >/dev/null
r=b/rootfs
mkdir -p $r/usr/bin $r/etc/opq/sub $r/deep/a $r/gone/inner $r/dev
printf 'small\n' >$r/etc/small
head -c 300000 /dev/urandom >$r/usr/bin/big
mkdir -p $r/usr/share
# several MiB: the writer's gzip blocks (1 MiB) and batches come into play
{ head -c 3000000 /dev/urandom; seq 1 600000; } >$r/usr/share/data
cp $r/usr/bin/big $r/usr/bin/copy
ln $r/usr/bin/big $r/usr/bin/big-hl
ln -s ../etc/small $r/usr/link
setfattr -n user.comment -v "hello world" $r/etc/small
setfattr -n user.dir -v 1 $r/etc/opq
setfattr -n security.capability -v 0sAQAAAgAgAAAAAAAAAAAAAAAAAAA= $r/usr/bin/copy
mknod $r/dev/null c 1 3
mknod $r/dev/sda b 8 0
mkfifo $r/etc/fifo
echo lower >$r/etc/opq/lower
echo lower >$r/etc/opq/sub/lower
echo bye >$r/gone/inner/file
echo keep >$r/etc/replaced
chmod 0700 $r/deep/a
touch -d @1600000000.123456789 $r/deep/a/nanos
long=$(printf 'l%.0s' $(seq 200))
echo long >"$r/deep/$long"
mkdir -p "$r/deep/$long-dir/$long"
echo x >"$r/deep/$long-dir/$long/f"
umoci repack --image img:t b >/dev/null

# Layer 2 (umoci repack): deletions become whiteouts, changes new entries.
# repack diffs against the unpack, so unpack the one-layer image again.
rm -rf b
umoci unpack --image img:t b >/dev/null
rm -rf $r/gone $r/usr/link
echo changed-content-of-the-replaced-file >$r/etc/replaced
chmod 0750 $r/etc
umoci repack --image img:t b >/dev/null

# Layer 3 (a tar of our own): an opaque directory, a hardlink to a file of
# layer 1, parents missing from the layer, PAX xattrs (sparse entries: hostile.sh).
python3 - <<'PY'
import io, tarfile
with tarfile.open("layer3.tar", "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, pax=None):
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.mode, ti.mtime = kind, link, mode, 1700000000
        if pax:
            ti.pax_headers = pax
        ti.size = len(data) if kind == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if data else None)
    add("etc/opq/", tarfile.DIRTYPE, mode=0o755)
    add("etc/opq/.wh..wh..opq")
    add("etc/opq/new", data=b"upper\n")
    add("usr/bin/big-hl2", tarfile.LNKTYPE, link="usr/bin/big")
    add("usr/bin/nanos", data=b"n", pax={"mtime": "1700000000.123456789"})
    add("deep/a/b/c/file", data=b"no parents in this layer\n" * 10,
        pax={"SCHILY.xattr.user.tag": "from-pax"})
PY
umoci unpack --image img:t mid >/dev/null
umoci raw add-layer --image img:t layer3.tar >/dev/null

umoci unpack --image img:t in >/dev/null
# umoci stamps directories it creates or adds to without an entry of that
# layer with the extraction time; the spec (and bootseal) keep the lower
# layer's metadata, and bootseal gives never-described parents mtime 0.
touch -d @0 in/rootfs/deep/a/b/c in/rootfs/deep/a/b
touch -r mid/rootfs/deep/a in/rootfs/deep/a
B=$BOOTSEAL
$B oci inspect --dump flat.dump oci:img:t >inspect.out
check_eq "inspect reads the 3-layer image" 3 "$(grep -c '^layer [0-9]' inspect.out)"
check "inspect --dump - writes the same dump to standard output" \
	cmp flat.dump <($B oci inspect --dump - oci:img:t)
check_fails "inspect --dump into a missing directory" 2 "^bootseal: oci inspect: nodir/x.dump: cannot create" \
	$B oci inspect --dump nodir/x.dump oci:img:t
mkfifo dump.fifo
check_fails "inspect --dump onto a FIFO is refused, not replaced" 2 "dump.fifo: exists and is not a regular file" \
	$B oci inspect --dump dump.fifo oci:img:t
check "the FIFO is still a FIFO" test -p dump.fifo
rm dump.fifo
check_eq "inspect prints the manifest digest" \
	"$(python3 -c 'import json;print(json.load(open("img/index.json"))["manifests"][0]["digest"])')" \
	"$(sed -n 's/^manifest \([^ ]*\) .*/\1/p' inspect.out)"
check "flattened tree equals umoci unpack (whiteouts, opaque dir, hardlinks, xattrs, devices)" \
	$B diff --raw dump:flat.dump dir:in/rootfs
# The digest from the layers is the digest of the unpacked tree (bootc's rules).
check_eq "compute-composefs-digest oci: = of umoci unpack's tree" \
	"$($B compute-composefs-digest --create-missing-dirs in/rootfs)" \
	"$($B compute-composefs-digest --create-missing-dirs oci:img:t)"
check "whiteouts remove a directory and a symlink" test -z "$(grep -E '^/(gone|usr/link)' flat.dump)"
check "PAX mtime keeps nanoseconds" grep -q '^/usr/bin/nanos 1 100644 1 0 0 0 1700000000.123456789 ' flat.dump
check "opaque dir keeps only the upper entry" test "$(grep -c '^/etc/opq/' flat.dump)" = 1
check "cross-layer hardlink shares the inode" grep -q '^/usr/bin/big-hl2 300000 @100644 3 ' flat.dump
check "missing parents keep the lower metadata" grep -q '^/deep/a 0 40700 ' flat.dump

# Writing: skopeo and umoci accept it, and it unpacks to the same tree.
$B oci flatten oci:img:t oci:out:sealed >digest1
check_eq "flatten prints the manifest digest" "$(cat digest1)" \
	"$(skopeo inspect --format '{{.Digest}}' oci:out:sealed)"
# One gzip member: bootc decompresses layers with flate2's GzDecoder, which
# stops after the first member, so a blob of several would lose data there.
check "layer blobs: one gzip member each, whose content matches the config's diff_ids" python3 - out <<'PY'
import hashlib, json, sys, zlib
d = sys.argv[1]
blob = lambda dg: f"{d}/blobs/sha256/{dg[7:]}"
man = json.load(open(blob(json.load(open(f"{d}/index.json"))["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
for layer, diff in zip(man["layers"], cfg["rootfs"]["diff_ids"]):
    data = open(blob(layer["digest"]), "rb").read()
    assert len(data) == layer["size"]
    member = zlib.decompressobj(31)
    tar = member.decompress(data) + member.flush()
    assert member.eof and not member.unused_data, "more than one gzip member"
    assert len(tar) > 7 << 20, "too small to span several blocks and batches"
    assert "sha256:" + hashlib.sha256(tar).hexdigest() == diff
PY
check "layer blobs: gzip -t" sh -c 'for f in out/blobs/sha256/*; do [ "$(head -c2 "$f" | od -An -tx1)" != " 1f 8b" ] || gzip -t "$f" || exit 1; done'
check_eq "skopeo sees one layer" 1 "$(skopeo inspect --format '{{len .Layers}}' oci:out:sealed)"
umoci unpack --image out:sealed o >/dev/null
check "umoci unpack of the output equals the input's" $B diff --raw dir:in/rootfs dir:o/rootfs
$B oci inspect --dump flat2.dump oci:out:sealed >/dev/null
check "flattening the output gives the same dump" cmp flat.dump flat2.dump

# Reproducible: another run, another directory, same bytes.
$B oci flatten oci:img:t oci:out2:sealed >digest2
check_eq "flatten twice: same manifest digest" "$(cat digest1)" "$(cat digest2)"
check_eq "flatten twice: same index.json" "$(sha256sum <out/index.json)" "$(sha256sum <out2/index.json)"
check "flatten twice: same blobs" diff -r out/blobs out2/blobs
check_eq "one compression thread: same bytes" "$(cat digest1)" "$($B oci flatten --jobs 1 oci:img:t oci:out7:sealed)"
check_eq "three compression threads: same bytes" "$(cat digest1)" "$($B oci flatten --jobs 3 oci:img:t oci:out8:sealed)"
# The layers are read once: flattening keeps the files' bytes in a spool the
# writer takes them from. Without a usable spool (no temporary directory, or
# one that fills up) the writer reads the layers again, to the same bytes.
layer_opens() { # the most openat calls of one layer blob while flattening img:t
	# (opening an image checks each blob once: that open is not a read)
	# (LeakSanitizer cannot run under ptrace: a sanitized bootseal is traced without it)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -e trace=openat -o "$work/trace" $B oci flatten "$@" oci:img:t oci:spool-out >/dev/null &&
		for l in $(python3 -c 'import json; m=json.load(open("img/index.json"))["manifests"][0]["digest"].split(":")[1]; print(" ".join(x["digest"].split(":")[1] for x in json.load(open("img/blobs/sha256/"+m))["layers"]))'); do
			grep -c "blobs/sha256/$l\"" "$work/trace"
		done | sort -n | tail -1
	rm -rf oci:spool-out spool-out
}
check_eq "flatten reads each layer blob once" 2 "$(layer_opens)"
check_eq "no usable temporary directory: layers are read again" 3 "$(TMPDIR=/proc/self layer_opens)"
check_eq "no usable temporary directory: same bytes" "$(cat digest1)" \
	"$(TMPDIR=/proc/self $B oci flatten oci:img:t oci:out9:sealed)"
if [ "$(id -u)" = 0 ]; then
	mkdir -p small && mount -t tmpfs -o size=64k tmpfs small
	check_eq "a spool that runs out of space: same bytes" "$(cat digest1)" \
		"$(TMPDIR=$work/small $B oci flatten oci:img:t oci:out10:sealed)"
	check_eq "a spool that runs out of space: nothing left in the temporary directory" "" "$(ls -A small)"
	umount small
else
	echo "# SKIP spool out of space: mounting a tmpfs needs root"
fi
$B oci flatten --uncompressed oci:img:t oci:plain >/dev/null
check "uncompressed layers" skopeo inspect oci:plain:latest
$B oci flatten --zstd oci:img:t oci:zout >zdigest1
check_eq "zstd output: reproducible" "$(cat zdigest1)" "$($B oci flatten --zstd oci:img:t oci:zout2)"
check "zstd output: skopeo reads it" skopeo inspect oci:zout:latest
$B oci inspect --dump zout.dump oci:zout >/dev/null
check "zstd output flattens to the same tree" cmp flat.dump zout.dump
SOURCE_DATE_EPOCH=1234567890 $B oci flatten --label containers.bootc=1 oci:img:t oci:out3 >digest3
check "SOURCE_DATE_EPOCH sets the created time" \
	test "$(skopeo inspect --format '{{.Created}}' oci:out3:latest)" = "2009-02-13 23:31:30 +0000 UTC"
check_eq "labels are added" 1 "$(skopeo inspect --format '{{index .Labels "containers.bootc"}}' oci:out3:latest)"
$B oci flatten oci:img:t oci:out:sealed >digest4
check_eq "writing the same tag again: same manifest" "$(cat digest1)" "$(cat digest4)"
check_eq "writing the same tag again: one index entry" 1 "$(python3 -c 'import json;print(len(json.load(open("out/index.json"))["manifests"]))')"
# Into the source layout under another tag: like skopeo, its other tags stay.
cp -a img img2
$B oci flatten oci:img2:t oci:img2:flat >digest9
check_eq "an existing layout gains the tag" "$(cat digest1)" "$(skopeo inspect --format '{{.Digest}}' oci:img2:flat)"
check "an existing layout keeps its other tags" $B oci inspect oci:img2:t

# A one-layer image's layer can be reused as is.
$B oci flatten --reuse-layer oci:out:sealed oci:reused >/dev/null
check_eq "--reuse-layer copies the single layer blob" \
	"$(skopeo inspect --format '{{index .Layers 0}}' oci:out:sealed)" \
	"$(skopeo inspect --format '{{index .Layers 0}}' oci:reused:latest)"
umoci unpack --image reused:latest ru >/dev/null
check "--reuse-layer output unpacks to the same tree" $B diff --raw dir:in/rootfs dir:ru/rootfs

# Archives and zstd, in and out.
$B oci flatten oci:img:t oci-archive:out.tar:sealed >digest5
check_eq "oci-archive output: same manifest" "$(cat digest1)" "$(cat digest5)"
check "skopeo reads the oci-archive" skopeo inspect oci-archive:out.tar:sealed
skopeo copy -q oci:img:t oci-archive:in.tar:t
check_eq "oci-archive input flattens the same" "$(cat digest1)" "$($B oci flatten oci-archive:in.tar oci:out6)"
gzip -c in.tar >in.tar.gz
check_eq "compressed oci-archive input flattens the same" "$(cat digest1)" "$($B oci flatten oci-archive:in.tar.gz oci:out8)"
python3 - <<'PY'
import tarfile
with tarfile.open("evil.tar", "w") as t:
    for name in ("oci-layout", "index.json"):
        t.add("img/" + name, arcname=name)
    ti = tarfile.TarInfo("blobs/sha256/" + "0" * 64)
    ti.type, ti.linkname = tarfile.SYMTYPE, "/etc/passwd"
    t.addfile(ti)
PY
check_fails "oci-archive with a symlink member" 2 "unexpected entry 'blobs/sha256/0{64}' in an OCI archive" \
	$B oci inspect oci-archive:evil.tar
skopeo copy -q --dest-compress-format zstd oci:img:t oci:zst:t
check "zstd layers" grep -q 'tar+zstd' "zst/blobs/sha256/$(python3 -c 'import json;print(json.load(open("zst/index.json"))["manifests"][0]["digest"][7:])')"
$B oci inspect --dump zst.dump oci:zst:t >/dev/null
check "zstd image flattens to the same tree" cmp flat.dump zst.dump

skopeo copy -q --format v2s2 oci:img:t oci:docker:t
$B oci inspect --dump docker.dump oci:docker:t >/dev/null
check "Docker v2 schema 2 manifest flattens to the same tree" cmp flat.dump docker.dump
skopeo copy -q oci:img:t oci:docker:second
check_fails "two manifests and no tag" 2 "2 manifests: give a tag" $B oci inspect oci:docker

# Hostile inputs: one line, exit 2, no DEST.
hostile() {
	local name=$1 regex=$2
	python3 "$mkimage" "$name" "h-$name"
	check_fails "hostile $name" 2 "$regex" $B oci flatten "oci:h-$name" "oci:d-$name"
	check "hostile $name: DEST not created" test ! -e "d-$name"
}
hostile sha-mismatch "layer 1: blobs/sha256/[0-9a-f]{64}: sha256 mismatch"
hostile truncated-gzip "layer 1: corrupt layer: truncated gzip"
hostile missing-blob "blobs/sha256/[0-9a-f]{64}: blob missing from the image"
hostile dotdot "layer 1: etc/../../escape: path has a '..' component"
hostile hardlink-missing "layer 1: etc/hl: hardlink to 'etc/nothere', which does not exist"
hostile through-symlink "layer 2: lnk/shadow: path goes through the symlink 'lnk'"
hostile malformed-json "index.json: malformed JSON"
hostile wrong-media-type "unsupported media type 'application/vnd.example.not-a-layer'"
hostile long-name "name longer than 255 bytes"
hostile diffid-mismatch "layer 1: blobs/sha256/[0-9a-f]{64}: diff_id \\(sha256 of the uncompressed tar\\) mismatch"
hostile diffid-count "config lists 2 diff_ids for 1 layers"
python3 "$mkimage" no-diff-ids no-diff-ids
check "a config without diff_ids still flattens (they are computed)" $B oci flatten oci:no-diff-ids oci:d-no-diff-ids
python3 "$mkimage" good good
check "a good hand-made image flattens" $B oci flatten oci:good oci:d-good
check_fails "missing tag: the layout's whole path and the tags there are" 2 \
	"^bootseal: oci flatten: $(pwd -P)/good/index\\.json: no manifest tagged 'nope'; the tags are " \
	$B oci flatten oci:good:nope oci:d-nope
check_fails "not a layout" 2 "not an OCI image layout" $B oci inspect oci:$work/b
check_fails "dir: is not an image" 2 "a dir: reference is a root filesystem" $B oci inspect dir:$work/b
mkdir notimage && touch notimage/x
check_fails "an existing non-image DEST is kept" 2 "exists and is not an OCI image layout" \
	$B oci flatten oci:good oci:notimage
check "non-image DEST untouched" test -e notimage/x
finish
