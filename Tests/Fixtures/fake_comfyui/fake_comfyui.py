#!/usr/bin/env python3
"""fake_comfyui: a stand-in ComfyUI server for end-to-end tests (Python standard library only).

It follows ComfyUI v0.3.64 (README.md here says what it copies) for what remote-queue and
remote-fetch use: the HTTP API (every route also under /api), the WebSocket /ws (RFC 6455, written by hand), the
prompt queue, validation with ComfyUI's exact error shapes, history, /view and uploads. A
worker thread runs prompts with a few weight-free node classes and writes real files.

Usage:
    python3 fake_comfyui.py --port 0 --output-dir DIR --input-dir DIR
        [--temp-dir DIR] [--os nt|posix] [--version 0.3.64|0.38] [--exec-delay SECONDS]
        [--prompt-delay SECONDS]
        [--max-upload-size MB] [--host 127.0.0.1|::1|localhost] [--disable-all-custom-nodes]
        [--disable-metadata] [--verbose] [--exit-with-stdin]

Once listening it prints exactly one line, `LISTENING <port>`, to stdout. Logs go to stderr.
SIGTERM or SIGINT stops it cleanly (WebSockets get a 1001 close; exit status 0).

Node classes: EmptyImage, ImageInvert, ImageAddNoise, ImageBlur (returns its input),
GetImageSize, ImageToMask, LoadImage, LoadImageMask, SaveImage, PreviewImage,
EmptyLatentImage, SaveLatent, SaveAnimatedWEBP (placeholder file), SaveAnimatedPNG (real
APNG), CreateVideo, SaveVideo (placeholder .mp4), PrimitiveString, PreviewAny, and the
"custom node" SaveImageWebsocket (absent with --disable-all-custom-nodes).

Test-only hooks (not in ComfyUI):
    FakeSleep  {"seconds": float, "image"?: IMAGE, "progress"?: bool} sleeps; with progress
               (default) it ticks a progress bar every ~0.1 s, so /interrupt lands inside it;
               without, it runs to its end like a node with no progress bar. Never cached.
    FakeRaise  {"message": str, "image"?: IMAGE} raises RuntimeError(message) at run time,
               giving execution_error and a history entry with status "error".
    FakeVanish {"exit_code": int, "image"?: IMAGE} the process exits at once (os._exit) while
               the prompt runs, after flushing the WebSocket messages queued so far.
    --exec-delay S   every executed (not cached) node sleeps S seconds before it runs, after
               its `executing` message and its interrupt check (node-boundary interrupts).
    --prompt-delay S every prompt that executes a node sleeps S seconds once, after its
               `execution_cached` message: a stand-in for GPU time (bench/remote.sh).
    POST /fake/vanish[?code=N]   replies 200, then the process exits hard 50 ms later.
    SIGUSR1    the process exits hard at once (status 1), mid-job or not.
"""

import sys

sys.dont_write_bytecode = True  # keep the fixture folder free of __pycache__

import argparse  # noqa: E402
import ipaddress  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import engine  # noqa: E402
import nodes  # noqa: E402
import routes  # noqa: E402
import wire  # noqa: E402

log = logging.getLogger("fake_comfyui")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fake_comfyui.py", description="A fake ComfyUI server for tests.")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8188, help="port; 0 picks a free one")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--input-dir", required=True)
    p.add_argument("--temp-dir", help="default: a private directory removed at exit")
    p.add_argument("--os", choices=["posix", "nt"], default="posix", help="what /system_stats reports")
    p.add_argument("--version", choices=["0.3.64", "0.38"], default="0.3.64", help="behaviour to imitate")
    p.add_argument("--exec-delay", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--prompt-delay", type=float, default=0.0, metavar="SECONDS")
    p.add_argument("--max-upload-size", type=float, default=100, metavar="MB")
    p.add_argument("--disable-all-custom-nodes", action="store_true")
    p.add_argument("--disable-metadata", action="store_true")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--exit-with-stdin", action="store_true",
                   help="stop when stdin reaches end of file (tests hold its write end)")
    args = p.parse_args(argv)
    try:
        loopback = args.host == "localhost" or ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        p.error("--host must be a loopback address")
    if args.host == "localhost":
        args.host = "127.0.0.1"
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO,
                        format="fake_comfyui: %(levelname)s %(message)s")
    own_temp = args.temp_dir is None
    temp_dir = tempfile.mkdtemp(prefix="fake_comfyui_temp_") if own_temp else args.temp_dir
    for d in (args.output_dir, args.input_dir, temp_dir):
        os.makedirs(d, exist_ok=True)
    folders = nodes.Folders(args.output_dir, args.input_dir, temp_dir)
    nodes.configure(folders)

    hub = engine.Hub(args.max_upload_size * 1024 * 1024)
    prompt_queue = engine.PromptQueue(hub)
    classes = nodes.class_mappings(custom_nodes=not args.disable_all_custom_nodes)
    executor = engine.PromptExecutor(hub, classes, args.exec_delay, args.disable_metadata, args.prompt_delay)
    app = routes.App(args, hub, prompt_queue, executor, classes, folders)
    server = wire.Server((args.host, args.port), app)

    for target, targs in ((hub.publish_loop, ()), (engine.prompt_worker, (prompt_queue, hub, executor)),
                          (server.serve_forever, (0.1,))):
        threading.Thread(target=target, args=targs, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.exit_with_stdin:
        def watch_stdin():
            while sys.stdin.buffer.read1(65536):
                pass
            stop.set()
        threading.Thread(target=watch_stdin, daemon=True).start()
    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, lambda *_: os._exit(1))

    port = server.server_address[1]
    log.info("version %s, os %s, output %s, input %s", args.version, args.os, folders.output, folders.input)
    print(f"LISTENING {port}", flush=True)
    while not stop.wait(0.5):
        pass

    log.info("stopping")
    hub.close_all(1001)
    server.shutdown()
    server.server_close()
    if own_temp:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
