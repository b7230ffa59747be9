"""A clip's Timeline as a 剪映 (Jianying/CapCut China) draft, written with pyJianYingDraft (never by hand).

The draft is built from the same Timeline the renderer draws, so an editor gets the clip's parts to change:

- one video track, one segment per shot, each showing that shot's picture drawn once as a still (the
  renderer's own `draw_picture`, with the pan margin around it); the pan and the zoom punch-ins are
  position/scale keyframes. Transitions are cuts in the draft (剪映's own transitions are downloadable
  resources we cannot name offline).
- text tracks: the verbatim caption phrases, the other text layers (hook, callouts, titles, spec rows,
  price texts, badge, CTA, disclosures) at their times, positioned at their box centres; the AI label
  (the preset's text) on its own track spanning the whole clip.
- audio tracks: the voice track (the music bed is already mixed into it) and the sound effects, each
  effect written once as a WAV.

Every file the draft uses is copied into its `materials/` folder, and paths in the JSON use 剪映's
draft-folder placeholder, so the folder can be zipped, sent and dropped into any editor's draft directory.
"""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np

from generator.models import Layer, Shot, SoundCue, Timeline

DRAFT_PLACEHOLDER = "##_draftpath_placeholder_0E685133-18CE-45ED-8CB8-2904A212EC80_##"
MEDIA_DIR = "materials"
CAPTION_KINDS = ("caption",)
SKIPPED_KINDS = ("label", "pointer", "logo")  # the label gets its own track; arrows and logos are pictures
PAN_SAMPLES = 6  # keyframes per moving shot: enough for 剪映's linear interpolation to follow the ease


class JianyingUnavailable(RuntimeError):
    """pyJianYingDraft is not installed (the optional `export` extra)."""


def _library():
    try:
        import pyJianYingDraft as draft
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise JianyingUnavailable("pyJianYingDraft is not installed") from exc
    return draft


def write_draft(timeline: Timeline, folder: Path, *, photos: list[str], voice: Path, label: str) -> Path:
    """Write the draft for TIMELINE as the new folder FOLDER (its parent must exist); return FOLDER."""
    draft = _library()
    script = draft.DraftFolder(str(folder.parent)).create_draft(
        folder.name, timeline.width, timeline.height, timeline.fps, allow_replace=False)
    media = folder / MEDIA_DIR
    media.mkdir()
    _add_shots(draft, script, timeline, photos, media)
    _add_texts(draft, script, timeline, label)
    _add_audio(draft, script, timeline, voice, media)
    script.save()
    # 剪映 6+ reads draft_info.json (draft_content.json is renamed on its own package import); both carry the
    # library's same output, so older and newer versions find the draft.
    shutil.copyfile(folder / "draft_content.json", folder / "draft_info.json")
    return folder


def _us(seconds: float) -> int:
    return int(round(seconds * 1_000_000))


def _relative(material, name: str) -> None:
    """Point a material at its copy inside the draft (剪映 resolves the placeholder to the draft folder)."""
    material.path = f"{DRAFT_PLACEHOLDER}/{MEDIA_DIR}/{name}"
    material.material_name = name


# --- pictures -------------------------------------------------------------------------------------------

def _add_shots(draft, script, timeline: Timeline, photos: list[str], media: Path) -> None:
    from generator.video.compose import pan_margin
    from generator.video.pictures import PhotoCache, draw_picture

    W, H = timeline.width, timeline.height
    margin = pan_margin(W, H)
    cache = PhotoCache(list(photos))
    # 剪映 fits a still inside the canvas; this scale shows it 1:1 again, margin outside the frame.
    base = max((W + 2 * margin) / W, (H + 2 * margin) / H)
    track = script.append_track(draft.TrackSpec(draft.TrackType.video, "shots"))
    materials: dict = {}
    shots = timeline.shots
    for i, shot in enumerate(shots):
        if shot.picture not in materials:
            name = f"picture_{len(materials) + 1:02d}.jpg"
            draw_picture(shot.picture, cache, (W, H), margin).save(media / name, quality=92)
            material = draft.VideoMaterial(str(media / name))
            _relative(material, name)
            materials[shot.picture] = material
        end = shots[i + 1].start if i + 1 < len(shots) else timeline.duration
        until = end + (shots[i + 1].transition.duration if i + 1 < len(shots) else 0.0)
        segment = draft.VideoSegment(materials[shot.picture], draft.trange_seconds(shot.start, end=end),
                                     clip_settings=_pan_settings(draft, shot, shot.start, until, margin, W, H, base))
        _pan_keyframes(draft, segment, shot, end, until, margin, W, H, base, timeline.fps)
        script.add_segment(segment, track)


def _offset(shot: Shot, t: float, until: float, margin: int, W: int, H: int) -> tuple[float, float]:
    """Where the picture's centre sits at time t, in 剪映 units (half the canvas; y up)."""
    from generator.video.compose import window

    x, y = window(shot, t, until, margin)
    return (margin - x) / (W / 2), (y - margin) / (H / 2)


def _pan_settings(draft, shot: Shot, t: float, until: float, margin: int, W: int, H: int, base: float):
    from generator.video.compose import zoom_at

    tx, ty = _offset(shot, t, until, margin, W, H)
    s = base * zoom_at(shot, t)
    return draft.ClipSettings(scale_x=s, scale_y=s, transform_x=tx, transform_y=ty)


def _pan_keyframes(draft, segment, shot: Shot, end: float, until: float, margin: int, W: int, H: int,
                   base: float, fps: int) -> None:
    """The pan as position keyframes (sampled along its ease) and each zoom step as a one-frame scale jump."""
    K = draft.KeyframeProperty
    span = end - shot.start
    samples = [shot.start + span * k / (PAN_SAMPLES - 1) for k in range(PAN_SAMPLES)]
    offsets = [_offset(shot, t, until, margin, W, H) for t in samples]
    if len(set(offsets)) > 1:
        for t, (tx, ty) in zip(samples, offsets, strict=True):
            segment.add_keyframe(K.position_x, _us(t - shot.start), tx)
            segment.add_keyframe(K.position_y, _us(t - shot.start), ty)
    steps = [(at, s) for at, s in shot.zoom if shot.start < at < end]
    if steps:
        scale = 1.0
        for at, s in shot.zoom:
            if at <= shot.start:
                scale = s
        segment.add_keyframe(K.uniform_scale, 0, base * scale)
        for at, s in steps:
            segment.add_keyframe(K.uniform_scale, max(0, _us(at - shot.start - 1 / fps)), base * scale)
            segment.add_keyframe(K.uniform_scale, _us(at - shot.start), base * s)
            scale = s


# --- texts ----------------------------------------------------------------------------------------------

def layer_text(layer: Layer) -> str:
    """A text layer's words as the draft shows them: its wrapped lines, one per row."""
    return "\n".join(line for line in layer.text if line)


def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255


def _alpha(hex_color: str) -> float:
    h = hex_color.lstrip("#")
    return int(h[6:8], 16) / 255 if len(h) >= 8 else 1.0


def _font_size(layer: Layer, W: int, H: int) -> float:
    # 剪映's size unit is roughly a hundredth of the canvas's short side in pixels: approximate by design.
    return round(max(2.0, layer.size / (min(W, H) / 100)), 1)


def _text_segment(draft, text: str, start: float, end: float, layer: Layer | None, W: int, H: int,
                  fallback_size: float = 6.0):
    if layer is not None:
        x, y, w, h = layer.box
        cx, cy = x + w / 2, y + h / 2
        settings = draft.ClipSettings(transform_x=(cx - W / 2) / (W / 2), transform_y=(H / 2 - cy) / (H / 2),
                                      rotation=-layer.tilt)
        style = draft.TextStyle(size=_font_size(layer, W, H) if layer.size else fallback_size,
                                color=_rgb(layer.fill), alpha=_alpha(layer.fill), align=1)
        border = draft.TextBorder(color=_rgb(layer.stroke), width=min(100.0, 10.0 * layer.stroke_width)) \
            if layer.stroke and layer.stroke_width else None
        background = draft.TextBackground(color=layer.background[:7], alpha=_alpha(layer.background)) \
            if layer.background else None
    else:
        settings, style, border, background = draft.ClipSettings(transform_y=0.9), draft.TextStyle(
            size=fallback_size, align=1), None, None
    return draft.TextSegment(text, draft.trange_seconds(start, end=end), style=style, clip_settings=settings,
                             border=border, background=background)


def _lanes(items: list, start, end) -> list[list]:
    """Items spread over as few tracks as possible: 剪映 tracks hold no overlapping segments."""
    lanes: list[list] = []
    for item in sorted(items, key=start):
        for lane in lanes:
            if _us(end(lane[-1])) <= _us(start(item)):
                lane.append(item)
                break
        else:
            lanes.append([item])
    return lanes


def _add_texts(draft, script, timeline: Timeline, label: str) -> None:
    W, H = timeline.width, timeline.height
    texts = [layer for layer in timeline.layers if layer.kind not in SKIPPED_KINDS and layer_text(layer)]
    groups = (("captions", [la for la in texts if la.kind in CAPTION_KINDS]),
              ("texts", sorted((la for la in texts if la.kind not in CAPTION_KINDS), key=lambda la: la.z)))
    for name, layers in groups:
        for n, lane in enumerate(_lanes(layers, lambda la: la.start, lambda la: la.end), 1):
            track = script.append_track(draft.TrackSpec(draft.TrackType.text, f"{name} {n}"))
            for layer in lane:
                end = min(layer.end, timeline.duration)
                if end > layer.start:
                    script.add_segment(_text_segment(draft, layer_text(layer), layer.start, end, layer, W, H), track)
    label_layer = next((la for la in timeline.layers if la.kind == "label"), None)
    track = script.append_track(draft.TrackSpec(draft.TrackType.text, "AI label"))
    script.add_segment(_text_segment(draft, label, 0.0, timeline.duration, label_layer, W, H), track)


# --- sound ----------------------------------------------------------------------------------------------

def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def _add_audio(draft, script, timeline: Timeline, voice: Path, media: Path) -> None:
    from generator.video.sfx import RATE, sound

    name = f"voice{voice.suffix or '.wav'}"
    shutil.copyfile(voice, media / name)
    material = draft.AudioMaterial(str(media / name))
    _relative(material, name)
    length = min(material.duration / 1_000_000, timeline.duration)
    track = script.append_track(draft.TrackSpec(draft.TrackType.audio, "voice and music"))
    script.add_segment(draft.AudioSegment(material, draft.trange_seconds(0.0, end=length)), track)

    effects: dict[str, tuple] = {}
    for cue in timeline.sounds:
        if cue.sound not in effects:
            samples = sound(cue.sound)
            file = f"sfx_{cue.sound}.wav"
            _write_wav(media / file, samples, RATE)
            effect = draft.AudioMaterial(str(media / file))
            _relative(effect, file)
            effects[cue.sound] = (effect, samples.size / RATE)
    cues = [c for c in timeline.sounds if c.t < timeline.duration]

    def cue_end(c: SoundCue) -> float:
        return min(c.t + effects[c.sound][1], timeline.duration)

    for n, lane in enumerate(_lanes(cues, lambda c: c.t, cue_end), 1):
        track = script.append_track(draft.TrackSpec(draft.TrackType.audio, f"sound effects {n}"))
        for cue in lane:
            script.add_segment(draft.AudioSegment(effects[cue.sound][0], draft.trange_seconds(cue.t, end=cue_end(cue)),
                                                  volume=10 ** (cue.gain_db / 20)), track)
