"""The HTTP routes of the fake server, following ComfyUI's server.py (README.md).

Every route is also served under /api (including /ws). The 0.38 jobs routes are declared with
/api already in the path, so they exist as /api/jobs… and /api/api/jobs…, never /jobs.
"""

import email.utils
import hashlib
import ipaddress
import json
import logging
import mimetypes
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid

import engine
import media
import nodes
import validation
from wire import TEXT_500, UPGRADED, FileField, HTTPError, Response, Router, WebSocket, json_response, text_response

log = logging.getLogger("fake_comfyui")

FORCED_DOWNLOAD = {"text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css"}
KNOWN_TYPES = {".png": "image/png", ".webp": "image/webp", ".mp4": "video/mp4", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".json": "application/json", ".txt": "text/plain"}
INDEX_HTML = b"<!DOCTYPE html><html><head><title>ComfyUI</title></head><body>fake_comfyui</body></html>"


def is_loopback(host):
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"  # no DNS lookups in the fake


def origin_forbidden(headers):
    """server.py create_origin_only_middleware: 403 when Host is loopback and Origin differs."""
    if "Host" not in headers or "Origin" not in headers:
        return False
    host_domain = headers["Host"].lower()
    parsed = urllib.parse.urlparse(headers["Origin"])
    origin_domain = parsed.netloc.lower()
    host_parsed = urllib.parse.urlsplit("//" + host_domain)
    loopback = is_loopback(host_parsed.hostname)
    if parsed.port is None:
        host_domain = host_parsed.hostname
    if host_parsed.port is None:
        origin_domain = parsed.hostname
    return bool(loopback and host_domain and origin_domain and host_domain != origin_domain)


def canonical_uuid(value):
    try:
        return str(uuid.UUID(value)) == value
    except Exception:
        return False


def read_meminfo():
    info = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    total = info.get("MemTotal", 17179869184)
    return total, info.get("MemAvailable", total // 2)


class App:
    def __init__(self, opts, hub, prompt_queue, executor, classes, folders):
        self.opts, self.hub, self.queue, self.executor = opts, hub, prompt_queue, executor
        self.classes, self.folders = classes, folders
        self.v038 = opts.version.startswith("0.38")
        self.max_body = round(opts.max_upload_size * 1024 * 1024)
        self.number, self.number_lock = 0, threading.Lock()
        self.faults, self.faults_lock = [], threading.Lock()  # test-only, set by POST /fake/fault
        r = self.router = Router()
        for method, path, handler in (
                ("GET", "/", self.index), ("GET", "/ws", self.websocket),
                ("GET", "/features", self.features), ("GET", "/system_stats", self.system_stats),
                ("GET", "/prompt", self.get_prompt), ("POST", "/prompt", self.post_prompt),
                ("GET", "/queue", self.get_queue), ("POST", "/queue", self.post_queue),
                ("POST", "/interrupt", self.post_interrupt), ("POST", "/free", self.post_free),
                ("GET", "/history", self.get_history), ("GET", "/history/{prompt_id}", self.get_history_id),
                ("POST", "/history", self.post_history), ("GET", "/view", self.view_image),
                ("POST", "/upload/image", self.upload_image), ("POST", "/upload/mask", self.upload_mask),
                ("GET", "/object_info", self.object_info), ("GET", "/object_info/{node_class}", self.object_info_one),
                ("GET", "/embeddings", self.empty_list), ("GET", "/extensions", self.empty_list),
                ("POST", "/fake/vanish", self.fake_vanish), ("POST", "/fake/fault", self.fake_fault)):
            r.add(method, path, handler)
        if self.v038:
            r.add("GET", "/api/jobs", self.jobs_list)
            r.add("GET", "/api/jobs/{job_id}", self.job_get)
            r.add("POST", "/api/jobs/cancel", self.jobs_cancel)
            r.add("POST", "/api/jobs/{job_id}/cancel", self.job_cancel)

    def handle(self, request):
        if origin_forbidden(request.headers):
            log.warning("WARNING: request with non matching host and origin, returning 403")
            return Response(403)
        handler, request.match_info = self.router.resolve(request.method, request.path)
        fault = self.take_fault(request)
        if fault is None:
            return handler(request)
        mode = fault["mode"]
        log.info("fault %s on %s %s", mode, request.method, request.path)
        if mode == "stall":
            time.sleep(float(fault.get("seconds", 5)))
            return handler(request)
        if mode == "drop-after":
            handler(request)  # the request takes effect, the answer is lost
        if mode in ("drop", "drop-after"):
            request.drain()
            request.handler.close_connection = True
            return UPGRADED  # the connection closes without a reply
        request.drain()
        if mode == "500":
            return text_response(500, TEXT_500)
        return Response(200, b"<html><body>Bad Gateway?</body></html>", "text/html")  # "garbage"

    def take_fault(self, request):
        """The first armed fault for this request's `METHOD /path` (an /api prefix is ignored)."""
        path = request.path[4:] if request.path.startswith("/api/") else request.path
        with self.faults_lock:
            for fault in self.faults:
                if fault["route"] == f"{request.method} {path}" and fault["times"] > 0:
                    fault["times"] -= 1
                    return fault
        return None

    def fake_fault(self, request):
        """Test-only: arm a fault. Body {"route": "POST /prompt", "mode": "500"|"garbage"|"drop"|
        "drop-after"|"stall", "times"?: 1, "seconds"?: 5}; {"clear": true} disarms all."""
        data = request.json()
        with self.faults_lock:
            if data.get("clear"):
                self.faults.clear()
            if "route" in data:
                if data.get("mode") not in ("500", "garbage", "drop", "drop-after", "stall"):
                    return Response(400)
                self.faults.append({"route": data["route"], "mode": data["mode"], "times": int(data.get("times", 1)),
                                    "seconds": data.get("seconds", 5)})
        return Response(200)

    # ------------------------------------------------------------ misc
    def index(self, request):
        return Response(200, INDEX_HTML, "text/html")

    def empty_list(self, request):
        return json_response([])

    def features(self, request):
        return json_response(self.hub.features)

    def system_stats(self, request):
        total, free = read_meminfo()
        os_name = {"nt": "win32", "posix": "linux"}[self.opts.os] if self.v038 else self.opts.os
        system = {"os": os_name, "ram_total": total, "ram_free": free, "comfyui_version": self.opts.version,
                  "required_frontend_version": "1.27.10", "installed_templates_version": None,
                  "required_templates_version": "0.1.95", "python_version": sys.version,
                  "pytorch_version": "2.15.0+cu132", "embedded_python": False, "argv": sys.argv}
        if self.v038:
            system["comfy_package_versions"] = {}
            system["deploy_environment"] = "local"
        device = {"name": "cpu", "type": "cpu", "index": None, "vram_total": total, "vram_free": free,
                  "torch_vram_total": total, "torch_vram_free": free}
        return json_response({"system": system, "devices": [device]})

    def object_info(self, request):
        return json_response({name: nodes.node_info(name, cls) for name, cls in self.classes.items()})

    def object_info_one(self, request):
        name = request.match_info["node_class"]
        cls = self.classes.get(name)
        return json_response({name: nodes.node_info(name, cls)} if cls else {})

    def fake_vanish(self, request):
        """Test-only: reply 200, then exit hard (no WebSocket close, no cleanup)."""
        code = int(request.query.get("code", "1"))
        threading.Timer(0.05, os._exit, (code,)).start()
        return Response(200)

    # ------------------------------------------------------------ WebSocket
    def websocket(self, request):
        ws = WebSocket.handshake(request.handler)
        if isinstance(ws, Response):
            return ws
        sid = None
        try:
            sid = self.hub.ws_open(ws, request.query.get("clientId", ""))
            first = True
            for opcode, payload in ws.messages():
                if opcode == 0x1:
                    first = self.hub.ws_text(sid, payload.decode("utf-8"), first)
        except OSError as ex:
            log.info("WebSocket %s ended: %s", sid, ex)
        finally:
            self.hub.ws_closed(sid, ws)
        return UPGRADED

    # ------------------------------------------------------------ prompt and queue
    def get_prompt(self, request):
        return json_response(self.hub.queue_info())

    def post_prompt(self, request):
        log.info("got prompt")
        json_data = request.json()
        with self.number_lock:
            if "number" in json_data:
                number = float(json_data["number"])
            else:
                number = self.number
                if "front" in json_data and json_data["front"]:
                    number = -number
                self.number += 1

        if "prompt" not in json_data:
            error = {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided",
                     "extra_info": {}}
            return json_response({"error": error, "node_errors": {}}, status=400)

        prompt = json_data["prompt"]
        if self.v038:
            prompt_id = json_data.get("prompt_id")
            if prompt_id is None:
                prompt_id = str(uuid.uuid4())
            elif not canonical_uuid(prompt_id):
                error = {"type": "invalid_prompt_id", "message": "prompt_id must be a valid UUID",
                         "details": "prompt_id must be a UUID string in canonical lowercase hyphenated form; "
                                    "omit it to let the server generate one", "extra_info": {}}
                return json_response({"error": error, "node_errors": {}}, status=400)
        else:
            prompt_id = str(json_data.get("prompt_id", uuid.uuid4()))
        partial = json_data["partial_execution_targets"] if "partial_execution_targets" in json_data else None

        valid = validation.validate_prompt(self.classes, prompt, partial, "0.38" if self.v038 else "0.3.64")
        extra_data = json_data["extra_data"] if "extra_data" in json_data else {}
        if "client_id" in json_data:
            extra_data["client_id"] = json_data["client_id"]
        if not valid[0]:
            log.warning("invalid prompt: %s", valid[1])
            return json_response({"error": valid[1], "node_errors": valid[3]}, status=400)
        for key in engine.SENSITIVE_EXTRA_DATA_KEYS:
            extra_data.pop(key, None)
        if self.v038:
            extra_data["create_time"] = engine.now_ms()
            if "Comfy-Usage-Source" in request.headers:
                extra_data["comfy_usage_source"] = request.headers["Comfy-Usage-Source"]
        self.queue.put((number, prompt_id, prompt, extra_data, valid[2]))
        return json_response({"prompt_id": prompt_id, "number": number, "node_errors": valid[3]})

    def get_queue(self, request):
        running, pending = self.queue.get_current_queue()
        return json_response({"queue_running": running, "queue_pending": pending})

    def post_queue(self, request):
        json_data = request.json()
        if "clear" in json_data and json_data["clear"]:
            self.queue.wipe_queue()
        if "delete" in json_data:
            for id_to_delete in json_data["delete"]:
                self.queue.delete_queue_item(lambda a, i=id_to_delete: a[1] == i)
        return Response(200)

    def interrupt_if_running(self, prompt_id):
        running, _ = self.queue.get_current_queue()
        if any(item[1] == prompt_id for item in running):
            log.info("Interrupting prompt %s", prompt_id)
            self.executor.interrupt_processing()
            return True
        log.info("Prompt %s is not currently running, skipping interrupt", prompt_id)
        return False

    def post_interrupt(self, request):
        try:
            json_data = request.json()
        except json.JSONDecodeError:
            json_data = {}
        prompt_id = json_data.get("prompt_id")
        if prompt_id:
            self.interrupt_if_running(prompt_id)
        else:
            log.info("Global interrupt (no prompt_id specified)")
            self.executor.interrupt_processing()
        return Response(200)

    def post_free(self, request):
        json_data = request.json()  # the flags only matter to a real model cache
        log.info("free: unload_models=%s free_memory=%s", json_data.get("unload_models", False),
                 json_data.get("free_memory", False))
        return Response(200)

    # ------------------------------------------------------------ history
    def get_history(self, request):
        max_items = request.query.get("max_items")
        if max_items is not None:
            max_items = int(max_items)
        offset = request.query.get("offset")
        offset = int(offset) if offset is not None else -1
        return json_response(self.queue.get_history(max_items=max_items, offset=offset))

    def get_history_id(self, request):
        return json_response(self.queue.get_history(prompt_id=request.match_info["prompt_id"]))

    def post_history(self, request):
        json_data = request.json()
        if "clear" in json_data and json_data["clear"]:
            self.queue.wipe_history()
        if "delete" in json_data:
            for id_to_delete in json_data["delete"]:
                self.queue.delete_history_item(id_to_delete)
        return Response(200)

    # ------------------------------------------------------------ /view
    def view_image(self, request):
        query = request.query
        if "filename" not in query:
            return Response(404)
        filename, output_dir = nodes.annotated_filepath(query["filename"])
        if not filename:
            return Response(400)
        if filename[0] == "/" or ".." in filename:
            return Response(400)
        if output_dir is None:
            output_dir = self.folders.by_type(query.get("type", "output"))
        if output_dir is None:
            return Response(400)
        if "subfolder" in query:
            full_output_dir = os.path.join(output_dir, query["subfolder"])
            if os.path.commonpath((os.path.abspath(full_output_dir), output_dir)) != output_dir:
                return Response(403)
            output_dir = full_output_dir
        filename = os.path.basename(filename)
        file = os.path.join(output_dir, filename)
        if not os.path.isfile(file):
            return Response(404)
        disposition = ("Content-Disposition", f'filename="{filename}"')
        channel = query.get("channel", "rgba")
        if channel in ("rgb", "a") and "preview" not in query:
            with open(file, "rb") as f:
                w, h, channels, pixels = media.decode_png(f.read())
            rgb, alpha = media.to_rgb_and_alpha(w, h, channels, pixels)
            if channel == "rgb":
                body = media.encode_png(w, h, rgb, 3)
            else:
                body = media.encode_png(w, h, media.merge_rgba(bytes(3 * w * h), alpha or b"\xff" * (w * h)), 4)
            return Response(200, body, "image/png", [disposition])
        ext = os.path.splitext(filename)[1].lower()
        content_type = KNOWN_TYPES.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if content_type in FORCED_DOWNLOAD:
            content_type = "application/octet-stream"
        return file_response(request, file, content_type, [disposition])

    # ------------------------------------------------------------ uploads
    def image_upload(self, post, save_function=None):
        image = post.get("image")
        overwrite = post.get("overwrite")
        upload_type = post.get("type") or "input"
        if upload_type not in ("input", "temp", "output"):
            raise UnboundLocalError("cannot access local variable 'type_dir'")  # what ComfyUI does: 500
        upload_dir = self.folders.by_type(upload_type)
        if not isinstance(image, FileField) or not image.filename:
            return Response(400)
        filename = image.filename
        subfolder = post.get("subfolder", "")
        full_output_folder = os.path.join(upload_dir, os.path.normpath(subfolder))
        filepath = os.path.abspath(os.path.join(full_output_folder, filename))
        if os.path.commonpath((upload_dir, filepath)) != upload_dir:
            return Response(400)
        os.makedirs(full_output_folder, exist_ok=True)
        data = image.file.read()
        duplicate = False
        if overwrite not in ("true", "1"):
            stem, ext = os.path.splitext(filename)
            i = 1
            while os.path.exists(filepath):
                with open(filepath, "rb") as f:
                    if hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest():
                        duplicate = True
                        break
                filename = f"{stem} ({i}){ext}"
                filepath = os.path.join(full_output_folder, filename)
                i += 1
        if not duplicate:
            if save_function is not None:
                save_function(data, post, filepath)
            else:
                with open(filepath, "wb") as f:
                    f.write(data)
        return json_response({"name": filename, "subfolder": subfolder, "type": upload_type})

    def upload_image(self, request):
        return self.image_upload(request.post())

    def upload_mask(self, request):
        def save_mask(data, post, filepath):
            original_ref = json.loads(post.get("original_ref"))
            filename, output_dir = nodes.annotated_filepath(original_ref["filename"])
            if not filename or filename[0] == "/" or ".." in filename:
                return
            if output_dir is None:
                output_dir = self.folders.by_type(original_ref.get("type", "output"))
            if output_dir is None:
                return
            if original_ref.get("subfolder", "") != "":
                full = os.path.join(output_dir, original_ref["subfolder"])
                if os.path.commonpath((os.path.abspath(full), output_dir)) != output_dir:
                    return
                output_dir = full
            file = os.path.join(output_dir, filename)
            if not os.path.isfile(file):
                return  # ComfyUI silently writes nothing when the original is missing
            with open(file, "rb") as f:
                ow, oh, oc, opix = media.decode_png(f.read())
            mw, mh, mc, mpix = media.decode_png(data)
            if (ow, oh) != (mw, mh):
                raise ValueError("images do not match")
            rgb, _ = media.to_rgb_and_alpha(ow, oh, oc, opix)
            _, alpha = media.to_rgb_and_alpha(mw, mh, mc, mpix)
            with open(filepath, "wb") as f:
                f.write(media.encode_png(ow, oh, media.merge_rgba(rgb, alpha or b"\xff" * (ow * oh)), 4))

        return self.image_upload(request.post(), save_mask)

    # ------------------------------------------------------------ 0.38 jobs API
    def _job_status(self, entry):
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            if any(m[0] == "execution_interrupted" for m in status.get("messages", [])):
                return "cancelled"
            return "failed"
        return "completed"

    def _history_job(self, prompt_id, entry, detail):
        priority, _, prompt, extra_data, _ = entry["prompt"]
        status = entry.get("status") or {}
        start = end = error = None
        for event, data in status.get("messages", []):
            if event == "execution_start":
                start = data.get("timestamp")
            elif event in ("execution_success", "execution_error", "execution_interrupted"):
                end = data.get("timestamp")
                if event == "execution_error":
                    error = data
        count, previewable, preview, fallback = 0, 0, None, None
        for node_id, node_outputs in entry.get("outputs", {}).items():
            for media_type, items in node_outputs.items():
                if media_type == "animated" or not isinstance(items, list):
                    continue
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    count += 1
                    if media_type not in ("images", "video", "audio"):
                        continue
                    previewable += 1
                    if preview is None:
                        enriched = dict(item, nodeId=node_id, mediaType=media_type)
                        if item.get("type") == "output":
                            preview = enriched
                        elif fallback is None:
                            fallback = enriched
        job = self._prune({"id": prompt_id, "status": self._job_status(entry), "priority": priority,
                           "create_time": extra_data.get("create_time"), "execution_start_time": start,
                           "execution_end_time": end, "execution_error": error, "outputs_count": count,
                           "previewable_outputs_count": previewable,
                           "preview_output": preview or fallback,
                           "workflow_id": ((extra_data.get("extra_pnginfo") or {}).get("workflow") or {}).get("id")})
        if detail:
            job.update(outputs=entry.get("outputs", {}), execution_status=status,
                       workflow={"prompt": prompt, "extra_data": extra_data})
        return job

    @staticmethod
    def _prune(d):
        return {k: v for k, v in d.items() if v is not None}

    def _queue_job(self, item, status):
        extra_data = item[3]
        return self._prune({"id": item[1], "status": status, "priority": item[0],
                            "create_time": extra_data.get("create_time"), "outputs_count": 0,
                            "workflow_id": ((extra_data.get("extra_pnginfo") or {}).get("workflow") or {}).get("id")})

    def job_get(self, request):
        job_id = request.match_info["job_id"]
        history = self.queue.get_history(prompt_id=job_id)
        if job_id in history:
            return json_response(self._history_job(job_id, history[job_id], True))
        running, pending = self.queue.get_current_queue()
        for items, status in ((running, "in_progress"), (pending, "pending")):
            for item in items:
                if item[1] == job_id:
                    return json_response(self._queue_job(item, status))
        return json_response({"error": "Job not found"}, status=404)

    def jobs_list(self, request):
        q = request.query
        statuses = ["pending", "in_progress", "completed", "failed", "cancelled"]
        wanted = [s.strip() for s in q["status"].split(",") if s.strip()] if q.get("status") else statuses
        bad = [s for s in wanted if s not in statuses]
        if bad:
            return json_response({"error": f"Invalid status value(s): {', '.join(bad)}"}, status=400)
        sort_by, sort_order = q.get("sort_by", "created_at"), q.get("sort_order", "desc")
        if sort_by not in ("created_at", "execution_duration"):
            return json_response({"error": "sort_by must be 'created_at' or 'execution_duration'"}, status=400)
        if sort_order not in ("asc", "desc"):
            return json_response({"error": "sort_order must be 'asc' or 'desc'"}, status=400)
        try:
            limit = int(q["limit"]) if q.get("limit") else None
            offset = int(q.get("offset") or 0)
            if (limit is not None and limit <= 0) or offset < 0:
                raise ValueError
        except ValueError:
            return json_response({"error": "limit must be a positive integer and offset non-negative"}, status=400)
        running, pending = self.queue.get_current_queue()
        jobs = [self._queue_job(i, "in_progress") for i in running] + [self._queue_job(i, "pending") for i in pending]
        jobs += [self._history_job(k, v, False) for k, v in self.queue.get_history().items()]
        jobs = [j for j in jobs if j["status"] in wanted]
        if q.get("workflow_id"):
            jobs = [j for j in jobs if j.get("workflow_id") == q["workflow_id"]]
        if sort_by == "execution_duration":
            key = lambda j: (j.get("execution_end_time", 0) - j.get("execution_start_time", 0)
                             if j.get("execution_end_time") and j.get("execution_start_time") else 0)
        else:
            key = lambda j: j.get("create_time", 0)
        jobs.sort(key=key, reverse=sort_order == "desc")
        total = len(jobs)
        jobs = jobs[offset:]
        if limit is not None:
            jobs = jobs[:limit]
        return json_response({"jobs": jobs, "pagination": {"offset": offset, "limit": limit, "total": total,
                                                           "has_more": offset + len(jobs) < total}})

    def _cancel(self, job_id):
        if self.queue.delete_queue_item(lambda a: a[1] == job_id):
            return True
        return self.interrupt_if_running(job_id)

    def job_cancel(self, request):
        return json_response({"cancelled": self._cancel(request.match_info["job_id"])})

    def jobs_cancel(self, request):
        ids = request.json().get("job_ids", [])
        invalid = [i for i in ids if not isinstance(i, str) or not canonical_uuid(i)]
        if invalid:
            return json_response({"error": "job_ids must be UUIDs", "invalid_ids": invalid}, status=400)
        results = [self._cancel(i) for i in ids]
        return json_response({"cancelled": any(results)})


def file_response(request, path, content_type, headers):
    """aiohttp FileResponse: ETag, Last-Modified, Accept-Ranges, single-range 206, 304."""
    st = os.stat(path)
    etag = '"%x-%x"' % (st.st_mtime_ns, st.st_size)
    headers = headers + [("Accept-Ranges", "bytes"), ("ETag", etag),
                         ("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))]
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return Response(304, b"", None, headers)
    with open(path, "rb") as f:
        data = f.read()
    size = len(data)
    spec = request.headers.get("Range")
    if spec:
        m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", spec)
        if not m or not (m.group(1) or m.group(2)):
            raise HTTPError(416, None, [("Content-Range", f"bytes */{size}")])
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or end < start:
            raise HTTPError(416, None, [("Content-Range", f"bytes */{size}")])
        return Response(206, data[start:end + 1], content_type,
                        headers + [("Content-Range", f"bytes {start}-{end}/{size}")])
    return Response(200, data, content_type, headers)
