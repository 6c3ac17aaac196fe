"""make bench: the pixi that comfy-env 0.4.46 runs, for a machine that cannot download pixi.

comfy-env 0.4.46 builds and launches every isolated env with a pinned pixi (0.75.0) that it
downloads from GitHub releases into ~/.comfy-env/pixi/0.75.0/pixi (comfy_env/pixi.py). This
machine reaches PyPI and Debian only: the download fails, PyPI has no pixi, and pixi's default
channel (conda-forge) is out of reach as well. The bench points HOME at .build/bench-comfyenv/home
and puts a wrapper running this file (with that venv's python, beside comfy-env's own uv) where
comfy-env looks, so that comfy-env's own `install`
writes the env's pixi.toml, stamp and hash, and comfy-env's own worker runs the node. This file
does the two things comfy-env asks of pixi, and nothing else:

- `pixi install -v --manifest-path M`: materialise M's `default` environment at
  M's folder/.pixi/envs/default (where pixi puts it and comfy-env looks) with uv: a venv of the
  manifest's python (the machine's own), pip and setuptools from PyPI instead of conda-forge,
  the pypi-dependencies from PyPI, torch from the machine's find-links folder (the CPU build the
  manifest's download.pytorch.org/whl/cpu index serves; that index is out of reach too), and
  torchvision/torchaudio `==0.0.*` (comfy-env copies the host's pins, which are the test
  ComfyUI's stand-ins) as the same stand-ins. Any other conda dependency is refused.
- `pixi run --as-is --manifest-path M -e default CMD ARG…`: the activation pixi does (the
  env's bin first on PATH, CONDA_PREFIX, the manifest's activation.env), then exec CMD. pixi
  stays as the parent of CMD; exec'ing instead saves a process at the worker's start only: every
  call goes over comfy-env's own socket to that worker, never through pixi.
"""
import os
import shutil
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STANDINS = os.path.join(ROOT, "Tests", "Fixtures", "comfyui", "standins")
FIND_LINKS = os.environ.get("PIPES_BENCH_FIND_LINKS", "/opt/wheels")


def fail(message):
    sys.exit("pixi (comfy-pipes bench stand-in): " + message)


def option(args, name):
    if name not in args:
        fail("%s is required" % name)
    return args[args.index(name) + 1]


def load(manifest):
    with open(manifest, "rb") as handle:
        data = tomllib.load(handle)
    environment = data.get("environments", {}).get("default", {})
    feature = {}
    for name in environment.get("features", []):
        for key, value in data.get("feature", {}).get(name, {}).items():
            if isinstance(value, dict):
                feature.setdefault(key, {}).update(value)
    return feature


def env_dir(manifest):
    return os.path.join(os.path.dirname(os.path.abspath(manifest)), ".pixi", "envs", "default")


def install(manifest):
    feature = load(manifest)
    conda = dict(feature.get("dependencies", {}))
    python = conda.pop("python", "").rstrip(".*") or "%d.%d" % sys.version_info[:2]
    extra = [name for name in conda if name not in ("pip", "setuptools")]
    if extra:
        fail("conda dependencies %s cannot be had here (conda-forge is out of reach)" % ", ".join(extra))
    target = env_dir(manifest)
    # comfy-env's own requirement, installed beside the python running this (the bench's venv)
    uv = [shutil.which("uv", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")) or "uv"]
    run = lambda *command: subprocess.run(command, check=True)  # noqa: E731
    run(*uv, "venv", "-q", "--allow-existing", "--python", python, target)
    py = os.path.join(target, "bin", "python")
    wants = ["%s%s" % (name, "" if spec == "*" else spec) for name, spec in conda.items()]
    standins = []
    for name, spec in feature.get("pypi-dependencies", {}).items():
        version = spec.get("version", "*") if isinstance(spec, dict) else spec
        if name in ("torchvision", "torchaudio") and version == "==0.0.*":
            standins.append(name)
        elif name == "torch":
            wants.append("torch" + version.replace(".*", ".0"))
        else:
            wants.append(name + ("" if version == "*" else version))
    run(*uv, "pip", "install", "-q", "--python", py, "--find-links", FIND_LINKS, *wants)
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    for name in standins:  # as Tests/Fixtures/comfyui/setup.sh installs them into the ComfyUI venv
        run("cp", "-R", os.path.join(STANDINS, name), os.path.join(site, name))
        info = os.path.join(site, name + "-0.0.0+standin.dist-info")
        os.makedirs(info, exist_ok=True)
        with open(os.path.join(info, "METADATA"), "w") as handle:
            handle.write("Metadata-Version: 2.1\nName: %s\nVersion: 0.0.0+standin\n" % name)
    print("pixi (stand-in): installed %s" % target, file=sys.stderr)


def run_in(manifest, command):
    target = env_dir(manifest)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in load(manifest).get("activation", {}).get("env", {}).items()})
    env.update(CONDA_PREFIX=target, PIXI_ENVIRONMENT_NAME="default",
               PATH=os.path.join(target, "bin") + os.pathsep + env.get("PATH", ""))
    program = command[0]
    if os.sep not in program and os.path.exists(os.path.join(target, "bin", program)):
        program = os.path.join(target, "bin", program)
    os.execvpe(program, [program] + command[1:], env)


def main(args):
    if args[:1] == ["--version"]:
        print("pixi 0.75.0 (comfy-pipes bench stand-in)")
    elif args[:1] == ["install"]:
        try:
            install(option(args, "--manifest-path"))
        except subprocess.CalledProcessError as error:
            fail("install: %s exited %d" % (" ".join(map(str, error.cmd)), error.returncode))
    elif args[:1] == ["run"]:
        options, rest = {}, args[1:]
        while rest and rest[0].startswith("-"):
            flag = rest.pop(0)
            if flag in ("--manifest-path", "-e") and rest:
                options[flag] = rest.pop(0)
            elif flag not in ("--as-is", "--frozen"):
                fail("run: option %s is not implemented" % flag)
        if options.get("-e", "default") != "default":
            fail("only the default environment exists")
        if "--manifest-path" not in options or not rest:
            fail("run: --manifest-path M and a command are required")
        run_in(options["--manifest-path"], rest)
    else:
        fail("only `install --manifest-path M` and `run --as-is --manifest-path M -e default CMD` are "
             "implemented, not %r" % (args,))


main(sys.argv[1:])
