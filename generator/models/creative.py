"""Creative factors: what a clip is made of (angle, hook, style ...) and a choice of them for the writer.

The factor names and the angle keys are the shared vocabulary of the script writers (which honour a
`CreativeChoice`), the clip records (which say which levels made each clip) and `daihuo learn` (which
estimates how each level performs and chooses the levels of the next batch).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Angle keys, language-independent (the offline templates and the LLM prompts use the same keys).
ANGLES: tuple[str, ...] = ("pain-point", "scene", "comparison", "story", "expert")
ANGLE_NAMES_ZH: dict[str, str] = {"pain-point": "痛点", "scene": "场景", "comparison": "对比", "story": "故事",
                                  "expert": "专家"}
# Everything recorded about how a clip was made, in the order reports list them.
FACTORS: tuple[str, ...] = ("angle", "hook", "style", "host", "voice", "duration", "captions", "platform")
# The factors a script writer can be asked to use for one variant (the others are set for the whole job).
CHOOSABLE: tuple[str, ...] = ("angle", "hook")


class CreativeChoice(BaseModel):
    """The factor levels chosen for one variant before it is written, and why (see `daihuo make --learn`)."""

    model_config = ConfigDict(frozen=True)

    angle: str | None = Field(default=None, description="one of ANGLES; None: the writer's own rotation")
    hook: str | None = Field(default=None, description="'<angle>/<n>': the n-th hook of that angle (1-based)")
    mode: Literal["exploit", "explore"] = Field(default="exploit",
                                                description="exploit: the posteriors' pick; explore: trying another level")
    reasons: dict[str, str] = Field(default_factory=dict, description="factor -> why this level was chosen")
    source: str = Field(default="", description="the insights file the choice came from")
    avoid_titles: list[str] = Field(default_factory=list, description="titles this product's earlier clips use: "
                                    "new titles must differ, so an export row matches one clip")


def hook_angle(hook_id: str) -> str:
    """The angle a hook id belongs to ('pain-point/2' -> 'pain-point')."""
    return hook_id.split("/", 1)[0]
