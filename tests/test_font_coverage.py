"""The caption chains' glyph coverage, read from each face's cmap table (generator/video/cmap.py), must be
exactly what fontTools reads, for every face the bundled chains use; and a broken font must still be judged."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont

from generator.video.cmap import covered_codepoints
from generator.video.text import FontMissing, _config, chain, font_runs


def bundled_faces() -> list[tuple[str, int]]:
    faces = set()
    cfg = _config()
    for family in ("sans", *cfg.get("families", {})):
        for language in cfg["languages"]:
            try:
                faces.update((f.path, f.index) for f in chain(language, family))
            except FontMissing:
                continue
    return sorted(faces)


def fonttools_reading(path: str, index: int) -> frozenset[int]:
    font = TTCollection(path).fonts[index] if path.endswith(".ttc") else TTFont(path, lazy=True)
    return frozenset(font.getBestCmap().keys())


@pytest.mark.parametrize(("path", "index"), bundled_faces(), ids=lambda v: Path(str(v)).name)
def test_the_fast_reading_equals_fonttools(path: str, index: int) -> None:
    assert covered_codepoints(path, index) == fonttools_reading(path, index)


def test_a_cjk_face_is_read_from_its_ranges() -> None:
    cjk = next(p for p, _ in bundled_faces() if p.endswith(".ttc"))
    covered = covered_codepoints(cjk, 2)
    assert {ord(c) for c in "好物推荐¥😀"} - {ord("😀")} <= covered  # the emoji come from Symbola, not Noto CJK
    assert len(covered) > 40000


def test_mixed_text_is_split_by_coverage() -> None:
    runs = font_runs("限时¥99 好物😀", chain("zh"))
    faces = [Path(face.path).name for _, face in runs]
    assert faces[0].startswith("NotoSansCJK") and faces[-1].startswith("Symbola")
    assert "".join(text for text, _ in runs) == "限时¥99 好物😀"


def test_a_truncated_collection_is_left_to_fonttools(tmp_path: Path) -> None:
    cjk = next(p for p, _ in bundled_faces() if p.endswith(".ttc"))
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(Path(cjk).read_bytes()[:4096])  # the header survives, the tables do not
    with pytest.raises(Exception) as caught:  # noqa: PT011 - whatever fontTools raises for it, as before
        covered_codepoints(broken, 2)
    assert not isinstance(caught.value, MemoryError)
