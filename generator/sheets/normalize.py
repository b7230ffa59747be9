"""Images as the renderer needs them: 8-bit RGB, upright, opaque, of a sane shape (I/O edge).

Pillow opens what merchants upload in many modes, and `convert("RGB")` quietly gets several wrong: a 16-bit
greyscale PNG clips to white, a transparent cut-out turns black around the product, LAB/HSV come out in
false colours. A 20000×1 strip cannot be fitted into a frame at all. So intake writes a normalised copy
(PNG, into the image cache) whenever the original is not plain RGB/greyscale/palette, is transparent, is
turned by an EXIF orientation, or is far from square; very thin images are refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from generator.sheets.fetch import IMAGE_FORMATS, ImageProblem

MAX_ASPECT = 4.0  # long side : short side kept; the rest is cropped (top of tall images, middle of wide ones)
MIN_SIDE = 16  # pixels on the short side; thinner images are refused (a 16 px image is already a smudge)
_PLAIN_MODES = ("RGB", "L", "1", "P", "CMYK", "YCbCr")  # convert("RGB") is right for these (when opaque)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


@dataclass(frozen=True)
class Normalised:
    path: Path
    note: str | None  # what was changed, for the merchant; None when the original is used as it is


def normalise_image(path: Path, cache_dir: Path) -> Normalised:
    with Image.open(path, formats=IMAGE_FORMATS) as im:
        orientation = im.getexif().get(0x0112, 1)
        width, height = (im.height, im.width) if orientation in (5, 6, 7, 8) else im.size
        if min(width, height) < MIN_SIDE:
            raise ImageProblem(f"is {width}×{height} pixels, too thin to show; use a photo at least {MIN_SIDE} px "
                               "on each side (800 px or more looks best)")
        transparent = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
        too_long = max(width, height) / min(width, height) > MAX_ASPECT
        if im.mode in _PLAIN_MODES and not transparent and orientation in (1, None) and not too_long:
            return Normalised(path, None)
        try:
            im.load()
            upright = ImageOps.exif_transpose(im) if orientation not in (1, None) else im
            rgb = _to_rgb(upright)
        except (OSError, ValueError) as exc:
            raise ImageProblem(f"is in the colour mode {im.mode}, which could not be converted ({exc}); "
                               "re-save it as JPEG or PNG") from exc
    notes = []
    if rgb.width / rgb.height > MAX_ASPECT or rgb.height / rgb.width > MAX_ASPECT:
        rgb = _crop(rgb)
        notes.append(f"was {width}×{height} pixels, far from square; cropped to its "
                     f"{'top' if height > width else 'middle'} {rgb.width}×{rgb.height}")
    if transparent:
        notes.append("has a transparent background; it is shown on white")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    target = cache_dir / f"{digest}-rgb.png"
    if not target.is_file():
        _save_atomic(rgb, target)
    return Normalised(target, "; ".join(notes) or None)


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in _SIXTEEN_BIT or im.mode == "F":
        return Image.fromarray(_to_8_bit(np.asarray(im))).convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La", "P") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")


def _to_8_bit(values: np.ndarray) -> np.ndarray:
    """16-bit (or 32-bit/float) greyscale to 0..255, keeping tones: 16-bit by /257, others by their range."""
    if values.dtype.kind == "u" and values.dtype.itemsize == 2:  # the usual 16-bit PNG: exact and lean
        return ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    data = values.astype(np.float32)
    low, high = float(data.min()), float(data.max())
    if values.dtype.kind in "ui" and low >= 0 and high <= 255:
        scale_low, scale_high = 0.0, 255.0
    elif values.dtype.kind in "ui" and low >= 0 and high <= 65535:
        scale_low, scale_high = 0.0, 65535.0
    elif values.dtype.kind == "f" and low >= 0 and high <= 1:
        scale_low, scale_high = 0.0, 1.0
    else:
        scale_low, scale_high = low, max(high, low + 1)
    return np.clip((data - scale_low) * 255.0 / (scale_high - scale_low) + 0.5, 0, 255).astype(np.uint8)


def _crop(rgb: Image.Image) -> Image.Image:
    w, h = rgb.size
    if h > w:
        return rgb.crop((0, 0, w, int(w * MAX_ASPECT)))  # tall (a detail page): the product is at the top
    keep = int(h * MAX_ASPECT)
    left = (w - keep) // 2
    return rgb.crop((left, 0, left + keep, h))


def _save_atomic(image: Image.Image, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".norm-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, "PNG")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
