"""comfy-env's own plan for one node pack, for bench/install_plans.py.

Run by the fake host's interpreter (which sees comfy-env 0.4.46 through a .pth file) as
`python comfy_env_plan.py PACK`, with COMFY_ENV_ROOT set to a scratch directory, PACK inside a
ComfyUI tree (CUI/custom_nodes/PACK). Two calls, as comfy-env makes them:
- the pack's own config, read as `comfy_env.install()` reads it (`discover_config(PACK)`: the
  root file, else PACK/comfy-env.toml); an error here is what the pack's install.py would raise;
- `install_workspace(CUI, dry_run=True)`, which builds the envs: it discovers every env file
  comfy-env binds (nodes/comfy-env.toml, nodes/SUB/comfy-env.toml), decides the torch pin and
  writes each env's pixi.toml; a dry run stops before `pixi install`.
The answer is one JSON object on stdout:
{"config_error", "envs": [{"config", "env", "manifest"}], "error", "log"}.

Two things are changed, and only these, so that nothing is downloaded or installed:
- comfy_env.pixi.ensure_pixi is a no-op: it would download pixi 0.75.0 from GitHub; the dry
  run never runs it.
- socket connections raise: any other attempt to reach the network fails loudly (and shows as
  the plan's error) instead of going out.
"""

import json
import socket
import sys
import tomllib
from pathlib import Path


def no_network(*_args, **_kwargs):
    raise OSError("bench: comfy-env tried to reach the network, which this bench forbids")


socket.socket.connect = no_network
socket.create_connection = no_network

import comfy_env.pixi  # noqa: E402

comfy_env.pixi.ensure_pixi = lambda: None

from comfy_env.environment.cache import get_env_manifest_dir, get_env_name  # noqa: E402
from comfy_env.config import discover_config  # noqa: E402
from comfy_env.install.workspace import _bindable_config_paths, install_workspace  # noqa: E402

pack = Path(sys.argv[1])
log = []
config_error = error = None
try:
    if discover_config(pack, root=True) is None:
        config_error = "FileNotFoundError: no comfy-env-root.toml or comfy-env.toml at the pack root"
except Exception as exc:
    config_error = f"{type(exc).__name__}: {exc}"
try:
    install_workspace(pack.parent.parent, log=lambda message: log.append(str(message)), dry_run=True)
except Exception as exc:  # the plan's answer is whatever comfy-env says, errors included
    error = f"{type(exc).__name__}: {exc}"

envs = []
for config in _bindable_config_paths(pack):
    name = get_env_name(pack, config)
    manifest = get_env_manifest_dir(name) / "pixi.toml"
    envs.append({
        "config": str(config.relative_to(pack)),
        "env": name,
        "manifest": tomllib.loads(manifest.read_text()) if manifest.is_file() else None,
    })
print(json.dumps({"config_error": config_error, "envs": envs, "error": error, "log": log}))
