"""The edit stage: what the clip shows and plays, decided as data (a Timeline) for the renderer to draw.

`edit_clip` is the entry point (style choice and photo analysis at its edge); `plan_timeline` is the pure
planner. See docs/styles.md for style packs and docs/edit.md for the Timeline the edit produces.
"""

from generator.edit.plan import edit_clip, plan_timeline
from generator.edit.styles import Style, StyleError, choose_style, load_styles, style_names

__all__ = ["Style", "StyleError", "choose_style", "edit_clip", "load_styles", "plan_timeline", "style_names"]
