#!/usr/bin/env python3
"""Generate a random root filesystem with a random SELinux policy.

    gen.py SEED DIR

The policy's file_contexts specs come from a grammar of Rust's regex-syntax
dialect (what composefs-rs compiles first) with some PCRE2-only and broken
constructs mixed in, built from the tree's own names so that they match
often. Names hold any byte but NUL and '/', including invalid UTF-8; modes,
mtimes (negative ones too), hardlinks and xattrs vary. Used by ./run.
"""
import os
import random
import sys

NAME_BYTES = [b"a", b"b", b"B", b"x", b"_", b"-", b".", b"0", b"9", b" ", b"\n", b"\r",
              b"\t", b"\xc3\xa9", b"\xe9", b"\xff", b"\x01", b"k", b"S", b"\\", b"(", b"[",
              b"\xe2\x80\xa8", b"usr", b"lib", b"bin", b"etc"]
WORDS = ["usr", "lib", "bin", "etc", "var", "opt", "a", "b", "x", "k", "S", "foo", "sbin", "share"]


def rand_name(rng):
    if rng.random() < 0.5:
        return rng.choice(WORDS).encode() + (str(rng.randrange(3)).encode() if rng.random() < 0.3 else b"")
    n = b"".join(rng.choice(NAME_BYTES) for _ in range(rng.randint(1, 5)))
    if n in (b".", b".."):
        n += b"x"
    return n


class Regex:
    """A random regex in (mostly) regex-syntax's dialect."""

    def __init__(self, rng, names, wild=True):
        self.rng = rng
        self.names = names
        self.wild = wild   # also constructs that often make a spec compile nowhere

    def lit_text(self):
        rng = self.rng
        name = rng.choice(self.names) if self.names else "x"
        # names may hold anything; quote what would be syntax
        out = []
        for ch in name:
            if ch in ".+*?()|[]{}^$#&-~\\":
                out.append("\\" + ch)
            elif ch.isspace():
                out.append(rng.choice([r"\s", r"\n", r"\r", r"\t", r"\x0a", "."]))
            elif ord(ch) >= 0xdc80 and ord(ch) <= 0xdcff:   # surrogateescape'd byte
                out.append(rng.choice([r"\x%02x" % (ord(ch) - 0xdc00), "."]))
            else:
                out.append(ch)
        return "".join(out)

    def cls_item(self, depth):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            a = rng.choice("abkxsAKSX019_-")
            b = rng.choice("bkzZ9x")
            return a + "-" + b if a <= b else a
        if r < 0.45:
            return rng.choice([r"\w", r"\d", r"\s", r"\W", r"\D", r"\S", "[:alpha:]", "[:^digit:]",
                               "[:word:]", "[:punct:]", "[:space:]", "[:lower:]", "[:upper:]"])
        if r < 0.55 and depth < 2:
            return self.cls(depth + 1)
        if r < 0.6:
            return rng.choice([r"\x41", r"\xe9", r"\xff", r"\x{e9}", r"\n", r"\v", r"\-", r"\]", "é"] +
                              ([r"\b"] if self.wild else []))
        return rng.choice(list("abcxyz/._kKsS0") + ["\\/", "&", "~", "^"] + (["-"] if self.wild else []))

    def cls(self, depth=0):
        rng = self.rng
        items = "".join(self.cls_item(depth) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            op = rng.choice(["&&", "--", "~~"])
            items += op + "".join(self.cls_item(depth) for _ in range(rng.randint(1, 2)))
        neg = "^" if rng.random() < 0.3 else ""
        lead = rng.choice(["", "", "", "-", "]"])
        return "[" + neg + lead + items + "]"

    def atom(self, depth):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return self.lit_text()
        if r < 0.4:
            return rng.choice([".", ".*", "/.*", "(/.*)?", ".+"])
        if r < 0.5:
            return self.cls()
        if r < 0.62:
            return rng.choice([r"\w", r"\d", r"\s", r"\b", r"\B", r"\<", r"\>", r"\b{start}", r"\b{end}",
                               r"\b{start-half}", r"\b{end-half}", r"\A", r"\z", r"\v", r"\x2f",
                               r"\xe9", r"\x{e9}", r"\xc3\xa9", r"\n", r"\a", r"\%", r"\/", "^", "$", "é",
                               r"\p{Greek}", r"\P{Lu}", r"\p{scx=Latn}", r"[\pL--\p{Ll}]", r"[^\p{Cn}\p{Co}]"] +
                              ([r"\pL", r"\Z", r"\1", r"\x{110000}", r"\b{foo}"] if self.wild else []))
        if r < 0.8 and depth < 3:
            inner = self.alt(depth + 1)
            kind = rng.random()
            if kind < 0.45:
                return "(" + inner + ")"
            if kind < 0.6:
                return "(?:" + inner + ")"
            if kind < 0.85:
                return "(?" + self.flags() + ":" + inner + ")"
            if kind < 0.9 or (not self.wild and kind < 0.97):
                return "(?P<n%d>" % rng.randrange(3) + inner + ")"
            if rng.random() < 0.5:
                # a lookbehind of bounded length: PCRE2 10.43+ reads it, 10.42 not as it is
                return rng.choice(["(?<=", "(?<!"]) + self.bounded() + ")"
            return rng.choice(["(?=", "(?!", "(?<=", "(?<!"]) + inner + ")"
        if r < 0.9:
            return "(?" + self.flags() + ")" + ("" if self.wild else rng.choice("ab/"))
        return rng.choice(["a", "/", "x", "k", "S", "_", "-", "]", "}", "{", "#", "&", "~"])

    def bounded(self):
        rng = self.rng
        parts = []
        for _ in range(rng.randint(1, 3)):
            a = rng.choice([self.lit_text()[:2] or "a", "[a-z]", ".", r"\w", "a", "/", "\\d"])
            parts.append("(?:" + a + ")" + rng.choice(["", "?", "{0,2}", "{1,3}", "??"]))
        alt = "".join(parts)
        return alt + ("|" + rng.choice(["x", "ab?", ""]) if rng.random() < 0.3 else "")

    def flags(self):
        rng = self.rng
        # 'u' now and then: Unicode mode's classes, '.' and folding (Unicode 16.0.0 tables)
        on = "".join(rng.sample("imsUuRx" if rng.random() < 0.5 else "imsURx" if self.wild else "imsUx",
                                rng.randint(0, 2)))
        off = "".join(f for f in rng.sample("imsRx", rng.randint(0, 2)) if f not in on)
        s = on + ("-" + off if off else "")
        return s or "i"

    def rep(self):
        rng = self.rng
        q = rng.choice(["*", "+", "?", "{2}", "{1,}", "{0,2}", "{,2}", "{2}{2}", "**", "*?", "+?",
                        "{1,3}?", "*+", "??", "{0,1200}", "{1}{1001}"] + (["{3,1}", "{"] if self.wild else []))
        return q

    def concat(self, depth):
        rng = self.rng
        out = ""
        for _ in range(rng.randint(1, 4)):
            a = self.atom(depth)
            if rng.random() < 0.25:
                a += self.rep()
            out += a
        return out

    def alt(self, depth=0):
        rng = self.rng
        parts = [self.concat(depth)]
        while rng.random() < 0.15:
            parts.append(self.concat(depth) if rng.random() < 0.9 else "")
        return "|".join(parts)

    def spec(self):
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            # a path-like spec, as real policies have
            p = "/" + "/".join(self.lit_text() for _ in range(rng.randint(0, 3)))
            tail = rng.choice(["", "(/.*)?", ".*", "/.*", "(/[^/]*)?", "[^/]*"])
            p += tail
            if rng.random() < 0.5:
                p += self.concat(2)
            return p
        if r < 0.5:
            return rng.choice(["/x)|(/y", "/a)(?m)(", ")|(", "(/.*)?)|(" + self.lit_text()] +
                              (["/(?x)a#"] if self.wild else []))
        if r < 0.56:
            # can match the empty string, and end a match anywhere: the lazy DFA's UTF-8 mode
            return "/" + self.lit_text()[:3] + rng.choice([".?", ".??", "..?", "(.|..)", "(..|.)", ".*?", ""]) + \
                rng.choice([")|(", ")|()|(", ")|(/"])
        return "/" + self.alt()


def main():
    seed = int(sys.argv[1])
    root = sys.argv[2].encode()
    rng = random.Random(seed)
    os.makedirs(root, exist_ok=True)
    paths = []   # (path bytes, is_dir)

    def mk(parent, depth):
        for _ in range(rng.randint(1, 4)):
            name = rand_name(rng)
            p = parent + b"/" + name
            if os.path.lexists(p):
                continue
            r = rng.random()
            if r < 0.35 and depth < 3:
                os.mkdir(p)
                os.chmod(p, rng.choice([0o755, 0o700, 0o1777, 0o2755]))
                paths.append((p, True))
                mk(p, depth + 1)
            elif r < 0.45:
                os.symlink(rand_name(rng), p)
                paths.append((p, False))
            elif r < 0.5:
                os.mkfifo(p)
                paths.append((p, False))
            elif r < 0.55 and paths:
                src = rng.choice(paths)
                if not src[1] and os.path.isfile(src[0]) and not os.path.islink(src[0]):
                    os.link(src[0], p)
                    paths.append((p, False))
            else:
                with open(p, "wb") as f:
                    f.write(os.urandom(rng.choice([0, 5, 100, 5000])) if rng.random() < 0.5 else b"x\n")
                os.chmod(p, rng.choice([0o644, 0o755, 0o4755, 0o600, 0o444]))
                paths.append((p, False))

    for top in [b"usr", b"etc", b"var", b"opt"]:
        os.makedirs(root + b"/" + top, exist_ok=True)
        paths.append((root + b"/" + top, True))
        mk(root + b"/" + top, 1)
    for top in [b"boot", b"sysroot"]:
        os.makedirs(root + b"/" + top, exist_ok=True)

    names = []
    for p, _ in paths:
        rel = p[len(root):]
        for comp in rel.split(b"/")[1:]:
            names.append(comp.decode("utf-8", "surrogateescape"))
    names = sorted(set(names))

    # xattrs and mtimes
    for p, _ in paths:
        if rng.random() < 0.2 and not os.path.islink(p):
            try:
                os.setxattr(p, b"user.test", os.urandom(rng.randint(0, 8)))
            except OSError:
                pass
        if rng.random() < 0.1 and not os.path.islink(p):
            os.setxattr(p, b"security.selinux", b"system_u:object_r:old_t:s0")
    # policy
    if rng.random() < 0.93:
        sel = root + b"/etc/selinux"
        os.makedirs(sel + b"/targeted/contexts/files", exist_ok=True)
        with open(sel + b"/config", "w") as f:
            f.write("SELINUX=enforcing\nSELINUXTYPE=targeted\n")
        gen = Regex(rng, names, wild=rng.random() < 0.15)
        lines = ["/.* system_u:object_r:default_t:s0"]
        for i in range(rng.randint(1, 8)):
            t = rng.choice(["", "", "", "-- ", "-d ", "-l ", "-p "])
            ctx = "<<none>>" if rng.random() < 0.05 else "system_u:object_r:t%d_t:s0" % i
            lines.append(gen.spec() + " " + t + ctx)
        with open(sel + b"/targeted/contexts/files/file_contexts", "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write("\n".join(lines) + "\n")
        if rng.random() < 0.3 and names:
            dirs = [p[len(root):].decode("utf-8", "surrogateescape") for p, d in paths if d]
            with open(sel + b"/targeted/contexts/files/file_contexts.subs", "w", encoding="utf-8",
                      errors="surrogateescape") as f:
                for _ in range(rng.randint(1, 3)):
                    a, b = rng.choice(dirs), rng.choice(dirs)
                    if any(c.isspace() for c in a + b):
                        continue
                    f.write("%s %s%s\n" % (a, b, "/" if rng.random() < 0.3 else ""))
    # mtimes last (writing files changes directories' mtimes)
    for p, _ in sorted(paths, key=lambda x: -len(x[0])) + [(root + b"/boot", True), (root + b"/sysroot", True),
                                                        (root + b"/etc", True), (root, True)]:
        if not os.path.lexists(p):
            continue
        r = rng.random()
        t = (-rng.randint(1, 10**9) if r < 0.1 else rng.randint(0, 2 * 10**9)) * 10**9 + \
            (rng.randrange(10**9) if rng.random() < 0.3 else 0)
        os.utime(p, ns=(t, t), follow_symlinks=False)


if __name__ == "__main__":
    main()
