"""Fixed benchmark inputs: one product, and a spoken script stretched to an exact nominal duration.

The template writer's scripts do not land on the requested length (a "30 s" brief speaks for ~26 s, a "60 s"
one for ~36 s), and the cases must be exactly 30 s and 60 s to compare with each other and with the quoted
peer figure. So the bench speaks the script once (the real voice stage, timed), then repeats its beats and
line timings back to back until the nominal duration is filled, and loops the audio to the same length.
Captions, scenes and pans stay consistent with the audio because the layout is built from the stretched
script and voice exactly as the pipeline builds it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from generator.models import Beat, LineTiming, Product, Script, VoiceTrack

ROOT = Path(__file__).resolve().parent.parent
END_GUARD = 0.2  # a line must end this long before the cut to be kept


def bench_product() -> Product:
    """The product every case renders: price badge (sale price), specs, an offer, one photo."""
    return Product(
        sku="BENCH-1001", title="保湿补水面霜", brand="山水集", category="美妆", price=129.0, sale_price=89.0,
        selling_points=["含神经酰胺修护屏障", "质地轻薄不黏腻", "48小时持续保湿"],
        specs={"容量": "50g", "适用肤质": "干性及混合性"}, audience="秋冬皮肤干燥的上班族",
        scenes=["早晚护肤", "空调房"], offer="直播间下单送同款小样两支",
        images=[str(ROOT / "examples" / "images" / "cream.jpg")], language="zh",
    )


def stretch(script: Script, voice: VoiceTrack, seconds: float) -> tuple[Script, VoiceTrack]:
    """The script and timings repeated (the last beat cut after its last whole line) to fill `seconds`.

    The audio file is not touched: `loop_audio` makes the matching track.
    """
    if not voice.lines or voice.duration <= 0:
        raise ValueError("the voice track has no lines; the bench needs a spoken script")
    pairs: list[tuple[Beat, list[LineTiming]]] = []
    index = 0
    for beat in script.beats:
        pairs.append((beat, voice.lines[index:index + len(beat.lines)]))
        index += len(beat.lines)
    beats: list[Beat] = []
    lines: list[LineTiming] = []
    offset = 0.0
    while offset < seconds:
        for beat, timings in pairs:
            kept = [t for t in timings if offset + t.end <= seconds - END_GUARD]
            if not kept and beats:
                break
            kept = kept or timings[:1]  # even a very short case shows one line
            beats.append(beat.model_copy(update={"lines": beat.lines[:len(kept)]}))
            lines += [t.model_copy(update={"index": len(lines) + i, "start": round(offset + t.start, 3),
                                           "end": round(min(seconds, offset + t.end), 3), "words": []})
                      for i, t in enumerate(kept)]
            if len(kept) < len(timings):
                break
        else:
            offset += voice.duration
            continue
        break
    return (script.model_copy(update={"beats": beats}),
            voice.model_copy(update={"lines": lines, "duration": float(seconds)}))


def loop_audio(source: Path, seconds: float, out: Path, *, mute_after: float | None = None) -> Path:
    """`source` looped and cut to exactly `seconds` (WAV, same rate), matching `stretch`'s timings.

    `mute_after` silences the audio from that time on (speech past the last kept line has no caption).
    """
    mute = ["-af", f"volume=enable='gte(t,{mute_after:.3f})':volume=0"] if mute_after is not None else []
    subprocess.run(
        ["ffmpeg", "-y", "-v", "error", "-stream_loop", "-1", "-i", str(source), "-t", f"{seconds:.3f}", *mute,
         "-c:a", "pcm_s16le", str(out)], check=True, capture_output=True,
    )
    return out


def fit(script: Script, voice: VoiceTrack, seconds: float, out: Path) -> tuple[Script, VoiceTrack]:
    """`stretch` plus its audio: the script and voice track of exactly `seconds`, audio written to `out`."""
    script, stretched = stretch(script, voice, seconds)
    path = loop_audio(Path(voice.path), seconds, out, mute_after=stretched.lines[-1].end + 0.05)
    return script, stretched.model_copy(update={"path": str(path)})
