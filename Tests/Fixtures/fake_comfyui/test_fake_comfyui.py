"""Checks the fake ComfyUI server against ComfyUI's API as README.md describes it, over real HTTP and WebSocket.

Run from this folder: python3 -m unittest
Standard library only; the server runs as a subprocess, the WebSocket client is a raw socket.
"""

import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "fake_comfyui.py")
TEXT_500 = b"500 Internal Server Error\n\nServer got itself in trouble"



def w1(prefix="rq_test/inv", color=16711680):
    """§3 W1 (EmptyImage -> ImageInvert -> SaveImage, batch of 2); a distinct prefix per test
    keeps tests independent of each other and of the cache."""
    return {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 2, "color": color}},
            "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": prefix}}}


def start_server(root, *extra):
    dirs = {name: os.path.join(root, name) for name in ("output", "input", "temp")}
    proc = subprocess.Popen([sys.executable, SERVER, "--port", "0", "--output-dir", dirs["output"],
                             "--input-dir", dirs["input"], "--temp-dir", dirs["temp"], *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        raise RuntimeError("server did not start: %r" % line)
    return proc, int(line.split()[1]), dirs


def png_chunks(data):
    """Independent PNG reader: checks the signature and every CRC, returns [(type, body)]."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, "bad CRC in %r" % kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
    for name, (filename, data) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode(), "multipart/form-data; boundary=" + boundary


class WSClient:
    """A tiny RFC 6455 client: masked frames out, unmasked frames in."""

    def __init__(self, port, client_id=None, path="/ws"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        query = f"?clientId={client_id}" if client_id else ""
        self.sock.sendall((f"GET {path}{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), lines[0]
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                    .digest()).decode()
        assert headers["sec-websocket-accept"] == expected

    def _exact(self, n):
        while len(self.buf) < n:
            got = self.sock.recv(65536)
            if not got:
                raise EOFError("connection closed")
            self.buf += got
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=10):
        self.sock.settimeout(timeout)
        b0, b1 = self._exact(2)
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._exact(8))[0]
        return b0 & 0x0F, self._exact(n)

    def send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        header = struct.pack(">BB", 0x80 | opcode, 0x80 | n) if n < 126 else \
            struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def json(self, timeout=10):
        while True:
            opcode, payload = self.recv(timeout)
            if opcode == 0x1:
                return json.loads(payload)

    def until_done(self, prompt_id, timeout=10):
        """Every message (JSON dicts, or ("binary", bytes)) up to executing{node: null} for prompt_id."""
        out, deadline = [], time.monotonic() + timeout
        while True:
            opcode, payload = self.recv(max(0.1, deadline - time.monotonic()))
            if opcode == 0x2:
                out.append(("binary", payload))
                continue
            msg = json.loads(payload)
            out.append(msg)
            if msg["type"] == "executing" and msg["data"]["node"] is None and \
                    msg["data"]["prompt_id"] == prompt_id:
                return out

    def close(self):
        try:
            self.send(0x8, struct.pack(">H", 1000))
            self.recv(2)
        except Exception:
            pass
        self.sock.close()


class ServerCase(unittest.TestCase):
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="fake_comfyui_test_")
        cls.proc, cls.port, cls.dirs = start_server(cls.root, *cls.extra_args)

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        code = cls.proc.wait(10)
        cls.proc.stdout.close()
        shutil.rmtree(cls.root, ignore_errors=True)
        assert code == 0, "server exit status %r after SIGTERM" % code

    def http(self, method, path, body=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def post_prompt(self, prompt, **fields):
        status, _, body = self.http("POST", "/prompt", dict(fields, prompt=prompt))
        return status, json.loads(body)

    def wait_history(self, prompt_id, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = json.loads(self.http("GET", f"/history/{prompt_id}")[2])
            if entry:
                return entry[prompt_id]
            time.sleep(0.05)
        self.fail("no history for " + prompt_id)

    def wait_running(self, prompt_id, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = json.loads(self.http("GET", "/queue")[2])
            if any(item[1] == prompt_id for item in queue["queue_running"]):
                return
            time.sleep(0.02)
        self.fail("never running: " + prompt_id)


class TestFakeComfyUI(ServerCase):

    def test_queue_events_history_and_view(self):
        ws = WSClient(self.port, "client-w1", path="/api/ws")
        first = ws.json()
        self.assertEqual(first, {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}},
                                                            "sid": "client-w1"}})
        W1 = w1()
        status, reply = self.post_prompt(W1, client_id="client-w1")
        self.assertEqual(status, 200)
        self.assertEqual(list(reply), ["prompt_id", "number", "node_errors"])
        self.assertEqual(reply["node_errors"], {})
        pid = reply["prompt_id"]
        msgs = ws.until_done(pid)
        ws.close()
        kinds = [m["type"] for m in msgs if m["type"] not in ("progress_state", "status")]
        self.assertEqual(kinds, ["execution_start", "execution_cached", "executing", "executing", "executing",
                                 "executed", "execution_success", "executing"])
        executing = [m["data"] for m in msgs if m["type"] == "executing"]
        self.assertEqual(executing[:3], [{"node": n, "display_node": n, "prompt_id": pid} for n in "123"])
        executed = next(m["data"] for m in msgs if m["type"] == "executed")
        images = [{"filename": "inv_00001_.png", "subfolder": "rq_test", "type": "output"},
                  {"filename": "inv_00002_.png", "subfolder": "rq_test", "type": "output"}]
        self.assertEqual(executed, {"node": "3", "display_node": "3", "output": {"images": images},
                                    "prompt_id": pid})
        # status(0) from task_done comes just before executing{node: null}
        self.assertEqual(msgs[-2], {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}})

        entry = self.wait_history(pid)
        self.assertEqual(list(entry), ["prompt", "outputs", "status", "meta"])
        self.assertEqual(entry["prompt"][0], reply["number"])
        self.assertEqual(entry["prompt"][1:], [pid, W1, {"client_id": "client-w1"}, ["3"]])
        self.assertEqual(entry["outputs"], {"3": {"images": images}})
        self.assertEqual(entry["status"]["status_str"], "success")
        self.assertIs(entry["status"]["completed"], True)
        self.assertEqual([m[0] for m in entry["status"]["messages"]],
                         ["execution_start", "execution_cached", "execution_success"])
        self.assertEqual(list(entry["status"]["messages"][1][1]), ["nodes", "prompt_id", "timestamp"])
        self.assertEqual(entry["meta"], {"3": {"node_id": "3", "display_node": "3", "parent_node": None,
                                               "real_node_id": "3"}})

        status, headers, data = self.http("GET", "/view?filename=inv_00001_.png&subfolder=rq_test&type=output")
        self.assertEqual((status, headers["Content-Type"]), (200, "image/png"))
        self.assertEqual(headers["Content-Disposition"], 'filename="inv_00001_.png"')
        chunks = png_chunks(data)
        width, height, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
        self.assertEqual((width, height, depth, color), (64, 64, 8, 2))
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
        self.assertEqual(len(raw), 64 * (1 + 64 * 3))
        self.assertEqual(raw[1:4], b"\x00\xff\xff")  # red inverted is cyan
        texts = dict(body.split(b"\x00", 1) for kind, body in chunks if kind == b"tEXt")
        self.assertEqual(json.loads(texts[b"prompt"]), W1)
        status, headers, part = self.http("GET", "/api/view?filename=inv_00001_.png&subfolder=rq_test",
                                          headers={"Range": "bytes=0-7"})
        self.assertEqual((status, part), (206, data[:8]))

        # the same graph again is served from the cache and names the old files
        status, again = self.post_prompt(W1)
        cached = self.wait_history(again["prompt_id"])
        self.assertEqual(cached["outputs"], {"3": {"images": images}})
        self.assertEqual(cached["status"]["messages"][1][1]["nodes"], ["1", "2", "3"])
        self.assertEqual(again["number"], reply["number"] + 1)

    def test_upload_then_view_and_load(self):
        self.wait_history(self.post_prompt(w1("up/src", 0x123456))[1]["prompt_id"])
        png = self.http("GET", "/view?filename=src_00001_.png&subfolder=up")[2]
        body, ctype = multipart({"subfolder": "jobs/abc", "overwrite": "true"}, {"image": ("in.png", png)})
        status, _, reply = self.http("POST", "/upload/image", body, {"Content-Type": ctype})
        self.assertEqual((status, json.loads(reply)), (200, {"name": "in.png", "subfolder": "jobs/abc",
                                                              "type": "input"}))
        body, ctype = multipart({"subfolder": "jobs/abc"}, {"image": ("in.png", png)})
        self.assertEqual(json.loads(self.http("POST", "/upload/image", body, {"Content-Type": ctype})[2])["name"],
                         "in.png")  # same bytes: same name, nothing written
        body, ctype = multipart({"subfolder": "jobs/abc"}, {"image": ("in.png", b"other bytes")})
        self.assertEqual(json.loads(self.http("POST", "/upload/image", body, {"Content-Type": ctype})[2])["name"],
                         "in (1).png")
        status, _, viewed = self.http("GET", "/view?filename=in.png&subfolder=jobs/abc&type=input")
        self.assertEqual((status, viewed), (200, png))
        body, ctype = multipart({}, {"file": ("x.png", png)})
        self.assertEqual(self.http("POST", "/upload/image", body, {"Content-Type": ctype})[0], 400)

        w2 = {"1": {"class_type": "LoadImage", "inputs": {"image": "jobs/abc/in.png"}},
              "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
              "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "rq_test/loaded"}},
              "4": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
              "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
              "6": {"class_type": "SaveLatent", "inputs": {"samples": ["5", 0], "filename_prefix": "rq_test/lat"}}}
        status, reply = self.post_prompt(w2)
        self.assertEqual(status, 200)
        outputs = self.wait_history(reply["prompt_id"])["outputs"]
        self.assertEqual(outputs["3"], {"images": [{"filename": "loaded_00001_.png", "subfolder": "rq_test",
                                                    "type": "output"}]})
        preview = outputs["4"]["images"][0]
        self.assertRegex(preview["filename"], r"^ComfyUI_temp_[a-z]{5}_00001_\.png$")
        self.assertEqual((preview["subfolder"], preview["type"]), ("", "temp"))
        self.assertEqual(outputs["6"], {"latents": [{"filename": "lat_00001_.latent", "subfolder": "rq_test",
                                                     "type": "output"}]})
        status, headers, latent = self.http("GET", "/view?filename=lat_00001_.latent&subfolder=rq_test")
        self.assertEqual((status, headers["Content-Type"]), (200, "application/octet-stream"))
        size = struct.unpack("<Q", latent[:8])[0]
        header = json.loads(latent[8:8 + size])
        self.assertEqual(header["latent_tensor"]["shape"], [1, 4, 8, 8])
        self.assertIn("latent_format_version_0", header)
        self.assertEqual(self.http("GET", "/view?filename=" + preview["filename"] + "&type=temp")[0], 200)

    def test_400_shapes(self):
        status, _, body = self.http("POST", "/prompt", {"client_id": "x"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body), {"error": {"type": "no_prompt", "message": "No prompt provided",
                                                      "details": "No prompt provided", "extra_info": {}},
                                            "node_errors": {}})
        status, reply = self.post_prompt({"1": {"inputs": {}}})
        self.assertEqual((status, reply["error"]), (400, {
            "type": "invalid_prompt", "message": "Cannot execute because a node is missing the class_type property.",
            "details": "Node ID '#1'", "extra_info": {}}))
        status, reply = self.post_prompt({"1": {"class_type": "NoSuchNode", "inputs": {}}})
        self.assertEqual(reply["error"]["message"], "Cannot execute because node NoSuchNode does not exist.")
        status, reply = self.post_prompt({"1": w1()["1"]})
        self.assertEqual((status, reply["error"]["type"], reply["error"]["details"]), (400, "prompt_no_outputs", ""))

        bad = {"1": {"class_type": "EmptyImage", "inputs": {"width": 0, "height": "abc", "batch_size": 1}},
               "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}}}
        status, reply = self.post_prompt(bad)
        self.assertEqual(status, 400)
        self.assertEqual(reply["error"], {"type": "prompt_outputs_failed_validation",
                                          "message": "Prompt outputs failed validation", "details": "",
                                          "extra_info": {}})
        errs = {e["type"]: e for e in reply["node_errors"]["1"]["errors"]}
        self.assertEqual(errs["invalid_input_type"]["details"], "height, abc, invalid literal for int() with base 10: 'abc'")
        self.assertEqual(errs["invalid_input_type"]["extra_info"]["input_config"],
                         ["INT", {"default": 512, "min": 1, "max": 16384, "step": 1}])
        self.assertEqual(errs["required_input_missing"]["extra_info"], {"input_name": "color"})
        self.assertEqual(errs["value_smaller_than_min"]["message"], "Value 0 smaller than min of 1")
        self.assertEqual(reply["node_errors"]["1"]["dependent_outputs"], ["2"])
        self.assertEqual(reply["node_errors"]["1"]["class_type"], "EmptyImage")

        partial = dict(w1("partial/ok", 1), **{"8": {"class_type": "LoadImage", "inputs": {"image": "missing.png"}},
                              "9": {"class_type": "SaveImage", "inputs": {"images": ["8", 0], "filename_prefix": "p"}}})
        status, reply = self.post_prompt(partial)
        self.assertEqual(status, 200)
        self.assertEqual(reply["node_errors"], {"8": {"errors": [{
            "type": "custom_validation_failed", "message": "Custom validation failed for node",
            "details": "image - Invalid image file: missing.png", "extra_info": {"input_name": "image"}}],
            "dependent_outputs": ["9"], "class_type": "LoadImage"}})
        self.wait_history(reply["prompt_id"])

    def test_500_on_malformed_json(self):
        for path in ("/prompt", "/queue", "/history"):
            status, headers, body = self.http("POST", path, b"{not json")
            self.assertEqual((status, body), (500, TEXT_500), path)
            self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(self.http("POST", "/prompt", {"prompt": [1, 2]})[0], 500)
        self.assertEqual(self.http("POST", "/interrupt", b"{not json")[0], 200)

    def test_fault_switches(self):
        fault = lambda mode, route="GET /prompt", **kw: self.http("POST", "/fake/fault", dict(route=route, mode=mode, **kw))
        self.assertEqual(fault("500")[0], 200)
        self.assertEqual(self.http("GET", "/prompt")[:3:2], (500, TEXT_500))
        self.assertEqual(self.http("GET", "/prompt")[0], 200, "a fault fires `times` times (1)")
        fault("garbage", route="GET /queue", times=2)
        for _ in range(2):
            status, headers, body = self.http("GET", "/api/queue")
            self.assertEqual((status, headers["Content-Type"]), (200, "text/html"))
            self.assertRaises(ValueError, json.loads, body)
        fault("drop")
        self.assertRaises(Exception, self.http, "GET", "/prompt")
        fault("drop-after", route="POST /prompt")
        pid = str(uuid.uuid4())
        self.assertRaises(Exception, self.post_prompt, w1("rq_test/fault"), prompt_id=pid)
        self.wait_history(pid)  # the prompt was queued although the answer was lost
        fault("stall", seconds=0.3)
        start = time.monotonic()
        self.assertEqual(self.http("GET", "/prompt")[0], 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertEqual(self.http("POST", "/fake/fault", {"route": "GET /x", "mode": "nope"})[0], 400)
        fault("500")
        self.assertEqual(self.http("POST", "/fake/fault", {"clear": True})[0], 200)
        self.assertEqual(self.http("GET", "/prompt")[0], 200)

    def test_execution_error(self):
        ws = WSClient(self.port, "client-err")
        ws.json()
        prompt = {"1": {"class_type": "FakeRaise", "inputs": {"message": "boom"}}}
        pid = self.post_prompt(prompt, client_id="client-err")[1]["prompt_id"]
        msgs = ws.until_done(pid)
        ws.close()
        err = next(m["data"] for m in msgs if m["type"] == "execution_error")
        self.assertEqual(list(err), ["prompt_id", "node_id", "node_type", "executed", "exception_message",
                                     "exception_type", "traceback", "current_inputs", "current_outputs",
                                     "timestamp"])
        self.assertEqual((err["node_id"], err["node_type"], err["exception_type"], err["exception_message"]),
                         ("1", "FakeRaise", "RuntimeError", "boom\n"))
        self.assertEqual(err["current_inputs"], {"message": ["boom"]})
        entry = self.wait_history(pid)
        self.assertEqual((entry["status"]["status_str"], entry["status"]["completed"], entry["outputs"]),
                         ("error", False, {}))
        self.assertEqual(entry["status"]["messages"][-1][0], "execution_error")

    def test_interrupt(self):
        ws = WSClient(self.port, "client-int")
        ws.json()
        sleeper = {"1": {"class_type": "FakeSleep", "inputs": {"seconds": 5.0}}}
        pid = self.post_prompt(sleeper, client_id="client-int")[1]["prompt_id"]
        self.wait_running(pid)
        self.http("POST", "/interrupt", {"prompt_id": "not-running"})  # does nothing
        time.sleep(0.15)
        started = time.monotonic()
        self.assertEqual(self.http("POST", "/interrupt", {"prompt_id": pid})[0], 200)
        msgs = ws.until_done(pid)
        ws.close()
        self.assertLess(time.monotonic() - started, 2.0)
        interrupted = next(m["data"] for m in msgs if m["type"] == "execution_interrupted")
        self.assertEqual(list(interrupted), ["prompt_id", "node_id", "node_type", "executed", "timestamp"])
        self.assertEqual((interrupted["node_id"], interrupted["node_type"]), ("1", "FakeSleep"))
        self.assertTrue(any(m["type"] == "progress" and m["data"]["node"] == "1" for m in msgs))
        entry = self.wait_history(pid)
        self.assertEqual((entry["status"]["status_str"], entry["status"]["completed"]), ("error", False))
        self.assertEqual(entry["status"]["messages"][-1][0], "execution_interrupted")

    def test_delete_from_queue(self):
        first = self.post_prompt({"1": {"class_type": "FakeSleep", "inputs": {"seconds": 5.0}}})[1]["prompt_id"]
        self.wait_running(first)
        second = self.post_prompt(w1("deleted/never", 3), front=True)[1]
        self.assertLess(second["number"], 0)
        queue = json.loads(self.http("GET", "/queue")[2])
        self.assertEqual([i[1] for i in queue["queue_pending"]], [second["prompt_id"]])
        self.assertEqual(len(queue["queue_pending"][0]), 5)
        self.assertEqual(json.loads(self.http("GET", "/prompt")[2]), {"exec_info": {"queue_remaining": 2}})
        status, _, body = self.http("POST", "/queue", {"delete": [second["prompt_id"], "unknown"]})
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(json.loads(self.http("GET", "/queue")[2])["queue_pending"], [])
        self.http("POST", "/interrupt", b"")
        self.wait_history(first)
        self.assertEqual(json.loads(self.http("GET", f"/history/{second['prompt_id']}")[2]), {})

    def test_prompt_id_number_and_history_ops(self):
        status, reply = self.post_prompt(w1("tagged/t", 2), prompt_id="my-tag-1", number="7")
        self.assertEqual((status, reply["prompt_id"], reply["number"]), (200, "my-tag-1", 7.0))
        self.wait_history("my-tag-1")
        all_history = json.loads(self.http("GET", "/history?max_items=1")[2])
        self.assertEqual(list(all_history), ["my-tag-1"])
        self.assertEqual(self.http("POST", "/history", {"delete": ["my-tag-1"]})[0], 200)
        self.assertEqual(json.loads(self.http("GET", "/history/my-tag-1")[2]), {})

    def test_view_rules_origin_and_misc(self):
        self.assertEqual(self.http("GET", "/view?filename=../etc/passwd")[0], 400)
        self.assertEqual(self.http("GET", "/view?filename=x.png&subfolder=../..")[0], 403)
        self.assertEqual(self.http("GET", "/view?filename=rq_test/inv_00001_.png")[0], 404)
        self.assertEqual(self.http("GET", "/view?filename=x.png&type=bogus")[0], 400)
        self.assertEqual(self.http("GET", "/view")[0], 404)
        self.assertEqual(self.http("GET", "/prompt", headers={"Origin": "http://evil.example"})[0], 403)
        self.assertEqual(self.http("GET", "/prompt", headers={"Origin": f"http://127.0.0.1:{self.port}"})[0], 200)
        stats = json.loads(self.http("GET", "/system_stats")[2])
        self.assertEqual((stats["system"]["os"], stats["system"]["comfyui_version"]), ("posix", "0.3.64"))
        self.assertEqual(json.loads(self.http("GET", "/api/features")[2]),
                         {"supports_preview_metadata": True, "max_upload_size": 104857600})
        info = json.loads(self.http("GET", "/object_info/SaveImage")[2])["SaveImage"]
        self.assertIs(info["output_node"], True)
        self.assertEqual(json.loads(self.http("GET", "/object_info/NoSuchNode")[2]), {})

    def test_websocket_feature_flags_and_binary_frames(self):
        ws = WSClient(self.port, "client-bin")
        ws.json()
        ws.send(0x9, b"hi")
        self.assertEqual(ws.recv(), (0xA, b"hi"))
        ws.send(0x1, json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}).encode())
        self.assertEqual(ws.json(), {"type": "feature_flags", "data": {"supports_preview_metadata": True,
                                                                       "max_upload_size": 104857600}})
        w5 = {"1": {"class_type": "EmptyImage",
                    "inputs": {"width": 32, "height": 16, "batch_size": 2, "color": 65280}},
              "2": {"class_type": "SaveImageWebsocket", "inputs": {"images": ["1", 0]}}}
        pid = self.post_prompt(w5, client_id="client-bin")[1]["prompt_id"]
        msgs = ws.until_done(pid)
        frames = [m[1] for m in msgs if isinstance(m, tuple)]
        self.assertEqual(len(frames), 2)
        event, meta_len = struct.unpack(">II", frames[0][:8])
        meta = json.loads(frames[0][8:8 + meta_len])
        self.assertEqual((event, meta["node_id"], meta["prompt_id"], meta["image_type"]), (4, "2", pid, "image/png"))
        png_chunks(frames[0][8 + meta_len:])
        self.assertEqual(self.wait_history(pid)["outputs"], {})
        ws.send(0x8, struct.pack(">H", 1000))
        self.assertEqual(ws.recv(), (0x8, struct.pack(">H", 1000)))
        ws.sock.close()


class TestVersion038(ServerCase):
    extra_args = ("--version", "0.38", "--os", "nt", "--max-upload-size", "0.5")

    def test_uuid_prompt_id_and_jobs(self):
        status, reply = self.post_prompt(w1(), prompt_id="not-a-uuid")
        self.assertEqual((status, reply), (400, {"error": {
            "type": "invalid_prompt_id", "message": "prompt_id must be a valid UUID",
            "details": "prompt_id must be a UUID string in canonical lowercase hyphenated form; "
                       "omit it to let the server generate one", "extra_info": {}}, "node_errors": {}}))
        pid = str(uuid.uuid4())
        status, reply = self.post_prompt(w1(), prompt_id=pid)
        self.assertEqual((status, reply["prompt_id"]), (200, pid))
        self.wait_history(pid)
        status, _, body = self.http("GET", f"/api/jobs/{pid}")
        job = json.loads(body)
        self.assertEqual((status, job["status"], job["outputs_count"]), (200, "completed", 2))
        self.assertEqual(self.http("GET", f"/api/jobs/{uuid.uuid4()}")[0], 404)
        self.assertEqual(self.http("GET", "/jobs")[0], 404)
        status, reply = self.post_prompt({"1": {"class_type": "NoSuchNode", "inputs": {}}})
        self.assertEqual(reply["error"]["type"], "missing_node_type")

    def test_system_stats_and_413(self):
        self.assertEqual(json.loads(self.http("GET", "/system_stats")[2])["system"]["os"], "win32")
        status, _, body = self.http("POST", "/prompt", b"x" * (1024 * 1024))
        self.assertEqual(status, 413)


if __name__ == "__main__":
    unittest.main()
