"""A ustar header written by hand, for the generators of hostile layers
(Python's tarfile refuses some of what they need: sizes past the data,
old-GNU sparse entries, any typeflag)."""


def ustar_header(name, size, typeflag=b"0", mode=0o644):
    """NAME (bytes) of SIZE bytes, owned by root, mtime 1700000000."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1700000000
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)
