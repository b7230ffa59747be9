"""Live-room benchmark: time to first frame, answer latency and joins, measured at a local RTMP receiver.

    python bench/live.py --out bench/live_results.json                 # 10 min at 1/4 size, + the join comparison
    python bench/live.py --scale 1.0 --minutes 3 --out /tmp/full.json  # full 1080x1920

It runs the real CLI (`daihuo loop stream SHEET`) against ffmpeg listening on 127.0.0.1, posts a question every
`--every` seconds (and an abusive comment, a greeting, a viewer drop), then reads what the receiver got: when
its first frame arrived, gaps in the video and audio timestamps, black and frozen spans; and the room's own
logs: each answer's latency (comment received → its first frame encoded), fills, replies. `--compare` then
plays the same segments through the old play-out (one ffmpeg over an ffconcat playlist, `loop stream DIR`)
and the live play-out (raw slices into one encoder), each to its own receiver, and counts gaps at the joins.
See docs/host_and_loop.md ("Live room: measured").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/live.py` puts bench/ first; we want this checkout's generator
    sys.path.insert(0, str(ROOT))

from bench.receiver import Receiver, black_or_frozen, free_port, joins, packet_times  # noqa: E402

SHEET = ROOT / "examples" / "products.csv"
COMMENTS = [  # (user, text): about the example sheet's products, plus the room's other kinds of comment
    ("小王", "这个咖啡是什么烘焙度？"), ("李姐", "榨汁杯容量多大？"), ("阿强", "面霜多少钱？"),
    ("路人", "傻逼主播"), ("Amy", "榨汁杯有什么优惠吗？"), ("阿花", "主播好，第一次来"),
    ("老陈", "面霜适合什么人用？"), ("mike", "How heavy is the laptop stand?"), ("小美", "面霜保质期多久？"),
    ("小李", "今天天气怎么样？"),
]


def post(port: int, route: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{route}", method="POST",
                                     data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except OSError:
        return 0


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def stream_checks(path: Path, fps: int) -> dict[str, Any]:
    video, audio = packet_times(path, "v"), packet_times(path, "a")
    return {"seconds": round(video[-1], 2) if video else 0.0, "video_frames": len(video),
            "video_gaps": joins(video, 1 / fps), "audio_gaps": joins(audio, 1024 / 48000),
            "black_or_frozen": black_or_frozen(path)}


def run_live(args: argparse.Namespace, work: Path, log: Any) -> dict[str, Any]:
    loop = work / "loop"
    rx = Receiver(work / "received.flv")
    port = free_port()
    seconds = args.minutes * 60
    cmd = [sys.executable, "-m", "generator.cli", "loop", "stream", str(args.sheet), "--rtmp", rx.url,
           "--out", str(loop), "--hours", f"{seconds / 3600:.6f}", "--platform", args.platform, "--scale",
           str(args.scale), "--duration", str(args.duration), "--window", str(args.window), "--host", "sprite",
           "--comments-port", str(port)]
    started = time.time()
    cli = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = rx.wait_first_frame(600)
    log(f"first frame {first - started:.1f}s after start" if first else "no frame received")
    posted: list[dict[str, Any]] = []
    if first is not None:
        end = first + seconds - 20
        post(port, "/stats", {"viewers": 100})
        next_at, index = time.time() + 10, 0
        while time.time() < end and cli.poll() is None:
            if time.time() >= next_at:
                user, text = COMMENTS[index % len(COMMENTS)]
                status = post(port, "/comments", {"user": f"{user}{index // len(COMMENTS) or ''}", "text": text})
                posted.append({"text": text, "at": time.time(), "status": status})
                log(f"posted {text!r} ({status})")
                if index == len(COMMENTS) // 2:
                    post(port, "/stats", {"viewers": 60})
                index += 1
                next_at += args.every
            time.sleep(0.5)
    output, _ = cli.communicate(timeout=seconds + 600)
    rx.wait(60)
    answers = records(loop / "live" / "answers.jsonl")
    plays = records(loop / "live" / "playout.jsonl")
    decided = {a["id"]: a for a in answers if a.get("event") == "comment"}
    latencies = {a["id"]: a["latency_s"] for a in answers if a.get("event") == "on_air"}
    replies = [{"text": c["text"], "verdict": c["verdict"], "topic": c["topic"], "render_s": c.get("render_s"),
                "latency_s": latencies.get(c["id"]), "answer": c["answer"]} for c in decided.values()]
    answered = [r["latency_s"] for r in replies if r["latency_s"] is not None]
    reasons: dict[str, int] = {}
    for p in plays:
        if p.get("event") == "play":
            reasons[p["reason"]] = reasons.get(p["reason"], 0) + 1
    summary = output.strip().splitlines()[-3:]
    return {
        "sheet": str(args.sheet), "scale": args.scale, "minutes": args.minutes, "platform": args.platform,
        "exit_code": cli.returncode, "cli_summary": " ".join(summary),
        "first_frame_s": round(first - started, 2) if first else None,
        "answer_latency_s": {"n": len(answered), "min": min(answered, default=None),
                             "median": statistics.median(answered) if answered else None,
                             "max": max(answered, default=None)},
        "replies": replies, "plays_by_reason": reasons,
        "ready_ahead_min": min((p["ready_ahead"] for p in plays if "ready_ahead" in p), default=None),
        "received": stream_checks(rx.out, 30),
    }


def compare_joins(work: Path, log: Any, seconds: float = 90.0) -> dict[str, Any]:
    """The same segments through the old play-out (ffconcat, one ffmpeg) and the live play-out (raw slices)."""
    from generator.loop.media import duration, probe
    from generator.loop.models import Entry, Schedule, SegmentSpec
    from generator.loop.playout import Playout, StreamFormat, bitrate_for
    from generator.loop.render import line_cues
    from generator.loop.stream import eval_fraction, stream_loop

    folder = work / "loop"
    files = sorted((folder / "segments").glob("*.mp4"))[:8]
    if len(files) < 2:
        return {"skipped": "fewer than two segments were rendered"}
    specs = [SegmentSpec(id=f.stem, duration=round(duration(f), 3), path=f"segments/{f.name}", script_id=f.stem)
             for f in files]
    entries, t, i = [], 0.0, 0
    while t < seconds:
        s = specs[i % len(specs)]
        entries.append(Entry(start=round(t, 3), segment=s.id, duration=s.duration))
        t += s.duration
        i += 1
    schedule = Schedule(hours=t / 3600, total=round(t, 3), window_min=0, seed=0, entries=entries,
                        segments={s.id: s for s in specs})
    old_dir = work / "old"
    old_dir.mkdir(exist_ok=True)
    (old_dir / "segments").mkdir(exist_ok=True)
    for f in files:
        target = old_dir / "segments" / f.name
        if not target.exists():
            target.symlink_to(f)
    (old_dir / "plan.json").write_text(schedule.model_dump_json(), encoding="utf-8")
    video = next(s for s in probe(files[0])["streams"] if s["codec_type"] == "video")
    fps = round(eval_fraction(video.get("avg_frame_rate", "30/1"))) or 30
    results: dict[str, Any] = {"segments": len(files), "entries": len(entries), "seconds": round(t, 1)}
    rx = Receiver(work / "old.flv")
    started = time.time()
    stream_loop(old_dir, rx.url, label="内容由AI生成", retries=2)
    rx.wait(60)
    results["concat_one_ffmpeg"] = {**stream_checks(rx.out, fps), "wall_s": round(time.time() - started, 1)}
    log(f"old play-out: {results['concat_one_ffmpeg']}")
    for mode in ("whole", "line_slices"):
        rx = Receiver(work / f"live_{mode}.flv")
        fmt = StreamFormat(int(video["width"]), int(video["height"]), fps, 48000,
                           bitrate_for(int(video["width"]), int(video["height"])))
        playout = Playout(rx.url, fmt, workdir=work)
        started = time.time()
        slices = 0
        try:
            for e in entries:
                path = folder / schedule.segments[e.segment].path
                cuts = line_cues(path, e.duration) if mode == "line_slices" else []
                bounds = [0.0, *cuts, e.duration]
                for a, b in zip(bounds, bounds[1:], strict=False):
                    playout.play(path, a, b)
                    slices += 1
        finally:
            playout.close()
        rx.wait(60)
        results[f"raw_slices_{mode}"] = {**stream_checks(rx.out, fps), "slices": slices,
                                         "wall_s": round(time.time() - started, 1)}
        log(f"live play-out ({mode}): {results[f'raw_slices_{mode}']}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheet", type=Path, default=SHEET)
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--duration", type=int, default=30, help="target seconds of one pitch")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--platform", default="douyin")
    parser.add_argument("--every", type=float, default=40.0, help="seconds between posted comments")
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "live_results.json")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "live")
    args = parser.parse_args(argv)
    work = args.work
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_start": os.getloadavg(),
                                          "python": platform.python_version()}}
    report["live"] = run_live(args, work, log)
    if args.compare:
        report["joins"] = compare_joins(work, log)
    report["machine"]["load_avg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
