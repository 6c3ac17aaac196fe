"""comfy_pipes.packs: isolate unmodified node packs, with no edit to their code.

A user puts third-party packs in a folder that ComfyUI itself does not scan, ComfyUI/isolated_nodes/
by default, and adds one loader to custom_nodes/ (`python -m comfy_pipes.install --loader
ComfyUI/custom_nodes` writes it):

    from comfy_pipes.packs import load_isolated_packs
    NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = load_isolated_packs()

For each pack there, its env is built (a no-op when unchanged) from the first of its own
comfy-env.toml or comfyui_env.toml (the install hook), pyisolate.yaml (dependencies),
requirements.txt (venv-make -r) and pyproject.toml ([project] dependencies); its node classes are
read inside a worker of that env (node-run:describe: V1 classes' INPUT_TYPES, RETURN_TYPES,
RETURN_NAMES, OUTPUT_NODE, CATEGORY and display names; V3 io.ComfyNode classes' schemas, from
NODE_CLASS_MAPPINGS or comfy_entrypoint()) and registered in ComfyUI as proxies that run there.
"""
import inspect
import json
import os
import subprocess
import sys

from .host import _isolate, _runner, node_run_path


def _tool(name):
    beside = os.path.join(os.path.dirname(node_run_path() or sys.executable), name)
    return beside if os.access(beside, os.X_OK) else name


# Where a pack's env comes from, first found wins: the isolation manifests (comfy-env's, then
# pyisolate's), then the usual places a pack lists its packages (ComfyUI-Manager's requirements.txt,
# the Comfy registry's pyproject.toml).
ENV_SOURCES = ("comfy-env.toml", "comfyui_env.toml", "pyisolate.yaml", "requirements.txt", "pyproject.toml")


class EnvSourceError(ValueError):
    """A pack's env source that cannot be read: the file and what is wrong with it."""


def env_source(pack):
    """(file, requirements) of the first ENV_SOURCES file the pack has: requirements is None for a
    comfy-env config (the install hook reads it) and a requirements file (venv-make -r reads it),
    else the list of requirement specs read from it; (None, []) for a pack with none."""
    for name in ENV_SOURCES:
        path = os.path.join(pack, name)
        if not os.path.isfile(path):
            continue
        if name == "pyisolate.yaml":
            return path, _pyisolate_dependencies(path)
        if name == "pyproject.toml":
            return path, _pyproject_dependencies(path)
        return path, None
    return None, []


def _pyisolate_dependencies(path):
    """`dependencies` of a pyisolate manifest (pyisolate.yaml: isolated, share_torch, dependencies).
    `isolated` needs no saying (a pack in isolated_nodes/ is isolated); `share_torch` cannot be
    honoured (the worker never sees ComfyUI's site-packages: that would undo the isolation), so
    a pack that imports torch lists it in dependencies; both get a note, as any other key does."""
    try:
        import yaml  # ComfyUI's own requirement: its main.py imports it to read extra_model_paths.yaml
    except ImportError:
        raise EnvSourceError("%s: reading it needs PyYAML in ComfyUI's python (%s -m pip install pyyaml)"
                             % (path, sys.executable))
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = yaml.safe_load(handle)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise EnvSourceError("%s: not a YAML file: %s" % (path, error))
    if manifest is None:
        manifest = {}
    if not isinstance(manifest, dict):
        raise EnvSourceError("%s: a pyisolate manifest is a mapping (isolated, share_torch, dependencies), "
                             "not a %s" % (path, type(manifest).__name__))
    dependencies = manifest.get("dependencies") or []
    if not isinstance(dependencies, list) or not all(isinstance(d, str) and d.strip() for d in dependencies):
        raise EnvSourceError("%s: dependencies must be a list of requirement strings (numpy==2.0.0), not %r"
                             % (path, dependencies))
    if manifest.get("share_torch"):
        sys.stderr.write("comfy_pipes: %s: share_torch is not used: the pack's env never sees ComfyUI's packages "
                         "(tensors cross through shared memory all the same); list torch in dependencies if the "
                         "pack imports it\n" % path)
    other = sorted(set(manifest) - {"isolated", "share_torch", "dependencies"})
    if other:
        sys.stderr.write("comfy_pipes: %s: %s not used by comfy-pipes\n" % (path, ", ".join(map(str, other))))
    return [d.strip() for d in dependencies]


def _pyproject_dependencies(path):
    """[project] dependencies of a pyproject.toml (PEP 621), as the Comfy registry's packs list them."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        try:
            import tomli as tomllib
        except ImportError:
            raise EnvSourceError("%s: reading it needs Python 3.11 or tomli in ComfyUI's python" % path)
    try:
        with open(path, "rb") as handle:
            project = tomllib.load(handle).get("project") or {}
    except (OSError, ValueError) as error:
        raise EnvSourceError("%s: not a TOML file: %s" % (path, error))
    dependencies = project.get("dependencies") or [] if isinstance(project, dict) else None
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise EnvSourceError("%s: [project] dependencies must be a list of requirement strings" % path)
    return dependencies


def build_env(pack):
    """The pack's env, PACK/_env, built or checked (venv-make: a no-op when unchanged) from its
    env source (env_source); its path, or None with the reason on stderr."""
    env = os.path.join(pack, "_env")
    try:
        source, requirements = env_source(pack)
    except EnvSourceError as error:
        sys.stderr.write("comfy_pipes: the env of %s could not be built: %s\n" % (pack, error))
        return None
    records = ""
    if source is not None and requirements is None and not source.endswith(".txt"):
        command = [_tool("comfy-pipes-install"), "--dir", pack, "--host-python", sys.executable, "-q"]
    elif source is not None and requirements is None:
        command = [_tool("venv-make"), "--dir", env, "-r", source, "-q"]
    else:
        command = [_tool("venv-make"), "--dir", env, "-q"]
        records = "".join(json.dumps({"type": "requirement", "spec": spec}) + "\n" for spec in requirements)
    done = subprocess.run(command, input=records, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.stderr.write("comfy_pipes: the env of %s could not be built from %s (%s exited %d):\n%s"
                         % (pack, os.path.basename(source) if source else "nothing (no env source)",
                            os.path.basename(command[0]), done.returncode, done.stderr))
        return None
    return env


def _proxy_class(name, node, options):
    """The class ComfyUI registers for a node described in its worker: a V1 class (for a V3 node
    too: ComfyUI takes a V1 class in every version, and the V3 node's schema, read by ComfyUI's
    own rules, becomes its INPUT_TYPES and RETURN_* attributes) whose FUNCTION and hooks run the
    node's in the worker. A V3 node's hidden inputs are asked for as a V1 class asks (INPUT_TYPES
    "hidden") and reach it as its `cls.hidden` there."""
    input_types = dict(node["input_types"])
    hidden = node.get("hidden") or None
    if hidden:
        input_types["hidden"] = dict(hidden)
    attributes = {
        "INPUT_TYPES": classmethod(lambda cls: input_types), "RETURN_TYPES": tuple(node["return_types"]),
        "FUNCTION": node["function"], "OUTPUT_NODE": node["output_node"],
        "CATEGORY": node["category"] or "isolated", "__module__": __name__,
        "__doc__": "%s, run in %s by comfy-pipes" % (node["target"], options["venv"]),
    }
    if node["return_names"]:
        attributes["RETURN_NAMES"] = tuple(node["return_names"])
    for key, attribute in (("input_is_list", "INPUT_IS_LIST"), ("output_is_list", "OUTPUT_IS_LIST"),
                           ("output_tooltips", "OUTPUT_TOOLTIPS"), ("description", "DESCRIPTION"),
                           ("not_idempotent", "NOT_IDEMPOTENT"), ("deprecated", "DEPRECATED"),
                           ("experimental", "EXPERIMENTAL"), ("api_node", "API_NODE")):
        if key in node:
            attributes[attribute] = tuple(node[key]) if isinstance(node[key], list) else node[key]
    methods = {}
    for hook in node["hooks"]:  # stand-ins with the hook's signature, which _isolate replaces
        attributes[hook["name"]] = _placeholder(hook)
        methods[hook["name"]] = hook["method"]
    cls = type(name, (), attributes)
    return _isolate(cls, node["target"], options, hidden=hidden, methods=methods)


def _placeholder(hook):
    """A function with the parameters the worker's hook has (ComfyUI reads them: VALIDATE_INPUTS
    gets the inputs it names), for _isolate to forward."""
    def placeholder(self_or_cls, **kwargs):
        return None
    parameters = [inspect.Parameter("cls" if hook["classmethod"] else "self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in hook["params"]]
    if hook["varkw"]:
        parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    placeholder.__signature__ = inspect.Signature(parameters)
    return classmethod(placeholder) if hook["classmethod"] else placeholder


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
            sys.stderr.write("comfy_pipes: %s: %s not registered (neither a FUNCTION nor a V3 execute)\n"
                             % (entry, ", ".join(described["skipped"])))
    return mappings, display
