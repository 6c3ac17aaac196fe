"""node-run's stand-in for ComfyUI's V3 API (comfy_api.latest, in a worker whose env has no
comfy_api) reads V3 schemas as ComfyUI's own does: node-run:describe of a module of V3 classes
(every widget, socket, hidden input and schema flag the stand-in covers) against
GET_NODE_INFO_V1 of the same classes under ComfyUI v0.3.64's comfy_api. And what a V3 node
returns that cannot cross, or asks of the stand-in that it lacks, is a clear error."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comfyui  # noqa: E402

NODE_VENV, BIN = comfyui.NODE_VENV, comfyui.BIN
FIXTURES = os.path.join(comfyui.ROOT, "Tests", "Fixtures", "comfyui")

REAL = """
import json, sys
sys.path[:0] = [%r, %r]
import v3_schemas
print(json.dumps({name: cls.GET_NODE_INFO_V1() for name, cls in v3_schemas.NODE_CLASS_MAPPINGS.items()}))
""" % (comfyui.SOURCE, FIXTURES)


def why_not():
    return comfyui.missing(tools=("node-run",), venvs=(NODE_VENV,))


@unittest.skipIf(why_not(), why_not())
class V3Schemas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        real = subprocess.run([comfyui.PYTHON, "-c", REAL], cwd=comfyui.SOURCE, capture_output=True, text=True,
                              timeout=120)
        assert real.returncode == 0, real.stderr
        cls.real = json.loads(real.stdout.strip().splitlines()[-1])
        call = {"type": "call", "id": "d", "function": "node-run:describe", "args": {"module": "v3_schemas"}}
        described = subprocess.run([os.path.join(BIN, "node-run"), "--venv", NODE_VENV, "--path", FIXTURES],
                                   input=json.dumps(call) + "\n", capture_output=True, text=True, timeout=120)
        assert described.returncode == 0, described.stdout + described.stderr
        record = json.loads(described.stdout.strip().splitlines()[-1])
        assert record["type"] == "result", record
        cls.described = record["outputs"][0]

    def test_the_worker_reads_every_schema_as_comfyui_does(self):
        self.assertEqual(sorted(self.described["nodes"]), ["Expands", "Sockets", "Widgets"])
        self.assertEqual(self.described["skipped"], [])
        for name, real in self.real.items():
            with self.subTest(node=name):
                node = self.described["nodes"][name]
                inputs = dict(real["input"])
                hidden = inputs.pop("hidden", {})
                self.assertTrue(node["v3"])
                self.assertEqual(node["target"], "v3_schemas:%s" % name)
                self.assertEqual(node["input_types"], inputs)
                self.assertEqual(node["return_types"], real["output"])
                self.assertEqual(node["return_names"], real["output_name"])
                self.assertEqual(node["output_is_list"], real["output_is_list"])
                self.assertEqual(node["output_tooltips"], real["output_tooltips"])
                for key in ("category", "description", "output_node", "deprecated", "experimental", "api_node",
                            "display_name"):
                    self.assertEqual(node[key], real[key], key)
                self.assertEqual(node["hidden"], {k: v[0] for k, v in hidden.items() if v[0] != "DYNPROMPT"},
                                 "hidden inputs as a V1 class asks for them, DYNPROMPT left out")

    def test_flags_that_only_the_schema_holds(self):
        self.assertTrue(self.described["nodes"]["Sockets"]["input_is_list"])
        self.assertTrue(self.described["nodes"]["Widgets"]["not_idempotent"])
        self.assertIn("DYNPROMPT", json.dumps(self.real["Sockets"]["input"]["hidden"]))


    def call(self, preview):
        call = {"type": "call", "id": "x", "node": "v3_schemas:Expands", "args": {"preview": preview}}
        done = subprocess.run([os.path.join(BIN, "node-run"), "--venv", NODE_VENV, "--path", FIXTURES],
                              input=json.dumps(call) + "\n", capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def test_a_subgraph_to_expand_cannot_cross(self):
        record = self.call(False)
        self.assertEqual(record["type"], "error", record)
        self.assertEqual(record["code"], "unserializable")
        self.assertIn("expand=", record["message"])

    def test_what_the_stand_in_lacks_says_so(self):
        record = self.call(True)
        self.assertEqual(record["type"], "error", record)
        self.assertIn("PreviewImage is not in node-run's stand-in", record["message"])


if __name__ == "__main__":
    unittest.main()
