"""Writes ../wheels/demo_pack_helpers-0.1.0-py3-none-any.whl from demo_pack_helpers.py, byte for
byte the same each time (fixed timestamps, sorted entries): python3 make_wheel.py"""
import base64
import hashlib
import os
import zipfile

here = os.path.dirname(os.path.abspath(__file__))
name, version = "demo_pack_helpers", "0.1.0"
info = f"{name}-{version}.dist-info"
with open(os.path.join(here, f"{name}.py")) as f:
    files = {f"{name}.py": f.read()}
files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: demo-pack-helpers\nVersion: {version}\n"
files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: make_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
files[f"{info}/top_level.txt"] = f"{name}\n"
lines = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    lines.append(f"{path},sha256={digest},{len(text.encode())}")
lines.append(f"{info}/RECORD,,")
files[f"{info}/RECORD"] = "\n".join(lines) + "\n"
out = os.path.join(here, "..", "wheels", f"{name}-{version}-py3-none-any.whl")
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for path, text in files.items():
        entry = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        z.writestr(entry, text)
print(out)
