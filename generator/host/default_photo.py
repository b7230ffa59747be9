"""Regenerate the bundled photo host (assets/hosts/photo/) from a public-domain portrait inside a registry package.

    python -m generator.host.default_photo        # or: make host-pack

The portrait is scikit-image's `astronaut` sample (Eileen Collins, NASA photograph, public domain: "No known
copyright restrictions, released into the public domain", skimage.data.astronaut). It is read from an
installed scikit-image if there is one, else from the scikit-image wheel fetched with `pip download --no-deps`
(nothing is installed). The file's SHA-256 is checked, so the pack is always made from the same pixels.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from importlib.util import find_spec
from pathlib import Path

from generator.host.create import create_host
from generator.host.sprite import HOSTS_DIR

SKIMAGE_VERSION = "0.26.0"
MEMBER = "skimage/data/astronaut.png"
SHA256 = "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
SOURCE = {
    "origin": f"scikit-image {SKIMAGE_VERSION} wheel (PyPI), {MEMBER} (skimage.data.astronaut)",
    "subject": "Eileen Collins, NASA astronaut (official NASA portrait)",
    "licence": "public domain: NASA photograph; scikit-image documents it as 'No known copyright "
               "restrictions, released into the public domain'",
    "sha256": SHA256,
    "note": "copyright-free is not consent: NASA's media guidelines bar implying endorsement, and China's Civil "
            "Code (art. 1019) protects a person's likeness. Use this host for previews and demos; for ads, make "
            "your own host from a photo of a presenter who agreed to it (daihuo host create).",
}


def _portrait_bytes() -> bytes:
    spec = find_spec("skimage")
    if spec and spec.origin:
        path = Path(spec.origin).parent / "data" / "astronaut.png"
        if path.is_file():
            return path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                        f"scikit-image=={SKIMAGE_VERSION}", "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("scikit_image-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            return zf.read(MEMBER)


def main() -> int:
    data = _portrait_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        print(f"astronaut.png has SHA-256 {digest}, expected {SHA256}: not the file this pack is made from",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        portrait = Path(tmp) / "astronaut.png"
        portrait.write_bytes(io.BytesIO(data).getvalue())
        folder = create_host(portrait, "photo", HOSTS_DIR, source=SOURCE, force=True)
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
