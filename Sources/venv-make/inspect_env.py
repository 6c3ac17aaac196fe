# venv-make's look inside an env, run with the env's own python (-I): its version, prefix,
# site-packages and installed distributions as one JSON object on stdout. With names after
# --import, the top-level modules of those distributions are imported, and failures listed.
import importlib
import importlib.metadata as metadata
import json
import re
import sys
import sysconfig


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level(dist):
    text = dist.read_text("top_level.txt")
    if text:
        return [n.strip() for n in text.split() if n.strip() and not n.startswith("_")]
    names = set()
    for f in dist.files or []:
        parts = f.parts
        if len(parts) == 1 and parts[0].endswith(".py") and not parts[0].startswith("_"):
            names.add(parts[0][:-3])
        elif len(parts) == 2 and parts[1] == "__init__.py" and not parts[0].endswith((".dist-info", ".data")):
            names.add(parts[0])
    return sorted(names)


def main(argv):
    out, sys.stdout = sys.stdout, sys.stderr  # what imported modules print is not the answer
    wanted = set(normalized(n) for n in argv[argv.index("--import") + 1 :]) if "--import" in argv else set()
    packages = {}
    dists = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or normalized(name) in packages:
            continue
        packages[normalized(name)] = {"name": name, "version": dist.version}
        dists[normalized(name)] = dist
    errors = []
    for name in sorted(wanted):
        dist = dists.get(name)
        if dist is None:
            errors.append({"name": name, "error": "not installed"})
            continue
        for module in top_level(dist):
            try:
                importlib.import_module(module)
            except BaseException as e:  # noqa: BLE001 - any failure to import is the finding
                errors.append({"name": name, "module": module, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(
        {
            "version": "%d.%d.%d" % sys.version_info[:3],
            "prefix": sys.prefix,
            "purelib": sysconfig.get_paths()["purelib"],
            "packages": sorted(packages.values(), key=lambda p: normalized(p["name"])),
            "import_errors": errors,
        },
        out,
    )


main(sys.argv[1:])
