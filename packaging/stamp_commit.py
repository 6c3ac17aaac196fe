"""python3 packaging/stamp_commit.py COMMIT FILE...: write the git commit into built tools.

Each tool carries the marker `cpipes-commit-stamp:` followed by 32 NUL bytes (CPipeShims'
`cpipes_build_commit`); `--version` shows what stands there. `make build` stamps bin/ after
linking, so a new commit changes no compiler flag and rebuilds nothing. An empty COMMIT clears
the stamp; a file without exactly one marker is an error (exit 65).
"""
import sys

MARKER = b"cpipes-commit-stamp:"
WIDTH = 32


def stamp(path, commit):
    data = bytearray(open(path, "rb").read())
    at = data.find(MARKER)
    if at < 0 or data.find(MARKER, at + 1) >= 0:
        sys.exit("stamp_commit: %s: expected one commit marker, found %s" % (path, "none" if at < 0 else "several"))
    start = at + len(MARKER)
    data[start:start + WIDTH] = commit.encode("ascii")[:WIDTH].ljust(WIDTH, b"\0")
    with open(path, "r+b") as out:
        out.write(data)


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: stamp_commit.py COMMIT FILE...")
    for path in argv[2:]:
        stamp(path, argv[1])


if __name__ == "__main__":
    main(sys.argv)
