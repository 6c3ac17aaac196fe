"""comfy_pipes.packs: isolate unmodified node packs, with no edit to their code.

A user puts third-party packs in a folder that ComfyUI itself does not scan, ComfyUI/isolated_nodes/
by default, and adds one loader to custom_nodes/ (`python -m comfy_pipes.install --loader
ComfyUI/custom_nodes` writes it):

    from comfy_pipes.packs import load_isolated_packs
    NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = load_isolated_packs()

For each pack there, its env is built (a no-op when unchanged) from its own comfy-env.toml (the
install hook) or requirements.txt (venv-make -r), its node classes are read inside a worker of that
env (INPUT_TYPES, RETURN_TYPES, RETURN_NAMES, OUTPUT_NODE, CATEGORY, display names) and registered
in ComfyUI as proxies that run there. V3 classes (no FUNCTION) are named in a warning and left out.
"""
import os
import subprocess
import sys

from .host import _isolate, _runner, node_run_path


def _tool(name):
    beside = os.path.join(os.path.dirname(node_run_path() or sys.executable), name)
    return beside if os.access(beside, os.X_OK) else name


def build_env(pack):
    """The pack's env, PACK/_env, built or checked; its path, or None with the reason on stderr."""
    env = os.path.join(pack, "_env")
    if os.path.isfile(os.path.join(pack, "comfy-env.toml")) or os.path.isfile(os.path.join(pack, "comfyui_env.toml")):
        command = [_tool("comfy-pipes-install"), "--dir", pack, "--host-python", sys.executable, "-q"]
    elif os.path.isfile(os.path.join(pack, "requirements.txt")):
        command = [_tool("venv-make"), "--dir", env, "-r", os.path.join(pack, "requirements.txt"), "-q"]
    else:
        command = [_tool("venv-make"), "--dir", env, "-q"]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        sys.stderr.write("comfy_pipes: the env of %s could not be built (%s exited %d):\n%s"
                         % (pack, os.path.basename(command[0]), done.returncode, done.stderr))
        return None
    return env


def _proxy_class(name, node, options):
    input_types = node["input_types"]
    attributes = {
        "INPUT_TYPES": classmethod(lambda cls: input_types), "RETURN_TYPES": tuple(node["return_types"]),
        "FUNCTION": node["function"], "OUTPUT_NODE": node["output_node"],
        "CATEGORY": node["category"] or "isolated", "__module__": __name__,
        "__doc__": "%s, run in %s by comfy-pipes" % (node["target"], options["venv"]),
    }
    if node["return_names"]:
        attributes["RETURN_NAMES"] = tuple(node["return_names"])
    for hook in node["hooks"]:  # stand-ins that _isolate replaces with calls to the worker
        attributes[hook] = (lambda self, **kwargs: None) if hook == "check_lazy_status" else classmethod(
            lambda cls, **kwargs: None)
    cls = type(name, (), attributes)
    return _isolate(cls, node["target"], options)


def load_isolated_packs(folder=None):
    """(NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS) of every pack in `folder` (default:
    $COMFY_PIPES_ISOLATED_NODES, else isolated_nodes/ beside ComfyUI's custom_nodes/)."""
    if folder is None:
        folder = os.environ.get("COMFY_PIPES_ISOLATED_NODES")
    if folder is None:
        import folder_paths
        folder = os.path.join(os.path.dirname(folder_paths.get_folder_paths("custom_nodes")[0]), "isolated_nodes")
    mappings, display = {}, {}
    if not os.path.isdir(folder):
        return mappings, display
    for entry in sorted(os.listdir(folder)):
        pack = os.path.join(folder, entry)
        if entry.startswith((".", "_")) or not os.path.isfile(os.path.join(pack, "__init__.py")):
            continue
        env = build_env(pack)
        if env is None:
            continue
        options = {"venv": env, "python": None, "node_run": None, "path": folder, "timeout": None,
                   "tensors": None, "allow_pickle": False}
        try:
            described = _runner(options).call("node-run:describe", None, {"module": entry}, kind="function")[0]
        except Exception as error:
            sys.stderr.write("comfy_pipes: the nodes of %s could not be read in its env: %s\n" % (pack, error))
            continue
        for name, node in described["nodes"].items():
            mappings[name] = _proxy_class(name, node, options)
            if node["display_name"]:
                display[name] = node["display_name"]
        if described["skipped"]:
            sys.stderr.write("comfy_pipes: %s: %s not isolated (no FUNCTION: V3 nodes are not yet supported)\n"
                             % (entry, ", ".join(described["skipped"])))
    return mappings, display
