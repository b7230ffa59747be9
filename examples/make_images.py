"""Draw the example product photos (so the repository ships no third-party images).

Run: python examples/make_images.py → examples/images/*.jpg
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).with_name("images")


def studio(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    w, h = size
    mask = Image.linear_gradient("L").resize((w, h))
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def shadow(img: Image.Image, box: tuple[int, int, int, int]) -> None:
    layer = Image.new("L", img.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=120)
    img.paste((60, 60, 60), (0, 0), layer.filter(ImageFilter.GaussianBlur(18)))


def cream() -> Image.Image:
    img = studio((900, 900), (250, 236, 228), (226, 200, 190))
    shadow(img, (230, 690, 670, 760))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((250, 420, 650, 720), 40, fill=(255, 255, 255), outline=(210, 190, 180), width=4)
    d.rounded_rectangle((235, 330, 665, 440), 30, fill=(214, 148, 140))
    d.rectangle((250, 520, 650, 600), fill=(240, 214, 206))
    d.ellipse((420, 535, 480, 585), fill=(214, 148, 140))
    return img


def juicer() -> Image.Image:
    img = studio((900, 1200), (220, 240, 232), (170, 214, 198))
    shadow(img, (260, 1040, 640, 1110))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((300, 300, 600, 1060), 60, fill=(235, 250, 245), outline=(120, 170, 150), width=5)
    d.rounded_rectangle((315, 620, 585, 1040), 50, fill=(255, 150, 60))
    d.rounded_rectangle((290, 220, 610, 330), 30, fill=(60, 90, 80))
    d.rounded_rectangle((300, 960, 600, 1070), 40, fill=(60, 90, 80))
    d.ellipse((420, 990, 480, 1040), fill=(130, 230, 180))
    return img


def stand() -> Image.Image:
    img = studio((1200, 900), (232, 236, 244), (190, 198, 214))
    shadow(img, (200, 700, 1000, 780))
    d = ImageDraw.Draw(img)
    d.polygon([(260, 720), (940, 720), (820, 420), (380, 420)], fill=(170, 176, 186))
    d.polygon([(380, 420), (820, 420), (860, 300), (340, 300)], fill=(60, 64, 72))
    d.rectangle((350, 310, 850, 330), fill=(120, 180, 240))
    d.line([(300, 720), (420, 420)], fill=(120, 124, 134), width=14)
    d.line([(900, 720), (780, 420)], fill=(120, 124, 134), width=14)
    return img


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, draw in (("cream", cream), ("juicer", juicer), ("stand", stand)):
        draw().save(OUT / f"{name}.jpg", quality=90)


if __name__ == "__main__":
    main()
