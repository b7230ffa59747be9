"""Render-speed benchmark: our renders against the ffmpeg floor, measured side by side in one run.

    python bench/run.py --out bench/results.json            # full: 3 runs per case, median (make bench)
    python bench/run.py --quick --out /tmp/quick.json       # smoke: 1 run, short clips at 1/4 size

Each run of each case is a fresh worker process (python bench/run.py --worker ...) so that peak memory is
that render's alone. A worker speaks the fixed script (voice stage), lays it out, renders it with
`render_video` (frames, encode and audio mux are one ffmpeg pass), then measures the floor on the file it
just wrote: ffmpeg decoding it and re-encoding it with the same `encoder_params`. See docs/bench.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/ first; we want this checkout's generator
    sys.path.insert(0, str(ROOT))

PEER_QUOTED_S = 442.0  # MoneyPrinterTurbo 1.3.9, 30 s 9:16 captioned clip, libx264 medium CRF 23 (quoted in issue 7)
HOST_SKIPPED = "this checkout has no generator.host (the host engine is not merged here yet)"
STYLE_CASES = ("bold", "premium", "playful")  # `vertical` itself renders the bench product's own style, clean


@dataclass(frozen=True)
class Case:
    name: str
    platform: str  # preset key: douyin is 1080x1920, wechat_channels 1920x1080
    duration: float  # nominal seconds
    host: bool = False
    host_name: str = "sprite"  # which host when `host`: sprite (drawn) or photo (the bundled photo host)
    x264_preset: str | None = None  # None: the project's setting (veryfast)
    note: str = ""
    style: str | None = None  # None: the style the product's category picks (clean for the bench product)


def all_cases(quick: bool) -> list[Case]:
    short = 5.0 if quick else 30.0
    return [
        Case("vertical", "douyin", short),
        Case("landscape", "wechat_channels", short),
        Case("vertical_host", "douyin", short, host=True),
        Case("landscape_host", "wechat_channels", short, host=True),
        Case("vertical_photo", "douyin", short, host=True, host_name="photo", note="the photo host (issue 14)"),
        Case("vertical_long", "douyin", 2 * short, note="linearity: twice the duration of `vertical`"),
        Case("vertical_peer_settings", "douyin", short, x264_preset="medium",
             note=f"libx264 medium CRF 23, the peer's settings; the peer's {PEER_QUOTED_S:.0f} s is quoted, not measured here"),
        *(Case(f"vertical_{name}", "douyin", short, style=name, note=f"the {name} style pack")
          for name in STYLE_CASES),
    ]


def host_importable() -> bool:
    """True when this checkout has the host engine (an editable install of another checkout does not count)."""
    try:
        spec = importlib.util.find_spec("generator.host")
    except ImportError:
        return False
    return bool(spec and spec.origin and Path(spec.origin).resolve().is_relative_to(ROOT))


# ---- one render (runs inside a worker process) ----------------------------------------------------------


@contextmanager
def _stage(stages: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    stages[name] = round(time.perf_counter() - start, 3)


def _cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def render_case(case: Case, scale: float, work: Path) -> dict[str, Any]:
    """Script → voice → layout → render → floor for one case, in this process. Returns the measurements."""
    from bench.fixture import bench_product, fit
    from bench.memory import PeakMemory
    from generator.bootstrap import build_engines
    from generator.compliance.aigc import implicit_label, metadata_value
    from generator.edit import edit_clip
    from generator.models import Brief
    from generator.pipeline import speak, write_scripts
    from generator.platforms import get_preset
    from generator.settings import get_settings
    from generator.video.render import choose_encoder, render_video

    work.mkdir(parents=True, exist_ok=True)
    settings = get_settings()
    if case.x264_preset:
        settings = settings.model_copy(update={"x264_preset": case.x264_preset, "encoder": "libx264"})
    product = bench_product()
    brief = Brief(platforms=[case.platform], duration=30, music=True, scale=scale)
    preset = get_preset(case.platform).scaled(scale)
    stages: dict[str, float] = {}
    engines = build_engines(settings, brief)
    with _stage(stages, "script"):
        script = write_scripts(product, brief, engines.writer)[0]
    with _stage(stages, "voice"):
        voice = speak(script, brief, work, engines.voice)
    # Bench fixture, not a pipeline stage: fill the nominal duration exactly (see bench/fixture.py).
    script, voice = fit(script, voice, case.duration, work / "voice.fit.wav")
    host = None
    if case.host:
        from generator.host import make_host

        layout = "pip" if preset.vertical else "side"
        with _stage(stages, "host"):
            host = make_host(case.host_name, voice, script, (preset.width, preset.height), layout, preset.fps,
                             safe=preset.safe_box())
    with _stage(stages, "layout"):  # the edit stage: style, photo saliency, shots, layers, sound cues
        timeline = edit_clip(product, script, voice, preset, style=case.style,
                             host_layout=("pip" if preset.vertical else "side") if host else "none",
                             host_box=host.box if host else None)
    aigc_json = metadata_value(implicit_label("daihuo-bench", producer=settings.content_producer))
    out = work / f"{case.name}.mp4"
    timings: dict[str, float] = {}
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    with PeakMemory() as memory:
        render_video(timeline, product, preset, Path(voice.path), out, aigc_json=aigc_json, host=host,
                     settings=settings, timings=timings)
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds() - cpu0
    stages.update({k: round(v, 3) for k, v in timings.items() if k != "render"})
    stages["render"] = round(wall, 3)
    floor = measure_floor(out, work / f"{case.name}.floor.mp4", preset, settings, aigc_json)
    return {
        "wall_s": round(wall, 3), "floor_s": floor["wall_s"], "floor_cpu_percent": floor["cpu_percent"],
        "cpu_percent": round(100 * cpu / wall, 1), "cpu_s": round(cpu, 3), "floor_cpu_s": floor["cpu_s"],
        **memory.result(),
        "stages": stages, "encoder": choose_encoder(settings), "x264_preset": settings.x264_preset,
        "crf": settings.crf, "frames": round(case.duration * preset.fps), "output": str(out),
        "size": f"{preset.width}x{preset.height}", "duration_s": case.duration, "style": timeline.style,
        "shots": len(timeline.shots), "layers": len(timeline.layers), "sounds": len(timeline.sounds),
    }


def measure_floor(source: Path, out: Path, preset: Any, settings: Any, aigc_json: str) -> dict[str, float]:
    """ffmpeg decoding `source` and re-encoding it (video and audio) with the renderer's own encoder settings."""
    from generator.video.render import choose_encoder, encoder_params

    encoder = choose_encoder(settings)
    x264_preset, params = encoder_params(encoder, preset, settings, aigc_json)
    cmd = ["ffmpeg", "-y", "-v", "error", "-i", str(source), "-c:v", encoder, "-preset", x264_preset,
           *params, "-c:a", "aac", str(out)]  # params carry -threads when it is set
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - wall0
    cpu = _children_cpu() - cpu0
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "cpu_percent": round(100 * cpu / wall, 1)}


def batch(case: Case, scale: float, work: Path, clips: int) -> dict[str, Any]:
    """`clips` clips one after another, whole pipeline each (script, voice, layout, render, no floor)."""
    from bench.fixture import bench_product, fit
    from generator.bootstrap import build_engines
    from generator.compliance.aigc import implicit_label, metadata_value
    from generator.edit import edit_clip
    from generator.models import Brief
    from generator.pipeline import speak, write_scripts
    from generator.platforms import get_preset
    from generator.settings import get_settings
    from generator.video.render import render_video

    product = bench_product()
    brief = Brief(platforms=[case.platform], scale=scale)
    preset = get_preset(case.platform).scaled(scale)
    settings = get_settings()
    engines = build_engines(settings, brief)
    start = time.perf_counter()
    for n in range(clips):
        directory = work / f"clip{n}"
        script = write_scripts(product, brief, engines.writer)[0]
        voice = speak(script, brief, directory, engines.voice)
        script, voice = fit(script, voice, case.duration, directory / "fit.wav")
        timeline = edit_clip(product, script, voice, preset, style=case.style)
        render_video(timeline, product, preset, Path(voice.path), directory / "clip.mp4",
                     aigc_json=metadata_value(implicit_label(f"daihuo-bench-{n}")), settings=settings)
    return {"wall_s": round(time.perf_counter() - start, 3), "clips": clips}


# ---- orchestration (the parent process) ------------------------------------------------------------------


def _worker(mode: str, case: Case, scale: float, work: Path, clips: int = 1) -> subprocess.Popen[str]:
    spec = json.dumps({"mode": mode, "case": asdict(case), "scale": scale, "work": str(work), "clips": clips})
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", spec],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _collect(proc: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"bench worker failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Field by field median of numeric measurements (stages too); other fields from the first run."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = round(statistics.median(r[key] for r in runs), 3)
    out["stages"] = {k: round(statistics.median(r["stages"][k] for r in runs), 3) for k in runs[0]["stages"]}
    return out


def run_cases(cases: list[Case], scale: float, runs: int, work: Path, log: Any) -> list[dict[str, Any]]:
    results = []
    can_host = host_importable()
    for case in cases:
        if case.host and not can_host:
            log(f"{case.name}: skipped ({HOST_SKIPPED})")
            results.append({"name": case.name, "skipped": HOST_SKIPPED, "duration_s": case.duration})
            continue
        samples = []
        for n in range(runs):
            samples.append(_collect(_worker("case", case, scale, work / case.name / f"run{n}")))
            log(f"{case.name} run {n + 1}/{runs}: {samples[-1]['wall_s']:.1f} s, floor {samples[-1]['floor_s']:.1f} s")
        med = _median(samples)
        med.update(name=case.name, ratio=round(med["wall_s"] / med["floor_s"], 3),
                   cpu_ratio=round(med["cpu_s"] / med["floor_cpu_s"], 3),
                   realtime_factor=round(case.duration / med["wall_s"], 2), runs=len(samples),
                   ratio_each_run=[round(s["wall_s"] / s["floor_s"], 3) for s in samples],
                   mux="one pass with the render: ffmpeg muxes the voice while encoding (inside encode_wait)")
        if case.note:
            med["note"] = case.note
        results.append(med)
    return results


def run_throughput(case: Case, scale: float, clips: int, work: Path, log: Any,
                   processes: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    out: dict[str, Any] = {"case": case.name, "duration_s": case.duration, "clips_per_process": clips}
    for n in processes:
        start = time.perf_counter()
        procs = [_worker("batch", case, scale, work / f"p{n}" / f"w{i}", clips) for i in range(n)]
        done = [_collect(p) for p in procs]
        wall = time.perf_counter() - start
        total = sum(d["clips"] for d in done)
        out[f"processes_{n}"] = {"clips": total, "wall_s": round(wall, 3),
                                 "clips_per_hour": round(3600 * total / wall, 1)}
        log(f"throughput, {n} process(es): {total} clips in {wall:.1f} s")
    return out


def machine_info() -> dict[str, Any]:
    import moviepy
    import numpy

    from generator.settings import get_settings
    from generator.video.render import choose_encoder, nvenc_available

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "ffmpeg": ffmpeg, "moviepy": moviepy.__version__,
            "numpy": numpy.__version__, "nvenc_available": nvenc_available(),
            "encoder": choose_encoder(get_settings()), "load_avg_start": [round(x, 2) for x in os.getloadavg()]}


def summarize(cases: list[dict[str, Any]]) -> dict[str, Any]:
    by = {c["name"]: c for c in cases if "skipped" not in c}
    out: dict[str, Any] = {}
    if "vertical" in by:
        v = by["vertical"]
        out.update(vertical_ratio=v["ratio"], vertical_ratio_target=1.3, vertical_cpu_ratio=v["cpu_ratio"], vertical_peak_rss_mb=v["peak_rss_mb"],
                   peak_rss_target_mb=1024, vertical_cpu_percent=v["cpu_percent"], cpu_percent_target=170)
        if "vertical_long" in by:
            out.update(long_over_short=round(by["vertical_long"]["wall_s"] / v["wall_s"], 3),
                       long_over_short_target=2.1,
                       long_rss_over_short=round(by["vertical_long"]["peak_rss_mb"] / v["peak_rss_mb"], 3))
    if "vertical_photo" in by:
        out.update(vertical_photo_ratio=by["vertical_photo"]["ratio"], vertical_photo_ratio_target=1.35,
                   vertical_photo_cpu_ratio=by["vertical_photo"]["cpu_ratio"],
                   vertical_photo_peak_rss_mb=by["vertical_photo"]["peak_rss_mb"])
    styled = {name: by[name] for name in ("vertical", *(f"vertical_{s}" for s in STYLE_CASES)) if name in by}
    if styled:
        # The busiest picture is the one the encoder works hardest on: the most floor CPU seconds.
        busiest = max(styled.values(), key=lambda c: c["floor_cpu_s"])
        worst = max(styled.values(), key=lambda c: c["ratio"])
        out["styles"] = {c["style"]: {"ratio": c["ratio"], "cpu_ratio": c["cpu_ratio"], "peak_rss_mb": c["peak_rss_mb"],
                                      "shots": c["shots"], "floor_s": c["floor_s"], "floor_cpu_s": c["floor_cpu_s"]}
                         for c in styled.values()}
        out.update(busiest_style=busiest["style"], busiest_style_ratio=busiest["ratio"],
                   busiest_style_cpu_ratio=busiest["cpu_ratio"], busiest_style_peak_rss_mb=busiest["peak_rss_mb"],
                   highest_style_ratio=worst["ratio"], highest_ratio_style=worst["style"])
    if "vertical_peer_settings" in by:
        ours = by["vertical_peer_settings"]["wall_s"]
        out["peer"] = {"quoted_s": PEER_QUOTED_S, "quoted_not_measured": True, "ours_s": ours,
                       "speedup_vs_quoted": round(PEER_QUOTED_S / ours, 1), "target_speedup": 10,
                       "comparable_only_at_full_size_30s": True}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render-speed benchmark against the ffmpeg floor (see docs/bench.md).")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json", help="where to write the JSON")
    ap.add_argument("--runs", type=int, default=None, help="runs per case, median reported (default 3; --quick: 1)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 run, 5 s clips, 1/4 size unless --scale")
    ap.add_argument("--scale", type=float, default=None, help="render scale (default 1.0 full size; --quick: 0.25)")
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--clips", type=int, default=None, help="clips per process for throughput (default 2; --quick: 1)")
    ap.add_argument("--no-throughput", action="store_true", help="skip the batch throughput measurement")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work", help="scratch folder for renders")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        spec = json.loads(args.worker)
        case = Case(**spec["case"])
        if spec["mode"] == "batch":
            result = batch(case, spec["scale"], Path(spec["work"]), spec["clips"])
        else:
            result = render_case(case, spec["scale"], Path(spec["work"]))
        print(json.dumps(result))
        return 0

    runs = args.runs or (1 if args.quick else 3)
    scale = args.scale or (0.25 if args.quick else 1.0)
    clips = args.clips or (1 if args.quick else 2)
    cases = all_cases(args.quick)
    if args.cases:
        wanted = {c.strip() for c in args.cases.split(",") if c.strip()}
        unknown = wanted - {c.name for c in cases}
        if unknown:
            ap.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(c.name for c in cases)}")
        cases = [c for c in cases if c.name in wanted]

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    machine = machine_info()
    results = run_cases(cases, scale, runs, args.work, log)
    throughput = {} if args.no_throughput else run_throughput(all_cases(args.quick)[0], scale, clips,
                                                              args.work / "throughput", log)
    machine["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {"schema": "daihuo.bench/1", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "scale": scale,
              "runs": runs, "quick": args.quick, "cases": results, "throughput": throughput,
              "summary": summarize(results), "machine": machine}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
