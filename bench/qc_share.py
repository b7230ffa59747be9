"""QC's share of the render: each clip rendered (QC off), then QC'd, side by side in one run.

    python bench/qc_share.py --out bench/qc_share.json                 # full size, 30 s, two products x two shapes
    python bench/qc_share.py --scale 0.25 --out /tmp/qc_quick.json     # proxy

Wall time and CPU time (this process plus its ffmpeg/tesseract children) are both recorded: on a shared machine
wall time swings with the neighbours' load, CPU time does not. The goal (issue 13) is QC <= 15 % of the render.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Stopwatch:
    """Wall and CPU seconds of a block: `with Stopwatch() as sw: ...` then sw.wall, sw.cpu."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, _cpu() - self._cpu


def main() -> None:
    from generator.bootstrap import build_engines
    from generator.compliance.qc_pipeline import qc_clip
    from generator.compliance.timeline_boxes import timeline_text_boxes
    from generator.edit import edit_clip
    from generator.models import Brief
    from generator.pipeline.intake import load_sheet
    from generator.pipeline.layout import host_layout
    from generator.pipeline.render import render_platform
    from generator.pipeline.steps import review, speak_fitted, write_scripts
    from generator.platforms import get_preset
    from generator.settings import load_settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--skus", default="HB-1001,HB-3003")
    parser.add_argument("--platforms", default="douyin,wechat_channels")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "qc")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    settings = load_settings()
    sheet = load_sheet(ROOT / "examples" / "products.csv", args.work, settings.sheet_limits())
    rows = []
    for product in [p for p in sheet.products if p.sku in args.skus.split(",")]:
        brief = Brief(platforms=args.platforms.split(","), duration=args.duration, scale=args.scale, qc="off")
        engines = build_engines(settings, brief)
        directory = args.work / product.sku
        reviewed = review(write_scripts(product, brief, engines.writer)[0], product, brief, engines)
        spoken = speak_fitted(reviewed, brief, directory, engines)
        script, voice, shown, report = spoken.script, spoken.voice, reviewed.shown, reviewed.report
        for platform in brief.platforms:
            with Stopwatch() as render:
                clip = render_platform(shown, script, voice, platform, brief, directory, engines, report=report,
                                       force=True, inputs_product=product)
            preset = get_preset(platform).scaled(args.scale)
            host = engines.host(voice, script, preset)
            timeline = edit_clip(shown, script, voice, preset, style=brief.style, captions=brief.captions,
                                 disclosures=report.disclosures, host_layout=host_layout(preset) if host else "none",
                                 host_box=host.box if host else None)
            with Stopwatch() as check:
                qc = qc_clip(Path(clip.path), directory, platform, script=script, product=shown, preset=preset,
                             boxes=timeline_text_boxes(timeline), statements=report.disclosures, scale=args.scale)
            render_wall, render_cpu, qc_wall, qc_cpu = render.wall, render.cpu, check.wall, check.cpu
            row = {"sku": product.sku, "platform": platform, "size": f"{clip.width}x{clip.height}",
                   "duration_s": round(clip.duration, 2), "render_wall_s": round(render_wall, 2),
                   "render_cpu_s": round(render_cpu, 2), "qc_wall_s": round(qc_wall, 2), "qc_cpu_s": round(qc_cpu, 2),
                   "qc_ok": qc.ok, "wall_share": round(qc_wall / render_wall, 3),
                   "cpu_share": round(qc_cpu / render_cpu, 3)}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
    total = {k: round(sum(r[k] for r in rows), 2) for k in ("render_wall_s", "render_cpu_s", "qc_wall_s", "qc_cpu_s")}
    summary = {"scale": args.scale, "cases": rows, "total": total,
               "wall_share": round(total["qc_wall_s"] / total["render_wall_s"], 3),
               "cpu_share": round(total["qc_cpu_s"] / total["render_cpu_s"], 3),
               "load_average": list(__import__("os").getloadavg())}
    print(json.dumps({k: v for k, v in summary.items() if k != "cases"}))
    if args.out:
        args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
