"""Run by ComfyUI-Manager with ComfyUI's python after `pip install -r requirements.txt`."""
import os
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "comfy_pipes.install", "--dir", os.path.dirname(os.path.abspath(__file__))])
