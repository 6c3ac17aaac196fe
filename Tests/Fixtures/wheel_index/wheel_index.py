#!/usr/bin/env python3
"""wheel_index: a fake wheel index for wheel-url's tests (Python standard library only).

It serves a catalogue of a few hundred fake wheel names across CUDA, torch, Python, platform
and version, the way the real sources publish them:

    /links.html                 one find-links page with every wheel (pip -f, data.pyg.org style)
    /simple/                    PEP 503 root page
    /simple/<project>/          the project's page: PEP 691 JSON when the Accept header asks for
                                application/vnd.pypi.simple.v1+json, else PEP 503 HTML
    /html/simple/<project>/     the same page, always HTML (for tests of the HTML reader)
    /files/<filename>           a wheel's bytes (GET, HEAD, Range)
    /nohead/files/<filename>    the same, but HEAD answers 405 (servers that refuse HEAD)
    /flaky/<key>/<n>/<path>     resets the connection (RST) on the first <n> requests for <key>,
                                then answers as <path> would
    /count/<key>                {"count": N}: how many requests /flaky/<key>/... has seen
    /status/<code>/<path>       answers with that HTTP status
    /sleep/<seconds>/<path>     waits, then answers as <path> would (timeouts)
    /headers                    the request's headers as JSON
    /local/<filename>           the real bytes of <filename> in --serve-dir DIR (real wheels
                                for an installer to download)
    anything else               404

Links carry #sha256=<sha256 of the file name> fragments, data-requires-python and data-yanked
where the catalogue says so.

Usage:
    python3 wheel_index.py [--port 0] [--write-dir DIR] [--list]
    python3 wheel_index.py --bench-links FILE --count 5000

Once listening it prints one line, `LISTENING <port>`, to stdout, and serves until its stdin
reaches end of file (the test process went away) or it gets SIGTERM. --write-dir DIR also
writes the catalogue as local files: DIR/flat/<wheel> (a find-links directory),
DIR/simple/<project>/<wheel> (a simple-index tree) and DIR/links.html (a find-links page with
relative links). --list prints the catalogue and exits. --bench-links writes a find-links page
of COUNT wheel links (about 250 projects) and exits.
"""

import sys

sys.dont_write_bytecode = True

import argparse  # noqa: E402
import hashlib  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

MANYLINUX_2_28 = "manylinux_2_28_x86_64"
MANYLINUX_2017 = "manylinux_2_17_x86_64.manylinux2014_x86_64"
MANYLINUX_2_35 = "manylinux_2_34_x86_64.manylinux_2_35_x86_64"


def catalogue():
    """[(filename, requires_python or None, yanked reason or None)], in a fixed order."""
    wheels = []

    def add(name, requires=None, yanked=None):
        wheels.append((name, requires, yanked))

    # cuda-wheels style: +cu<XYZ>torch<M.m>, manylinux_2_34/2_35 for 0.4.0, 2_17 for 0.3.3.
    for version, platform in (("0.3.3", MANYLINUX_2017), ("0.4.0", MANYLINUX_2_35)):
        for cuda in ("124", "126", "128"):
            for torch in ("2.4", "2.7", "2.8"):
                for py in ("cp310", "cp311", "cp312"):
                    add(f"nvdiffrast-{version}+cu{cuda}torch{torch}-{py}-{py}-{platform}.whl")
                    if version == "0.4.0" and cuda == "128":
                        add(f"nvdiffrast-{version}+cu{cuda}torch{torch}-{py}-{py}-manylinux_2_35_aarch64.whl")
    # the farm's other spelling: +pt<M.m>cu<XYZ>
    for version in ("0.1.0", "0.2.0"):
        for cuda in ("126", "128"):
            for torch in ("2.7", "2.8"):
                for py in ("cp311", "cp312"):
                    add(f"cumesh-{version}+pt{torch}cu{cuda}-{py}-{py}-{MANYLINUX_2_28}.whl")
    # PyG style: undotted +pt28cu128, and CPU builds +pt28cpu.
    for version in ("2.1.1", "2.1.2"):
        for label in ("pt27cu126", "pt28cu126", "pt28cu128", "pt27cpu", "pt28cpu"):
            for py in ("cp310", "cp311", "cp312"):
                add(f"torch_scatter-{version}+{label}-{py}-{py}-linux_x86_64.whl")
    # +cu<XYZ> only, the torch pin given separately; abi3 wheels.
    for version in ("0.7.8", "0.7.9"):
        for cuda in ("121", "124", "128"):
            add(f"pytorch3d-{version}+cu{cuda}-cp39-abi3-{MANYLINUX_2017}.whl")
    # glibc: the newest build needs glibc 2.39, older ones 2.17.
    for version, platform in (("1.4.0", MANYLINUX_2017), ("1.5.0", "manylinux_2_39_x86_64")):
        for py in ("cp310", "cp311", "cp312", "cp313"):
            add(f"gsplat-{version}+cu128torch2.8-{py}-{py}-{platform}.whl")
    # pure wheels: pins, ranges, pre-releases, yanked files, requires-python, build tags.
    add("simplepkg-1.0.0-py3-none-any.whl")
    add("simplepkg-1.1.0-py3-none-any.whl", requires=">=3.12")
    add("simplepkg-1.2.0-py3-none-any.whl", yanked="broken metadata")
    add("simplepkg-1.1.5-py3-none-any.whl")
    add("simplepkg-1.1.5-1-py3-none-any.whl")
    add("simplepkg-2.0.0rc1-py3-none-any.whl")
    add("simplepkg-1.1.5.tar.gz")
    # many versions of a filler project so the pages are a few hundred links long
    for minor in range(40):
        for py in ("cp310", "cp311", "cp312"):
            add(f"filler-1.{minor}.0-{py}-{py}-{MANYLINUX_2017}.whl")
    return wheels


def project_of(filename):
    return re.sub(r"[-_.]+", "-", filename.split("-", 1)[0]).lower()


def sha256_of(filename):
    return hashlib.sha256(filename.encode()).hexdigest()


def link(href, filename, requires, yanked):
    attrs = f' href="{html.escape(href, quote=True)}#sha256={sha256_of(filename)}"'
    if requires:
        attrs += f' data-requires-python="{html.escape(requires, quote=True)}"'
    if yanked is not None:
        attrs += f' data-yanked="{html.escape(yanked, quote=True)}"'
    return f"<a{attrs}>{html.escape(filename)}</a><br/>\n"


def links_page(wheels, prefix):
    body = "".join(link(prefix + name.replace("+", "%2B"), name, req, yanked) for name, req, yanked in wheels)
    return f"<!DOCTYPE html>\n<html><head><title>Links</title></head><body>\n{body}</body></html>\n"


def project_json(project, wheels):
    files = []
    for name, req, yanked in wheels:
        if project_of(name) != project:
            continue
        entry = {"filename": name, "url": "../../files/" + name.replace("+", "%2B"),
                 "hashes": {"sha256": sha256_of(name)}}
        if req:
            entry["requires-python"] = req
        if yanked is not None:
            entry["yanked"] = yanked or True
        files.append(entry)
    return {"meta": {"api-version": "1.1"}, "name": project, "files": files}


def project_html(project, wheels):
    chosen = [w for w in wheels if project_of(w[0]) == project]
    return links_page(chosen, "../../files/")


class Index:
    def __init__(self):
        self.wheels = catalogue()
        self.names = {name for name, _, _ in self.wheels}
        self.projects = sorted({project_of(name) for name in self.names})
        self.counts = {}
        self.lock = threading.Lock()

    def count(self, key):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wheel_index/1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def route(self, head):
        index = self.server.index
        path = self.path.split("?", 1)[0]
        m = re.match(r"^/flaky/([^/]+)/(\d+)(/.*)$", path)
        if m:
            if index.count(m.group(1)) <= int(m.group(2)):
                self.reset()
                return
            path = m.group(3)
        m = re.match(r"^/sleep/([0-9.]+)(/.*)$", path)
        if m:
            time.sleep(float(m.group(1)))
            path = m.group(2)
        if path == "/headers":
            body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
            return self.answer(200, body, "application/json", head)
        m = re.match(r"^/status/(\d+)(/.*)$", path)
        if m:
            return self.answer(int(m.group(1)), b"status\n", "text/plain", head)
        m = re.match(r"^/count/([^/]+)$", path)
        if m:
            with index.lock:
                n = index.counts.get(m.group(1), 0)
            return self.answer(200, json.dumps({"count": n}).encode(), "application/json", head)
        if path == "/links.html":
            return self.answer(200, links_page(index.wheels, "files/").encode(), "text/html", head)
        if path in ("/simple/", "/html/simple/"):
            body = "".join(f'<a href="{p}/">{p}</a>\n' for p in index.projects)
            return self.answer(200, body.encode(), "text/html", head)
        m = re.match(r"^(/html)?/simple/([^/]+)/$", path)
        if m:
            project = m.group(2)
            if project not in index.projects:
                return self.answer(404, b"not found\n", "text/plain", head)
            if not m.group(1) and "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
                body = json.dumps(project_json(project, index.wheels)).encode()
                return self.answer(200, body, "application/vnd.pypi.simple.v1+json", head)
            prefix = "../../../files/" if m.group(1) else "../../files/"
            chosen = [w for w in index.wheels if project_of(w[0]) == project]
            return self.answer(200, links_page(chosen, prefix).encode(), "text/html", head)
        m = re.match(r"^/local/([A-Za-z0-9._+-]+)$", path)
        if m and self.server.serve_dir and not m.group(1).startswith("."):
            try:
                with open(os.path.join(self.server.serve_dir, m.group(1)), "rb") as f:
                    return self.file(f.read(), head)
            except OSError:
                return self.answer(404, b"not found\n", "text/plain", head)
        m = re.match(r"^(/nohead)?/files/([^/]+)$", path)
        if m:
            if m.group(1) and head:
                return self.answer(405, b"", "text/plain", head)
            name = m.group(2).replace("%2B", "+").replace("%2b", "+")
            if name not in index.names:
                return self.answer(404, b"not found\n", "text/plain", head)
            return self.file(("fake wheel " + name + "\n").encode(), head)
        self.answer(404, b"not found\n", "text/plain", head)

    def answer(self, status, body, content_type, head):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def file(self, body, head):
        m = re.match(r"bytes=(\d+)-(\d+)$", self.headers.get("Range", ""))
        if m:
            start, end = int(m.group(1)), min(int(m.group(2)), len(body) - 1)
            part = body[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            if not head:
                self.wfile.write(part)
            return
        self.answer(200, body, "application/octet-stream", head)

    def reset(self):
        """Close with RST: the client sees 'connection reset by peer'."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def write_dir(root, wheels):
    flat = os.path.join(root, "flat")
    os.makedirs(flat, exist_ok=True)
    for name, _, _ in wheels:
        project_dir = os.path.join(root, "simple", project_of(name))
        os.makedirs(project_dir, exist_ok=True)
        for directory in (flat, project_dir):
            with open(os.path.join(directory, name), "w") as f:
                f.write("fake wheel " + name + "\n")
    with open(os.path.join(root, "links.html"), "w") as f:
        f.write(links_page(wheels, "flat/"))


def bench_links(path, count, projects=250):
    """COUNT wheel links over PROJECTS projects: per project, versions 1.0.0, 1.1.0, ... each
    with every cu124/cu126/cu128 x torch 2.7/2.8 x cp310/cp311/cp312 build, until the project
    has its share of the links."""
    combos = [(cuda, torch, py) for cuda in ("124", "126", "128") for torch in ("2.7", "2.8")
              for py in ("cp310", "cp311", "cp312")]
    lines = []
    for p in range(projects):
        share = count // projects + (1 if p < count % projects else 0)
        for k in range(share):
            cuda, torch, py = combos[k % len(combos)]
            name = f"pkg{p:03d}-1.{k // len(combos)}.0+cu{cuda}torch{torch}-{py}-{py}-manylinux_2_28_x86_64.whl"
            lines.append(link("https://wheels.example/" + name.replace("+", "%2B"), name, None, None))
    with open(path, "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n" + "".join(lines) + "</body></html>\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--write-dir")
    parser.add_argument("--serve-dir", help="a directory whose files /local/<filename> serves")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--bench-links")
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    if args.bench_links:
        bench_links(args.bench_links, args.count)
        return
    index = Index()
    if args.list:
        for name, req, yanked in index.wheels:
            print(name, req or "", "" if yanked is None else "yanked")
        return
    if args.write_dir:
        write_dir(args.write_dir, index.wheels)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.index = index
    server.serve_dir = args.serve_dir
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())

    def watch_stdin():
        while sys.stdin.buffer.read(4096):
            pass
        server.shutdown()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
