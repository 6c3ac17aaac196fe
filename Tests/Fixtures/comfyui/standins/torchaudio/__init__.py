"""A stand-in for torchaudio in the tests' ComfyUI venv; nothing the tests run uses it."""
