"""Style packs: four looks ship, the category picks one and variants rotate, a merchant adds a pack with brand
colours and a logo without code, and a broken pack is a one-line error naming its file and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.edit import StyleError, choose_style, load_styles, plan_timeline
from generator.edit.styles import STYLES_DIR
from generator.platforms import get_preset
from generator.video.layers import draw
from tests.edit_samples import PRODUCT, photo, script, voice

ROOT = Path(__file__).resolve().parent.parent


def test_four_distinct_looks_ship() -> None:
    styles = load_styles()
    assert {"clean", "bold", "premium", "playful"} <= set(styles)
    looks = {(s.colors.primary, s.callout.shape, s.fonts.display, tuple(s.transitions.weights)) for s in styles.values()}
    assert len(looks) == len(styles), "two packs look the same"


def test_category_picks_the_pack_and_variants_rotate() -> None:
    assert choose_style("美妆").name == "clean"
    assert choose_style("小家电").name == "bold"
    assert choose_style("electronics").name == "premium"
    assert choose_style("食品").name == "playful"
    rotation = [choose_style("小家电", v).name for v in range(1, 5)]
    assert len(set(rotation)) == 4 and rotation[0] == "bold"
    assert choose_style("小家电", 3, forced="premium").name == "premium"
    with pytest.raises(StyleError, match="unknown style 'neon'.*bold"):
        choose_style("小家电", forced="neon")


def _pack_dir(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "styles"
    folder.mkdir()
    for pack in STYLES_DIR.glob("*.yaml"):
        (folder / pack.name).write_text(pack.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "acme.yaml").write_text(extra, encoding="utf-8")
    return folder


def test_a_merchant_pack_with_brand_colours_and_a_logo(tmp_path: Path) -> None:
    logo = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    logo.paste((20, 120, 250, 255), (10, 10, 110, 50))
    folder = _pack_dir(tmp_path, "extends: clean\ncategories: [宠物]\nrotate: false\ncolors: {primary: '#1478FA', accent: '#FFD400', "
                                 "badge: '#1478FAF0'}\nlogo: {file: acme.png, corner: top-right, height: 0.07}\n")
    logo.save(folder / "acme.png")
    style = choose_style("宠物", directory=folder)
    assert style.name == "acme" and style.colors.primary == "#1478FA", "the brand's category picks its pack"
    assert "acme" not in {choose_style("宠物", v, directory=folder).name for v in range(2, 6)}, "out of rotation"
    assert choose_style("小家电", directory=folder).name == "bold"
    assert style.callout.shape == load_styles()["clean"].callout.shape, "unset fields come from the pack it extends"
    preset = get_preset("douyin")
    timeline = plan_timeline(PRODUCT, script(), voice(), preset, style, [photo()])
    (mark,) = [la for la in timeline.layers if la.kind == "logo"]
    left, top, right, bottom = preset.safe_box()
    x, y, w, h = mark.box
    assert right - 2 <= x + w <= right and y < preset.height * 0.3, "the logo sits in the top-right corner"
    badge = next(la for la in timeline.layers if la.kind == "badge")
    assert y >= badge.box[1] + badge.box[3], "under the price badge, not over it"
    pixels = np.asarray(draw(mark, "zh"))
    assert (pixels[..., 3] > 200).any() and np.abs(pixels[pixels[..., 3] > 200][:, :3].mean(0) - (20, 120, 250)).max() < 30
    callout = next(la for la in timeline.layers if la.kind == "callout")
    assert callout.background == "#1478FA" and callout.highlight_fill == "#FFD400"


@pytest.mark.parametrize(("text", "message"), [
    ("colors: {primary: red}\n", r"acme.yaml: field 'colors.*'red' is not a colour"),
    ("extends: neon\n", r"acme.yaml: extends 'neon'"),
    ("extends: clean\nmotion: {pace: 9}\n", r"acme.yaml: field 'motion.pace'"),
    ("extends: clean\nlogo: {file: missing.png}\n", r"acme.yaml: field 'logo.file'.*does not exist"),
    ("extends: clean\ncallout: {shpe: pill}\n", r"acme.yaml: field 'callout.shpe'"),
])
def test_a_broken_pack_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StyleError, match=message) as err:
        choose_style("", directory=_pack_dir(tmp_path, text))
    assert "\n" not in str(err.value)


def test_cli_rejects_an_unknown_style_and_caption_mode() -> None:
    sheet = ROOT / "examples" / "products.csv"
    bad = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--style", "neon"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "neon" in bad.stderr and "premium" in bad.stderr
    bad = subprocess.run([sys.executable, "-m", "generator.cli", "make", str(sheet), "--captions", "all"],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "verbatim" in bad.stderr
