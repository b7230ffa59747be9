"""What made a clip: its stable id and its creative factor levels (pure).

Every clip record (`<platform>.json`) and every manifest carries these, so that a platform's analytics
export can be matched back to the clip and each factor level compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.models import FACTORS, Brief, Script, stable_hash


def clip_id(directory: Path, platform: str) -> str:
    """'dh' + 10 hex digits from OUT-relative job/sku/variant folder names and the platform: the same on every
    rerun and machine, and short enough to paste into a tracking sheet."""
    return "dh" + stable_hash([*Path(directory).parts[-3:], platform], length=10)


def job_level(brief: Brief, name: str) -> str:
    """A job-wide factor's level. `style` and `captions` are read defensively: older briefs lack them."""
    value: Any = {
        "style": getattr(brief, "style", None),
        "host": brief.host,
        "voice": brief.voice,
        "duration": f"{brief.duration}s",
        "captions": getattr(brief, "captions", None),
    }[name]
    return str(value) if value not in (None, "") else "default"


def clip_factors(script: Script | None, brief: Brief, platform: str, style: str | None = None) -> dict[str, str]:
    """Factor -> level for one clip, in FACTORS order. STYLE is the pack the edit actually used (chosen by
    category and variant when the brief names none); without it, the brief's."""
    levels = {
        "angle": (script.angle if script else "") or "none",
        "hook": (script.hook_id if script else "") or "free",
        "platform": platform,
    }
    if style:
        levels["style"] = style
    return {name: levels[name] if name in levels else job_level(brief, name) for name in FACTORS}


def describe_clip(directory: Path, platform: str, script: Script | None, brief: Brief,
                  style: str | None = None) -> dict[str, Any]:
    """The fields a clip record adds for `daihuo learn`: clip_id, post title, factors."""
    post = script.copy_by_platform.get(platform) if script else None
    return {"clip_id": clip_id(directory, platform), "title": post.title if post else "",
            "factors": clip_factors(script, brief, platform, style)}


def creative_record(script: Script | None, brief: Brief, style: str | None = None) -> dict[str, Any]:
    """The manifest's `creative`: each variant-wide factor's level, who chose it and why."""
    factors = clip_factors(script, brief, "", style)
    choice = script.creative if script else None
    out: dict[str, Any] = {}
    for name, level in factors.items():
        if name == "platform":
            continue
        if name in ("angle", "hook"):
            if choice is not None and name in choice.reasons:
                entry = {"by": f"learn ({choice.mode})", "why": choice.reasons[name]}
            elif name == "hook" and level == "free":
                entry = {"by": "writer", "why": "written freely by the model (no template hook)"}
            else:
                entry = {"by": "writer", "why": f"variant {script.variant if script else '?'}'s rotation"}
        elif name == "style" and not brief.style and style:
            entry = {"by": "edit", "why": "chosen by the product's category and the variant number"}
        else:
            entry = {"by": "brief", "why": "set for the whole job"}
        out[name] = {"level": level, **entry}
    return {"factors": out, "mode": choice.mode if choice else None, "source": choice.source if choice else None}
