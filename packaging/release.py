#!/usr/bin/env python3
"""Builds comfy-pipes' release files with the standard library only: the wheel (make wheel) and
the release archive (make dist).

A wheel is a zip (PEP 427): the seven tools and the install hook as scripts (pip puts them in
the venv's bin/), the comfy_pipes Python package, the man pages as data under share/man, and
the .dist-info with METADATA (from the README), WHEEL and RECORD (sha256 of every file).

The platform tag is manylinux_2_NN_ARCH, NN being the newest GLIBC_2.NN symbol version the
binaries need, read from their ELF version-needed tables: the tag never promises more than the
binaries keep. Same tree, same bytes: entries sorted, one fixed timestamp (SOURCE_DATE_EPOCH,
else 1980-01-01), fixed modes.

The archive, dist/comfy-pipes-VERSION-linux-ARCH.tar.gz, unpacks to comfy-pipes-VERSION/ with
bin/ (the tools and the hook) and share/man/, a prefix that works as it is.

Usage: packaging/release.py wheel|dist|tag [--bin DIR] [--out DIR] [--version V]
"""
import argparse
import base64
import gzip
import hashlib
import io
import os
import re
import struct
import sys
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ["cuda-detect", "wheel-url", "venv-make", "tensor-pack", "node-run", "remote-queue", "remote-fetch"]
HOOKS = ["comfy-pipes-install"]
PACKAGE_DIR = os.path.join(ROOT, "Sources", "node-run", "comfy_pipes")
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


def read(path, mode="rb"):
    with open(path, mode) as handle:
        return handle.read()


def project_version():
    """The one place the version lives: Sources/PipeKit/Version.swift."""
    text = read(os.path.join(ROOT, "Sources", "PipeKit", "Version.swift"), "r")
    match = re.search(r'pipeKitVersion\s*=\s*"([^"]+)"', text)
    if not match:
        sys.exit("release: no pipeKitVersion in Sources/PipeKit/Version.swift")
    return match.group(1)


def elf_glibc_needs(data):
    """(arch, newest (major, minor) of the GLIBC_ versions the ELF file needs, or None)."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (machine,) = struct.unpack_from("<H", data, 18)
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum = struct.unpack_from("<HH", data, 58)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    newest = None
    for (_, kind, _, _, offset, size, link, info, _, _) in sections:
        if kind != 0x6FFFFFFE:  # SHT_GNU_verneed
            continue
        strtab = sections[link][4]
        entry = offset
        for _ in range(info):
            _, count, _, aux, following = struct.unpack_from("<HHIII", data, entry)
            at = entry + aux
            for _ in range(count):
                _, _, _, name, next_aux = struct.unpack_from("<IHHII", data, at)
                end = data.index(b"\0", strtab + name)
                text = data[strtab + name:end].decode("ascii", "replace")
                match = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", text)
                if match:
                    version = (int(match.group(1)), int(match.group(2)))
                    newest = version if newest is None or version > newest else newest
                if not next_aux:
                    break
                at += next_aux
            if not following:
                break
            entry += following
    return ELF_MACHINES.get(machine, "unknown-%d" % machine), newest


def platform_tag(binaries):
    arches, newest = set(), (2, 17)
    for path in binaries:
        arch, needs = elf_glibc_needs(read(path))
        arches.add(arch)
        if needs and needs > newest:
            newest = needs
    if len(arches) != 1:
        sys.exit("release: the binaries are for more than one architecture: %s" % sorted(arches))
    return "manylinux_%d_%d_%s" % (newest[0], newest[1], arches.pop())


def metadata(version):
    readme = read(os.path.join(ROOT, "README.md")).decode("utf-8")
    head = [
        "Metadata-Version: 2.1",
        "Name: comfy-pipes",
        "Version: " + version,
        "Summary: Run ComfyUI custom nodes safely and at scale: exact CUDA wheels, isolated envs, "
        "zero-copy tensors into workers, workflows over many servers",
        "Home-page: https://github.com/comfy-pipes/comfy-pipes",
        "License: MIT",
        "Requires-Python: >=3.9",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Programming Language :: Python :: 3",
        "Description-Content-Type: text/markdown",
    ]
    return ("\n".join(head) + "\n\n" + readme).encode("utf-8")


def timestamp():
    """SOURCE_DATE_EPOCH, else 1980-01-01 (zip's earliest date)."""
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)


def write_atomically(target, data):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = target + ".part"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    print(target)
    return target


def release_files(bin_dir):
    """(place, bytes, mode) of what both the wheel and the archive carry: place is bin/NAME or
    share/man/SECTION/NAME."""
    files = []
    for tool in TOOLS:
        path = os.path.join(bin_dir, tool)
        if not os.path.isfile(path):
            sys.exit("release: %s is missing; build the kit first (make)" % path)
        files.append(("bin/" + tool, read(path), 0o755))
    for hook in HOOKS:
        files.append(("bin/" + hook, read(os.path.join(ROOT, "bin", hook)), 0o755))
    for section in ("man1", "man7"):
        folder = os.path.join(ROOT, "man", section)
        for name in sorted(os.listdir(folder)):
            files.append(("share/man/%s/%s" % (section, name), read(os.path.join(folder, name)), 0o644))
    return files


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def package_files():
    """(path in the wheel, bytes, mode) of the comfy_pipes package, sorted, no caches."""
    out = []
    for folder, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".typed")):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(PACKAGE_DIR)).replace(os.sep, "/")
                out.append((rel, read(path), 0o644))
    return out


def build(bin_dir, out_dir, version):
    files = release_files(bin_dir)
    tag = platform_tag([os.path.join(bin_dir, t) for t in TOOLS])
    dist = "comfy_pipes-%s" % version
    data = dist + ".data"
    info = dist + ".dist-info"
    entries = package_files()
    for place, body, mode in files:
        where = "scripts/" + place[4:] if place.startswith("bin/") else "data/" + place
        entries.append(("%s/%s" % (data, where), body, mode))
    entries.append((info + "/METADATA", metadata(version), 0o644))
    wheel = "Wheel-Version: 1.0\nGenerator: comfy-pipes packaging/wheel.py\nRoot-Is-Purelib: false\nTag: py3-none-%s\n" % tag
    entries.append((info + "/WHEEL", wheel.encode(), 0o644))
    entries.sort(key=lambda e: e[0])
    record = "".join("%s,%s,%d\n" % (name, record_hash(body), len(body)) for name, body, _ in entries)
    record += info + "/RECORD,,\n"
    entries.append((info + "/RECORD", record.encode(), 0o644))

    date_time = time.gmtime(timestamp())[:6]
    target = os.path.join(out_dir, "%s-py3-none-%s.whl" % (dist, tag))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, body, mode in entries:
            member = zipfile.ZipInfo(name, date_time)
            member.external_attr = (0o100000 | mode) << 16
            member.create_system = 3
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, body)
    return write_atomically(target, buffer.getvalue())


def build_archive(bin_dir, out_dir, version):
    files = release_files(bin_dir)
    arch = platform_tag([os.path.join(bin_dir, t) for t in TOOLS]).split("_", 3)[3]
    top = "comfy-pipes-%s" % version
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folders = sorted({"/".join(place.split("/")[:i]) for place, _, _ in files for i in range(1, place.count("/") + 1)})
        for folder in [""] + folders:
            member = tarfile.TarInfo((top + "/" + folder).rstrip("/"))
            member.type, member.mode, member.mtime = tarfile.DIRTYPE, 0o755, timestamp()
            archive.addfile(member)
        for place, body, mode in sorted(files):
            member = tarfile.TarInfo(top + "/" + place)
            member.size, member.mode, member.mtime = len(body), mode, timestamp()
            archive.addfile(member, io.BytesIO(body))
    packed = gzip.compress(buffer.getvalue(), compresslevel=9, mtime=0)
    return write_atomically(os.path.join(out_dir, "%s-linux-%s.tar.gz" % (top, arch)), packed)


def main():
    parser = argparse.ArgumentParser(description="Build comfy-pipes' wheel or release archive (standard library only).")
    parser.add_argument("what", choices=["wheel", "dist", "tag"], help="the wheel, the archive, or the wheel's platform tag")
    parser.add_argument("--bin", default=os.path.join(ROOT, "bin"), help="the folder with the seven built tools")
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"), help="where the wheel goes")
    parser.add_argument("--version", default=None, help="override the version (default: Version.swift)")
    args = parser.parse_args()
    version = args.version or project_version()
    if args.what == "tag":
        print(platform_tag([os.path.join(args.bin, t) for t in TOOLS]))
    elif args.what == "wheel":
        build(args.bin, args.out, version)
    else:
        build_archive(args.bin, args.out, version)


if __name__ == "__main__":
    main()
