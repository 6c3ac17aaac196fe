"""node-run's worker: runs a node's Python inside its own venv and answers node-run.

node-run starts the venv's interpreter in isolated mode (-I) with a small bootstrap that reads
this file from fd 3 and runs it. The protocol uses fds 3 (requests in) and 4 (replies out) only;
fds 1 and 2 lead to node-run's stderr, so print(), os.write(1, ...) and C libraries cannot
corrupt it. Every message is a frame: a 4-byte little-endian length, then UTF-8 JSON.

node-run -> worker: one config frame, then one call frame at a time:
  {"node": "module:Class" | "function": "module:function", "method": name?, "args": {...} | [...]}
worker -> node-run: {"kind": "ready", ...} once, then for each call any number of
  {"kind": "progress", "value", "max", "node"?} and one {"kind": "result", "outputs", "seconds"}
  or {"kind": "error", "code", "message", "type"?, "traceback"?}.

Tensor records follow comfy-pipes(7), mirroring PipeKit's TensorRecord rules: dtype, a shape of
non-negative integers, nbytes == product(shape) * itemsize, offsets inside the segment, checked
before anything is mapped. The consumer maps a shm segment and unlinks it; which segments a record
may name is comfy_pipes/segment.py's rule (segment_path, open_segment, unlink_segment), whose code
node-run sends in front of this file. Outputs go to new segments /cpipes-<pid>-<hex> (O_EXCL,
0600), one copy.
"""

import importlib
import importlib.util
import itertools
import math
import mmap
import os
import signal
import stat
import sys
import threading
import time
import traceback
import types

IN_FD, OUT_FD = 3, 4
perf_counter = time.perf_counter
LAYOUTS = ("image", "mask", "latent")
OUTPUT_LAYOUT = {"IMAGE": "image", "MASK": "mask", "LATENT": "latent"}
PLAIN = frozenset((str, int, bool))


class CallError(Exception):
    """A failure with its own error code (not an exception raised by the node)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Channel:
    """The framed pipe pair to node-run."""

    def __init__(self):
        self.buffer = bytearray()
        self.start = 0
        self.poll = __import__("select").poll()
        self.poll.register(IN_FD, __import__("select").POLLIN)
        self.lock = threading.Lock()
        self.dumps = __import__("json").JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
        self.loads = __import__("json").loads
        self.spin_misses = 0
        self.waits = 0

    def _fill(self, need):
        """Reads until `need` bytes wait past `start`; False at end of input. An empty buffer is
        first polled for up to 50 µs: node-run's next call usually follows a reply within that,
        and catching it saves the sleep and wake-up of a blocking read. After 16 polls in a row
        that found nothing (calls arrive slowly), only every 4th wait polls, as node-run's
        AdaptiveSpin does."""
        buffer = self.buffer
        if self.start and len(buffer) - self.start < need:
            del buffer[:self.start]
            self.start = 0
        spun = False
        while len(buffer) - self.start < need:
            if not spun:
                spun = True
                self.waits += 1
                if self.spin_misses < 16 or self.waits % 4 == 0:
                    until = time.perf_counter() + 0.00005
                    ready = self.poll.poll(0)
                    while not ready and time.perf_counter() < until:
                        os.sched_yield()
                        ready = self.poll.poll(0)
                    self.spin_misses = 0 if ready else self.spin_misses + 1
            chunk = os.read(IN_FD, max(1 << 16, need))
            if not chunk:
                return False
            buffer += chunk
        return True

    def read(self):
        if not self._fill(4):
            return None
        size = int.from_bytes(self.buffer[self.start:self.start + 4], "little")
        self.start += 4
        if not self._fill(size):
            return None
        body = bytes(self.buffer[self.start:self.start + size])
        self.start += size
        return self.loads(body)

    def send(self, message):
        data = self.dumps(message).encode()
        frame = len(data).to_bytes(4, "little") + data
        with self.lock:
            done = os.write(OUT_FD, frame)
            while done < len(frame):
                done += os.write(OUT_FD, memoryview(frame)[done:])


class Tensors:
    """Tensor records in and out, over shared memory, for one call.

    `mappings` (the worker's, kept across calls) holds the mappings of pooled segments: a segment
    that still has another name after this worker unlinked the record's name is a host's pool
    segment (the host module links a fresh name to it for each call). Keeping its mapping saves
    mapping the same pages again next call; `released()` says which of this call's pooled inputs
    no Python object refers to any more, so the host may write new data into them.
    """

    __slots__ = ("torch_mode", "created", "mappings", "pooled")

    def __init__(self, torch_mode, mappings):
        self.torch_mode = torch_mode
        self.created = []
        self.mappings = mappings
        self.pooled = []

    # -- in -----------------------------------------------------------------------------------
    def load(self, record):
        np = __import__("numpy")
        dtype = record.get("dtype")
        if dtype not in ITEMSIZE:
            raise CallError("bad-tensor", "unknown dtype %r" % (dtype,))
        shape = record.get("shape")
        if not isinstance(shape, list) or any(
                type(d) is not int or d < 0 for d in shape):
            raise CallError("bad-tensor", '"shape" must hold non-negative integers')
        count = math.prod(shape)
        expected = count * ITEMSIZE[dtype]
        storage = record.get("storage")
        if not isinstance(storage, dict):
            raise CallError("bad-tensor", '"storage" must be an object')
        kind = storage.get("kind")
        if kind == "inline":
            import base64
            raw = bytearray(base64.b64decode(storage.get("base64", ""), validate=True))
            if len(raw) != expected:
                raise CallError("bad-tensor", "inline storage holds %d bytes, shape needs %d"
                                % (len(raw), expected))
            buffer, skip = raw, 0
        elif kind in ("shm", "file"):
            buffer, skip = self._map(storage, kind, expected)
            if type(buffer) is PooledMapping:
                self.pooled.append((storage.get("name") or storage.get("path"), buffer))
                buffer = buffer.mapped
        else:
            raise CallError("bad-tensor", "unknown storage kind %r" % (kind,))
        if dtype == "bfloat16":
            if not self.torch_mode:
                raise CallError("bad-tensor", "bfloat16 tensors need --tensors torch (numpy has no bfloat16)")
            array = np.frombuffer(buffer, "<i2", count, skip).reshape(shape)
            return __import__("torch").from_numpy(array).view(__import__("torch").bfloat16)
        array = np.frombuffer(buffer, NUMPY_DTYPE[dtype], count, skip).reshape(shape)
        if self.torch_mode:
            torch = __import__("torch")
            lacking = torch_lacks(torch, dtype)
            if lacking is not None:
                raise CallError("bad-tensor", lacking + "; --tensors numpy takes them")
            return torch.from_numpy(array)
        return array

    def _map(self, storage, kind, expected):
        offset, nbytes = storage.get("offset", 0), storage.get("nbytes")
        if type(offset) is not int or type(nbytes) is not int or offset < 0 or nbytes < 0:
            raise CallError("bad-tensor", "storage offset and nbytes must be non-negative integers")
        if nbytes != expected:
            raise CallError("bad-tensor", "storage holds %d bytes but the shape needs %d" % (nbytes, expected))
        try:
            path, fd, info, writable, consumable = open_storage(storage)
        except SegmentError as error:
            raise CallError("bad-tensor", str(error))
        try:
            if not stat.S_ISREG(info.st_mode):
                raise CallError("bad-tensor", "tensor storage %s is not a regular file" % path)
            size = info.st_size
            if offset > size or nbytes > size - offset:
                raise CallError("bad-tensor", "tensor bytes %d..<%d lie outside the %d-byte segment"
                                % (offset, offset + nbytes, size))
            if consumable and writable and nbytes and info.st_nlink > 1:
                pooled = self._pooled(fd, path, info)
                if pooled is not None:
                    fd = -1
                    return pooled, offset
            if nbytes == 0:
                mapped, skip = bytearray(), 0
            else:
                start = offset - offset % mmap.ALLOCATIONGRANULARITY
                skip = offset - start
                if writable:
                    mapped = mmap.mmap(fd, skip + nbytes, mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                                       mmap.PROT_READ | mmap.PROT_WRITE, offset=start)
                else:
                    mapped = mmap.mmap(fd, skip + nbytes, access=mmap.ACCESS_COPY, offset=start)
        finally:
            if fd >= 0:
                os.close(fd)
        if consumable:
            unlink_segment(path, info)
        return mapped, skip

    def _pooled(self, fd, path, info):
        """The kept mapping of a pool segment (whole file), made on first sight; None when the
        segment turns out to be an ordinary one (no other name left after unlinking ours)."""
        unlink_segment(path, info)
        if os.fstat(fd).st_nlink == 0:
            return None
        key = (info.st_dev, info.st_ino)
        found = self.mappings.get(key)
        if found is not None and found.size == info.st_size:
            os.close(fd)
            return found
        if found is not None:
            found.close()
        mapped = mmap.mmap(fd, info.st_size, mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                           mmap.PROT_READ | mmap.PROT_WRITE)
        found = self.mappings[key] = PooledMapping(fd, mapped, info.st_size)
        return found

    def released(self):
        """The names of this call's pooled inputs that nothing refers to any more. Every array,
        view, memoryview or torch tensor over a mapping holds a reference to the mmap object (the
        buffer export numpy keeps does), so only the kept mapping's own reference and the
        argument's are left when the node let go of all of them."""
        names = []
        for entry in self.pooled:
            if sys.getrefcount(entry[1].mapped) <= 2:
                names.append(entry[0])
        self.pooled = []
        return names

    # -- out ----------------------------------------------------------------------------------
    def record(self, value, name, layout):
        """A numpy array or torch tensor as a tensor record in a new segment."""
        np = __import__("numpy")
        torch = sys.modules.get("torch")
        dtype_name = None
        if torch is not None and isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous()
            if value.dtype == torch.bfloat16:
                dtype_name, value = "bfloat16", value.view(torch.int16)
            value = value.numpy()
        array = np.asarray(value, order="C")  # ascontiguousarray would make a 0-d array 1-d
        if dtype_name is None:
            dtype_name = DTYPE_NAME.get(array.dtype.newbyteorder("<").str if array.dtype.byteorder == ">"
                                        else array.dtype.str)
            if dtype_name is None:
                raise CallError("unserializable", "%s: numpy dtype %s has no tensor-record dtype (use one of %s)"
                                % (name, array.dtype, ", ".join(ITEMSIZE)))
            array = array.astype(NUMPY_DTYPE[dtype_name], copy=False)
        nbytes = array.nbytes
        storage = self._segment(array, nbytes)
        rec = {"type": "tensor", "name": name, "dtype": dtype_name, "shape": list(array.shape)}
        if layout is not None:
            rec["layout"] = layout
        rec["storage"] = storage
        return rec

    def _segment(self, array, nbytes):
        name = segment_name()
        path, storage = "/dev/shm/" + name, {"kind": "shm", "name": "/" + name}
        try:
            info = os.statvfs("/dev/shm")
            room = info.f_bavail * info.f_frsize > nbytes + (1 << 20)
        except OSError:
            room = False
        if not room:
            try:
                path = os.path.join(checked_fallback_directory(create=True), name)
            except SegmentError as error:
                raise CallError("no-segment", str(error))
            storage = {"kind": "shm", "path": path}
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        self.created.append(path)
        try:
            # write() fills new tmpfs pages without zeroing them first (a mapping would fault in
            # zeroed pages and then copy over them): one copy, about 3x faster on fresh memory.
            view = memoryview(array.reshape(-1)).cast("B") if nbytes else b""
            done = 0
            while done < nbytes:
                done += os.write(fd, view[done:])
            del view
        finally:
            os.close(fd)
        storage["offset"], storage["nbytes"] = 0, nbytes
        return storage

    def abandon(self):
        """Removes the segments made for a reply that will not be sent."""
        for path in self.created:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.created = []


class PooledMapping:
    """A kept mapping of a host's pool segment, with its fd (to see when the host drops it)."""

    __slots__ = ("fd", "mapped", "size")

    def __init__(self, fd, mapped, size):
        self.fd, self.mapped, self.size = fd, mapped, size

    def close(self):
        try:
            self.mapped.close()
        except BufferError:  # a node still holds an array over it: the mapping goes with it
            pass
        os.close(self.fd)


class Worker:
    def __init__(self, channel, config):
        self.channel = channel
        self.torch_mode = config.get("tensors") == "torch"
        self.allow_pickle = bool(config.get("allow_pickle"))
        self.keep_objects = bool(config.get("keep_objects"))
        self.targets = {}
        self.mappings = {}

    def forget_dropped(self):
        """Closes kept mappings of pool segments the host no longer holds (no name left)."""
        for key, entry in list(self.mappings.items()):
            try:
                gone = os.fstat(entry.fd).st_nlink == 0
            except OSError:
                gone = True
            if gone:
                del self.mappings[key]
                entry.close()

    # -- values in and out --------------------------------------------------------------------
    def decode(self, value, tensors, where="args"):
        if isinstance(value, dict):
            kind = value.get("type")
            if kind == "tensor":
                return tensors.load(value)
            if kind == "handle" and "id" in value:
                if value["id"] not in HANDLES:
                    raise CallError("stale-handle", "%s names a %s that is no longer in this worker: the worker that "
                                    "made it has ended (a crash, a timeout, a Cancel) or it was released; run the node "
                                    "that made it again" % (where, value.get("class") or "object"))
                return HANDLES[value["id"]]
            if kind == "pickle" and "base64" in value:
                if not self.allow_pickle:
                    raise CallError("bad-call", "a pickled argument needs --allow-pickle")
                import base64
                import pickle
                return pickle.loads(base64.b64decode(value["base64"]))
            return {k: self.decode(v, tensors, k if where == "args" else "%s[%r]" % (where, k))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.decode(v, tensors, "%s[%d]" % (where, k)) for k, v in enumerate(value)]
        return value

    def encode(self, value, name, layout, where, tensors):
        if value is None or isinstance(value, (bool, str, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise CallError("not-finite", "%s is %r, which JSON cannot hold (it has no NaN or infinity); return "
                                "it inside a numpy array or torch tensor, or replace it" % (where, value))
            return value
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise CallError("unserializable", "%s: dict key %r is not a string" % (where, key))
                inner = "latent" if key == "samples" and layout == "latent" else None
                out[key] = self.encode(item, key, inner, "%s[%r]" % (where, key), tensors)
            return out
        if isinstance(value, (list, tuple)):
            return [self.encode(item, "%s_%d" % (name, k), layout, "%s[%d]" % (where, k), tensors)
                    for k, item in enumerate(value)]
        np = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        if (np is not None and isinstance(value, np.ndarray)) or (
                torch is not None and isinstance(value, torch.Tensor)):
            ndim = len(value.shape)
            fits = {"image": 4, "mask": 3, "latent": 4}
            return tensors.record(value, name, layout if fits.get(layout) == ndim else None)
        if np is not None and isinstance(value, np.generic):
            return self.encode(value.item(), name, layout, where, tensors)
        if self.keep_objects:
            return keep(value)
        if self.allow_pickle:
            import base64
            import pickle
            return {"type": "pickle", "python_type": qualified(type(value)),
                    "base64": base64.b64encode(pickle.dumps(value)).decode()}
        raise CallError("unserializable", "%s: cannot send a value of type %s; return numpy arrays, torch tensors "
                        "or JSON values (str, int, float, bool, None, dict, list, tuple), or run with --allow-pickle"
                        % (where, qualified(type(value))))

    # -- targets ------------------------------------------------------------------------------
    def resolve(self, message):
        key = (message.get("node"), message.get("function"), message.get("method"))
        found = self.targets.get(key)
        if found is not None:
            return found
        spec, is_node = (key[0], True) if key[0] else (key[1], False)
        if not isinstance(spec, str) or spec.count(":") != 1:
            raise CallError("bad-call", "the target must be module:name, not %r" % (spec,))
        if spec == "node-run:describe" and not is_node:
            found = (describe_pack, False, (), (), spec)
            self.targets[key] = found
            return found
        module_name, attribute = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except BaseException as error:
            if not isinstance(error, Exception):
                raise
            text = "importing %s failed: %s: %s" % (module_name, qualified(type(error)), error)
            missing = getattr(error, "name", None) if isinstance(error, ImportError) else None
            if missing:
                text += (" (this ran in the worker, whose python is %s: it sees only the env's packages, so a "
                         "module-level 'import %s' that only ComfyUI's python has fails here; move that import "
                         "into the method that needs it, or add %s to the env's requirements)"
                         % (sys.executable, missing, missing.split(".")[0]))
            raise CallError("import-failed", text) from error
        obj = module
        for part in attribute.split("."):
            if not hasattr(obj, part):
                raise CallError("bad-target", "%s has no attribute %s" % (module_name, attribute))
            obj = getattr(obj, part)
        if is_node and is_v3(obj):
            method = key[2] or "execute"
            if not callable(getattr(obj, method, None)):
                raise CallError("bad-target", "%s has no method %r" % (spec, method))
            fn = V3Call(obj, method)
            return_types = tuple(getattr(obj, "RETURN_TYPES", ()) or ())
            names = tuple(getattr(obj, "RETURN_NAMES", ()) or ())
        elif is_node:
            method = key[2] or getattr(obj, "FUNCTION", None)
            if not isinstance(method, str) or not callable(getattr(obj, method, None)):
                raise CallError("bad-target", "%s has no method %r (set FUNCTION or use --method)"
                                % (spec, method))
            fn = getattr(obj(), method)
            return_types = tuple(getattr(obj, "RETURN_TYPES", ()) or ())
            names = tuple(getattr(obj, "RETURN_NAMES", ()) or ())
        else:
            if not callable(obj):
                raise CallError("bad-target", "%s is not callable" % spec)
            fn, return_types, names = obj, (), ()
        found = (fn, is_node, return_types, names, spec)
        self.targets[key] = found
        return found

    # -- one call -----------------------------------------------------------------------------
    def call(self, message):
        tensors = Tensors(self.torch_mode, self.mappings)
        reply = self.run(message, tensors)
        if tensors.pooled:
            released = tensors.released()
            if released:
                reply["released"] = released
        if self.mappings:
            self.forget_dropped()
        return reply

    def run(self, message, tensors):
        global INTERRUPTED
        INTERRUPTED = False
        started = perf_counter()
        try:
            global CURRENT_NODE
            fn, is_node, return_types, names, CURRENT_NODE = self.resolve(message)
            args = message.get("args")
            if isinstance(args, dict) and RELEASE_KEY in args:
                for handle in args.pop(RELEASE_KEY) or ():
                    HANDLES.pop(handle, None)
            hidden = args.pop(HIDDEN_KEY, None) if isinstance(args, dict) else None
            if type(fn) is V3Call:
                fn = fn.bound(hidden)
            if args:
                args = self.decode(args, tensors)
            if isinstance(args, dict):
                value = fn(**args)
            elif isinstance(args, list):
                value = fn(*args)
            else:
                value = fn()
            if isinstance(value, types.CoroutineType):  # an async def execute (V3) or FUNCTION
                value = event_loop().run_until_complete(value)
            ui = None
            if is_node and isinstance(value, dict) and ("result" in value or "ui" in value):
                ui, value = value.get("ui"), value.get("result", ())
            elif type(value).__name__ == "NodeOutput" and hasattr(value, "args"):
                ui, value = node_output(value)
            elif value is None and type(fn) is types.MethodType and is_v3(fn.__self__):
                value = ()  # ComfyUI reads a V3 execute's None as NodeOutput(): no outputs
            if ui is not None and callable(getattr(ui, "as_dict", None)):
                ui = ui.as_dict()  # a V3 ui.PreviewText(...) and the like
            if isinstance(value, tuple) or (is_node and isinstance(value, list)):
                values = list(value)
            else:
                values = [value]
            outputs = []
            for k, item in enumerate(values):
                if item is None or type(item) in PLAIN:
                    outputs.append(item)
                    continue
                kind = return_types[k] if k < len(return_types) and isinstance(return_types[k], str) else ""
                name = names[k] if k < len(names) else (kind.lower() if kind else "output%d" % k)
                outputs.append(self.encode(item, name, OUTPUT_LAYOUT.get(kind), "output %d" % k, tensors))
            reply = {"kind": "result", "outputs": outputs}
            if ui is not None:
                reply["ui"] = self.encode(ui, "ui", None, "ui", tensors)
            reply["seconds"] = round(perf_counter() - started, 6)
            return reply
        except CallError as error:
            tensors.abandon()
            reply = {"kind": "error", "code": error.code, "message": str(error)}
            if error.__cause__ is not None:
                reply["type"] = qualified(type(error.__cause__))
                reply["traceback"] = node_traceback(error.__cause__)
            return reply
        except Exception as error:
            tensors.abandon()
            return {"kind": "error", "code": "exception", "type": qualified(type(error)),
                    "message": str(error), "traceback": node_traceback(error)}


# Objects kept in the worker (--keep-objects): a model a loader node made stays here, and the
# caller gets a handle {"type": "handle", "id", "class"} that later calls pass back. Ids carry the
# worker's pid, so a handle from a worker that has ended never finds another's object. The
# caller releases handles by listing them under RELEASE_KEY in a later call's arguments.
HANDLES = {}
HANDLE_COUNTER = itertools.count(1)
RELEASE_KEY = "__comfy_pipes_release__"
# A V3 node's hidden inputs (io.Hidden: UNIQUE_ID, PROMPT, EXTRA_PNGINFO and the comfy.org keys, by
# their values), which the host passes beside the call's own arguments; the class the call runs on
# gets them as `cls.hidden`, as in ComfyUI.
HIDDEN_KEY = "__comfy_pipes_hidden__"


class V3Call:
    """A V3 node's classmethod (execute, fingerprint_inputs, validate_inputs, check_lazy_status),
    called as ComfyUI calls it: on a subclass made for the call whose `hidden` holds the call's
    hidden inputs."""

    __slots__ = ("cls", "method")

    def __init__(self, cls, method):
        self.cls, self.method = cls, method

    def bound(self, hidden):
        io = sys.modules.get(self.cls.GET_BASE_CLASS().__module__)
        holder_class = getattr(io, "HiddenHolder", None)
        holder = holder_class.from_dict(hidden or {}) if holder_class is not None else None
        clone = type(self.cls.__name__, (self.cls,), {"hidden": holder, "__module__": self.cls.__module__})
        return getattr(clone, self.method)


def node_output(value):
    """(ui, outputs) of a V3 io.NodeOutput; one that expands a subgraph or blocks execution cannot
    cross a process (ComfyUI would have to run the graph it names)."""
    if getattr(value, "expand", None) is not None or getattr(value, "block_execution", None) is not None:
        raise CallError("unserializable", "the node returned a NodeOutput with expand= or block_execution=, which an "
                        "isolated node cannot return (the subgraph or the blocker is ComfyUI's, in its own process)")
    return getattr(value, "ui", None), value.args


EVENT_LOOP = []


def event_loop():
    """One asyncio loop for the worker's life, for async nodes and a V3 pack's async entry point."""
    if not EVENT_LOOP:
        import asyncio
        EVENT_LOOP.append(asyncio.new_event_loop())
    return EVENT_LOOP[0]


def settle(value):
    return event_loop().run_until_complete(value) if isinstance(value, types.CoroutineType) else value


def keep(value):
    handle = "%d-%d" % (os.getpid(), next(HANDLE_COUNTER))
    HANDLES[handle] = value
    return {"type": "handle", "id": handle, "class": qualified(type(value))}


def describe_pack(module):
    """What ComfyUI needs to register a pack's node classes without importing the pack in its own
    process, read as ComfyUI's load_custom_node reads a pack: its NODE_CLASS_MAPPINGS, else the
    node list of its comfy_entrypoint()'s ComfyExtension (V3). For a V1 class, INPUT_TYPES() and
    its attributes; for a V3 class (io.ComfyNode), the same read from its schema (ComfyUI's V1 view
    of it), its hidden inputs, and the hooks it defines, each with the host name it goes by."""
    pack = importlib.import_module(module)
    names = getattr(pack, "NODE_DISPLAY_NAME_MAPPINGS", {}) or {}
    classes = getattr(pack, "NODE_CLASS_MAPPINGS", None)
    if classes is None and callable(getattr(pack, "comfy_entrypoint", None)):
        extension = settle(pack.comfy_entrypoint())
        classes = {cls.GET_SCHEMA().node_id: cls for cls in settle(extension.get_node_list())}
    nodes, skipped = {}, []
    for name, cls in (classes or {}).items():
        if is_v3(cls):
            nodes[name] = describe_v3(cls, names.get(name))
            continue
        if not isinstance(cls, type) or not isinstance(getattr(cls, "FUNCTION", None), str):
            skipped.append(name)
            continue
        nodes[name] = {
            "target": "%s:%s" % (cls.__module__, cls.__qualname__), "function": cls.FUNCTION,
            "input_types": cls.INPUT_TYPES(), "return_types": list(getattr(cls, "RETURN_TYPES", ()) or ()),
            "return_names": list(getattr(cls, "RETURN_NAMES", ()) or ()) or None,
            "output_node": bool(getattr(cls, "OUTPUT_NODE", False)),
            "category": getattr(cls, "CATEGORY", None), "display_name": names.get(name),
            "hooks": [describe_hook(cls, hook, hook) for hook in ("IS_CHANGED", "VALIDATE_INPUTS", "check_lazy_status")
                      if hasattr(cls, hook)],
        }
        for key, attribute in (("input_is_list", "INPUT_IS_LIST"), ("output_is_list", "OUTPUT_IS_LIST"),
                               ("output_tooltips", "OUTPUT_TOOLTIPS"), ("description", "DESCRIPTION"),
                               ("not_idempotent", "NOT_IDEMPOTENT"), ("deprecated", "DEPRECATED"),
                               ("experimental", "EXPERIMENTAL")):
            if hasattr(cls, attribute):
                nodes[name][key] = getattr(cls, attribute)
    return {"nodes": nodes, "skipped": skipped}


def describe_v3(cls, display_name):
    """A V3 class as ComfyUI shows it (GET_NODE_INFO_V1); its hidden inputs as a V1 class asks for
    them ({name: "UNIQUE_ID"}); DYNPROMPT, a live object of ComfyUI's, is left out."""
    info = cls.GET_NODE_INFO_V1()
    schema = cls.SCHEMA or cls.GET_SCHEMA()
    inputs = dict(info["input"])
    hidden = {}
    for key, value in (inputs.pop("hidden", None) or {}).items():
        value = value[0] if isinstance(value, (list, tuple)) else value
        if str(value) != "DYNPROMPT":
            hidden[key] = str(value)
    return {
        "v3": True, "target": "%s:%s" % (cls.__module__, cls.__qualname__), "function": "execute",
        "input_types": inputs, "hidden": hidden, "return_types": list(info["output"]),
        "return_names": list(info["output_name"]), "output_is_list": list(info["output_is_list"]),
        "output_tooltips": list(info["output_tooltips"]), "output_node": bool(info["output_node"]),
        "category": info["category"], "display_name": display_name or info["display_name"],
        "description": info["description"] or "", "deprecated": bool(info["deprecated"]),
        "experimental": bool(info["experimental"]), "api_node": bool(info["api_node"]),
        "input_is_list": bool(schema.is_input_list), "not_idempotent": bool(schema.not_idempotent),
        "hooks": [describe_hook(cls, name, host) for name, host in V3_HOOKS if name in v3_overrides(cls)],
    }


def describe_hook(cls, name, host):
    """A hook the host's proxy forwards: the name ComfyUI calls it by there (`host`), the method it
    runs here (`method`), whether it is a classmethod, and its parameters, which ComfyUI reads (a
    VALIDATE_INPUTS gets only the inputs it names, and ComfyUI skips its own checks of those)."""
    import inspect
    raw = inspect.getattr_static(cls, name)
    is_class_method = isinstance(raw, classmethod) or is_v3(cls)
    try:
        parameters = list(inspect.signature(getattr(cls, name)).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    if not is_class_method and parameters:
        parameters = parameters[1:]  # self
    return {"name": host, "method": name, "classmethod": is_class_method,
            "params": [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)],
            "varkw": any(p.kind == p.VAR_KEYWORD for p in parameters)}


def qualified(cls):
    module = getattr(cls, "__module__", "")
    return cls.__qualname__ if module in ("builtins", "__main__", None) else "%s.%s" % (module, cls.__qualname__)


def node_traceback(error):
    """The traceback without the worker's own frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


# -- ComfyUI stand-ins --------------------------------------------------------------------------
CHANNEL = None
CURRENT_NODE = None
# Set by SIGUSR1, which the host module sends when ComfyUI's Cancel is pressed during a call;
# cleared when a call starts. The stand-in comfy.model_management answers with it.
INTERRUPTED = False


class InterruptProcessingException(Exception):
    """comfy.model_management's: raised at a node's next check after Cancel."""


def on_interrupt(signum, frame):
    global INTERRUPTED
    INTERRUPTED = True


def processing_interrupted():
    return INTERRUPTED


def send_sync(event, data, sid=None):
    """PromptServer.instance.send_sync in the worker: the message goes to node-run, which hands it
    to its caller (the host module sends it on from ComfyUI's own server)."""
    import json
    CHANNEL.send({"kind": "message", "event": str(event), "data": json.loads(json.dumps(data, default=str))})


def interrupt_current_processing(value=True):
    global INTERRUPTED
    INTERRUPTED = bool(value)


def throw_exception_if_processing_interrupted():
    global INTERRUPTED
    if INTERRUPTED:
        INTERRUPTED = False
        raise InterruptProcessingException()


class ProgressBar:
    """comfy.utils.ProgressBar's interface; progress goes to node-run as progress frames."""

    def __init__(self, total, node_id=None):
        self.total, self.current, self.node_id = total, 0, node_id
        self.last = 0.0

    def update_absolute(self, value, total=None, preview=None):
        throw_exception_if_processing_interrupted()  # as ComfyUI's progress hook does
        if total is not None:
            self.total = total
        self.current = min(value, self.total) if self.total else value
        now = time.monotonic()
        if self.current >= self.total or now - self.last >= 0.05:
            self.last = now
            message = {"kind": "progress", "value": self.current, "max": self.total}
            node = self.node_id or CURRENT_NODE
            if node is not None:
                message["node"] = str(node)
            CHANNEL.send(message)

    def update(self, value):
        self.update_absolute(self.current + value)


# ComfyUI's V3 node API (comfy_api.latest: io.ComfyNode, io.Schema, io.NodeOutput, ui), as far as
# a node needs it to define its schema and run: the real one imports torch, PIL and av at the top,
# which a pack's env need not have. Its schema-to-V1 rules (ids, as_dict keys, hidden inputs,
# output names) follow ComfyUI v0.3.64's comfy_api/latest/_io.py, so node-run:describe reads from
# it what ComfyUI itself would.
V3_TYPES = (
    ("Image", "IMAGE"), ("WanCameraEmbedding", "WAN_CAMERA_EMBEDDING"), ("Mask", "MASK"), ("Latent", "LATENT"),
    ("Conditioning", "CONDITIONING"), ("Sampler", "SAMPLER"), ("Sigmas", "SIGMAS"), ("Noise", "NOISE"),
    ("Guider", "GUIDER"), ("Clip", "CLIP"), ("ControlNet", "CONTROL_NET"), ("Vae", "VAE"), ("Model", "MODEL"),
    ("ClipVision", "CLIP_VISION"), ("ClipVisionOutput", "CLIP_VISION_OUTPUT"), ("StyleModel", "STYLE_MODEL"),
    ("Gligen", "GLIGEN"), ("UpscaleModel", "UPSCALE_MODEL"), ("Audio", "AUDIO"), ("Video", "VIDEO"), ("SVG", "SVG"),
    ("LoraModel", "LORA_MODEL"), ("LossMap", "LOSS_MAP"), ("Voxel", "VOXEL"), ("Mesh", "MESH"), ("Hooks", "HOOKS"),
    ("HookKeyframes", "HOOK_KEYFRAMES"), ("TimestepsRange", "TIMESTEPS_RANGE"), ("LatentOperation", "LATENT_OPERATION"),
    ("FlowControl", "FLOW_CONTROL"), ("Accumulation", "ACCUMULATION"), ("Load3DCamera", "LOAD3D_CAMERA"),
    ("Load3D", "LOAD_3D"), ("Load3DAnimation", "LOAD_3D_ANIMATION"), ("Photomaker", "PHOTOMAKER"), ("Point", "POINT"),
    ("FaceAnalysis", "FACE_ANALYSIS"), ("BBOX", "BBOX"), ("SEGS", "SEGS"), ("AnyType", "*"),
    ("MODEL_PATCH", "MODEL_PATCH"), ("AudioEncoder", "AUDIO_ENCODER"), ("AudioEncoderOutput", "AUDIO_ENCODER_OUTPUT"),
)
V3_HOOKS = (("fingerprint_inputs", "IS_CHANGED"), ("validate_inputs", "VALIDATE_INPUTS"),
            ("check_lazy_status", "check_lazy_status"))


def comfy_api_standin():
    """The modules comfy_api, comfy_api.latest (with its _io and _ui) and comfy_api.v0_0_2."""
    import enum
    io = types.ModuleType("comfy_api.latest._io")
    ui = types.ModuleType("comfy_api.latest._ui")

    def prune_dict(d):
        return {k: v for k, v in d.items() if v is not None}

    class classproperty:
        def __init__(self, f):
            self.f = f

        def __get__(self, obj, owner):
            return self.f(owner)

    class FolderType(str, enum.Enum):
        input = "input"
        output = "output"
        temp = "temp"

    class UploadType(str, enum.Enum):
        image = "image_upload"
        audio = "audio_upload"
        video = "video_upload"
        model = "file_upload"

    class NumberDisplay(str, enum.Enum):
        number = "number"
        slider = "slider"

    class RemoteOptions:
        def __init__(self, route, refresh_button, control_after_refresh="first", timeout=None, max_retries=None,
                     refresh=None):
            self.route, self.refresh_button, self.control_after_refresh = route, refresh_button, control_after_refresh
            self.timeout, self.max_retries, self.refresh = timeout, max_retries, refresh

        def as_dict(self):
            return prune_dict({"route": self.route, "refresh_button": self.refresh_button,
                               "control_after_refresh": self.control_after_refresh, "timeout": self.timeout,
                               "max_retries": self.max_retries, "refresh": self.refresh})

    class _ComfyType:
        Type = object
        io_type = None

    class _IO_V3:
        Parent = None

        @property
        def io_type(self):
            return self.Parent.io_type

        @property
        def Type(self):
            return self.Parent.Type

    class Input(_IO_V3):
        def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, extra_dict=None):
            self.id, self.display_name, self.optional, self.tooltip, self.lazy = id, display_name, optional, tooltip, lazy
            self.extra_dict = extra_dict if extra_dict is not None else {}

        def as_dict(self):
            return prune_dict({"display_name": self.display_name, "optional": self.optional,
                               "tooltip": self.tooltip, "lazy": self.lazy}) | prune_dict(self.extra_dict)

        def get_io_type(self):
            return self.io_type

    class WidgetInput(Input):
        def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, default=None,
                     socketless=None, widget_type=None, force_input=None, extra_dict=None):
            super().__init__(id, display_name, optional, tooltip, lazy, extra_dict)
            self.default, self.socketless, self.widget_type, self.force_input = default, socketless, widget_type, force_input

        def as_dict(self):
            return super().as_dict() | prune_dict({"default": self.default, "socketless": self.socketless,
                                                   "widgetType": self.widget_type, "forceInput": self.force_input})

        def get_io_type(self):
            return self.widget_type if self.widget_type is not None else super().get_io_type()

    class Output(_IO_V3):
        def __init__(self, id=None, display_name=None, tooltip=None, is_output_list=False):
            self.id, self.display_name, self.tooltip, self.is_output_list = id, display_name, tooltip, is_output_list

        def as_dict(self):
            return prune_dict({"display_name": self.display_name, "tooltip": self.tooltip,
                               "is_output_list": self.is_output_list})

        def get_io_type(self):
            return self.io_type

    BaseInput, BaseOutput = Input, Output  # a class body's own Input cannot name the outer one

    class ComfyTypeI(_ComfyType):
        class Input(BaseInput):
            pass

    class ComfyTypeIO(ComfyTypeI):
        class Output(BaseOutput):
            pass

    def comfytype(io_type, **kwargs):
        def decorator(cls):
            if not issubclass(cls, _ComfyType):
                cls = type(cls.__name__, (cls, ComfyTypeIO), {k: v for k, v in cls.__dict__.items()
                                                             if k not in ("__dict__", "__weakref__")})
            for part in ("Input", "Output"):
                inner = getattr(cls, part, None)
                if inner is not None:  # a copy of its own, as the real decorator makes
                    inner = type(inner.__name__, (inner,), {"__module__": inner.__module__})
                    inner.Parent = cls
                    setattr(cls, part, inner)
            cls.io_type = io_type
            return cls
        return decorator

    def Custom(io_type):
        return comfytype(io_type)(type("CustomComfyType", (ComfyTypeIO,), {}))

    class Boolean(ComfyTypeIO):
        Type = bool

        class Input(WidgetInput):
            def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, default=None,
                         label_on=None, label_off=None, socketless=None, force_input=None):
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input)
                self.label_on, self.label_off = label_on, label_off

            def as_dict(self):
                return super().as_dict() | prune_dict({"label_on": self.label_on, "label_off": self.label_off})

    class Int(ComfyTypeIO):
        Type = int

        class Input(WidgetInput):
            def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, default=None, min=None,
                         max=None, step=None, control_after_generate=None, display_mode=None, socketless=None,
                         force_input=None):
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input)
                self.min, self.max, self.step = min, max, step
                self.control_after_generate, self.display_mode = control_after_generate, display_mode

            def as_dict(self):
                return super().as_dict() | prune_dict({
                    "min": self.min, "max": self.max, "step": self.step,
                    "control_after_generate": self.control_after_generate,
                    "display": self.display_mode.value if self.display_mode else None})

    class Float(ComfyTypeIO):
        Type = float

        class Input(WidgetInput):
            def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, default=None, min=None,
                         max=None, step=None, round=None, display_mode=None, socketless=None, force_input=None):
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input)
                self.min, self.max, self.step, self.round, self.display_mode = min, max, step, round, display_mode

            def as_dict(self):
                return super().as_dict() | prune_dict({
                    "min": self.min, "max": self.max, "step": self.step, "round": self.round,
                    "display": self.display_mode.value if self.display_mode else None})

    class String(ComfyTypeIO):
        Type = str

        class Input(WidgetInput):
            def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, multiline=False,
                         placeholder=None, default=None, dynamic_prompts=None, socketless=None, force_input=None):
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless, None, force_input)
                self.multiline, self.placeholder, self.dynamic_prompts = multiline, placeholder, dynamic_prompts

            def as_dict(self):
                return super().as_dict() | prune_dict({"multiline": self.multiline, "placeholder": self.placeholder,
                                                       "dynamicPrompts": self.dynamic_prompts})

    class Combo(ComfyTypeIO):
        Type = str

        class Input(WidgetInput):
            def __init__(self, id, options=None, display_name=None, optional=False, tooltip=None, lazy=None,
                         default=None, control_after_generate=None, upload=None, image_folder=None, remote=None,
                         socketless=None):
                if isinstance(options, type) and issubclass(options, enum.Enum):
                    options = [v.value for v in options]
                if isinstance(default, enum.Enum):
                    default = default.value
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless)
                self.multiselect, self.options = False, options
                self.control_after_generate, self.upload = control_after_generate, upload
                self.image_folder, self.remote = image_folder, remote

            def as_dict(self):
                return super().as_dict() | prune_dict({
                    "multiselect": self.multiselect, "options": self.options,
                    "control_after_generate": self.control_after_generate,
                    **({self.upload.value: True} if self.upload is not None else {}),
                    "image_folder": self.image_folder.value if self.image_folder else None,
                    "remote": self.remote.as_dict() if self.remote else None})

        class Output(BaseOutput):
            def __init__(self, id=None, display_name=None, options=None, tooltip=None, is_output_list=False):
                super().__init__(id, display_name, tooltip, is_output_list)
                self.options = options if options is not None else []

            @property
            def io_type(self):
                return self.options

    class MultiCombo(ComfyTypeI):
        Type = list

        class Input(Combo.Input):
            def __init__(self, id, options, display_name=None, optional=False, tooltip=None, lazy=None, default=None,
                         placeholder=None, chip=None, control_after_generate=None, socketless=None):
                super().__init__(id, options, display_name, optional, tooltip, lazy, default, control_after_generate,
                                 socketless=socketless)
                self.multiselect, self.placeholder, self.chip = True, placeholder, chip

            def as_dict(self):
                return super().as_dict() | prune_dict({"multi_select": self.multiselect,
                                                       "placeholder": self.placeholder, "chip": self.chip})

    class Webcam(ComfyTypeIO):
        Type = str

        class Input(WidgetInput):
            def __init__(self, id, display_name=None, optional=False, tooltip=None, lazy=None, default=None,
                         socketless=None):
                super().__init__(id, display_name, optional, tooltip, lazy, default, socketless)

    class MultiType:
        Type = object

        class Input(BaseInput):
            def __init__(self, id, types, display_name=None, optional=False, tooltip=None, lazy=None, extra_dict=None):
                self.input_override = None
                if isinstance(id, BaseInput):
                    import copy
                    self.input_override = copy.copy(id)
                    optional = id.optional if id.optional is True else optional
                    tooltip = id.tooltip if id.tooltip is not None else tooltip
                    display_name = id.display_name if id.display_name is not None else display_name
                    lazy = id.lazy if id.lazy is not None else lazy
                    id = id.id
                    if isinstance(self.input_override, WidgetInput):
                        self.input_override.widget_type = self.input_override.get_io_type()
                super().__init__(id, display_name, optional, tooltip, lazy, extra_dict)
                self._io_types = types

            def get_io_type(self):
                names = [(x if isinstance(x, type) else type(x)).io_type for x in self._io_types]
                if self.input_override is not None:
                    names.insert(0, self.input_override.get_io_type())
                return ",".join(dict.fromkeys(names))

            def as_dict(self):
                if self.input_override is not None:
                    return self.input_override.as_dict() | super().as_dict()
                return super().as_dict()

    for cls, io_type in ((Boolean, "BOOLEAN"), (Int, "INT"), (Float, "FLOAT"), (String, "STRING"), (Combo, "COMBO"),
                         (MultiCombo, "COMBO"), (Webcam, "WEBCAM"), (MultiType, "COMFY_MULTITYPED_V3")):
        setattr(io, cls.__name__, comfytype(io_type)(cls))
    for name, io_type in V3_TYPES:
        setattr(io, name, comfytype(io_type)(type(name, (ComfyTypeIO,), {})))

    class Hidden(str, enum.Enum):
        unique_id = "UNIQUE_ID"
        prompt = "PROMPT"
        extra_pnginfo = "EXTRA_PNGINFO"
        dynprompt = "DYNPROMPT"
        auth_token_comfy_org = "AUTH_TOKEN_COMFY_ORG"
        api_key_comfy_org = "API_KEY_COMFY_ORG"

    class HiddenHolder:
        """The hidden inputs a call brought (unique_id, prompt, extra_pnginfo, the comfy.org
        keys); dynprompt, a live object of ComfyUI's, is always None here."""

        def __init__(self, unique_id=None, prompt=None, extra_pnginfo=None, dynprompt=None,
                     auth_token_comfy_org=None, api_key_comfy_org=None, **kwargs):
            self.unique_id, self.prompt, self.extra_pnginfo, self.dynprompt = unique_id, prompt, extra_pnginfo, dynprompt
            self.auth_token_comfy_org, self.api_key_comfy_org = auth_token_comfy_org, api_key_comfy_org

        def __getattr__(self, key):
            return None

        @classmethod
        def from_dict(cls, d):
            d = d or {}
            return cls(**{h.name: d.get(h, d.get(h.value, d.get(h.name))) for h in Hidden})

    class Schema:
        """io.Schema (a dataclass there; a plain class here, which spares the worker importing
        dataclasses and inspect at start)."""

        def __init__(self, node_id, display_name=None, category="sd", inputs=None, outputs=None, hidden=None,
                     description="", is_input_list=False, is_output_node=False, is_deprecated=False,
                     is_experimental=False, is_api_node=False, not_idempotent=False, enable_expand=False):
            self.node_id, self.display_name, self.category = node_id, display_name, category
            self.inputs, self.outputs, self.hidden, self.description = inputs, outputs, hidden, description
            self.is_input_list, self.is_output_node, self.is_deprecated = is_input_list, is_output_node, is_deprecated
            self.is_experimental, self.is_api_node = is_experimental, is_api_node
            self.not_idempotent, self.enable_expand = not_idempotent, enable_expand

        def validate(self):
            ids = [i.id for i in self.inputs or []] + [o.id for o in self.outputs or []]
            if len(set(ids)) != len(ids):
                raise ValueError("%s: input and output ids must be unique: %s" % (self.node_id, ids))

        def finalize(self):
            if self.is_api_node:
                self.hidden = self.hidden or []
                for h in (Hidden.auth_token_comfy_org, Hidden.api_key_comfy_org):
                    if h not in self.hidden:
                        self.hidden.append(h)
            if self.is_output_node:
                self.hidden = self.hidden or []
                for h in (Hidden.prompt, Hidden.extra_pnginfo):
                    if h not in self.hidden:
                        self.hidden.append(h)
            for k, output in enumerate(self.outputs or []):
                if output.id is None:
                    output.id = "_%d_%s_" % (k, output.io_type)

        def get_v1_info(self, cls):
            inputs = {"required": {}}
            for i in self.inputs or []:
                entry = i.as_dict()
                entry.pop("optional", None)
                inputs.setdefault("optional" if i.optional else "required", {})[i.id] = (i.get_io_type(), entry)
            for h in self.hidden or []:
                inputs.setdefault("hidden", {})[h.name] = (h.value,)
            outputs = self.outputs or []
            return {
                "input": inputs, "input_order": {key: list(value) for key, value in inputs.items()},
                "output": [o.get_io_type() for o in outputs], "output_is_list": [o.is_output_list for o in outputs],
                "output_name": [o.display_name or o.get_io_type() for o in outputs],
                "output_tooltips": [o.tooltip or None for o in outputs], "name": self.node_id,
                "display_name": self.display_name, "category": self.category, "description": self.description,
                "output_node": self.is_output_node, "deprecated": self.is_deprecated,
                "experimental": self.is_experimental, "api_node": self.is_api_node,
                "python_module": getattr(cls, "RELATIVE_PYTHON_MODULE", "nodes")}

    class ComfyNode:
        """io.ComfyNode: define_schema and execute, classmethods both."""
        RELATIVE_PYTHON_MODULE = None
        SCHEMA = None
        hidden = None
        resources = None

        @classmethod
        def define_schema(cls):
            raise NotImplementedError

        @classmethod
        def execute(cls, **kwargs):
            raise NotImplementedError

        @classmethod
        def validate_inputs(cls, **kwargs):
            raise NotImplementedError

        @classmethod
        def fingerprint_inputs(cls, **kwargs):
            raise NotImplementedError

        @classmethod
        def check_lazy_status(cls, **kwargs):
            return [name for name in kwargs if kwargs[name] is None]

        @classmethod
        def GET_BASE_CLASS(cls):
            return ComfyNode

        @classmethod
        def FINALIZE_SCHEMA(cls):
            schema = cls.define_schema()
            schema.finalize()
            return schema

        @classmethod
        def GET_SCHEMA(cls):
            schema = cls.FINALIZE_SCHEMA()
            schema.validate()
            cls.SCHEMA = schema
            return schema

        @classmethod
        def GET_NODE_INFO_V1(cls):
            return cls.GET_SCHEMA().get_v1_info(cls)

        @classmethod
        def INPUT_TYPES(cls, include_hidden=True, return_schema=False):
            schema = cls.FINALIZE_SCHEMA()
            info = schema.get_v1_info(cls)["input"]
            if not include_hidden:
                info.pop("hidden", None)
            return (info, schema) if return_schema else info

        RETURN_TYPES = classproperty(lambda cls: tuple(cls.GET_NODE_INFO_V1()["output"]))
        RETURN_NAMES = classproperty(lambda cls: tuple(cls.GET_NODE_INFO_V1()["output_name"]))
        OUTPUT_NODE = classproperty(lambda cls: cls.GET_SCHEMA().is_output_node)
        CATEGORY = classproperty(lambda cls: cls.GET_SCHEMA().category)

    class NodeOutput:
        def __init__(self, *args, ui=None, expand=None, block_execution=None):
            self.args, self.ui, self.expand, self.block_execution = args, ui, expand, block_execution

        @property
        def result(self):
            return self.args if len(self.args) > 0 else None

        @classmethod
        def from_dict(cls, data):
            return cls(*(data.get("result") or ()), ui=data.get("ui"), expand=data.get("expand"))

        def __getitem__(self, index):
            return self.args[index]

    class _UIOutput:
        def as_dict(self):
            raise NotImplementedError

    for value in (prune_dict, classproperty, FolderType, UploadType, NumberDisplay, RemoteOptions, Input, WidgetInput,
                  Output, ComfyTypeI, ComfyTypeIO, comfytype, Custom, Hidden, HiddenHolder, Schema, ComfyNode,
                  NodeOutput, _UIOutput):
        setattr(io, value.__name__, value)
    io.ComfyNodeV3 = ComfyNode

    class SavedResult(dict):
        def __init__(self, filename, subfolder, type):
            super().__init__(filename=filename, subfolder=subfolder, type=FolderType(type).value)

    class SavedImages(_UIOutput):
        def __init__(self, results, is_animated=False):
            self.results, self.is_animated = results, is_animated

        def as_dict(self):
            return {"images": self.results, **({"animated": (True,)} if self.is_animated else {})}

    class SavedAudios(_UIOutput):
        def __init__(self, results):
            self.results = results

        def as_dict(self):
            return {"audio": self.results}

    class PreviewVideo(_UIOutput):
        def __init__(self, values, **kwargs):
            self.values = values

        def as_dict(self):
            return {"images": self.values, "animated": (True,)}

    class PreviewUI3D(_UIOutput):
        def __init__(self, model_file, camera_info, **kwargs):
            self.model_file, self.camera_info = model_file, camera_info

        def as_dict(self):
            return {"result": [self.model_file, self.camera_info]}

    class PreviewText(_UIOutput):
        def __init__(self, value, **kwargs):
            self.value = value

        def as_dict(self):
            return {"text": (self.value,)}

    for value in (SavedResult, SavedImages, SavedAudios, PreviewVideo, PreviewUI3D, PreviewText):
        setattr(ui, value.__name__, value)

    class ComfyExtension:
        async def on_load(self):
            pass

        async def get_node_list(self):
            raise NotImplementedError

    def missing(module):
        def __getattr__(name):
            raise AttributeError(
                "%s.%s is not in node-run's stand-in for ComfyUI's V3 API (the worker's env has no comfy_api; the "
                "stand-in covers io's schemas, NodeOutput and ui's text and saved-file results): return the value as "
                "an output and let a ComfyUI node preview or save it" % (module.__name__, name))
        return __getattr__

    latest = types.ModuleType("comfy_api.latest")
    latest.__path__ = []
    latest.io = latest.comfy_io = latest._io = io
    latest.ui = latest._ui = ui
    latest.ComfyExtension = ComfyExtension
    v0_0_2 = types.ModuleType("comfy_api.v0_0_2")
    v0_0_2.io, v0_0_2.ui, v0_0_2.ComfyExtension = io, ui, ComfyExtension
    package = types.ModuleType("comfy_api")
    package.__path__ = []
    package.__doc__ = "node-run's stand-in for ComfyUI's comfy_api (the V3 node API) inside a worker."
    package.latest, package.v0_0_2 = latest, v0_0_2
    modules = {"comfy_api": package, "comfy_api.latest": latest, "comfy_api.latest._io": io,
               "comfy_api.latest._ui": ui, "comfy_api.v0_0_2": v0_0_2}
    for name, module in modules.items():
        module.__getattr__ = missing(module)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == __name__:
                value.__module__, value.__qualname__ = name, value.__name__
    return modules


class ComfyApiFinder:
    """Puts the stand-in comfy_api in place the first time a node imports it (building it costs a
    few milliseconds that a worker whose nodes never ask should not pay). Last on sys.meta_path,
    so a comfy_api the env does have comes first."""

    modules = None

    def find_spec(self, name, path=None, target=None):
        if name != "comfy_api" and not name.startswith("comfy_api."):
            return None
        if ComfyApiFinder.modules is None:
            ComfyApiFinder.modules = comfy_api_standin()
            for module_name, module in ComfyApiFinder.modules.items():  # all at once, as one package
                sys.modules.setdefault(module_name, module)
        if name not in ComfyApiFinder.modules:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return ComfyApiFinder.modules[spec.name]

    def exec_module(self, module):
        pass


def is_v3(cls):
    """Whether `cls` is a V3 node class (io.ComfyNode: define_schema and a classmethod execute)."""
    return isinstance(cls, type) and callable(getattr(cls, "GET_BASE_CLASS", None)) and hasattr(cls, "define_schema")


def v3_overrides(cls):
    """The V3 hooks `cls` defines itself (not io.ComfyNode's placeholders): {name: function}."""
    base = cls.GET_BASE_CLASS()
    found = {}
    for name, _ in V3_HOOKS:
        for klass in cls.__mro__:
            if klass is base:
                break
            if name in klass.__dict__:
                found[name] = getattr(cls, name)
                break
    return found


def install_stubs(folders):
    if importlib.util.find_spec("comfy_pipes") is None:
        # A pack that depends on the installed kit imports it at the top of the module the
        # worker imports again; in the worker its decorators leave classes as they are.
        kit = types.ModuleType("comfy_pipes")
        kit.__doc__ = "node-run's stand-in for comfy_pipes inside a worker: the classes run here as written."
        kit.isolated = lambda *args, **kwargs: (lambda cls: cls)
        kit.wrap_nodes = lambda mappings, *args, **kwargs: mappings
        kit.IsolatedNodeError = type("IsolatedNodeError", (RuntimeError,), {})
        kit.node_run_path = lambda: None
        sys.modules["comfy_pipes"] = kit
    if importlib.util.find_spec("comfy_api") is None:
        sys.meta_path.append(ComfyApiFinder())
    if importlib.util.find_spec("server") is None:
        server = types.ModuleType("server")
        server.__doc__ = "node-run's stand-in for ComfyUI's server: send_sync reaches ComfyUI's clients."
        server.PromptServer = type("PromptServer", (), {"send_sync": staticmethod(send_sync), "client_id": None})
        server.PromptServer.instance = server.PromptServer()
        sys.modules["server"] = server
    if importlib.util.find_spec("comfy") is None:
        comfy = types.ModuleType("comfy")
        comfy.__path__ = []
        utils = types.ModuleType("comfy.utils")
        utils.ProgressBar = ProgressBar
        utils.PROGRESS_BAR_ENABLED = True
        utils.set_progress_bar_enabled = lambda enabled: None
        utils.set_progress_bar_global_hook = lambda hook: None
        management = types.ModuleType("comfy.model_management")
        management.get_torch_device = lambda: __import__("torch").device("cpu")
        management.intermediate_device = management.get_torch_device
        management.InterruptProcessingException = InterruptProcessingException
        management.throw_exception_if_processing_interrupted = throw_exception_if_processing_interrupted
        management.processing_interrupted = processing_interrupted
        management.interrupt_current_processing = interrupt_current_processing
        management.soft_empty_cache = lambda *a, **k: None
        cli = types.ModuleType("comfy.cli_args")
        cli.args = types.SimpleNamespace(base_directory=folders.get("base"))
        comfy.utils, comfy.model_management, comfy.cli_args = utils, management, cli
        sys.modules.update({"comfy": comfy, "comfy.utils": utils, "comfy.model_management": management,
                            "comfy.cli_args": cli})
    if importlib.util.find_spec("folder_paths") is None and load_comfy_folder_paths(folders) is None:
        fp = types.ModuleType("folder_paths")
        fp.__doc__ = "node-run's stand-in for ComfyUI's folder_paths."
        base = folders.get("base") or os.getcwd()
        fp.base_path = base
        fp.models_dir = folders.get("models") or os.path.join(base, "models")
        fp.output_directory = folders.get("output") or os.path.join(base, "output")
        fp.input_directory = folders.get("input") or os.path.join(base, "input")
        fp.temp_directory = folders.get("temp") or os.path.join(base, "temp")
        fp.supported_pt_extensions = {".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}
        fp.folder_names_and_paths = {}

        def get_folder_paths(folder_name):
            default = [os.path.join(fp.models_dir, folder_name)]
            return list(fp.folder_names_and_paths.get(folder_name, (default, set()))[0])

        def get_full_path(folder_name, filename):
            for directory in get_folder_paths(folder_name):
                path = os.path.join(directory, filename)
                if os.path.isfile(path):
                    return path
            return None

        def get_filename_list(folder_name):
            found = []
            for directory in get_folder_paths(folder_name):
                for root, _, files in os.walk(directory):
                    found += [os.path.relpath(os.path.join(root, f), directory) for f in files]
            return sorted(found)

        fp.get_folder_paths = get_folder_paths
        fp.get_full_path = get_full_path
        fp.get_full_path_or_raise = lambda f, n: get_full_path(f, n) or (_ for _ in ()).throw(
            FileNotFoundError("model %s not found in %s" % (n, get_folder_paths(f))))
        fp.get_filename_list = get_filename_list
        fp.get_output_directory = lambda: fp.output_directory
        fp.get_input_directory = lambda: fp.input_directory
        fp.get_temp_directory = lambda: fp.temp_directory
        fp.get_annotated_filepath = lambda name, default_dir=None: os.path.join(
            default_dir or fp.input_directory, name)
        sys.modules["folder_paths"] = fp


def load_comfy_folder_paths(folders):
    """The server's own folder_paths.py (the file the host passed), set to the server's folders,
    so a node gets from it what it would get in ComfyUI; None when there is none or it does not
    load (the stand-in then answers)."""
    path = folders.get("file")
    if not isinstance(path, str) or not os.path.isfile(path):
        return None
    spec = importlib.util.spec_from_file_location("folder_paths", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["folder_paths"] = module
    try:
        spec.loader.exec_module(module)
        for key, name in (("base", "base_path"), ("models", "models_dir"), ("output", "output_directory"),
                          ("input", "input_directory"), ("temp", "temp_directory"), ("user", "user_directory")):
            if isinstance(folders.get(key), str):
                setattr(module, name, folders[key])
        given = folders.get("folder_names_and_paths")
        if isinstance(given, dict):
            module.folder_names_and_paths = {name: (list(paths), set(extensions))
                                             for name, (paths, extensions) in given.items()}
    except Exception as error:
        del sys.modules["folder_paths"]
        print("node-run worker: ComfyUI's folder_paths (%s) did not load here (%s); using the stand-in"
              % (path, error), file=sys.stderr)
        return None
    return module


def installed_version(name):
    """A distribution's version from its dist-info directory name, without importing it."""
    prefix = name + "-"
    for directory in sys.path:
        if not directory.endswith(("site-packages", "dist-packages")) or not os.path.isdir(directory):
            continue
        for entry in os.listdir(directory):
            if entry.startswith(prefix) and entry.endswith(".dist-info"):
                return entry[len(prefix):-len(".dist-info")]
    return None


def die_with_parent():
    """Asks Linux to kill this worker when node-run goes (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, 9)
    except Exception:
        pass


def main():
    global CHANNEL
    sys.stdout.reconfigure(line_buffering=True)
    os.environ["COMFY_PIPES_WORKER"] = "1"
    CHANNEL = channel = Channel()
    config = channel.read()
    if config is None:
        return
    die_with_parent()
    signal.signal(signal.SIGUSR1, on_interrupt)
    for directory in reversed(config.get("paths") or []):
        sys.path.insert(0, directory)
    install_stubs(config.get("folders") or {})
    worker = Worker(channel, config)
    channel.send({"kind": "ready", "pid": os.getpid(), "python": "%d.%d.%d" % sys.version_info[:3],
                  "executable": sys.executable, "numpy": installed_version("numpy"),
                  "torch": installed_version("torch")})
    read, send, call = channel.read, channel.send, worker.call
    while True:
        message = read()
        if message is None:
            return
        send(call(message))


main()
