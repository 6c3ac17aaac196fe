"""HTTP/1.1 and WebSocket (RFC 6455) plumbing for the fake server: requests and responses in
the shapes aiohttp gives them, a route table, multipart/form-data, and the server side of a
WebSocket (handshake, masked client frames, fragmentation, ping/pong, close)."""

import base64
import email.message
import hashlib
import http.server
import io
import json
import logging
import re
import socket
import struct
import threading
import urllib.parse

log = logging.getLogger("fake_comfyui")

TEXT_500 = "500 Internal Server Error\n\nServer got itself in trouble"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WS_MAX_MESSAGE = 4 * 1024 * 1024  # aiohttp's default max_msg_size
DRAIN_LIMIT = 256 * 1024 * 1024   # unread request bodies up to this size are read and dropped


class HTTPError(Exception):
    def __init__(self, status, text=None, headers=None):
        super().__init__(status)
        self.status, self.text, self.headers = status, text, headers or []


class Response:
    def __init__(self, status=200, body=b"", content_type=None, headers=None):
        self.status, self.body, self.headers = status, body, list(headers or [])
        if content_type is None and body:
            content_type = "application/octet-stream"
        self.content_type = content_type


def json_response(data, status=200):
    return Response(status, json.dumps(data).encode("utf-8"), "application/json; charset=utf-8")


def text_response(status, text):
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def http_error_response(status, text=None, headers=None):
    reason = http.server.BaseHTTPRequestHandler.responses.get(status, ("",))[0]
    return Response(status, (text if text is not None else f"{status}: {reason}").encode("utf-8"),
                    "text/plain; charset=utf-8", headers)


UPGRADED = object()  # a handler that took over the connection returns this


class FileField:
    def __init__(self, name, filename, content_type, data):
        self.name, self.filename, self.content_type = name, filename, content_type
        self.file = io.BytesIO(data)


def _disposition(header_value):
    msg = email.message.Message()
    msg["Content-Disposition"] = header_value
    return msg.get_param("name", header="content-disposition"), msg.get_filename()


def parse_multipart(body, content_type):
    """multipart/form-data -> {name: str | FileField} (first value per name, as MultiDict.get)."""
    msg = email.message.Message()
    msg["Content-Type"] = content_type
    boundary = msg.get_param("boundary")
    if not boundary:
        raise HTTPError(400, "400: Bad Request")
    fields = {}
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name, filename = _disposition(headers.get("content-disposition", ""))
        if name is None or name in fields:
            continue
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            fields[name] = FileField(name, filename, headers.get("content-type"), data)
    return fields


class Request:
    def __init__(self, handler, max_body):
        self.handler, self.max_body = handler, max_body
        self.method = handler.command
        parts = urllib.parse.urlsplit(handler.path)
        self.path = urllib.parse.unquote(parts.path)
        self.query = {}
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
            self.query.setdefault(key, value)
        self.headers = handler.headers
        self.match_info = {}
        self._body = None

    def _chunked(self):
        out, rfile = bytearray(), self.handler.rfile
        while True:
            size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            if len(out) + size > self.max_body:
                self.handler.close_connection = True
                raise HTTPError(413, "Maximum request body size {} exceeded, actual body size {}".format(
                    self.max_body, len(out) + size))
            out += rfile.read(size)
            rfile.readline()

    def _length(self):
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.handler.close_connection = True
            raise HTTPError(400, "400: Bad Request")

    def read(self):
        if self._body is None:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                self._body = self._chunked()
            else:
                length = self._length()
                if length > self.max_body:
                    self.drain()
                    raise HTTPError(413, "Maximum request body size {} exceeded, actual body size {}".format(
                        self.max_body, length))
                self._body = self.handler.rfile.read(length)
        return self._body

    def drain(self):
        """Consume an unread body so the connection can carry the next request."""
        if self._body is not None:
            return
        self._body = b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.handler.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > DRAIN_LIMIT:
            self.handler.close_connection = True
            return
        while length > 0:
            got = self.handler.rfile.read(min(length, 1 << 20))
            if not got:
                break
            length -= len(got)

    def text(self):
        msg = email.message.Message()
        msg["Content-Type"] = self.headers.get("Content-Type", "")
        return self.read().decode(msg.get_content_charset() or "utf-8")

    def json(self):
        return json.loads(self.text())

    def post(self):
        ctype = self.headers.get("Content-Type", "")
        if ctype.lower().startswith("multipart/form-data"):
            return parse_multipart(self.read(), ctype)
        if ctype.lower().startswith("application/x-www-form-urlencoded"):
            return dict(urllib.parse.parse_qsl(self.text(), keep_blank_values=True))
        return {}


class Router:
    def __init__(self):
        self.routes = []  # (method, compiled regex, handler)

    def add(self, method, pattern, handler, api_alias=True):
        paths = [pattern] + (["/api" + pattern] if api_alias else [])
        for path in paths:
            regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"
            self.routes.append((method, re.compile(regex), handler))

    def resolve(self, method, path):
        allowed = []
        for route_method, regex, handler in self.routes:
            m = regex.match(path)
            if m:
                if route_method == method or (method == "HEAD" and route_method == "GET"):
                    return handler, m.groupdict()
                allowed.append(route_method)
        if allowed:
            raise HTTPError(405, None, [("Allow", ",".join(sorted(set(allowed))))])
        raise HTTPError(404)


class Handler(http.server.BaseHTTPRequestHandler):
    """Dispatches every method to server.app.handle(request) -> Response | UPGRADED."""
    protocol_version = "HTTP/1.1"
    server_version = "Python/3 aiohttp (fake_comfyui)"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        log.debug("%s %s", self.address_string(), fmt % args)

    def _dispatch(self):
        app = self.server.app
        request = Request(self, app.max_body)
        try:
            response = app.handle(request)
        except HTTPError as ex:
            response = http_error_response(ex.status, ex.text, ex.headers)
        except Exception:
            log.exception("Error handling request %s %s", self.command, self.path)
            response = text_response(500, TEXT_500)
        if response is UPGRADED:
            self.close_connection = True
            return
        request.drain()
        self.write(response)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def write(self, response):
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers:
            self.send_header(key, value)
        if response.status not in (101, 204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.status not in (204, 304):
            self.wfile.write(response.body)
        self.wfile.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        super().__init__(address, Handler)


# ---------------------------------------------------------------- WebSocket

class WebSocketClosed(Exception):
    pass


class WebSocket:
    """Server side of one RFC 6455 connection taken over from a Handler."""

    def __init__(self, handler):
        self.sock, self.rfile = handler.connection, handler.rfile
        self.lock = threading.Lock()
        self.close_sent = False

    @staticmethod
    def handshake(handler):
        """Reply 101 and return a WebSocket, or return an error Response (aiohttp gives 400)."""
        headers = handler.headers
        if headers.get("Upgrade", "").lower() != "websocket" or \
                "upgrade" not in headers.get("Connection", "").lower():
            return http_error_response(400, "No WebSocket UPGRADE hdr: {}\n Can \"Upgrade\" only to "
                                       "\"WebSocket\".".format(headers.get("Upgrade")))
        if headers.get("Sec-WebSocket-Version", "") != "13":
            return http_error_response(400, "Unsupported version: {}".format(
                headers.get("Sec-WebSocket-Version")), [("Sec-WebSocket-Version", "13")])
        key = headers.get("Sec-WebSocket-Key", "")
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError
        except ValueError:
            return http_error_response(400, "Handshake error: {!r}".format(key))
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        handler.send_response(101)
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        return WebSocket(handler)

    def _send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            header = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 65536:
            header = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        with self.lock:
            if self.close_sent:
                raise OSError("WebSocket is closing")
            if opcode == 0x8:
                self.close_sent = True
            self.sock.sendall(header + payload)

    def send_message(self, payload, binary=False):
        self._send_frame(0x2 if binary else 0x1, payload)

    def close(self, code=1000, reason=b""):
        try:
            self._send_frame(0x8, struct.pack(">H", code) + reason)
        except OSError:
            pass

    def _read(self, n):
        data = self.rfile.read(n)
        if len(data) < n:
            raise WebSocketClosed()
        return data

    def _frame(self):
        b0, b1 = self._read(2)
        fin, rsv, opcode = b0 & 0x80, b0 & 0x70, b0 & 0x0F
        masked, length = b1 & 0x80, b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        if rsv or not masked:
            raise ProtocolError(1002)
        if opcode >= 0x8 and (not fin or length > 125):
            raise ProtocolError(1002)
        if length > WS_MAX_MESSAGE:
            raise ProtocolError(1009)
        mask = self._read(4)
        data = self._read(length)
        if length:
            key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
            data = (int.from_bytes(data, "big") ^ key).to_bytes(length, "big")
        return bool(fin), opcode, data

    def messages(self):
        """Yield (opcode, payload) for whole text/binary messages; answer pings and closes."""
        buffer, kind = None, None
        try:
            while True:
                fin, opcode, data = self._frame()
                if opcode == 0x9:
                    self._send_frame(0xA, data)
                    continue
                if opcode == 0xA:
                    continue
                if opcode == 0x8:
                    self.close(1000)
                    return
                if opcode == 0x0:
                    if buffer is None:
                        raise ProtocolError(1002)
                    buffer += data
                elif opcode in (0x1, 0x2):
                    if buffer is not None:
                        raise ProtocolError(1002)
                    buffer, kind = bytearray(data), opcode
                else:
                    raise ProtocolError(1002)
                if len(buffer) > WS_MAX_MESSAGE:
                    raise ProtocolError(1009)
                if fin:
                    payload, buffer = bytes(buffer), None
                    if kind == 0x1:
                        try:
                            payload.decode("utf-8")
                        except UnicodeDecodeError:
                            raise ProtocolError(1007)
                    yield kind, payload
        except ProtocolError as ex:
            self.close(ex.code)
        except (WebSocketClosed, OSError, ValueError):
            pass
        finally:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ProtocolError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code
