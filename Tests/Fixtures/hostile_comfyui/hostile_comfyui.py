#!/usr/bin/env python3
"""hostile_comfyui: a server that answers like ComfyUI but lies, for remote-fetch's tests.

Usage: python3 hostile_comfyui.py --mode MODE

Every prompt id asked for in /history/{id} is "finished" with one output file, and /queue is
empty. What goes wrong depends on MODE:

    traversal       the history names files '../evil.png' and subfolder '../../etc'
    content-length  /view declares a Content-Length of 10**15 and sends 16 bytes
    short-body      /view declares 1000 bytes, sends 10 and closes the connection
    not-json        /history and /queue answer 200 with an HTML page
    bad-frame       /ws completes the handshake, then sends a frame whose 64-bit length has
                    its top bit set; /history says "pending" ({}) and /queue "running" for the
                    first 0.5 s after it first sees an id, then both are honest, as is /view
    no-upgrade      /ws answers 200 instead of 101; /history and /view are honest
    redirect        every request (GET, HEAD, POST, /ws) is redirected to --redirect-to plus the
                    same path and query: 302 for GET and HEAD, 307 (which keeps the POST) for POST
    huge-history    /history declares a Content-Length of 10**15 and sends 16 bytes; /ws as
                    no-upgrade
    slow-view       /view sends its headers and 10 of 1000 bytes, then stalls for 60 s; /ws as
                    no-upgrade, /history honest
    control-names   the history names a file and a node with ESC, NUL, CR and LF in them, and
                    the failure message holds them too; /ws as no-upgrade
    bad-prompt-id   POST /prompt answers 200 with a prompt_id holding '/', ESC and a newline;
                    /history knows no prompt ({})
    bad-number      POST /prompt answers 200 with the prompt id it was sent and "number": "7; rm";
                    /history knows no prompt ({})

In every mode GET /prompt and /system_stats answer like an idle Linux server (unless redirected).

It prints `LISTENING <port>` once ready, serves on 127.0.0.1 only, and exits when its stdin
reaches end of file or on SIGTERM.
"""

import argparse
import base64
import hashlib
import http.server
import json
import socketserver
import sys
import threading
import time

PNG = bytes.fromhex("89504e470d0a1a0a") + b"honest bytes"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "traversal"
    redirect_to = ""
    first_seen = {}

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json", length=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def entry(self, prompt_id):
        name, sub = ("../evil.png", "../../etc") if self.mode == "traversal" else ("out_00001_.png", "")
        node = "9"
        status = {"status_str": "success", "completed": True, "messages": []}
        if self.mode == "control-names":
            name, node = "evil\x1b[2J\x00\r\nforged: line.png", "9\x1b]0;title\x07\nnode"
            failure = {"node_id": node, "node_type": "Save\x1b[31mImage", "exception_type": "Error\x00",
                       "exception_message": "boom\rforged\x1b[0m", "traceback": []}
            status = {"status_str": "error", "completed": False, "messages": [["execution_error", failure]]}
        items = [{"filename": name, "subfolder": sub, "type": "output"}]
        if self.mode == "traversal":
            items.append({"filename": "fine.png", "subfolder": "../../etc", "type": "output"})
            items.append({"filename": "/etc/passwd", "subfolder": "", "type": "output"})
        return {prompt_id: {"prompt": [0, prompt_id, {}, {}, [node]], "outputs": {node: {"images": items}},
                            "status": status}}

    def redirect(self):
        self.send_response(307 if self.command == "POST" else 302)
        self.send_header("Location", self.redirect_to + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.wfile.flush()

    def do_HEAD(self):
        if self.mode == "redirect":
            return self.redirect()
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.mode == "redirect":
            return self.redirect()
        if self.path == "/prompt" and self.mode == "bad-prompt-id":
            return self.reply(200, json.dumps({"prompt_id": "../x\x1b[2J\n", "number": 1,
                                               "node_errors": {}}).encode())
        if self.path == "/prompt" and self.mode == "bad-number":
            return self.reply(200, json.dumps({"prompt_id": body.get("prompt_id", "p"), "number": "7; rm",
                                               "node_errors": {}}).encode())
        self.reply(404, b"404: Not Found", "text/plain")

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if self.mode == "redirect":
            return self.redirect()
        if path == "/prompt":
            return self.reply(200, b'{"exec_info": {"queue_remaining": 0}}')
        if path == "/system_stats":
            return self.reply(200, b'{"system": {"os": "linux"}}')
        if path.startswith("/history/") and self.mode == "huge-history":
            self.reply(200, b"{" * 16, length=10**15)
            self.close_connection = True
            return
        if path == "/ws":
            return self.websocket()
        if path.startswith("/history/") or path == "/queue":
            if self.mode == "not-json":
                return self.reply(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            if path == "/queue":
                running = [[0, i, {}, {}, []] for i, t in Handler.first_seen.items() if time.monotonic() - t < 0.5]
                return self.reply(200, json.dumps({"queue_running": running, "queue_pending": []}).encode())
            prompt_id = path[len("/history/"):]
            if self.mode in ("bad-prompt-id", "bad-number"):
                return self.reply(200, b"{}")
            seen = Handler.first_seen.setdefault(prompt_id, time.monotonic())
            if self.mode == "bad-frame" and time.monotonic() - seen < 0.5:
                return self.reply(200, b"{}")
            return self.reply(200, json.dumps(self.entry(prompt_id)).encode())
        if path == "/view":
            if self.mode == "content-length":
                self.reply(200, b"x" * 16, "image/png", length=10**15)
                self.close_connection = True
                return
            if self.mode == "slow-view":
                self.reply(200, b"x" * 10, "image/png", length=1000)
                time.sleep(60)
                self.close_connection = True
                return
            if self.mode == "short-body":
                self.reply(200, b"x" * 10, "image/png", length=1000)
                self.close_connection = True
                return
            return self.reply(200, PNG, "image/png")
        self.reply(404, b"404: Not Found", "text/plain")

    def websocket(self):
        if self.mode != "bad-frame":
            return self.reply(200, b"no websocket here", "text/plain")
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.write(b"\x81\x7f" + b"\xff" * 8 + b"{}")
        self.wfile.flush()
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=["traversal", "content-length", "short-body", "not-json",
                                                     "bad-frame", "no-upgrade", "redirect", "huge-history",
                                                     "slow-view", "control-names", "bad-prompt-id",
                                                     "bad-number"])
    p.add_argument("--redirect-to", default="", help="the base URL that --mode redirect sends requests to")
    args = p.parse_args()
    Handler.mode = args.mode
    Handler.redirect_to = args.redirect_to.rstrip("/")
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
