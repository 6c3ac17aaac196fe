"""make bench: the env comfy-pipes-install plans for each pack of Tests/Fixtures/packs, next to
the env comfy-env 0.4.46 plans for the same pack (bench/comfy_env_plan.py), on one fake host.

The host is a venv of the same Python 3.11 with a stand-in torch 2.8.0+cpu (metadata and
torch/version.py only: both planners read torch's version without importing it) and no GPU.
Each pack sits in its own ComfyUI tree (CUI/main.py, CUI/comfy/, CUI/custom_nodes/PACK, with the
demo pack's wheels in PACK/wheels/). Ours: `comfy-pipes-install --dir PACK --dry-run --offline
--records --host-python HOST`. comfy-env's: comfy_env_plan.py run by HOST's python. Nothing is
installed and nothing reaches the network. Per env it compares the Python, the torch pin (with
torchvision/torchaudio and torch's index), and the packages with their specs and indexes, and
prints markdown table rows (measure | value | baseline | ratio): one per fixture, a summary,
and the time both planners take (whole processes, median of --runs, alternating).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "bin" / "comfy-pipes-install"
PEERS = ROOT / ".build" / "bench-peers"
FIXTURES = ROOT / "Tests" / "Fixtures" / "packs"
WHEELS = ROOT / "Tests" / "Fixtures" / "demo_pack" / "wheels"
TORCH_FAMILY = {"torch", "torchvision", "torchaudio"}

# Differences that are meant, by fixture: shown with the reason, counted apart from agreement.
# A fixture listed here whose plans differ in some other way still counts as a disagreement.
E1 = ("comfy-env 0.4.x reads only nodes/comfy-env.toml and nodes/SUB/comfy-env.toml; "
      "comfy-pipes also builds the E1 shapes that packs still ship (issue 18)")
INTENDED = {
    "e1-named": ("no-env", E1 + ": `[gen]` on its own Python 3.12 in PACK/_env_gen"),
    "e1-local": ("no-env", E1 + ": `[local]` goes into the host's env with venv-make --into"),
    "comfyui-env": ("no-env", E1 + " (`comfyui_env.toml`, January 2026's name)"),
    "system": ("no-env", E1 + "; `[system] linux` apt packages are printed as a command, not run "
               "(open: E1 itself installs a `[packages]`-only file into the host in place, where "
               "comfy-pipes builds PACK/_env)"),
    "conda": ("refused", "conda `[dependencies]` (numpy, py-opencv) need pixi; comfy-pipes stops "
              "with an error that names them and says to list their PyPI names instead"),
}


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def make_host(work):
    """A venv with a stand-in torch 2.8.0+cpu that also sees comfy-env (a .pth file)."""
    host = work / "host"
    made = run(["uv", "venv", "-q", "--python", str(PEERS / "bin" / "python"), str(host)],
               env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    if made.returncode != 0:
        sys.exit(f"bench: uv venv failed: {made.stderr.strip()}")
    site = next(host.glob("lib/python3*/site-packages"))
    peer_site = next(PEERS.glob("lib/python3*/site-packages"))
    (site / "bench-peers.pth").write_text(f"{peer_site}\n")
    (site / "torch").mkdir()
    (site / "torch" / "version.py").write_text('__version__ = "2.8.0+cpu"\ncuda = None\n')
    info = site / "torch-2.8.0+cpu.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.8.0+cpu\n")
    return host / "bin" / "python"


def make_pack(work, name):
    cui = work / name / "ComfyUI"
    (cui / "comfy").mkdir(parents=True)
    (cui / "main.py").write_text("")
    pack = cui / "custom_nodes" / name
    shutil.copytree(FIXTURES / name, pack)
    shutil.copytree(WHEELS, pack / "wheels")
    return pack


def ours(pack, host):
    argv = [str(HOOK), "--dir", str(pack), "--dry-run", "--offline", "--records", "--host-python", str(host)]
    return argv, run(argv)


def theirs(pack, host, work):
    env = {**os.environ, "COMFY_ENV_ROOT": str(work / "ce-root" / pack.name)}
    argv = [str(host), str(ROOT / "bench" / "comfy_env_plan.py"), str(pack)]
    return argv, env, run(argv, env=env)


def split_spec(requirement):
    """("name", "spec") of a PEP 508 requirement such as "numpy<2" (no spec: "")."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).strip()


def wheel_name(url):
    file = url.rsplit("/", 1)[-1]
    name, version = file.split("-")[:2]
    return name.lower().replace("_", "-"), "==" + version


def our_envs(pack, completed):
    """{config dir relative to PACK: summary} from our plan records, and our error, if any."""
    envs = {}
    host_version = None
    for line in completed.stdout.splitlines():
        record = json.loads(line)
        if record["type"] == "env":
            host_version = ".".join(record["python"]["version"].split(".")[:2])
        if record["type"] != "plan":
            continue
        plan = record["plan"]
        path = Path(record["path"])
        if plan["mode"] == "into":
            key, where = ".", "the host's env (--into)"
        else:
            key, where = str(path.parent.relative_to(pack)), str(path.relative_to(pack))
        packages, torch = {}, {}
        for requirement in plan.get("requirements", []) + plan.get("constraints", []):
            name, spec = split_spec(requirement)
            (torch if name in TORCH_FAMILY else packages)[name] = spec
        for wheel in plan.get("wheels", []):
            name, spec = wheel_name(wheel["url"])
            packages[name] = spec
        indexes = plan.get("indexes", [])
        torch_index = next((i for i in indexes if "download.pytorch.org" in i), None)
        envs[key] = {
            "where": where,
            "python": plan.get("python") or host_version,
            "torch": torch,
            "torch_index": torch_index,
            "packages": packages,
            "indexes": sorted(i for i in indexes if i != torch_index),
            "wheel_files": len(plan.get("wheels", [])),
        }
    errors = [line.split(": error", 1)[-1].split("): ", 1)[-1]
              for line in completed.stderr.splitlines() if line.startswith("wheel-url: error")]
    return envs, (errors[0] if errors else None) if completed.returncode else None


def their_envs(pack, answer):
    envs = {}
    for env in answer["envs"]:
        manifest = env["manifest"]
        if manifest is None:
            continue
        feature = manifest["feature"]["node"]
        config_dir = (pack / env["config"]).parent
        packages, torch, indexes, torch_index = {}, {}, [], None
        for name, value in feature.get("pypi-dependencies", {}).items():
            spec, index = (value, None) if isinstance(value, str) else (value.get("version", ""), value.get("index"))
            spec = "" if spec == "*" else spec
            name = name.lower().replace("_", "-")
            if name in TORCH_FAMILY:
                torch[name], torch_index = spec, index or torch_index
            else:
                packages[name] = spec
                if index:  # resolved against the config's directory, as comfy-pipes resolves it
                    indexes.append(index if "://" in index else (config_dir / index).resolve().as_uri() + "/")
        conda = {k: v for k, v in feature.get("dependencies", {}).items() if k not in ("python", "pip", "setuptools")}
        envs[str(config_dir.relative_to(pack))] = {
            "where": f"~/.ce/envs/{env['env']}_…",
            "python": feature["dependencies"]["python"].removesuffix(".*"),
            "torch": torch,
            "torch_index": torch_index,
            "packages": packages,
            "conda": conda,
            "indexes": sorted(indexes),
        }
    return envs


def describe(env):
    torch = env["torch"].get("torch")
    family = ", ".join(f"{k}{v}" for k, v in sorted(env["torch"].items()) if k != "torch")
    index = (env["torch_index"] or "PyPI").replace("https://download.pytorch.org/whl/", "whl/")
    parts = [f"Python {env['python']}",
             f"torch{torch} ({family}) from {index}" if torch else "no torch pin"]
    packages = ", ".join(f"{k}{v}" for k, v in sorted(env["packages"].items()))
    parts.append(packages or "no packages")
    if env.get("conda"):
        parts.append("conda: " + ", ".join(f"{k} {v}" for k, v in sorted(env["conda"].items())))
    if env["indexes"]:
        parts.append("index " + ", ".join(i.split("/custom_nodes/", 1)[-1] for i in env["indexes"]))
    return f"`{env['where']}`: " + "; ".join(parts)


def same(a, b):
    keys = ("python", "torch", "torch_index", "packages", "indexes")
    return all(a[k] == b[k] for k in keys) and not b.get("conda")


def compare(name, pack, host, work):
    _, completed = ours(pack, host)
    _, _, peer = theirs(pack, host, work)
    if peer.returncode != 0 or not peer.stdout.strip():
        sys.exit(f"bench: comfy_env_plan.py failed on {name}: {peer.stderr.strip()[-2000:]}")
    answer = json.loads(peer.stdout.strip().splitlines()[-1])
    mine, my_error = our_envs(pack, completed)
    peers = their_envs(pack, answer)
    notes = []
    if answer["config_error"] and "FileNotFoundError" not in answer["config_error"]:
        notes.append("comfy-env's install() also stops on the pack's own config: "
                     + answer["config_error"].split(": ", 1)[1].split(" -- ")[0].replace(str(pack) + "/", ""))
    if answer["error"]:
        notes.append("comfy-env: " + answer["error"])
    value = "; ".join(describe(e) for _, e in sorted(mine.items())) or "no env"
    if my_error:
        value = f"error (exit {completed.returncode}): {my_error.split(': ', 1)[-1][:160]}…"
    baseline = "; ".join(describe(e) for _, e in sorted(peers.items())) or "no env (nothing bound)"
    agree = not my_error and mine.keys() == peers.keys() and all(same(mine[k], peers[k]) for k in mine)
    kind = ("no-env" if not peers and mine and not my_error else
            "refused" if my_error and peers else None)
    if agree:
        verdict = "agree"
    elif name in INTENDED and INTENDED[name][0] == kind:
        verdict = "differ, intended: " + INTENDED[name][1]
    else:
        verdict = "**differ**"
    if notes:
        verdict += " (" + "; ".join(notes) + ")"
    return agree, verdict.startswith("differ, intended"), f"| install plan of `{name}` | {value} | comfy-env 0.4.46: {baseline} | {verdict} |"


def timed(argv, env=None):
    started = time.perf_counter()
    completed = subprocess.run(argv, capture_output=True, env=env)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"bench: {argv[0]} exited {completed.returncode}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "7")))
    args = parser.parse_args()
    if not HOOK.exists():
        sys.exit(f"bench: {HOOK} is missing; run make build")
    if not (PEERS / "bin" / "python").exists():
        sys.exit(f"bench: {PEERS} is missing; bench/peers.sh makes it (make bench)")
    names = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="install-plans.", dir=os.environ.get("TMPDIR")) as scratch:
        work = Path(scratch)
        host = make_host(work)
        packs = {name: make_pack(work, name) for name in names}
        agreed = intended = 0
        for name in names:
            agree, meant, row = compare(name, packs[name], host, work)
            agreed += agree
            intended += meant
            print(row)
        print(f"| install plans: comfy-pipes-install against comfy-env 0.4.46, the {len(names)} packs of "
              f"Tests/Fixtures/packs on one host (Python 3.11, torch 2.8.0+cpu, no GPU) | agree on {agreed}/{len(names)} "
              f"| differ as intended on {intended}/{len(names)} (rows above) | "
              f"{len(names) - agreed - intended} unexplained |")

        ours_s, theirs_s = [], []
        for _ in range(args.runs):
            ours_s.append(sum(timed(ours(packs[n], host)[0]) for n in names))
            theirs_s.append(sum(timed(*theirs(packs[n], host, work)[:2]) for n in names))
        a, b = statistics.median(ours_s) * 1000, statistics.median(theirs_s) * 1000
        print(f"| planning the {len(names)} fixture packs, one process per pack (dry runs; median of {args.runs}, "
              f"alternating) | comfy-pipes-install -n: {a:.0f} ms | comfy-env 0.4.46 config read + "
              f"install_workspace(dry_run=True): {b:.0f} ms | {b / a:.1f}× faster |")


if __name__ == "__main__":
    main()
