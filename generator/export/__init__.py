"""Hand-offs to other tools: each clip as a 剪映 (Jianying/CapCut) draft an editor can open and change."""

from generator.export.handoff import ExportError, draft_current, draft_paths, export_draft

__all__ = ["ExportError", "draft_current", "draft_paths", "export_draft"]
