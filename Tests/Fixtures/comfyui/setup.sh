#!/bin/sh
# Builds the real ComfyUI the tests start, once: DIR/src (ComfyUI v0.3.64 from the archive in
# ../shared/comfyui) and DIR/venv (torch 2.13 CPU, stand-in torchvision/torchaudio, the rest of
# ComfyUI's requirements from PyPI). Usage: setup.sh DIR [ARCHIVE]   (make comfyui does it)
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
archive=${2:-$here/../../../../shared/comfyui/ComfyUI-v0.3.64.tar.gz}
sha=211ea0b16be5443f8b51b9675cbb91226d69c11b6b0b459cb15c86fb49096330
[ -f "$archive" ] || { echo "comfyui: $archive is missing (the ComfyUI v0.3.64 source archive; set COMFYUI_ARCHIVE)" >&2; exit 66; }
echo "$sha  $archive" | sha256sum -c --quiet - || { echo "comfyui: $archive is not ComfyUI v0.3.64 (sha256 differs)" >&2; exit 65; }
rm -rf "$dir" && mkdir -p "$dir/src"
tar xzf "$archive" -C "$dir/src"
python3 -m venv "$dir/venv"
py=$dir/venv/bin/python
pip="$py -m pip install --quiet --disable-pip-version-check"
# The CPU torch from the machine's find-links folder; never a bare torch (a CUDA build of GBs).
$pip torch==2.13.0
# torchvision and torchaudio: stand-ins, registered as installed so nothing pulls PyPI's builds.
site=$($py -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for name in torchvision torchaudio; do
  cp -R "$here/standins/$name" "$site/$name"
  info=$site/$name-0.0.0+standin.dist-info
  mkdir -p "$info"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: 0.0.0+standin\n' "$name" > "$info/METADATA"
  printf 'comfy-pipes-tests\n' > "$info/INSTALLER"
  printf '%s/__init__.py,,\n%s,,\n' "$name" "${info##*/}/METADATA" > "$info/RECORD"
done
grep -v -E '^(torch|torchvision|torchaudio)$' "$dir/src/requirements.txt" > "$dir/requirements.txt"
echo requests >> "$dir/requirements.txt"
$pip -r "$dir/requirements.txt"
$py -c 'import torch, torchvision.transforms, aiohttp; print("comfyui venv: torch", torch.__version__)'
touch "$dir/ok"
