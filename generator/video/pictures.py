"""A shot's picture drawn once, on a canvas a little larger than the frame (the margin is the room it pans in).

Photos are framed `contain` (the chosen region inside the picture box, over a blurred, darkened copy of the
photo: small sheet photos stay sharp) or `cover` (the region fills the frame: tight framings and detail
crops). Cards are gradients in the style's colours with a pattern that makes their motion visible; their
words are layers, drawn over them. A zoom step is the same canvas cropped and scaled up once.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from generator.models import Picture
from generator.video.layers import color
from generator.video.visuals import gradient, load_photo


class PhotoCache:
    """Product photos loaded once per render (None for a file that cannot be read)."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self._loaded: dict[int, Image.Image | None] = {}

    def get(self, index: int) -> Image.Image | None:
        if not self.paths:
            return None
        index %= len(self.paths)
        if index not in self._loaded:
            self._loaded[index] = load_photo(self.paths[index])
        return self._loaded[index]


def draw_picture(picture: Picture, photos: PhotoCache, frame: tuple[int, int], margin: int,
                 scale: float = 1.0) -> Image.Image:
    """The picture on a (W + 2·margin) × (H + 2·margin) RGB canvas, `scale` times closer than framed."""
    return zoomed(draw_framed(picture, photos, frame, margin), scale)


def draw_framed(picture: Picture, photos: PhotoCache, frame: tuple[int, int], margin: int) -> Image.Image:
    """The picture on a (W + 2·margin) × (H + 2·margin) RGB canvas, as framed (no zoom)."""
    W, H = frame
    canvas = (W + 2 * margin, H + 2 * margin)
    photo = photos.get(picture.image) if picture.kind == "photo" else None
    if photo is None:
        img = _card(picture, canvas)
    elif picture.fit == "cover":
        img = _cover(photo, picture.region, canvas)
    else:
        img = _contain(photo, picture, canvas, margin)
    if picture.desaturate:
        img = ImageEnhance.Color(img).enhance(1.0 - picture.desaturate)
    if picture.tint:
        r, g, b, a = color(picture.tint)
        img = Image.blend(img, Image.new("RGB", canvas, (r, g, b)), a / 255)
    return _top_scrim(img, margin, H)


def zoomed(img: Image.Image, scale: float) -> Image.Image:
    """A framed canvas `scale` times closer: its centre cropped and scaled up to the same size."""
    if scale <= 1.001:
        return img
    cw, ch = img.size
    w, h = cw / scale, ch / scale
    box = ((cw - w) / 2, (ch - h) / 2, (cw + w) / 2, (ch + h) / 2)
    return img.resize(img.size, Image.Resampling.BILINEAR, box=box)


SCRIM_DARK = 0.7  # how dark the top of every picture gets, at most
SCRIM_DEPTH = 0.28  # share of the frame height it fades out over


def _top_scrim(img: Image.Image, margin: int, height: int) -> Image.Image:
    """Darken the top of the picture, where the AI label, badge and hook sit (as the apps' own top shadow does).

    The on-screen AI label must read on any picture: white text on its dark box reads everywhere to people,
    but OCR checks (`daihuo verify`) lose it over light photos and pastel cards unless its surroundings are
    dark too. A plateau over the label's rows, then a fade to nothing at SCRIM_DEPTH of the height.
    """
    cw, ch = img.size
    rows = min(ch, margin + int(height * SCRIM_DEPTH))
    column = Image.new("L", (1, ch), 0)
    alpha = [int(255 * SCRIM_DARK * min(1.0, 1.6 * (1 - max(0, y - margin) / (rows - margin)))) if y < rows else 0
             for y in range(ch)]
    column.putdata(alpha)
    img.paste((0, 0, 0), (0, 0, cw, rows), column.crop((0, 0, 1, rows)).resize((cw, rows)))
    return img


def _crop_region(photo: Image.Image, region: tuple[float, float, float, float]) -> Image.Image:
    x0, y0, x1, y1 = region
    w, h = photo.size
    box = (int(x0 * w), int(y0 * h), max(int(x0 * w) + 1, int(x1 * w)), max(int(y0 * h) + 1, int(y1 * h)))
    return photo if box == (0, 0, w, h) else photo.crop(box)


def _cover(photo: Image.Image, region: tuple[float, float, float, float], canvas: tuple[int, int]) -> Image.Image:
    """The region grown to the canvas's aspect around its centre (inside the photo), filling the canvas."""
    pw, ph = photo.size
    cw, ch = canvas
    x0, y0, x1, y1 = region[0] * pw, region[1] * ph, region[2] * pw, region[3] * ph
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / h < cw / ch:
        w = h * cw / ch
    else:
        h = w * ch / cw
    if w > pw:
        w, h = pw, pw * ch / cw
    if h > ph:
        h, w = ph, ph * cw / ch
    left = min(max(cx - w / 2, 0), pw - w)
    top = min(max(cy - h / 2, 0), ph - h)
    return photo.resize(canvas, Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))


def _contain(photo: Image.Image, picture: Picture, canvas: tuple[int, int], margin: int) -> Image.Image:
    cw, ch = canvas
    part = _crop_region(photo, picture.region)
    # The backdrop is blurred, darkened and toned at an eighth of the size, then scaled up once.
    small = ImageOps.fit(part, (max(1, cw // 8), max(1, ch // 8)), Image.Resampling.BILINEAR)
    small = ImageEnhance.Brightness(small.filter(ImageFilter.GaussianBlur(3))).enhance(0.55)
    small = Image.blend(small, Image.new("RGB", small.size, color(picture.colors[1])[:3]), 0.18)
    backdrop = small.resize(canvas, Image.Resampling.BILINEAR)
    x, y, w, h = picture.box or (0, 0, cw - 2 * margin, ch - 2 * margin)
    fitted = ImageOps.contain(part, (max(1, w), max(1, h)), Image.Resampling.LANCZOS)
    px, py = margin + x + (w - fitted.width) // 2, margin + y + (h - fitted.height) // 2
    radius = max(6, fitted.width // 30)
    if picture.frame == "shadow":
        # The shadow is blurred at a quarter of its size: the same soft edge for a sixteenth of the work.
        q = 4
        small = Image.new("L", ((fitted.width + 80) // q, (fitted.height + 80) // q), 0)
        ImageDraw.Draw(small).rounded_rectangle((40 // q, 40 // q, (fitted.width + 40) // q, (fitted.height + 40) // q),
                                                radius // q, fill=170)
        shadow = small.filter(ImageFilter.GaussianBlur(14 / q)).resize((small.width * q, small.height * q),
                                                                       Image.Resampling.BILINEAR)
        backdrop.paste((0, 0, 0), (px - 40, py - 28), shadow)
    elif picture.frame == "border":
        b = max(3, fitted.width // 60)
        ImageDraw.Draw(backdrop).rounded_rectangle((px - b, py - b, px + fitted.width + b, py + fitted.height + b),
                                                   radius + b, fill=(255, 255, 255))
    mask = Image.new("L", fitted.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, fitted.width - 1, fitted.height - 1), radius, fill=255)
    backdrop.paste(fitted, (px, py), mask)
    return backdrop


def _card(picture: Picture, canvas: tuple[int, int]) -> Image.Image:
    """A gradient in the picture's two colours with a soft pattern (circles, diagonal stripes or dots)."""
    cw, ch = canvas
    top, bottom = color(picture.colors[0])[:3], color(picture.colors[1])[:3]
    img = gradient(canvas, top, bottom).convert("RGBA")
    layer = Image.new("RGBA", canvas, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    short = min(cw, ch)
    if picture.pattern == "circles":
        for i, (fx, fy, fr) in enumerate([(0.12, 0.18, 0.34), (0.92, 0.5, 0.42), (0.28, 0.9, 0.3), (0.7, 0.08, 0.16)]):
            r = int(short * fr)
            cx, cy = int(cw * fx), int(ch * fy)
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 26 + 9 * i))
    elif picture.pattern == "stripes":
        step = max(8, short // 7)
        for k in range(-ch // step - 2, cw // step + 2):
            x = k * step
            d.polygon([(x, 0), (x + step // 2, 0), (x + step // 2 + ch, ch), (x + ch, ch)], fill=(255, 255, 255, 22))
    elif picture.pattern == "dots":
        step = max(8, short // 9)
        r = max(2, step // 7)
        for gy in range(0, ch + step, step):
            for gx in range((gy // step) % 2 * step // 2, cw + step, step):
                d.ellipse((gx - r, gy - r, gx + r, gy + r), fill=(255, 255, 255, 45))
    img.alpha_composite(layer)
    return img.convert("RGB")
