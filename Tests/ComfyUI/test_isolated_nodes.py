"""Isolated nodes (comfy_pipes' @isolated) inside the real ComfyUI: every kind of value in and out,
the node's own exception type and message in ComfyUI's error, Cancel during a node that checks
and during one that never does, and a crashed worker replaced for the next prompt.

ComfyUI imports comfy_pipes from the source tree (Sources/node-run, PYTHONPATH) and uses the
built node-run (PIPES_BIN_DIR, default bin/); the pack's env is PIPES_NODE_VENV (numpy 1.26)."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comfyui  # noqa: E402

NODE_VENV, NUMPY2_VENV, BIN = comfyui.NODE_VENV, comfyui.NUMPY2_VENV, comfyui.BIN
GRACE = 1.0


def why_not():
    return comfyui.missing(tools=("node-run",), venvs=(NODE_VENV, NUMPY2_VENV))


def image(width=8, height=8, color=0):
    return {"class_type": "EmptyImage", "inputs": {"width": width, "height": height, "batch_size": 1, "color": color}}


@unittest.skipIf(why_not(), why_not())
class IsolatedNodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = dict(os.environ)
        env.update(PYTHONPATH=os.path.join(comfyui.ROOT, "Sources", "node-run"),
                   COMFY_PIPES_NODE_RUN=os.path.join(BIN, "node-run"), PIPES_NODE_VENV=NODE_VENV,
                   COMFY_PIPES_INTERRUPT_GRACE=str(GRACE), PIPES_NUMPY2_VENV=NUMPY2_VENV)
        cls.server = comfyui.ComfyUI(packs=["iso_pack", "np2_pack", "wrapped_pack", "trouble_pack", "entry_pack"], env=env).start()
        info = cls.server.get("/object_info/IsoKinds")
        assert "IsoKinds" in info, "the pack did not load:\n" + cls.server.tail()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def kinds(self, times, width=8):
        entry = self.server.run({
            "1": image(width=width),
            "2": {"class_type": "IsoKinds", "inputs": {"image": ["1", 0], "times": times}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "kinds"}},
            "4": {"class_type": "MaskToImage", "inputs": {"mask": ["2", 1]}},
            "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "mask"}},
            "6": {"class_type": "SaveLatent", "inputs": {"samples": ["2", 2], "filename_prefix": "latents/kinds"}},
            "7": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},
            "8": {"class_type": "PreviewAny", "inputs": {"source": ["2", 4]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", "%s\n%s" % (entry["status"], self.server.tail()))
        return entry

    def test_every_kind_of_value_crosses(self):
        entry = self.kinds(times=3)
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "3")), {(255, 255, 255)},
                         "IMAGE out: the black image inverted")
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "5"), "L"), {0},
                         "MASK out: channel 0 of the black input")
        latents = os.path.join(self.server.base, "output", "latents")
        self.assertTrue(any(name.endswith(".latent") for name in os.listdir(latents)), "LATENT out, saved")
        self.assertRegex(entry["outputs"]["7"]["text"][0], r"^numpy 1\.26\.\d+ in " + NODE_VENV)
        self.assertEqual(entry["outputs"]["8"]["text"][0], "6", "INT in and out")

    def test_an_output_node_shows_what_its_worker_returned(self):
        entry = self.server.run({"1": {"class_type": "IsoShow", "inputs": {"text": "hi"}}})
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        self.assertEqual(entry["outputs"]["1"]["text"], ["shown by the worker: hi"])
        self.assertRegex(entry["outputs"]["1"]["numpy"][0], r"^1\.26\.")

    def test_two_packs_with_conflicting_numpy_in_one_workflow(self):
        entry = self.server.run({
            "1": image(width=40),
            "2": {"class_type": "IsoKinds", "inputs": {"image": ["1", 0], "times": 11}},
            "3": {"class_type": "Np2Invert", "inputs": {"image": ["2", 0]}},
            "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "twice"}},
            "5": {"class_type": "PreviewAny", "inputs": {"source": ["2", 3]}},
            "6": {"class_type": "PreviewAny", "inputs": {"source": ["3", 1]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        self.assertRegex(entry["outputs"]["5"]["text"][0], r"^numpy 1\.26\.\d+ in " + NODE_VENV)
        self.assertRegex(entry["outputs"]["6"]["text"][0], r"^numpy 2\.\d+\.\d+ in " + NUMPY2_VENV)
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "4")), {(0, 0, 0)}, "inverted twice")

    def test_a_whole_pack_wrapped_by_wrap_nodes(self):
        entry = self.server.run({
            "1": image(width=56),
            "2": {"class_type": "WrappedInvert", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "wrapped"}},
            "4": {"class_type": "WrappedWhere", "inputs": {}},
            "5": {"class_type": "PreviewAny", "inputs": {"source": ["4", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "3")), {(255, 255, 255)})
        self.assertRegex(entry["outputs"]["5"]["text"][0], r"^numpy 1\.26\.\d+ in " + NODE_VENV)

    def test_a_v3_node_wrapped_by_wrap_nodes(self):
        info = self.server.get("/object_info/WrappedV3Scale")["WrappedV3Scale"]
        self.assertEqual(info["display_name"], "Wrapped V3 Scale")
        self.assertEqual(info["output"], ["IMAGE", "STRING", "INT"])
        self.assertEqual(info["output_name"], ["scaled", "where", "width"])
        self.assertEqual(info["input"]["required"]["factor"], ["FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0}])
        prompt = {
            "1": image(width=24, color=0xFFFFFF),
            "2": {"class_type": "WrappedV3Scale", "inputs": {"image": ["1", 0], "factor": 0.5, "label": "half"}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "v3"}},
            "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
            "5": {"class_type": "PreviewAny", "inputs": {"source": ["2", 2]}},
        }
        entry = self.server.run(prompt)
        self.assertEqual(entry["status"]["status_str"], "success", "%s\n%s" % (entry["status"], self.server.tail()))
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "3")), {(127, 127, 127)}, "IMAGE in and out")
        where = r"numpy 1\.26\.\d+ in %s for node 2$" % NODE_VENV
        self.assertRegex(entry["outputs"]["4"]["text"][0], "^" + where, "ran in the worker, with cls.hidden.unique_id")
        self.assertEqual(entry["outputs"]["5"]["text"][0], "24", "INT out")
        self.assertRegex(entry["outputs"]["2"]["text"][0], "^half: " + where, "the NodeOutput's ui.PreviewText")
        prompt["2"]["inputs"]["factor"] = 0.125
        with self.assertRaises(AssertionError) as refused:
            self.server.queue(prompt)
        self.assertIn("factor 0.125 refused by numpy 1.26", str(refused.exception), "validate_inputs ran in the worker")

    def test_a_v3_pack_wraps_its_node_list(self):
        entry = self.server.run({
            "1": {"class_type": "EntryWhere", "inputs": {"n": 5}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", "%s\n%s" % (entry["status"], self.server.tail()))
        self.assertRegex(entry["outputs"]["2"]["text"][0], r"^5: numpy 1\.26\.\d+ in %s$" % NODE_VENV,
                         "an async execute of a comfy_entrypoint pack, run in the worker")

    def test_is_changed_and_validate_inputs_run_in_the_worker(self):
        import tempfile
        note = tempfile.mktemp(prefix="pipes-is-changed-")
        self.addCleanup(lambda: os.path.exists(note) and os.unlink(note))
        prompt = {
            "1": {"class_type": "IsoHooks", "inputs": {"text": "fine", "note": note}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        }
        entry = self.server.run(prompt)
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        with open(note) as handle:
            self.assertEqual(handle.read(), NODE_VENV, "IS_CHANGED ran in the worker")
        prompt["1"]["inputs"]["text"] = "bad"
        with self.assertRaises(AssertionError) as refused:
            self.server.queue(prompt)
        self.assertIn("refused by numpy 1.26", str(refused.exception), "VALIDATE_INPUTS ran in the worker")

    @staticmethod
    def prompt_using_model(scale, width):
        return {
            "1": {"class_type": "IsoLoad", "inputs": {"scale": scale}},
            "2": image(width=width),
            "3": {"class_type": "IsoUse", "inputs": {"model": ["1", 0], "image": ["2", 0]}},
            "4": {"class_type": "PreviewAny", "inputs": {"source": ["3", 1]}},
        }

    def use_model(self, scale, width):
        return self.server.run(self.prompt_using_model(scale, width))

    def kept(self, nonce):
        entry = self.server.run({
            "1": {"class_type": "IsoKept", "inputs": {"nonce": nonce}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        return int(entry["outputs"]["2"]["text"][0])

    def test_a_model_stays_in_its_worker_across_nodes_and_prompts(self):
        first = self.use_model(0.25, 72)
        second = self.use_model(0.25, 80)
        for entry in (first, second):
            self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        one, two = first["outputs"]["4"]["text"][0], second["outputs"]["4"]["text"][0]
        self.assertRegex(one, r"^Model call 1 in \d+$")
        self.assertEqual(two, one.replace("call 1", "call 2"), "the same object, in the same worker, no copy")
        held = self.server.run(dict(self.prompt_using_model(0.25, 80), **{
            "5": {"class_type": "IsoKept", "inputs": {"nonce": 1}},
            "6": {"class_type": "PreviewAny", "inputs": {"source": ["5", 0]}},
        }))
        self.assertEqual(held["outputs"]["6"]["text"][0], "1", "the worker holds the model while ComfyUI does")
        other = self.server.run({
            "1": {"class_type": "IsoLoad", "inputs": {"scale": 0.25}},
            "2": {"class_type": "Np2Use", "inputs": {"model": ["1", 0]}},
            "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
        })
        message = comfyui.messages(other, "execution_error")[0]["exception_message"]
        self.assertIn("input 'model'", message)
        self.assertIn("objects stay in the env that made them", message)
        # A prompt without the loader: ComfyUI's cache lets go of its output, and the worker lets
        # go of the model at a call after that (at once, or once ComfyUI's own gc.collect, every
        # 10 s between prompts, has freed the handle if a reference cycle held it).
        deadline, nonce = time.monotonic() + 30, 2
        while self.kept(nonce) != 0:
            self.assertLess(time.monotonic(), deadline, "the worker still holds the model 30 s after ComfyUI let go")
            nonce += 1
            time.sleep(1)

    def test_a_worker_restart_invalidates_its_objects(self):
        self.assertEqual(self.use_model(0.75, 88)["status"]["status_str"], "success", self.server.tail())
        # The same prompt (its outputs stay in ComfyUI's cache, the model's handle with them), and
        # a node that kills the worker.
        self.server.run(dict(self.prompt_using_model(0.75, 88), **{
            "5": image(width=96),
            "6": {"class_type": "IsoCrash", "inputs": {"image": ["5", 0]}},
            "7": {"class_type": "PreviewImage", "inputs": {"images": ["6", 0]}},
        }))
        entry = self.server.run(dict(self.prompt_using_model(0.75, 104), **{
            "5": image(width=96),
            "6": {"class_type": "IsoCrash", "inputs": {"image": ["5", 0]}},
        }))
        message = comfyui.messages(entry, "execution_error")[0]["exception_message"]
        self.assertIn("no longer in this worker", message)
        self.assertIn("run the node that made it again", message)

    def error_of(self, class_type):
        entry = self.server.run({
            "1": {"class_type": class_type, "inputs": {}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "error")
        return comfyui.messages(entry, "execution_error")[0]["exception_message"]

    def test_a_host_only_import_says_what_to_do(self):
        message = self.error_of("HostOnlyImport")
        self.assertIn("aiohttp", message)
        self.assertIn("ran in the worker", message)
        self.assertIn("move that import into the method", message)

    def test_an_env_never_built_says_how_to_build_it(self):
        message = self.error_of("NoEnv")
        self.assertIn(os.path.join("trouble_pack", "_env_never_built"), message)
        self.assertIn("comfy-pipes-install", message)

    def test_send_sync_in_the_worker_reaches_comfyuis_websocket(self):
        events = self.listen({"1": {"class_type": "IsoShow", "inputs": {"text": "over the socket"}}},
                             "comfy_pipes.test")
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["said"], "over the socket")
        self.assertRegex(events[0]["numpy"], r"^1\.26\.")

    def listen(self, prompt, kind):
        """The `kind` events the WebSocket gets while `prompt` runs."""
        import asyncio
        import json

        import aiohttp

        async def go():
            url = self.server.url("/ws?clientId=" + self.server.client_id).replace("http://", "ws://")
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
                prompt_id = await asyncio.get_running_loop().run_in_executor(None, self.server.queue, prompt)
                seen = []
                async for message in socket:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    event = json.loads(message.data)
                    data = event.get("data") or {}
                    if event["type"] == kind:
                        seen.append(data)
                    if event["type"] in ("executing", "execution_success", "execution_error") and \
                            data.get("prompt_id") == prompt_id and data.get("node") is None:
                        return seen

        return asyncio.run(asyncio.wait_for(go(), 60))

    def test_an_exception_reads_as_the_nodes_own(self):
        entry = self.server.run({
            "1": image(width=16),
            "2": {"class_type": "IsoFail", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "error")
        error = comfyui.messages(entry, "execution_error")[0]
        self.assertEqual(error["exception_type"], "ValueError")
        self.assertEqual(error["exception_message"].strip(), "the node's own words")  # ComfyUI adds tips after a newline
        self.assertEqual(error["node_type"], "IsoFail")

    def test_progress_reaches_comfyuis_websocket(self):
        events = self.listen({
            "1": image(width=64),
            "2": {"class_type": "IsoSlow", "inputs": {"image": ["1", 0], "seconds": 1.0, "checks": True}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
        }, "progress")
        self.assertGreater(len(events), 3, events)
        self.assertEqual({e["node"] for e in events}, {"2"}, "the isolated node's own id")
        self.assertEqual((events[-1]["value"], events[-1]["max"]), (20, 20))

    def cancel(self, checks, seconds):
        prompt_id = self.server.queue({
            "1": image(width=24),
            "2": {"class_type": "IsoSlow", "inputs": {"image": ["1", 0], "seconds": seconds, "checks": checks}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
        })
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # running, and past the worker's start
            running = self.server.get("/queue")["queue_running"]
            if running and running[0][1] == prompt_id:
                break
            time.sleep(0.05)
        time.sleep(1.5)
        pressed = time.time()
        self.server.post("/interrupt", {})
        entry = self.server.wait(prompt_id, timeout=60)
        interrupted = comfyui.messages(entry, "execution_interrupted")
        self.assertTrue(interrupted, "%s\n%s" % (entry["status"], self.server.tail()))
        self.assertEqual(interrupted[0]["node_type"], "IsoSlow")
        return interrupted[0]["timestamp"] / 1000.0 - pressed

    def test_cancel_stops_a_node_that_checks_within_a_second(self):
        waited = self.cancel(checks=True, seconds=30.0)
        self.assertLess(waited, 1.0)
        self.kinds(times=5)  # the same worker answers the next prompt

    def test_cancel_stops_a_node_that_never_checks_after_the_grace_period(self):
        waited = self.cancel(checks=False, seconds=31.0)
        self.assertGreaterEqual(waited, GRACE - 0.2)
        self.assertLess(waited, GRACE + 2.0)
        self.kinds(times=7, width=16)  # a new worker answers the next prompt

    def test_a_crashed_worker_is_replaced(self):
        entry = self.server.run({
            "1": image(width=32),
            "2": {"class_type": "IsoCrash", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
        })
        error = comfyui.messages(entry, "execution_error")[0]
        self.assertIn("died", error["exception_message"])
        self.assertIn("exit", error["exception_message"])
        self.kinds(times=9, width=24)


@unittest.skipIf(why_not(), why_not())
class RealFolderPaths(unittest.TestCase):
    """folder_paths in the worker is the server's own, set to its folders: an --output-directory
    elsewhere, a model folder from --extra-model-paths-config."""

    def test_the_worker_sees_the_servers_folders(self):
        import json
        import tempfile
        work = tempfile.mkdtemp(prefix="pipes-folders-")
        self.addCleanup(__import__("shutil").rmtree, work, True)
        output = os.path.join(work, "elsewhere", "output")
        extra = os.path.join(work, "extra", "models", "checkpoints")
        os.makedirs(extra)
        with open(os.path.join(extra, "tiny.safetensors"), "wb") as handle:
            handle.write(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
        config = os.path.join(work, "extra_model_paths.yaml")
        with open(config, "w") as handle:
            handle.write("comfy_pipes_test:\n    base_path: %s\n    checkpoints: models/checkpoints\n"
                         % os.path.join(work, "extra"))
        env = dict(os.environ)
        env.update(PYTHONPATH=os.path.join(comfyui.ROOT, "Sources", "node-run"),
                   COMFY_PIPES_NODE_RUN=os.path.join(BIN, "node-run"), PIPES_NODE_VENV=NODE_VENV)
        server = comfyui.ComfyUI(packs=["iso_pack"], env=env,
                                 args=["--output-directory", output, "--extra-model-paths-config", config])
        self.addCleanup(server.close)
        server.start()
        entry = server.run({
            "1": {"class_type": "IsoFolders", "inputs": {"model": "tiny.safetensors"}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", server.tail())
        seen = json.loads(entry["outputs"]["2"]["text"][0])
        self.assertEqual(seen["module"], os.path.join(comfyui.SOURCE, "folder_paths.py"), "the server's own module")
        self.assertEqual(seen["output"], output)
        self.assertEqual(seen["input"], os.path.join(server.base, "input"))
        self.assertEqual(seen["temp"], os.path.join(server.base, "temp"))
        self.assertEqual(seen["user"], os.path.join(server.base, "user"))
        self.assertEqual(seen["model"], os.path.join(extra, "tiny.safetensors"), "a model in an extra path")
        self.assertIn("tiny.safetensors", seen["models"])
        self.assertEqual(seen["save"][0], os.path.join(output, "iso"))
        self.assertEqual(seen["save"][1], "pic")
        self.assertEqual(seen["annotated"], os.path.join(output, "a.png"))


@unittest.skipIf(why_not(), why_not())
class ZeroEdit(unittest.TestCase):
    """Unmodified third-party packs in isolated_nodes/, registered by the loader that
    `python -m comfy_pipes.install --loader` writes, each run in an env built from its own
    requirements.txt, pyisolate.yaml or pyproject.toml: a V1 pack, a V3 pack (comfy_entrypoint),
    a pyisolate pack (whose decoy requirements.txt is passed over) and a registry pack."""

    PACKS = ("plain_pack", "v3_pack", "pyisolate_pack", "pyproject_pack")

    @classmethod
    def setUpClass(cls):
        import shutil
        import subprocess
        env = dict(os.environ)
        env.update(PYTHONPATH=os.path.join(comfyui.ROOT, "Sources", "node-run"),
                   COMFY_PIPES_NODE_RUN=os.path.join(BIN, "node-run"))
        cls.server = server = comfyui.ComfyUI(env=env)
        wrote = subprocess.run([comfyui.PYTHON, "-m", "comfy_pipes.install", "--loader", server.custom_nodes],
                               env=env, capture_output=True, text=True)
        if wrote.returncode != 0:
            server.close()
            raise AssertionError(wrote.stderr)
        for pack in cls.PACKS:
            shutil.copytree(os.path.join(comfyui.PACKS, pack), cls.pack(pack))
        try:
            server.start(timeout=400)
        except BaseException:
            server.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    @classmethod
    def pack(cls, name):
        return os.path.join(cls.server.base, "isolated_nodes", name)

    def where(self, pack):
        return r"^numpy 1\.26\.\d+ in " + os.path.join(self.pack(pack), "_env") + "$"

    def test_an_unmodified_pack_runs_in_its_own_env(self):
        server = self.server
        info = server.get("/object_info/PlainInvert")["PlainInvert"]
        self.assertEqual(info["display_name"], "Plain Invert")
        self.assertEqual(info["output_name"], ["image", "where"])
        self.assertEqual(info["input"]["required"]["mode"][0], ["invert", "keep"])
        entry = server.run({
            "1": image(width=8),
            "2": {"class_type": "PlainInvert", "inputs": {"image": ["1", 0], "mode": "invert"}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "plain"}},
            "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", server.tail())
        self.assertEqual(comfyui.pixels(server.output_file(entry, "3")), {(255, 255, 255)})
        self.assertRegex(entry["outputs"]["4"]["text"][0], self.where("plain_pack"))

    def test_an_unmodified_v3_pack_runs_in_its_own_env(self):
        server = self.server
        info = server.get("/object_info/V3Invert")["V3Invert"]
        self.assertEqual(info["display_name"], "V3 Invert")
        self.assertEqual(info["description"], "Inverts an image with the pack's own numpy.")
        self.assertEqual(info["category"], "v3 pack")
        self.assertEqual(info["output"], ["IMAGE", "STRING", "INT"])
        self.assertEqual(info["output_name"], ["image", "where", "twice"])
        self.assertEqual(info["input"]["required"]["times"], ["INT", {"default": 1, "min": 0, "max": 100}])
        self.assertEqual(info["input"]["required"]["mode"], ["COMBO", {"multiselect": False,
                                                                       "options": ["invert", "keep"]}])
        self.assertTrue(server.get("/object_info/V3Note")["V3Note"]["output_node"])
        entry = server.run({
            "1": image(width=16),
            "2": {"class_type": "V3Invert", "inputs": {"image": ["1", 0], "times": 21, "mode": "invert"}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "v3pack"}},
            "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
            "5": {"class_type": "PreviewAny", "inputs": {"source": ["2", 2]}},
            "6": {"class_type": "V3Note", "inputs": {"text": "noted"}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", "%s\n%s" % (entry["status"], server.tail()))
        self.assertEqual(comfyui.pixels(server.output_file(entry, "3")), {(255, 255, 255)}, "IMAGE in and out")
        self.assertRegex(entry["outputs"]["4"]["text"][0], self.where("v3_pack"), "STRING out, from its own env")
        self.assertEqual(entry["outputs"]["5"]["text"][0], "42", "INT in and out")
        self.assertEqual(entry["outputs"]["6"]["text"], ["noted from node 6 of a 6-node prompt"],
                         "an async execute's ui, with its hidden unique_id and prompt")
        prompt = {"1": image(), "2": {"class_type": "V3Invert", "inputs": {"image": ["1", 0], "times": 13, "mode": "keep"}},
                  "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}}}
        with self.assertRaises(AssertionError) as refused:
            server.queue(prompt)
        self.assertIn("13 refused by numpy 1.26", str(refused.exception), "validate_inputs ran in the worker")

    def test_a_pyisolate_manifest_gives_the_env_its_dependencies(self):
        entry = self.server.run({
            "1": {"class_type": "PyisolateWhere", "inputs": {}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        self.assertRegex(entry["outputs"]["2"]["text"][0], self.where("pyisolate_pack"),
                         "numpy==1.26.4 from pyisolate.yaml, not numpy>=2 from the requirements.txt beside it")
        self.assertIn("share_torch is not used", self.server.tail(100000))

    def test_pyproject_dependencies_give_the_env_its_packages(self):
        info = self.server.get("/object_info/PyprojectWhere")["PyprojectWhere"]
        self.assertEqual(info["display_name"], "Pyproject Where")
        entry = self.server.run({
            "1": {"class_type": "PyprojectWhere", "inputs": {}},
            "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        self.assertRegex(entry["outputs"]["2"]["text"][0], self.where("pyproject_pack"))


if __name__ == "__main__":
    unittest.main()
