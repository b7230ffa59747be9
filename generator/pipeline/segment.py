"""One loop segment: the plan's review → voice → render for a single platform, always rendered fresh."""

from __future__ import annotations

from pathlib import Path

from generator.models import Brief, Clip, Product, Script
from generator.pipeline.engines import Engines
from generator.pipeline.render import render_platform
from generator.pipeline.steps import review, speak


def render_segment(product: Product, script: Script, brief: Brief, out_dir: Path, engines: Engines, *,
                   speed: float = 1.0) -> Clip:
    """`brief.platforms[0]`: compliance, voice at SPEED (a little variety between repeats), host, labels."""
    # No QC pass here: its report would land in the caller's temporary folder and be thrown away, and a live
    # reply must be on air in seconds (`daihuo verify` reads any segment file when wanted).
    brief = brief.model_copy(update={"qc": "off"})
    reviewed = review(script, product, brief, engines)
    voice = speak(reviewed.script, brief, out_dir, engines.voice, speed=speed)
    return render_platform(reviewed.shown, reviewed.script, voice, brief.platforms[0], brief, out_dir, engines,
                           report=reviewed.report, force=True, inputs_product=product)
