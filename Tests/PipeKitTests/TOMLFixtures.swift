/// The config examples of `reference/comfy-env.md` §2, copied verbatim as test fixtures (a `\#` at
/// the end of a line continues it on the next: the fixture line is longer than 120 characters).
enum ComfyEnvFixtures {
  /// E1 simple form (v1), `env/config_file.py`.
  static let e1Simple = #"""
    [env]
    name = "my-node"        # default: directory name; env dir = <node_dir>/_env_<name>
    python = "3.10"         # default "3.10"; having name or python set => isolated venv
    cuda = "auto"           # "auto" (default) | "12.8" | "null"/"none"
    pytorch = "2.8.0"       # or pytorch_version; "auto"/absent => 12.4 -> "2.5.1", else "2.8.0"

    [packages]              # either {requirements, no_deps, requirements_file} ...
    requirements = ["transformers>=4.56", "pillow"]
    no_deps = ["nvdiffrast==0.4.0", "pytorch3d>=0.7.8"]   # "CUDA packages"
    requirements_file = "requirements.txt"
    # ... or simplified: [packages] pkg = "ver" / "*"  (all treated as CUDA packages)

    [cuda]                  # highest priority: pkg = "ver" | "*", or cuda = ["pkg==ver", ...]
    torch-scatter = "2.1.2"

    [sources]
    wheel_sources = ["https://.../releases/download/"]   # -> --find-links
    index_urls = ["https://pypi.org/simple/"]             # -> --extra-index-url

    [variables]             # user substitutions, applied to requirements/no_deps strings
    [worker]
    package = "worker"      # worker/__main__.py   (or script = "worker.py")
    """#

  /// E1 full form (v2).
  static let e1Full = #"""
    [system]                 # linux = apt pkgs (sudo apt-get update + install -y; failures only warn)
    linux = ["libgl1", "libopengl0"]   # darwin/windows: printed advice only
    [local.cuda]             # CUDA pkgs into the HOST env (in-place)
    nvdiffrast = "0.4.0"
    [local.packages]
    requirements = ["numpy"]
    [myenv]                  # named isolated env
    python = "3.11"
    cuda_version = "12.8"    # or cuda; "auto" default
    pytorch_version = "auto"
    [myenv.cuda]             # pkg = "ver"|"*"
    [myenv.packages]         # requirements=[...] or list; plus .windows/.linux/.darwin sub-tables
    [myenv.conda]            # channels=[...], packages=[...] -> pixi backend instead of uv
    [node_reqs]              # Name = "owner/repo" or {repo="..."} -> git clone into custom_nodes
    [tools]                  # blender = "4.2" or {version, install_dir}
    """#

  /// E3 env file `comfy-env.toml`, verbatim: its last line is prose, not TOML.
  static let e3Env = #"""
    schema = 1                       # optional; anything else -> ValueError
    python = "3.11"                  # MUST be a string (python = 3.10 -> ValueError "…Quote it…"); default = \#
    host major.minor
    [cuda]
    packages = ["cumesh", "nvdiffrast"]   # scalar is normalised to a list; torch/torchvision/torchaudio here \#
    -> ValueError
    [env_vars]                       # applied to the worker/scan subprocess env only
    OMP_NUM_THREADS = "4"
    [options]
    health_check_timeout = 5.0       # seconds (default 5.0)
    # Everything else is pixi's language, passed through to the generated manifest:
    [dependencies]                   # conda (conda-forge + extra channels)
    cgal = "*"
    [pypi-dependencies]
    trimesh = { version = ">=4", extras = ["easy"] }
    [target.win-64.pypi-dependencies]   # only the current platform's target is kept
    msvc-runtime = "*"
    [pypi-options] / [system-requirements] / [activation] (merged) / [workspace] channels = [...]
    """#

  /// E3 root file `comfy-env-root.toml`.
  static let e3Root = #"""
    [node_reqs]
    ComfyUI_essentials = "cubiq/ComfyUI_essentials"                          # git clone --depth 1
    X = { github = "owner/repo", tag = "v1" }   # or branch=, commit= (full clone + checkout)
    Y = { registry = "comfyui_essentials", version = "1.0.0" }               # api.comfy.org/nodes/<id>/install -> zip
    [settings]   # isolate, install_isolated, auto_install, pool_ipc, worker_vram_budget
    isolate = true
    [types]      # ADR-0015: SOCKET = "builtin" | "custom" ("custom" requires <pack>/serialization.py)
    TRIMESH = "custom"
    """#

  // The JSON each fixture reads as, from Python 3.11 `tomllib` (the E3 env file without its prose line).
  static let e1SimpleJSON = """
    {"env":{"name":"my-node","python":"3.10","cuda":"auto","pytorch":"2.8.0"},\
    "packages":{"requirements":["transformers>=4.56","pillow"],"no_deps":["nvdiffrast==0.4.0","pytorch3d>=0.7.8"],\
    "requirements_file":"requirements.txt"},"cuda":{"torch-scatter":"2.1.2"},\
    "sources":{"wheel_sources":["https://.../releases/download/"],"index_urls":["https://pypi.org/simple/"]},\
    "variables":{},"worker":{"package":"worker"}}
    """
  static let e1FullJSON = """
    {"system":{"linux":["libgl1","libopengl0"]},"local":{"cuda":{"nvdiffrast":"0.4.0"},\
    "packages":{"requirements":["numpy"]}},"myenv":{"python":"3.11","cuda_version":"12.8",\
    "pytorch_version":"auto","cuda":{},"packages":{},"conda":{}},"node_reqs":{},"tools":{}}
    """
  static let e3EnvJSON = """
    {"schema":1,"python":"3.11","cuda":{"packages":["cumesh","nvdiffrast"]},"env_vars":{"OMP_NUM_THREADS":"4"},\
    "options":{"health_check_timeout":5.0},"dependencies":{"cgal":"*"},\
    "pypi-dependencies":{"trimesh":{"version":">=4","extras":["easy"]}},\
    "target":{"win-64":{"pypi-dependencies":{"msvc-runtime":"*"}}}}
    """
  static let e3RootJSON = """
    {"node_reqs":{"ComfyUI_essentials":"cubiq/ComfyUI_essentials","X":{"github":"owner/repo","tag":"v1"},\
    "Y":{"registry":"comfyui_essentials","version":"1.0.0"}},"settings":{"isolate":true},\
    "types":{"TRIMESH":"custom"}}
    """
}
