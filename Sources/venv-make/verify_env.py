# venv-make's check of a new env, run with the env's own python as `-I -S` as soon as the env
# exists, while the installer fills it. It waits for one line on stdin: the modules to import
# (EOF: the install failed, nothing to check). Then it does what a normal start does (site,
# with the .pth files of what was installed), imports them, and writes one JSON object to
# stdout: the version and the modules that failed (json is imported only for failures).
import importlib
import site
import sys

out, sys.stdout = sys.stdout, sys.stderr  # what imported modules print is not the answer
line = sys.stdin.readline()
if not line:
    sys.exit(0)
site.main()
errors = []
for module in line.split():
    try:
        importlib.import_module(module)
    except BaseException as e:  # noqa: BLE001 - any failure to import is the finding
        errors.append({"module": module, "error": "%s: %s" % (type(e).__name__, e)})
version = "%d.%d.%d" % sys.version_info[:3]
if errors:
    import json  # only now: it costs a few milliseconds a start

    json.dump({"version": version, "import_errors": errors}, out)
else:
    out.write('{"version": "%s", "import_errors": []}' % version)
