"""QC as a pipeline step: gather what was approved and drawn for one clip, run QC, write <platform>.qc.json.

The .qc.json holds the report and the inputs QC compared the clip with (approved texts, drawn boxes, required
statements), so `daihuo verify CLIP` can repeat the full check on that file later.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.compliance.qc_models import QCInputs, QCReport, TextBox
from generator.formatting import price_text
from generator.models import Product, Script
from generator.output import qc_path, read_json, write_json_atomic
from generator.platforms import Preset


def approved_texts(script: Script, product: Product, label: str, statements: Sequence[str]) -> list[str]:
    """Every text the clip may show: the reviewed script, the reviewed sheet, the label and the statements."""
    texts = [label, *statements, product.title, product.brand, product.offer, *product.selling_points,
             *(f"{k} {v}" for k, v in product.specs.items())]
    for line in script.lines():
        texts += [line.text, line.caption, *line.keywords]
    for price in (product.price, product.sale_price):
        if price is not None:
            texts.append(price_text(price, product.currency))
    return [t for t in texts if t and t.strip()]


def check_clip(clip: Path, out: Path, *, inputs: QCInputs, preset: Preset | None) -> QCReport:
    """Run QC on `clip` and write the report with its inputs to `out` (atomically)."""
    from generator.compliance.qc import run_qc  # frames, OCR and meters: loaded when a clip is checked

    report = run_qc(clip, approved=inputs.approved, preset=preset, boxes=inputs.boxes, statements=inputs.statements)
    write_json_atomic(out, {"report": report.model_dump(mode="json"), "inputs": inputs.model_dump(mode="json")})
    return report


def qc_clip(clip: Path, directory: Path, platform: str, *, script: Script, product: Product, preset: Preset,
            boxes: list[TextBox], statements: Sequence[str], scale: float) -> QCReport:
    # What the edit drew (callouts, price cards, calls to action) is approved too: it was made from the reviewed
    # script and sheet, and the burned_text check reads each of those boxes back against its own text.
    drawn = [b.text for b in boxes if b.text]
    inputs = QCInputs(approved=[*approved_texts(script, product, preset.label, statements), *drawn], boxes=boxes,
                      statements=list(statements), platform=platform, scale=scale, label=preset.label)
    return check_clip(clip, qc_path(directory, platform), inputs=inputs, preset=preset)


def qc_summary(directory: Path, platform: str) -> dict[str, Any] | None:
    """{"ok", "failures", "seconds"} from a clip's .qc.json, or None when there is none."""
    data = read_json(qc_path(directory, platform))
    if not isinstance(data, dict) or "report" not in data:
        return None
    report = QCReport.model_validate(data["report"])
    return {"ok": report.ok, "failures": report.failures(), "seconds": report.seconds}


def saved_inputs(clip: Path) -> tuple[QCInputs, str | None] | None:
    """The inputs stored beside a clip by an earlier QC run (`<platform>.qc.json`), if any."""
    data = read_json(clip.with_name(f"{clip.stem}.qc.json"))
    if not isinstance(data, dict) or "inputs" not in data:
        return None
    inputs = QCInputs.model_validate(data["inputs"])
    return inputs, inputs.platform
