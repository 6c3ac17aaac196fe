"""comfy_pipes.segment: what a tensor record may hold: its dtypes (ITEMSIZE, NUMPY_DTYPE,
DTYPE_NAME), and which segments it may make a consumer map and unlink.

Written once for both Python sides: node-run sends this code to its worker in front of
node_run_worker.py, and `node-run --print-host-module` puts it into the host module. PipeKit's
SegmentRule.swift is the same rule in Swift (comfy-pipes(7), "Tensor records"):

- a segment's name is /cpipes-PID-HEX: PID in decimal (1 to 10 digits, no leading zero), HEX
  exactly 16 lowercase hexadecimal digits;
- "name" storage is the file /dev/shm/cpipes-PID-HEX;
- "path" storage (where /dev/shm is missing or full) must be FALLBACK/cpipes-PID-HEX, FALLBACK
  being realpath($TMPDIR or /tmp)/comfy-pipes-UID: a directory of mode 0700, owned by this user,
  not a symbolic link;
- the segment is opened with O_NOFOLLOW and must be a regular file owned by this user; it is
  unlinked only while its name still links to the file that was opened.
"""

import os
import re
import stat

ITEMSIZE = {
    "float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int8": 1, "uint8": 1,
    "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "int64": 8, "uint64": 8, "bool": 1,
}
NUMPY_DTYPE = {
    "float16": "<f2", "float32": "<f4", "float64": "<f8", "int8": "|i1", "uint8": "|u1",
    "int16": "<i2", "uint16": "<u2", "int32": "<i4", "uint32": "<u4", "int64": "<i8", "uint64": "<u8",
    "bool": "|b1",
}
DTYPE_NAME = {v: k for k, v in NUMPY_DTYPE.items()}


def torch_lacks(torch, dtype):
    """Why `torch` cannot hold a tensor of record dtype `dtype` (uint16/32/64 need torch 2.3 or
    later), or None when it can."""
    if dtype in ("uint16", "uint32", "uint64") and getattr(torch, dtype, None) is None:
        return "%s tensors need torch 2.3 or later (torch %s has no torch.%s)" % (
            dtype, getattr(torch, "__version__", "?"), dtype)
    return None

SEGMENT_NAME = re.compile(r"/cpipes-[1-9][0-9]{0,9}-[0-9a-f]{16}")


class SegmentError(Exception):
    """A tensor storage that the rule refuses; nothing was opened or removed."""


def segment_name():
    """A new segment's name, without the leading slash."""
    return "cpipes-%d-%s" % (os.getpid(), os.urandom(8).hex())


def fallback_directory():
    """realpath($TMPDIR or /tmp)/comfy-pipes-UID, where file-backed segments live."""
    return os.path.join(os.path.realpath(os.environ.get("TMPDIR") or "/tmp"), "comfy-pipes-%d" % os.geteuid())


def checked_fallback_directory(create=False):
    """The fallback directory (made with mode 0700 when `create`), after checking it is a real
    directory of this user's that no one else may use."""
    directory = fallback_directory()
    if create:
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as error:
            raise SegmentError("cannot make the fallback directory %s for file-backed segments: %s"
                               % (directory, error.strerror))
    try:
        info = os.lstat(directory)
    except OSError:
        raise SegmentError("the fallback directory %s for file-backed segments cannot be used" % directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise SegmentError("%s must be a directory (not a symbolic link) of mode 0700 owned by this user; "
                           "remove it to have it made again" % directory)
    return directory


def is_fallback_path(path):
    """Whether `path` has the form FALLBACK/cpipes-PID-HEX (no file system access)."""
    if not isinstance(path, str):
        return False
    directory, _, name = path.rpartition("/")
    return directory == fallback_directory() and SEGMENT_NAME.fullmatch("/" + name) is not None


def segment_path(storage):
    """The file a consumable ("shm") storage names, checked by the rule; SegmentError if refused."""
    if "path" in storage:
        path = storage["path"]
        if not is_fallback_path(path):
            raise SegmentError("a file-backed segment's path must be a segment name like cpipes-PID-HEX in %s "
                               "(this user's fallback directory)" % fallback_directory())
        checked_fallback_directory()
        return path
    name = storage.get("name")
    if not isinstance(name, str) or not SEGMENT_NAME.fullmatch(name):
        raise SegmentError('shm storage needs a "name" like /cpipes-PID-HEX')
    return "/dev/shm" + name


def open_segment(path, writable):
    """(fd, fstat, writable) for a segment opened without following a link (read-only where
    writing is not allowed), checked to be a regular file owned by this user."""
    flags = os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOFOLLOW
    try:
        try:
            fd = os.open(path, (os.O_RDWR if writable else os.O_RDONLY) | flags)
        except PermissionError:
            writable, fd = False, os.open(path, os.O_RDONLY | flags)
    except OSError as error:
        raise SegmentError("cannot open tensor storage %s: %s" % (path, error.strerror))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
        os.close(fd)
        raise SegmentError("tensor storage %s is not a regular file owned by this user" % path)
    return fd, info, writable


def open_storage(storage):
    """(path, fd, fstat, writable, consumable) for "shm" or "file" storage: a segment by the rule
    above, or a file opened read-only (a link is followed there: such a file is never removed).
    SegmentError when the rule refuses it or it does not open."""
    if storage.get("kind") == "shm":
        path = segment_path(storage)
        fd, info, writable = open_segment(path, True)
        return path, fd, info, writable, True
    path = storage.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise SegmentError("storage path must be absolute")
    try:  # O_NONBLOCK: a FIFO named as storage must not hang the reader
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as error:
        raise SegmentError("cannot open tensor storage %s: %s" % (path, error.strerror))
    return path, fd, os.fstat(fd), False, False


def unlink_segment(path, opened):
    """Unlinks `path` if it still names the file `opened` (an os.stat_result) describes."""
    try:
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == (opened.st_dev, opened.st_ino):
            os.unlink(path)
    except OSError:
        pass
