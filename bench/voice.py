"""Voice-stage benchmark: one variant's voice (a 30 s script, music, loudness) side by side in one run.

    python bench/voice.py --out bench/voice_results.json
    python bench/voice.py --baseline /tmp/base --out /tmp/voice.json   # also an older checkout's voice stage

Each measurement is a fresh process (so model loads and rate calibrations are paid as a job pays them) that
speaks the same script: `speak_s` is speak_script's wall time, `cold_s` that plus the imports and engine start.
Cases: Mandarin with espeak-ng and English with hibari, lines one at a time (workers=1) and concurrently
(the default pool). `--baseline DIR` adds the same scripts spoken by the checkout in DIR with espeak-ng, as
that code did it (its speak_script and EspeakVoice). Median of --runs runs. See docs/voice.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from generator.models import Script
from generator.voice.track import speak_script
args = json.loads(sys.argv[1])
script = Script.model_validate(args["script"])
if args["engine"] == "hibari":
    from generator.voice.hibari_voice import HibariVoice as Engine
else:
    from generator.voice.espeak import EspeakVoice as Engine
engine = Engine()
extra = {} if args["workers"] is None else {"workers": args["workers"]}
t1 = time.perf_counter()
track = speak_script(script, engine, Path(args["dir"]), music=Path(args["music"]), **extra)
t2 = time.perf_counter()
print(json.dumps({"speak_s": t2 - t1, "cold_s": t2 - t0, "duration": track.duration, "lines": len(track.lines)}))
"""


def scripts() -> dict[str, dict]:
    """The example sheet's Mandarin cream (HB-1001) and English laptop stand (EN-4004), written for 30 s at
    rates close to what espeak-ng and hibari measure, so every run speaks exactly the same text."""
    sys.path.insert(0, str(ROOT))
    from generator.models import Brief
    from generator.script.template_writer import TemplateWriter
    from generator.sheets import read_sheet

    products = {p.sku: p for p in read_sheet(ROOT / "examples" / "products.csv").products}
    return {"zh": TemplateWriter(4.9).write(products["HB-1001"], Brief(duration=30), 1).model_dump(mode="json"),
            "en": TemplateWriter(3.3).write(products["EN-4004"], Brief(duration=30), 1).model_dump(mode="json")}


def run_worker(checkout: Path, engine: str, script: dict, workers: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as tmp:
        args = {"engine": engine, "script": script, "workers": workers, "dir": tmp,
                "music": str(ROOT / "assets" / "music" / "soft_loop.ogg")}
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(args)], cwd=checkout, env=env,
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "voice_results.json")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an older checkout whose espeak voice stage to compare")
    opts = parser.parse_args()
    texts = scripts()
    cases = [("zh", "espeak", ROOT, 1), ("zh", "espeak", ROOT, None), ("en", "hibari", ROOT, 1),
             ("en", "hibari", ROOT, None)]
    if opts.baseline:
        cases = [("zh", "espeak", opts.baseline, None), ("en", "espeak", opts.baseline, None), *cases]
    results = []
    for language, engine, checkout, workers in cases:
        runs = [run_worker(checkout, engine, texts[language], workers) for _ in range(opts.runs)]
        row = {"language": language, "engine": engine, "code": "baseline" if checkout != ROOT else "this",
               "workers": workers or "default", "speak_s": statistics.median(r["speak_s"] for r in runs),
               "cold_s": statistics.median(r["cold_s"] for r in runs), "audio_s": runs[0]["duration"],
               "lines": runs[0]["lines"]}
        results.append(row)
        print(f"{row['code']:8s} {language} {engine:6s} workers={row['workers']!s:7s} speak {row['speak_s']:.2f} s "
              f"cold {row['cold_s']:.2f} s for {row['audio_s']:.1f} s of audio ({row['lines']} lines)")
    opts.out.write_text(json.dumps({"cpus": os.cpu_count(), "runs": opts.runs, "at": time.strftime("%Y-%m-%d %H:%M"),
                                    "results": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
