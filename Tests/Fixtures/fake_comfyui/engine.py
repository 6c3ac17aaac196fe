"""Queue, execution and WebSocket message routing (validation lives in validation.py).

Mirrors ComfyUI's execution.py (PromptExecutor, PromptQueue),
main.py (prompt_worker, the progress hook) and the message side of server.py (send_sync,
queue_updated, socket registry), as in ComfyUI's execution.py and server.py.
"""

import copy
import heapq
import itertools
import json
import logging
import os
import queue
import struct
import sys
import threading
import time
import traceback
import uuid

from validation import full_type_name, get_input_info, is_link, node_order

log = logging.getLogger("fake_comfyui")

MAXIMUM_HISTORY_SIZE = 10000
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")
PREVIEW_IMAGE, UNENCODED_PREVIEW_IMAGE, TEXT, PREVIEW_IMAGE_WITH_METADATA = 1, 2, 3, 4


class InterruptProcessingException(Exception):
    pass


InterruptProcessingException.__module__ = "comfy.model_management"


def now_ms():
    return int(time.time() * 1000)


def format_value(x):
    if x is None or isinstance(x, (int, float, bool, str)):
        return x
    return str(x)


# ---------------------------------------------------------------- message hub (server.py)

class Hub:
    """Sockets by sid, the per-prompt routing state, and the one thread that sends frames."""

    def __init__(self, max_upload_size):
        self.lock = threading.RLock()
        self.sockets, self.sockets_metadata = {}, {}
        self.connections = set()  # every open socket, also ones replaced under the same sid
        self.client_id = self.last_node_id = self.last_prompt_id = None
        self.messages = queue.Queue()
        self.prompt_queue = None
        self.features = {"supports_preview_metadata": True, "max_upload_size": max_upload_size}

    def send_sync(self, event, data, sid=None):
        self.messages.put((event, data, sid))

    def queue_info(self):
        return {"exec_info": {"queue_remaining": self.prompt_queue.get_tasks_remaining()}}

    def queue_updated(self):
        self.send_sync("status", {"status": self.queue_info()})

    def send_progress_text(self, text, node_id, sid=None):
        node = str(node_id).encode("utf-8")
        self.send_sync(TEXT, struct.pack(">I", len(node)) + node + text.encode("utf-8"), sid)

    def supports_feature(self, sid, name):
        meta = self.sockets_metadata.get(sid)
        return meta is not None and meta.get("feature_flags", {}).get(name, False) is True

    @staticmethod
    def encode(event, data):
        """(is_binary, payload) for one message, as server.send() builds it."""
        if event == UNENCODED_PREVIEW_IMAGE:
            image_type, image = data[0], data[1]
            fmt = 2 if image_type == "PNG" else 1
            return True, struct.pack(">II", PREVIEW_IMAGE, fmt) + image
        if event == PREVIEW_IMAGE_WITH_METADATA:
            (image_type, image, _), metadata = data
            metadata = dict(metadata, image_type="image/png" if image_type == "PNG" else "image/jpeg")
            meta = json.dumps(metadata).encode("utf-8")
            return True, struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(meta)) + meta + image
        if isinstance(data, (bytes, bytearray)):
            return True, struct.pack(">I", event) + bytes(data)
        return False, json.dumps({"type": event, "data": data}).encode("utf-8")

    def publish_loop(self):
        while True:
            event, data, sid = self.messages.get()
            try:
                binary, payload = self.encode(event, data)
                with self.lock:
                    if sid is None:
                        targets = list(self.sockets.values())
                    else:
                        targets = [self.sockets[sid]] if sid in self.sockets else []
                for ws in targets:
                    try:
                        ws.send_message(payload, binary)
                    except OSError as ex:
                        log.warning("send error: %s", ex)
            except Exception:
                log.exception("publish failed for %r", event)
            finally:
                self.messages.task_done()

    def drain(self, timeout):
        deadline = time.monotonic() + timeout
        while self.messages.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    # server.py websocket_handler, split around the socket reading loop in wire.py
    def ws_open(self, ws, sid):
        with self.lock:
            if sid:
                self.sockets.pop(sid, None)  # the old socket is dropped, not closed
            else:
                sid = uuid.uuid4().hex
            self.sockets[sid] = ws
            self.sockets_metadata[sid] = {"feature_flags": {}}
            self.connections.add(ws)
            ws.send_message(json.dumps({"type": "status", "data": {"status": self.queue_info(),
                                                                   "sid": sid}}).encode(), False)
            if self.client_id == sid and self.last_node_id is not None:
                ws.send_message(json.dumps({"type": "executing",
                                            "data": {"node": self.last_node_id}}).encode(), False)
        return sid

    def ws_text(self, sid, text, first):
        """Handle one client text message; returns whether the next one still counts as first."""
        try:
            data = json.loads(text)
            if first and data.get("type") == "feature_flags":
                with self.lock:
                    if sid in self.sockets_metadata:
                        self.sockets_metadata[sid]["feature_flags"] = data.get("data", {})
                self.send_sync("feature_flags", dict(self.features), sid)
            return False
        except Exception as ex:
            log.warning("bad WebSocket message from %s: %s", sid, ex)
            return first

    def ws_closed(self, sid, ws):
        with self.lock:  # pops by sid, so it can remove a newer socket with the same id (as ComfyUI does)
            self.connections.discard(ws)
            if sid is not None:
                self.sockets.pop(sid, None)
                self.sockets_metadata.pop(sid, None)

    def close_all(self, code=1001):
        with self.lock:
            connections = list(self.connections)
        for ws in connections:
            ws.close(code)


# ---------------------------------------------------------------- PromptQueue (execution.py)

class PromptQueue:
    def __init__(self, hub):
        self.hub = hub
        hub.prompt_queue = self
        self.mutex = threading.RLock()
        self.not_empty = threading.Condition(self.mutex)
        self.task_counter = 0
        self.queue, self.currently_running, self.history = [], {}, {}

    def put(self, item):
        with self.mutex:
            heapq.heappush(self.queue, item)
            self.hub.queue_updated()
            self.not_empty.notify()

    def get(self):
        with self.not_empty:
            while not self.queue:
                self.not_empty.wait()
            item = heapq.heappop(self.queue)
            i = self.task_counter
            self.currently_running[i] = copy.deepcopy(item)
            self.task_counter += 1
            self.hub.queue_updated()
            return item, i

    def task_done(self, item_id, history_result, status):
        with self.mutex:
            prompt = self.currently_running.pop(item_id)
            if len(self.history) > MAXIMUM_HISTORY_SIZE:
                self.history.pop(next(iter(self.history)))
            self.history[prompt[1]] = {"prompt": prompt, "outputs": {}, "status": copy.deepcopy(status)}
            self.history[prompt[1]].update(history_result)
            self.hub.queue_updated()

    def get_current_queue(self):
        with self.mutex:
            return list(self.currently_running.values()), copy.deepcopy(self.queue)

    def get_tasks_remaining(self):
        with self.mutex:
            return len(self.queue) + len(self.currently_running)

    def wipe_queue(self):
        with self.mutex:
            self.queue = []
            self.hub.queue_updated()

    def delete_queue_item(self, function):
        with self.mutex:
            for x in range(len(self.queue)):
                if function(self.queue[x]):
                    if len(self.queue) == 1:
                        self.wipe_queue()
                    else:
                        self.queue.pop(x)
                        heapq.heapify(self.queue)
                    self.hub.queue_updated()
                    return True
        return False

    def get_history(self, prompt_id=None, max_items=None, offset=-1):
        with self.mutex:
            if prompt_id is None:
                out, i = {}, 0
                if offset < 0 and max_items is not None:
                    offset = len(self.history) - max_items
                for k in self.history:
                    if i >= offset:
                        out[k] = self.history[k]
                        if max_items is not None and len(out) >= max_items:
                            break
                    i += 1
                return copy.deepcopy(out)
            if prompt_id in self.history:
                return {prompt_id: copy.deepcopy(self.history[prompt_id])}
            return {}

    def wipe_history(self):
        with self.mutex:
            self.history = {}

    def delete_history_item(self, id_to_delete):
        with self.mutex:
            self.history.pop(id_to_delete, None)


# ---------------------------------------------------------------- execution

class NodeContext:
    """What a running node may call: progress bar, progress text, metadata switch, vanish."""

    def __init__(self, executor, node_id):
        self.executor, self.node_id = executor, node_id
        self.disable_metadata = executor.disable_metadata

    def progress(self, value, total, preview=None):
        self.executor.progress_hook(value, total, preview, self.node_id)

    def send_progress_text(self, text, node_id):
        self.executor.hub.send_progress_text(text, node_id)

    def vanish(self, code):
        log.warning("FakeVanish: exiting hard with status %d", code)
        self.executor.hub.drain(2.0)
        os._exit(code)


class Progress:
    """comfy_execution.progress: ProgressRegistry with the WebUI handler."""

    def __init__(self, hub, prompt_id):
        self.hub, self.prompt_id, self.nodes = hub, prompt_id, {}

    def _entry(self, nid):
        return self.nodes.setdefault(nid, {"state": "pending", "value": 0, "max": 1})

    def _send(self):
        active = {nid: {"value": s["value"], "max": s["max"], "state": s["state"], "node_id": nid,
                        "prompt_id": self.prompt_id, "display_node_id": nid, "parent_node_id": None,
                        "real_node_id": nid}
                  for nid, s in self.nodes.items() if s["state"] != "pending"}
        # The source sends progress_state without a sid, that is to every socket.
        self.hub.send_sync("progress_state", {"prompt_id": self.prompt_id, "nodes": active})

    def start(self, nid):
        self._entry(nid).update(state="running", value=0.0, max=1.0)
        self._send()

    def update(self, nid, value, max_value, image):
        self._entry(nid).update(state="running", value=value, max=max_value)
        self._send()
        if image and self.hub.supports_feature(self.hub.client_id, "supports_preview_metadata"):
            metadata = {"node_id": nid, "prompt_id": self.prompt_id, "display_node_id": nid,
                        "parent_node_id": None, "real_node_id": nid}
            self.hub.send_sync(PREVIEW_IMAGE_WITH_METADATA, (image, metadata), self.hub.client_id)

    def finish(self, nid):
        entry = self._entry(nid)
        entry.update(state="finished", value=entry["max"])
        self._send()


class PromptExecutor:
    def __init__(self, hub, classes, exec_delay=0.0, disable_metadata=False, prompt_delay=0.0):
        self.hub, self.classes = hub, classes
        self.exec_delay, self.disable_metadata = exec_delay, disable_metadata
        self.prompt_delay = prompt_delay
        self.interrupted = threading.Event()
        self.cache = {}      # input signature -> {"outputs": tuple, "ui": {"meta", "output"} | None}
        self.objects = {}    # node id -> node instance (caches.objects)
        self.status_messages, self.success, self.history_result = [], True, {}
        self.progress = None
        self._nan = itertools.count()

    # -- interrupt and progress
    def interrupt_processing(self, value=True):
        if value:
            self.interrupted.set()
        else:
            self.interrupted.clear()

    def check_interrupt(self):
        if self.interrupted.is_set():
            self.interrupted.clear()
            raise InterruptProcessingException()

    def progress_hook(self, value, total, preview, node_id):
        self.check_interrupt()
        if preview is not None:
            preview = (preview[0], preview[1], None)
        self.progress.update(node_id, value, total, preview)
        hub = self.hub
        hub.send_sync("progress", {"value": value, "max": total, "prompt_id": self.progress.prompt_id,
                                   "node": node_id}, hub.client_id)
        if preview is not None and not hub.supports_feature(hub.client_id, "supports_preview_metadata"):
            hub.send_sync(UNENCODED_PREVIEW_IMAGE, preview, hub.client_id)

    def add_message(self, event, data, broadcast):
        data = dict(data, timestamp=now_ms())
        self.status_messages.append((event, data))
        if self.hub.client_id is not None or broadcast:
            self.hub.send_sync(event, data, self.hub.client_id)

    # -- caching
    def signatures(self, prompt):
        """Input signature per node (class, is_changed, inputs with upstream signatures)."""
        memo = {}

        def is_changed(nid, node, cls):
            if not hasattr(cls, "IS_CHANGED"):
                return False
            if "is_changed" not in node:
                spec = cls.INPUT_TYPES()
                consts = {k: v for k, v in node["inputs"].items()
                          if not is_link(v) and get_input_info(spec, k)[1] is not None}
                try:
                    node["is_changed"] = [cls.IS_CHANGED(**consts)]
                except Exception as ex:
                    log.warning("WARNING: %s", ex)
                    node["is_changed"] = float("NaN")
            value = node["is_changed"]
            if isinstance(value, float) and value != value:
                return ["NaN", next(self._nan)]  # NaN never equals itself: never cached
            return value

        def sig(nid, seen=()):
            if nid in memo:
                return memo[nid]
            node = prompt.get(nid)
            if not isinstance(node, dict) or nid in seen or node.get("class_type") not in self.classes:
                return ["missing", nid]
            inputs = {}
            for k, v in sorted(node.get("inputs", {}).items()):
                inputs[k] = ["link", sig(v[0], seen + (nid,)), v[1]] if is_link(v) else v
            memo[nid] = json.dumps([node["class_type"], is_changed(nid, node, self.classes[node["class_type"]]),
                                    inputs], sort_keys=True, default=str)
            return memo[nid]

        return {nid: sig(nid) for nid in prompt}

    # -- the run
    def execute(self, prompt, prompt_id, extra_data, execute_outputs):
        self.interrupt_processing(False)
        self.hub.client_id = extra_data.get("client_id")
        self.status_messages, self.success = [], True
        self.add_message("execution_start", {"prompt_id": prompt_id}, broadcast=False)
        self.progress = Progress(self.hub, prompt_id)
        sigs = self.signatures(prompt)
        live = set(sigs.values())
        self.cache = {k: v for k, v in self.cache.items() if k in live}
        cached_nodes = [nid for nid in prompt if sigs[nid] in self.cache]
        self.add_message("execution_cached", {"nodes": cached_nodes, "prompt_id": prompt_id}, broadcast=False)
        if self.prompt_delay and len(cached_nodes) < len(prompt):
            time.sleep(self.prompt_delay)  # --prompt-delay: one stand-in for GPU time per prompt

        run = {"prompt": prompt, "prompt_id": prompt_id, "extra_data": extra_data, "sigs": sigs,
               "results": {nid: self.cache[sigs[nid]]["outputs"] for nid in cached_nodes},
               "executed": [], "ui": {}, "meta": {}}
        current_outputs = list(prompt)
        staged, deps, blocking = self.stage(prompt, execute_outputs, sigs)
        done = set()
        while len(done) < len(staged):
            available = [n for n in staged if n not in done and deps[n] <= done]
            nid = self.pick(prompt, available, blocking)
            ok, error, ex = self.execute_node(run, nid)
            if not ok:
                self.success = False
                self.handle_execution_error(prompt_id, prompt, current_outputs, run["executed"], error, ex)
                break
            done.add(nid)
        else:
            self.add_message("execution_success", {"prompt_id": prompt_id}, broadcast=False)
        self.history_result = {"outputs": run["ui"], "meta": run["meta"]}
        self.hub.last_node_id = None

    def stage(self, prompt, execute_outputs, sigs):
        """ExecutionList.add_node for each output: uncached ancestors, in insertion order."""
        staged, deps, blocking = [], {}, {}
        for output in sorted(execute_outputs, key=node_order):
            stack = [output]
            while stack:
                nid = stack.pop()
                if nid in deps:
                    continue
                deps[nid] = set()
                blocking.setdefault(nid, set())
                staged.append(nid)
                for value in prompt[nid]["inputs"].values():
                    if is_link(value) and sigs.get(value[0]) not in self.cache:
                        stack.append(value[0])
                        deps[nid].add(value[0])
                        blocking.setdefault(value[0], set()).add(nid)
        return staged, deps, blocking

    def pick(self, prompt, available, blocking):
        """ExecutionList.ux_friendly_pick_node: outputs first, then what feeds an output."""
        def is_output(nid):
            return getattr(self.classes[prompt[nid]["class_type"]], "OUTPUT_NODE", False) is True

        for test in (is_output,
                     lambda n: any(is_output(b) for b in blocking[n]),
                     lambda n: any(is_output(c) for b in blocking[n] for c in blocking.get(b, ()))):
            for nid in available:
                if test(nid):
                    return nid
        return available[0]

    def get_input_data(self, run, nid, cls):
        spec = cls.INPUT_TYPES()
        data = {}
        for name, value in run["prompt"][nid]["inputs"].items():
            if get_input_info(spec, name)[1] is None:
                continue
            if is_link(value):
                if value[0] in run["results"]:
                    data[name] = [run["results"][value[0]][int(value[1])]]
            else:
                data[name] = [value]
        for name, kind in spec.get("hidden", {}).items():
            if kind == "PROMPT":
                data[name] = [run["prompt"]]
            elif kind == "EXTRA_PNGINFO":
                data[name] = [run["extra_data"].get("extra_pnginfo", None)]
            elif kind == "UNIQUE_ID":
                data[name] = [nid]
        return data

    def execute_node(self, run, nid):
        hub, prompt_id = self.hub, run["prompt_id"]
        cls = self.classes[run["prompt"][nid]["class_type"]]
        sig = run["sigs"][nid]
        if sig in self.cache:
            entry = self.cache[sig]
            run["results"][nid] = entry["outputs"]
            ui = entry["ui"]
            if hub.client_id is not None:
                hub.send_sync("executed", {"node": nid, "display_node": nid,
                                           "output": ui["output"] if ui else None, "prompt_id": prompt_id},
                              hub.client_id)
            if ui:
                run["ui"][nid], run["meta"][nid] = ui["output"], ui["meta"]
            self.progress.finish(nid)
            return True, None, None

        input_data_all = None
        try:
            self.progress.start(nid)
            input_data_all = self.get_input_data(run, nid, cls)
            if hub.client_id is not None:
                hub.last_node_id = nid
                hub.send_sync("executing", {"node": nid, "display_node": nid, "prompt_id": prompt_id},
                              hub.client_id)
            obj = self.objects.get(nid)
            if type(obj) is not cls:
                obj = self.objects[nid] = cls()
            obj.ctx = NodeContext(self, nid)
            self.check_interrupt()  # nodes.before_node_execution()
            if self.exec_delay:
                time.sleep(self.exec_delay)
            ret = getattr(obj, cls.FUNCTION)(**{k: v[0] for k, v in input_data_all.items()})
            if isinstance(ret, dict):
                outputs = tuple(ret.get("result", ()))
                output_ui = {k: list(v) for k, v in (ret.get("ui") or {}).items()}
            else:
                outputs, output_ui = tuple(ret), {}
            ui = None
            if output_ui:
                ui = {"meta": {"node_id": nid, "display_node": nid, "parent_node": None, "real_node_id": nid},
                      "output": output_ui}
                run["ui"][nid], run["meta"][nid] = output_ui, ui["meta"]
                if hub.client_id is not None:
                    hub.send_sync("executed", {"node": nid, "display_node": nid, "output": output_ui,
                                               "prompt_id": prompt_id}, hub.client_id)
            self.cache[sig] = {"outputs": outputs, "ui": ui}
            run["results"][nid] = outputs
        except InterruptProcessingException as iex:
            log.info("Processing interrupted")
            return False, {"node_id": nid}, iex
        except Exception as ex:
            typ, _, tb = sys.exc_info()
            log.error("!!! Exception during processing !!! %s", ex)
            formatted = {name: [format_value(x) for x in values]
                         for name, values in (input_data_all or {}).items()}
            return False, {"node_id": nid, "exception_message": "{}\n{}".format(ex, ""),
                           "exception_type": full_type_name(typ), "traceback": traceback.format_tb(tb),
                           "current_inputs": formatted}, ex
        self.progress.finish(nid)
        run["executed"].append(nid)
        return True, None, None

    def handle_execution_error(self, prompt_id, prompt, current_outputs, executed, error, ex):
        node_id = error["node_id"]
        mes = {"prompt_id": prompt_id, "node_id": node_id, "node_type": prompt[node_id]["class_type"],
               "executed": list(executed)}
        if isinstance(ex, InterruptProcessingException):
            self.add_message("execution_interrupted", mes, broadcast=True)
        else:
            mes.update(exception_message=error["exception_message"], exception_type=error["exception_type"],
                       traceback=error["traceback"], current_inputs=error["current_inputs"],
                       current_outputs=list(current_outputs))
            self.add_message("execution_error", mes, broadcast=False)


def prompt_worker(prompt_queue, hub, executor):
    """main.py prompt_worker: execute, write history, then executing{node: null}."""
    while True:
        item, item_id = prompt_queue.get()
        prompt_id = item[1]
        hub.last_prompt_id = prompt_id
        started = time.perf_counter()
        try:
            executor.execute(item[2], prompt_id, dict(item[3]), item[4])
        except Exception:  # a bug in the fake; record it rather than hang the queue
            log.exception("executor crashed")
            executor.success, executor.history_result = False, {"outputs": {}, "meta": {}}
        prompt_queue.task_done(item_id, executor.history_result, {
            "status_str": "success" if executor.success else "error",
            "completed": executor.success, "messages": executor.status_messages})
        if hub.client_id is not None:
            hub.send_sync("executing", {"node": None, "prompt_id": prompt_id}, hub.client_id)
        log.info("Prompt executed in %.2f seconds", time.perf_counter() - started)
