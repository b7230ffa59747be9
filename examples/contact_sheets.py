"""Contact sheets of every style pack: one frame a second of one example product's clip, tiled.

    python examples/contact_sheets.py                      # docs/images/style-<name>.jpg (douyin), `make contact-sheets`
    python examples/contact_sheets.py --platforms douyin,wechat_channels,xiaohongshu --out /tmp/sheets

Each style renders the same product (the juicer: a photo, prices, specs and an offer) through the whole
pipeline at proxy scale, so the sheets compare the looks, not the products.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python examples/contact_sheets.py` should use this checkout's generator
    sys.path.insert(0, str(ROOT))


def tile(clip: Path, out: Path, columns: int = 10, thumb: int = 135) -> Path:
    """One frame a second of `clip`, `thumb` pixels wide, `columns` to a row (JPEG or PNG by `out`'s suffix)."""
    duration = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                     str(clip)], capture_output=True, text=True, check=True).stdout.strip())
    rows = max(1, math.ceil(int(duration) / columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf",
                    f"fps=1,scale={thumb}:-2,tile={columns}x{rows}:padding=2:color=white", "-frames:v", "1",
                    "-q:v", "3", "-update", "1", str(out)], check=True)
    return out


def main(argv: list[str] | None = None) -> int:
    from generator.edit import style_names
    from generator.models import Brief
    from generator.pipeline import run_job

    ap = argparse.ArgumentParser(description="Render one example product in every style and tile 1 frame/s.")
    ap.add_argument("--sheet", type=Path, default=ROOT / "examples" / "products.csv")
    ap.add_argument("--sku", default="HB-2002", help="which product of the sheet (default: the juicer)")
    ap.add_argument("--platforms", default="douyin")
    ap.add_argument("--styles", default="", help="comma-separated (default: every pack)")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--scale", type=float, default=0.35)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    ap.add_argument("--work", type=Path, default=None, help="where the clips go (default: a temporary folder)")
    args = ap.parse_args(argv)
    styles = [s for s in args.styles.split(",") if s] or style_names()
    platforms = [p for p in args.platforms.split(",") if p]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        one = work / "sheet.csv"
        lines = args.sheet.read_bytes().decode("gbk", errors="strict").splitlines() if _is_gbk(args.sheet) \
            else args.sheet.read_text(encoding="utf-8-sig").splitlines()
        one.parent.mkdir(parents=True, exist_ok=True)
        one.write_text("\n".join([lines[0], *(line for line in lines[1:] if line.startswith(args.sku + ","))]) + "\n",
                       encoding="utf-8")
        (work / "images").mkdir(exist_ok=True)
        for image in (args.sheet.parent / "images").glob("*"):
            (work / "images" / image.name).write_bytes(image.read_bytes())
        for style in styles:
            brief = Brief(platforms=platforms, duration=args.duration, scale=args.scale, style=style)
            job = run_job(one, brief, work / "out", job=f"sheet-{style}")
            for variant in job.variants:
                if variant.error:
                    print(f"{style}: {variant.error.splitlines()[0]}", file=sys.stderr)
                    return 1
                for clip in variant.clips:
                    name = f"style-{style}.jpg" if clip.platform == "douyin" and len(platforms) == 1 \
                        else f"style-{style}-{clip.platform}.jpg"
                    print(tile(Path(clip.path), args.out / name))
    return 0


def _is_gbk(path: Path) -> bool:
    try:
        path.read_text(encoding="utf-8-sig")
        return False
    except UnicodeDecodeError:
        return True


if __name__ == "__main__":
    sys.exit(main())
