"""comfy_pipes.host: run a ComfyUI node class in its own venv, through node-run.

With the kit installed in ComfyUI's python (`pip install comfy-pipes`), decorate the node classes
that need their own packages:

    from comfy_pipes import isolated

    @isolated(venv="_env")          # a venv made by comfy-pipes-install, relative to this pack
    class Segment:
        @classmethod
        def INPUT_TYPES(cls): ...
        RETURN_TYPES = ("MASK",)
        FUNCTION = "segment"
        def segment(self, image): ...

A pack that cannot depend on the package can vendor this module as one file instead
(`node-run --print-host-module > comfy_pipes_host.py`, then `from .comfy_pipes_host import
isolated`).

In ComfyUI the class keeps INPUT_TYPES, RETURN_TYPES and everything else; only its FUNCTION (a
V3 io.ComfyNode's execute) is replaced by a proxy that sends the call to one long-lived `node-run` per venv: the one given as
node_run=, else $COMFY_PIPES_NODE_RUN, else the one beside the interpreter (a venv's bin/, where
pip puts it, even when that is not on PATH), else node-run on PATH. torch tensors and numpy
arrays go over as tensor records (one copy into a shared-memory segment); the result's tensors
come back mapped from the worker's segments, as torch tensors when torch is importable here.
Progress reported by the node (comfy.utils.ProgressBar) reaches ComfyUI's progress bar. An error
in the worker raises IsolatedNodeError here with the worker's exception type, message and
traceback.

Inside the worker (COMFY_PIPES_WORKER=1) the decorator returns the class unchanged, so the same
module runs there as written; node-run's worker also stands in for `comfy_pipes` itself when the
env does not have it, so `from comfy_pipes import isolated` works there too.
"""

import atexit
import collections
import inspect
import itertools
import json
import math
import mmap
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

__all__ = ["isolated", "wrap_nodes", "IsolatedNodeError", "node_run_path"]

from .segment import *  # node-run --print-host-module puts segment.py's code here  # noqa: F401,F403


class IsolatedNodeError(RuntimeError):
    """A call that failed in node-run or its worker: `code`, `type` (the worker's exception type),
    `worker_traceback`, and node-run's whole `record`."""

    def __init__(self, record):
        detail = record.get("detail") or {}
        self.record = record
        self.code = record.get("code")
        self.type = detail.get("type")
        self.worker_traceback = detail.get("traceback") or detail.get("stderr_tail") or ""
        if self.type and "message" in detail:
            # The node's exception, under its own type name (see node_error): its own message;
            # the worker's traceback goes with it as a note, which ComfyUI's log prints.
            text = detail["message"]
            if self.worker_traceback:
                self.__notes__ = ["Worker traceback (%s, in its env):\n%s" % (detail.get("node", "node"),
                                                                           self.worker_traceback)]
        else:
            text = record.get("message", "node-run failed")
            if self.worker_traceback:
                text += "\n\nWorker traceback:\n" + self.worker_traceback
        super().__init__(text)


def isolated(venv=None, python=None, node_run=None, path=None, timeout=None, tensors=None, allow_pickle=False):
    """Runs the decorated node class's FUNCTION (a V3 class's execute) and the hooks it defines
    through node-run in `venv` (or with `python`).

    `path`: the directory to put on the worker's sys.path (default: the one holding this pack).
    `timeout`: seconds per call. `tensors="torch"`: the worker gets torch tensors.
    """
    def decorate(cls):
        if os.environ.get("COMFY_PIPES_WORKER") == "1":
            return cls
        module, root = _locate(cls)
        env = os.path.join(_pack_root(cls, module, root), venv) if venv and not os.path.isabs(venv) else venv
        options = {"venv": env, "python": python, "node_run": node_run, "path": path or root,
                   "timeout": timeout, "tensors": tensors, "allow_pickle": allow_pickle}
        return _isolate(cls, "%s:%s" % (module, cls.__qualname__), options)
    return decorate


def _isolate(cls, target, options, hidden=None, methods=None):
    """Replaces `cls`'s FUNCTION (and the hooks it defines) by proxies that run `target` in the
    worker node-run keeps for `options`; a V3 class (io.ComfyNode) gets its execute and hooks
    replaced instead (_isolate_v3).

    For the V1 proxy of a V3 node read in a worker (comfy_pipes.packs): `hidden` maps the hidden
    inputs ComfyUI passes as keyword arguments to their io.Hidden values, which go to the worker
    apart, as the class's `hidden` there; `methods` maps a proxy's name to the method it runs there
    (IS_CHANGED runs fingerprint_inputs)."""
    if _is_v3(cls):
        return _isolate_v3(cls, target, options)
    methods = methods or {}
    method = cls.FUNCTION
    remote = methods.get(method, method)

    def proxy(self, *args, **kwargs):
        if args:
            raise TypeError("%s.%s takes keyword arguments only (as ComfyUI calls it)" % (cls.__name__, method))
        return _runner(options).call(target, remote, _apart(kwargs, hidden))

    proxy.__name__ = method
    proxy.__qualname__ = "%s.%s" % (cls.__qualname__, method)
    proxy.__doc__ = "Runs %s.%s in %s through node-run." % (cls.__name__, remote, options["venv"] or options["python"])
    setattr(cls, method, proxy)
    for hook in _HOOKS:
        _forward_hook(cls, hook, target, options, remote=methods.get(hook, hook), hidden=hidden)
    cls._comfy_pipes_target = target
    return cls


# What ComfyUI asks a node class besides FUNCTION; when the class defines one, it runs in the
# worker too (with the env's packages), and only its answer comes back.
_HOOKS = ("IS_CHANGED", "VALIDATE_INPUTS", "check_lazy_status")
# A V3 class's: fingerprint_inputs (V1's IS_CHANGED), validate_inputs (VALIDATE_INPUTS), check_lazy_status.
_V3_HOOKS = ("fingerprint_inputs", "validate_inputs", "check_lazy_status")
# io.Hidden's values by the attribute of ComfyUI's HiddenHolder (cls.hidden) that holds each; DYNPROMPT
# (a live DynamicPrompt) does not cross.
_HIDDEN = {"unique_id": "UNIQUE_ID", "prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO",
           "auth_token_comfy_org": "AUTH_TOKEN_COMFY_ORG", "api_key_comfy_org": "API_KEY_COMFY_ORG"}
HIDDEN_KEY = "__comfy_pipes_hidden__"


def _is_v3(cls):
    """Whether `cls` is a V3 node class (comfy_api's io.ComfyNode: define_schema, classmethod execute)."""
    return isinstance(cls, type) and callable(getattr(cls, "GET_BASE_CLASS", None)) and hasattr(cls, "define_schema")


def _apart(kwargs, hidden):
    """The call's arguments, with the hidden inputs named in `hidden` ({keyword: io.Hidden value})
    moved under HIDDEN_KEY; or, given a V3 class's HiddenHolder, its values there."""
    if not hidden:
        return kwargs
    if isinstance(hidden, dict):
        values = {hidden[k]: kwargs.pop(k) for k in list(kwargs) if k in hidden}
    else:
        values = {value: getattr(hidden, name, None) for name, value in _HIDDEN.items()}
    values = {k: v for k, v in values.items() if v is not None}
    if values:
        kwargs[HIDDEN_KEY] = values
    return kwargs


def _isolate_v3(cls, target, options):
    """A V3 class in ComfyUI: its classmethod execute, and the hooks it overrides, run `target`'s in
    the worker; ComfyUI keeps the class, its schema and everything else. The call's hidden
    inputs (the `hidden` ComfyUI sets on the class clone it calls) go with it; the answer comes
    back as the io.NodeOutput ComfyUI expects (a `ui` with it)."""
    base = cls.GET_BASE_CLASS()
    node_output = getattr(sys.modules.get(base.__module__), "NodeOutput", None)

    def execute(klass, *args, **kwargs):
        if args:
            raise TypeError("%s.execute takes keyword arguments only (as ComfyUI calls it)" % cls.__name__)
        answer = _runner(options).call(target, "execute", _apart(kwargs, getattr(klass, "hidden", None)))
        if node_output is None:
            return answer
        if isinstance(answer, dict):
            return node_output(*answer["result"], ui=answer["ui"])
        return node_output(*answer)

    execute.__name__ = "execute"
    execute.__qualname__ = "%s.execute" % cls.__qualname__
    execute.__doc__ = "Runs %s.execute in %s through node-run." % (cls.__name__, options["venv"] or options["python"])
    cls.execute = classmethod(execute)
    for hook in _V3_HOOKS:
        _forward_hook(cls, hook, target, options, stop=base, hidden=True)
    cls._comfy_pipes_target = target
    return cls


def _forward_hook(cls, name, target, options, remote=None, hidden=None, stop=None):
    """Makes `cls`'s hook `name`, when the class defines it (below `stop`, a V3 class's base with
    its placeholders), a proxy that runs `remote` (default: the same name) in the worker."""
    original = None
    for klass in cls.__mro__[:-1]:
        if klass is stop:
            break
        if name in klass.__dict__:
            original = klass.__dict__[name]
            break
    if original is None:
        return
    is_class_method = isinstance(original, classmethod)
    function = original.__func__ if is_class_method else original
    remote = remote or name

    def forward(self_or_cls, *args, **kwargs):
        if args:
            raise TypeError("%s.%s takes keyword arguments only (as ComfyUI calls it)" % (cls.__name__, name))
        given = getattr(self_or_cls, "hidden", None) if hidden is True else hidden
        try:
            answer = _runner(options).call(target, remote, _apart(kwargs, given))
        except IsolatedNodeError as error:
            if name in ("IS_CHANGED", "fingerprint_inputs") and error.code == "not-finite":
                return float("nan")  # "always changed", the usual IS_CHANGED answer JSON cannot carry
            raise
        return answer[0] if isinstance(answer, tuple) and len(answer) == 1 else answer

    forward.__name__ = name
    forward.__qualname__ = "%s.%s" % (cls.__qualname__, name)
    forward.__doc__ = "Runs %s.%s in the worker through node-run." % (cls.__name__, remote)
    try:
        forward.__signature__ = inspect.signature(function)  # ComfyUI reads which inputs it takes
    except (TypeError, ValueError):
        pass
    setattr(cls, name, classmethod(forward) if is_class_method else forward)


def wrap_nodes(mappings, venv=None, **options):
    """Isolates a whole pack: every node class of `mappings` (its NODE_CLASS_MAPPINGS, or the list
    a V3 ComfyExtension.get_node_list returns) runs through node-run in `venv`, as if each were
    decorated with @isolated(venv=venv, **options): a V1 class's FUNCTION, a V3 class's execute,
    and the hooks each defines. Changes the classes in place and returns `mappings`, so a pack's
    __init__.py needs one line:

        NODE_CLASS_MAPPINGS = wrap_nodes(NODE_CLASS_MAPPINGS, venv="_env")

    A class with neither (not a node class) is left to run in ComfyUI's process, with a warning
    naming it."""
    if os.environ.get("COMFY_PIPES_WORKER") == "1":
        return mappings
    decorate = isolated(venv=venv, **options)
    left = []
    items = mappings.items() if isinstance(mappings, dict) else ((getattr(c, "__name__", repr(c)), c) for c in mappings)
    for name, cls in items:
        if not isinstance(cls, type) or getattr(cls, "_comfy_pipes_target", None):
            continue
        if _is_v3(cls) or isinstance(getattr(cls, "FUNCTION", None), str):
            decorate(cls)
        else:
            left.append(name)
    if left:
        sys.stderr.write("comfy_pipes.wrap_nodes: %s not isolated (neither a FUNCTION nor a V3 execute); they run "
                         "in ComfyUI's process\n" % ", ".join(sorted(left)))
    return mappings


def _pack_root(cls, module, root):
    """The pack's directory, which a relative venv= is relative to (where comfy-pipes-install
    builds PACK/_env): the top package's directory, for a class in any of its subfolders; the
    class's own directory for a module that is not in a package."""
    top = os.path.join(root, module.split(".")[0])
    return top if os.path.isdir(top) else os.path.dirname(os.path.abspath(inspect.getfile(cls)))


def _locate(cls):
    """The module name the worker imports the class by, and the directory to put on its path."""
    file = os.path.abspath(inspect.getfile(cls))
    directory, stem = os.path.split(file)
    parts = [] if stem == "__init__.py" else [os.path.splitext(stem)[0]]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts), directory


# -- one node-run per env ---------------------------------------------------------------------------
_runners = {}
_runners_lock = threading.Lock()


def _runner(options):
    key = tuple(sorted((k, str(v)) for k, v in options.items()))
    with _runners_lock:
        runner = _runners.get(key)
        if runner is None or not runner.alive():
            runner = _runners[key] = _Runner(options)
        return runner


def node_run_path():
    """The node-run a call would use: $COMFY_PIPES_NODE_RUN, else the one beside sys.executable
    (where pip installs it, found even when that bin/ is not on PATH), else node-run on PATH;
    None when there is none."""
    given = os.environ.get("COMFY_PIPES_NODE_RUN")
    if given:
        return given
    beside = os.path.join(os.path.dirname(sys.executable), "node-run")
    if os.access(beside, os.X_OK) and os.path.isfile(beside):
        return beside
    return shutil.which("node-run")


class _Runner:
    """A node-run process and the calls waiting for its answers, matched by id."""

    ids = itertools.count(1)

    def __init__(self, options):
        executable = options["node_run"] or node_run_path()
        if not executable:
            raise IsolatedNodeError({"code": "no-node-run", "message":
                                     "node-run was found neither beside %s nor on PATH; install the kit into this "
                                     "python (%s -m pip install comfy-pipes) or set COMFY_PIPES_NODE_RUN"
                                     % (sys.executable, sys.executable)})
        command = [executable, "--progress-records", "--quiet", "--workers", "1"]
        if options["venv"]:
            command += ["--venv", options["venv"]]
        elif options["python"]:
            command += ["--python", options["python"]]
        command += ["--path", options["path"]]
        folders = _comfy_folders()
        if folders:
            command += ["--folders", folders]
        if options["timeout"]:
            command += ["--timeout", str(options["timeout"])]
        if options["tensors"]:
            command += ["--tensors", options["tensors"]]
        if options["allow_pickle"]:
            command += ["--allow-pickle"]
        command += ["--keep-objects"]
        self.allow_pickle = bool(options["allow_pickle"])
        self.place = options["venv"] or options["python"] or "node-run"
        self.released = collections.deque()  # handles whose WorkerObject ComfyUI dropped
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.lock = threading.Lock()
        self.pending = {}
        self.reader = threading.Thread(target=self._read, name="comfy-pipes-node-run", daemon=True)
        self.reader.start()
        atexit.register(self.close)

    def alive(self):
        return self.process.poll() is None

    def call(self, target, method, kwargs, kind="node"):
        call_id = "host-%d-%d" % (os.getpid(), next(self.ids))
        created = []
        waiter = {"event": threading.Event(), "record": None, "bar": None, "progress": None,
                  "messages": collections.deque()}
        try:
            args = {k: _to_wire(v, k, created, self) for k, v in kwargs.items()}
            released = self.drain_released()
            if released:
                args[RELEASE_KEY] = released
            request = {"type": "call", "id": call_id, kind: target, "args": args}
            if method:
                request["method"] = method
            line = json.dumps(request, separators=(",", ":"), allow_nan=False)
            with self.lock:
                self.pending[call_id] = waiter
            try:
                self.process.stdin.write(line.encode() + b"\n")
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError):
                waiter["record"] = {"type": "error", "code": "node-run-ended",
                                    "message": "node-run ended (exit %s)" % self.process.poll()}
                waiter["event"].set()
            interrupted = self._wait(waiter)
        finally:
            with self.lock:
                self.pending.pop(call_id, None)
            for path in created:
                _unlink(path)
            if created:
                released = (waiter["record"] or {}).get("released") or ()
                _POOL.settle([{"name": p[len("/dev/shm"):]} for p in created if p.startswith("/dev/shm/")],
                             released)
        record = waiter["record"]
        if record.get("type") == "error":
            if interrupted:
                _raise_interrupted()
            raise node_error(record)
        outputs = tuple(_from_wire(v, self) for v in record.get("outputs", []))
        if "ui" in record:
            return {"ui": _from_wire(record["ui"], self), "result": outputs}
        return outputs

    def _wait(self, waiter):
        """Waits for the call's answer in the calling thread (ComfyUI's), which also draws the
        progress the reader thread saw, so a ComfyUI callback that raises (its progress hook does,
        after Cancel) raises here, never in the reader. Cancel (ComfyUI's interrupt flag, or such
        a raise) is passed to the worker as SIGUSR1: the stand-in comfy.model_management there
        raises InterruptProcessingException at the node's next check. A worker still busy
        INTERRUPT_GRACE seconds later is killed, and node-run starts a new one for the next call.
        True when the call was interrupted."""
        interrupted_at = None
        killed = False
        event = waiter["event"]
        while True:
            done = event.wait(0.05)
            event.clear()
            while waiter["messages"]:
                _send_message(waiter["messages"].popleft())
            progress, waiter["progress"] = waiter["progress"], None
            if progress is not None:
                try:
                    _progress(waiter, progress)
                except Exception as error:
                    if _is_interrupt(error) and interrupted_at is None:
                        interrupted_at = time.monotonic()
                        self._signal_workers(signal.SIGUSR1)
            if waiter["record"] is not None:
                return interrupted_at is not None
            if done:
                continue
            if interrupted_at is None:
                if _comfy_interrupted():
                    interrupted_at = time.monotonic()
                    self._signal_workers(signal.SIGUSR1)
            elif not killed and time.monotonic() - interrupted_at >= INTERRUPT_GRACE:
                killed = True
                self._signal_workers(signal.SIGKILL)

    def drain_released(self):
        ids = []
        while True:
            try:
                ids.append(self.released.popleft())
            except IndexError:
                return ids

    def _signal_workers(self, signum):
        """Sends `signum` to node-run's workers (its child processes)."""
        for pid in _children(self.process.pid):
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    def _read(self):
        for line in self.process.stdout:
            try:
                record = json.loads(line)
                with self.lock:
                    waiter = self.pending.get(record.get("id"))
                if waiter is None:
                    continue
                if record.get("type") == "progress":
                    waiter["progress"] = record
                    waiter["event"].set()
                elif record.get("type") == "message":
                    waiter["messages"].append(record)
                    waiter["event"].set()
                elif record.get("type") in ("result", "error"):
                    waiter["record"] = record
                    waiter["event"].set()
            except Exception:
                continue
        with self.lock:
            waiters = list(self.pending.values())
        for waiter in waiters:
            if waiter["record"] is None:
                waiter["record"] = {"type": "error", "code": "node-run-ended",
                                    "message": "node-run ended (exit %s) before answering" % self.process.wait()}
            waiter["event"].set()

    def close(self):
        """At exit: node-run ends when its input does; a call still running (ComfyUI stopped
        during it) is not waited for, so shutdown takes no longer than a moment."""
        if self.pending:
            self.kill()
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=2)
        except Exception:
            self.kill()

    def kill(self):
        """Stops node-run and its workers at once (shutdown during a call)."""
        self._signal_workers(signal.SIGKILL)
        try:
            self.process.kill()
        except OSError:
            pass


def _comfy_folders():
    """ComfyUI's folders as node-run's --folders takes them (JSON), from the running server's
    folder_paths: its file, the base, models, output, input, temp and user directories, and every
    model folder's paths and extensions (extra model paths included); None outside ComfyUI."""
    folder_paths = sys.modules.get("folder_paths")
    if folder_paths is None or not getattr(folder_paths, "__file__", None):
        return None
    try:
        return json.dumps({
            "file": os.path.abspath(folder_paths.__file__), "base": folder_paths.base_path,
            "models": folder_paths.models_dir, "output": folder_paths.get_output_directory(),
            "input": folder_paths.get_input_directory(), "temp": folder_paths.get_temp_directory(),
            "user": folder_paths.get_user_directory(),
            "folder_names_and_paths": {name: [list(paths), sorted(extensions)]
                                       for name, (paths, extensions) in folder_paths.folder_names_and_paths.items()},
        })
    except Exception:
        return None


INTERRUPT_GRACE = float(os.environ.get("COMFY_PIPES_INTERRUPT_GRACE") or 3.0)


def _comfy_interrupted():
    """Whether ComfyUI's Cancel was pressed (its interrupt flag, read without clearing it)."""
    management = sys.modules.get("comfy.model_management")
    try:
        return bool(management is not None and management.processing_interrupted())
    except Exception:
        return False


def _is_interrupt(error):
    return type(error).__name__ == "InterruptProcessingException"


def _raise_interrupted():
    """Ends the call as ComfyUI's own nodes end on Cancel: InterruptProcessingException."""
    management = sys.modules.get("comfy.model_management")
    if management is None:
        raise IsolatedNodeError({"code": "interrupted", "message": "the call was interrupted"})
    management.throw_exception_if_processing_interrupted()
    raise management.InterruptProcessingException()


def _children(pid):
    """The pids of `pid`'s child processes, from /proc."""
    found = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return found
    for task in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as handle:
                found += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            pass
    return found


_ERROR_TYPES = {}


def node_error(record):
    """The exception to raise for node-run's error record: an IsolatedNodeError whose class
    carries the worker's exception type name (ComfyUI shows `ValueError`, not IsolatedNodeError),
    and that is also that type when the host has it (so `except ValueError` still works)."""
    qualified = (record.get("detail") or {}).get("type") or ""
    if not qualified or not re.fullmatch(r"[A-Za-z_][\w.]*", qualified):
        return IsolatedNodeError(record)
    cls = _ERROR_TYPES.get(qualified)
    if cls is None:
        module, _, name = qualified.rpartition(".")
        bases = (IsolatedNodeError,)
        found = getattr(sys.modules.get(module or "builtins"), name, None)
        if isinstance(found, type) and issubclass(found, Exception) and found is not IsolatedNodeError:
            bases = (IsolatedNodeError, found)
        try:
            cls = type(name, bases, {"__module__": module or "builtins", "__qualname__": name})
        except TypeError:  # a layout that cannot be mixed in: the name alone
            cls = type(name, (IsolatedNodeError,), {"__module__": module or "builtins", "__qualname__": name})
        _ERROR_TYPES[qualified] = cls
    error = cls.__new__(cls)
    IsolatedNodeError.__init__(error, record)
    return error


RELEASE_KEY = "__comfy_pipes_release__"


class WorkerObject:
    """An output that is neither a tensor nor a JSON value (a loaded model, a pipeline): it stays
    in the worker that made it, and ComfyUI holds this handle. A later node of the same env that
    takes it gets the real object there, with no copy and no pickle. When ComfyUI drops the
    handle (its cache lets go of the output), the worker lets go of the object at the next call.
    It cannot go to another env, nor outlive its worker: both are clear errors."""

    __slots__ = ("runner", "id", "type_name")

    def __init__(self, runner, record):
        self.runner, self.id, self.type_name = runner, record["id"], record.get("class") or "object"

    def __repr__(self):
        return "<%s kept in the comfy-pipes worker of %s>" % (self.type_name, self.runner.place)

    def wire(self, name, runner):
        if runner is not self.runner:
            if runner.place == self.runner.place:
                why = "its worker has ended since (ComfyUI restarted node-run); run the node that made it again"
            else:
                why = "it lives in the worker of %s and objects stay in the env that made them" % self.runner.place
            raise TypeError("input %r: a %s cannot go to a node that runs in %s: %s"
                            % (name, self.type_name, runner.place, why))
        return {"type": "handle", "id": self.id, "class": self.type_name}

    def __del__(self):
        try:
            self.runner.released.append(self.id)
        except Exception:
            pass


def _send_message(record):
    """A node's PromptServer.send_sync from the worker, sent on by ComfyUI's own server."""
    server = sys.modules.get("server")
    instance = getattr(getattr(server, "PromptServer", None), "instance", None)
    if instance is None:
        return
    try:
        instance.send_sync(record.get("event"), record.get("data"), instance.client_id)
    except Exception:
        pass


def _progress(waiter, record):
    try:
        import comfy.utils
    except ImportError:
        return
    if waiter["bar"] is None:
        waiter["bar"] = comfy.utils.ProgressBar(record.get("max") or 1)
    waiter["bar"].update_absolute(record.get("value", 0), record.get("max"))


# -- tensors and values -------------------------------------------------------------------------------
def _to_wire(value, name, created, runner):
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("an isolated node cannot take %r for %r: JSON has no NaN or infinity; pass it inside "
                             "a tensor or numpy array" % (value, name))
        return value
    if isinstance(value, dict):
        return {str(k): _to_wire(v, str(k), created, runner) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v, "%s_%d" % (name, k), created, runner) for k, v in enumerate(value)]
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    if torch is not None and isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().contiguous()
        if tensor.dtype == torch.bfloat16:
            return _tensor_record(tensor.view(torch.int16).numpy(), "bfloat16", name, created)
        return _tensor_record(tensor.numpy(), None, name, created)
    if np is not None and isinstance(value, np.ndarray):
        return _tensor_record(value, None, name, created)
    if np is not None and isinstance(value, np.generic):
        return _to_wire(value.item(), name, created, runner)
    if isinstance(value, WorkerObject):
        return value.wire(name, runner)
    if runner.allow_pickle:
        import base64
        import pickle
        return {"type": "pickle", "base64": base64.b64encode(pickle.dumps(value)).decode()}
    raise TypeError("an isolated node cannot take %s for %r: pass tensors, numpy arrays or JSON values"
                    % (type(value).__name__, name))


def _tensor_record(array, dtype_name, name, created):
    import numpy as np
    array = np.asarray(array, order="C")  # ascontiguousarray would make a 0-d array 1-d
    if dtype_name is None:
        dtype_name = DTYPE_NAME.get(array.dtype.newbyteorder("<").str if array.dtype.byteorder == ">"
                                    else array.dtype.str)
        if dtype_name is None:
            raise TypeError("%r: dtype %s cannot travel as a tensor record" % (name, array.dtype))
        array = array.astype(NUMPY_DTYPE[dtype_name], copy=False)
    nbytes = array.nbytes
    storage = _POOL.lend(array, created) if nbytes else None
    if storage is None:
        storage = _new_segment(array, created)
    storage.update(offset=0, nbytes=nbytes)
    layout = {"image": "image", "mask": "mask", "samples": "latent"}.get(name)
    record = {"type": "tensor", "name": name, "dtype": dtype_name, "shape": list(array.shape)}
    if layout and array.ndim == {"image": 4, "mask": 3, "latent": 4}[layout]:
        record["layout"] = layout
    record["storage"] = storage
    return record


def _new_segment(array, created):
    """A new segment holding `array`, written with write(): new tmpfs pages filled that way are
    not zeroed first, as pages faulted in through a mapping are."""
    segment = segment_name()
    path = "/dev/shm/" + segment
    storage = {"kind": "shm", "name": "/" + segment}
    if not os.path.isdir("/dev/shm"):
        path = os.path.join(checked_fallback_directory(create=True), segment)
        storage = {"kind": "shm", "path": path}
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    created.append(path)
    try:
        _write_all(fd, array)
    finally:
        os.close(fd)
    return storage


def _write_all(fd, array):
    view = memoryview(array.reshape(-1)).cast("B") if array.nbytes else b""
    done = 0
    while done < len(view):
        done += os.write(fd, view[done:])


class _SegmentPool:
    """Segments the host keeps and fills again for later calls' arguments, so that an argument
    costs one copy into pages already allocated and mapped (on both sides) instead of fresh pages.

    A pool segment lives in /dev/shm under its own name (`cpipes-PID-…`, never in a record).
    For each call the pool links a fresh name to it and puts that name in the record; the worker
    maps it and unlinks that name as the consumer of any segment does, and keeps its mapping.
    The result record's `released` lists the names whose arrays nothing in the worker refers to
    any more: only those segments are filled again; any other is dropped (unlinked). The pool
    holds at most COMFY_PIPES_POOL_MIB MiB (default 256; 0 turns it off); its names are unlinked
    at exit, and after a crash `tensor-pack --gc` sweeps them (their pid is dead).
    """

    def __init__(self):
        try:
            self.limit = int(os.environ.get("COMFY_PIPES_POOL_MIB", "256")) << 20
        except ValueError:
            self.limit = 256 << 20
        self.lock = threading.Lock()
        self.free = []  # [path, mapping, size], least recently used first
        self.lent = {}  # record name -> [path, mapping, size]
        self.held = 0
        self.closed = False
        atexit.register(self.close)

    def lend(self, array, created):
        """A storage object for `array` copied into a pool segment, or None (no room, no /dev/shm)."""
        import numpy as np
        nbytes = array.nbytes
        size = -(-nbytes // mmap.PAGESIZE) * mmap.PAGESIZE
        if size > self.limit or not os.path.isdir("/dev/shm"):
            return None
        with self.lock:
            if self.closed:
                return None
            entry = next((e for e in reversed(self.free) if e[2] == size), None)
            if entry is not None:
                self.free.remove(entry)
            else:
                while self.free and self.held + size > self.limit:
                    self._drop(self.free.pop(0))
                if self.held + size > self.limit:
                    return None
                entry = [None, None, size]
                self.held += size
        try:
            if entry[0] is None:
                entry[0] = "/dev/shm/" + segment_name()
                fd = os.open(entry[0], os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
                try:
                    os.ftruncate(fd, size)
                    entry[1] = mmap.mmap(fd, size, mmap.MAP_SHARED)
                finally:
                    os.close(fd)
            target = np.frombuffer(entry[1], array.dtype, array.size).reshape(array.shape)
            np.copyto(target, array, casting="no")
            del target
            name = "/" + segment_name()
            os.link(entry[0], "/dev/shm" + name)
        except BaseException:
            with self.lock:
                self._drop(entry)
            raise
        created.append("/dev/shm" + name)
        with self.lock:
            self.lent[name] = entry
        return {"kind": "shm", "name": name}

    def settle(self, storages, released):
        """After a call: segments the worker released go back to the pool, the others are dropped."""
        with self.lock:
            for storage in storages:
                name = storage.get("name") if isinstance(storage, dict) else None
                entry = self.lent.pop(name, None)
                if entry is None:
                    continue
                if name in released and not self.closed:
                    self.free.append(entry)
                else:
                    self._drop(entry)

    def _drop(self, entry):
        self.held -= entry[2]
        if entry[0] is not None:
            _unlink(entry[0])
        if entry[1] is not None:
            try:
                entry[1].close()
            except BufferError:
                pass

    def close(self):
        with self.lock:
            self.closed = True
            for entry in self.free + list(self.lent.values()):
                self._drop(entry)
            self.free, self.lent = [], {}


_POOL = _SegmentPool()


# -- nothing left behind ------------------------------------------------------------------------------
def _registry():
    """/dev/shm/comfy-pipes-hosts-UID: one empty file per live host process, named by its pid,
    so that a later host can tell which dead processes' segments were a host's (its pool). A
    directory of this user's, mode 0700, not a link; None where it cannot be had."""
    path = "/dev/shm/comfy-pipes-hosts-%d" % os.geteuid()
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return None
    return path


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def sweep_dead_hosts():
    """Removes the segments of host processes that died without cleaning up (a ComfyUI stopped
    by SIGKILL, or by SIGTERM before this module's handler was in place), then registers this
    process. Only regular files of this user, named as the kit names segments, whose pid is that
    of a registered host that is gone; returns how many were removed."""
    registry = _registry()
    if registry is None:
        return 0
    removed = 0
    for entry in os.listdir(registry):
        if not entry.isdigit() or _alive(int(entry)):
            continue
        prefix = "cpipes-%s-" % entry
        for name in os.listdir("/dev/shm"):
            if not name.startswith(prefix) or not SEGMENT_NAME.fullmatch("/" + name):
                continue
            path = "/dev/shm/" + name
            try:
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                    os.unlink(path)
                    removed += 1
            except OSError:
                pass
        try:
            os.unlink(os.path.join(registry, entry))
        except OSError:
            pass
    try:
        os.close(os.open(os.path.join(registry, str(os.getpid())), os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
        atexit.register(_unregister, os.path.join(registry, str(os.getpid())))
    except OSError:
        pass
    return removed


def _unregister(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _stop_on_sigterm():
    """On SIGTERM (how systemd and docker stop ComfyUI; Python runs no atexit for it) the pool's
    segments and node-run processes go first, then the signal does what it did before."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum, frame):
        _POOL.close()
        for runner in list(_runners.values()):
            runner.kill()
        _unregister(os.path.join("/dev/shm/comfy-pipes-hosts-%d" % os.geteuid(), str(os.getpid())))
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)


if os.environ.get("COMFY_PIPES_WORKER") != "1" and os.path.isdir("/dev/shm"):
    try:
        _swept = sweep_dead_hosts()
        _stop_on_sigterm()
    except Exception:  # never keep ComfyUI from loading a pack over a clean-up
        pass


def _from_wire(value, runner):
    if isinstance(value, list):
        return [_from_wire(v, runner) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("type") == "tensor":
        return _load_tensor(value)
    if value.get("type") == "handle" and "id" in value:
        return WorkerObject(runner, value)
    if value.get("type") == "pickle" and "base64" in value and runner.allow_pickle:
        import base64
        import pickle
        return pickle.loads(base64.b64decode(value["base64"]))
    return {k: _from_wire(v, runner) for k, v in value.items()}


def _load_tensor(record):
    """Maps a result tensor from its segment (and unlinks it: the host is its consumer)."""
    import numpy as np
    dtype, shape, storage = record["dtype"], record["shape"], record["storage"]
    if dtype not in ITEMSIZE or not all(type(d) is int and d >= 0 for d in shape):
        raise IsolatedNodeError({"code": "bad-output", "message": "a bad tensor record came back: %r" % record})
    count = math.prod(shape)
    nbytes = count * ITEMSIZE[dtype]
    if storage.get("kind") == "inline":
        import base64
        buffer, skip = bytearray(base64.b64decode(storage["base64"])), 0
    else:
        if storage.get("nbytes") != nbytes:
            raise IsolatedNodeError({"code": "bad-output", "message": "tensor bytes do not match its shape"})
        offset = storage.get("offset", 0)
        try:
            path, fd, info, _, consumable = open_storage(storage)
        except SegmentError as error:
            raise IsolatedNodeError({"code": "bad-output", "message": "a bad tensor record came back: %s" % error})
        try:
            if not stat.S_ISREG(info.st_mode):
                raise IsolatedNodeError({"code": "bad-output", "message": "tensor storage is not a regular file"})
            if type(offset) is not int or offset < 0 or offset + nbytes > info.st_size:
                raise IsolatedNodeError({"code": "bad-output", "message": "tensor bytes lie outside the segment"})
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            skip = offset - start
            if nbytes == 0:
                buffer = bytearray()
                skip = 0
            elif consumable:
                buffer = mmap.mmap(fd, skip + nbytes, mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                                   offset=start)
            else:
                buffer = mmap.mmap(fd, skip + nbytes, access=mmap.ACCESS_COPY, offset=start)
        finally:
            os.close(fd)
            if consumable:
                unlink_segment(path, info)
    torch = _torch()
    if dtype == "bfloat16":
        array = np.frombuffer(buffer, "<i2", count, skip).reshape(shape)
        if torch is None:
            raise IsolatedNodeError({"code": "bad-output", "message": "a bfloat16 output needs torch in the host"})
        return torch.from_numpy(array).view(torch.bfloat16)
    array = np.frombuffer(buffer, NUMPY_DTYPE[dtype], count, skip).reshape(shape)
    if torch is not None and torch_lacks(torch, dtype) is not None:
        raise IsolatedNodeError({"code": "bad-output", "message": torch_lacks(torch, dtype)})
    return torch.from_numpy(array) if torch is not None else array


_TORCH = []


def _torch():
    """torch when the host has it (imported once), else None: results are then numpy arrays."""
    if not _TORCH:
        try:
            import torch
        except ImportError:
            torch = None
        _TORCH.append(torch)
    return _TORCH[0]


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass
