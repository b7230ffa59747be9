"""Typed data that flows between the pipeline stages (data only: no stage is imported here).

Every stage is a function from these models to these models; only the edges (sheets, voice engines, the
renderer, the output writer) touch files, processes or the network. The models are the contract between the
CLI, the pipeline's runners, the Celery workers and the HTTP API, so they are serialisable (pydantic) and
carry no behaviour beyond small derived properties.
"""

from generator.models.brief import Brief
from generator.models.common import BEAT_ORDER, BeatKind, CompliancePolicy, Language, stable_hash
from generator.models.compliance import ComplianceReport, Finding
from generator.models.creative import ANGLES, CHOOSABLE, FACTORS, CreativeChoice
from generator.models.product import Product, RowError, SheetResult
from generator.models.results import Clip, JobResult, Manifest, VariantResult
from generator.models.script import Beat, Line, PlatformCopy, Script
from generator.models.timeline import Box, HostOverlay, Overlay, OverlayKind, Scene, Timeline
from generator.models.voice import LineTiming, VoiceTrack

__all__ = [
    "ANGLES", "CHOOSABLE", "FACTORS", "CreativeChoice", "BEAT_ORDER", "BeatKind", "Beat", "Box", "Brief", "Clip", "ComplianceReport", "CompliancePolicy", "Finding",
    "HostOverlay", "JobResult", "Language", "Line", "LineTiming", "Manifest", "Overlay", "OverlayKind",
    "PlatformCopy", "Product", "RowError", "Scene", "Script", "SheetResult", "Timeline", "VariantResult",
    "VoiceTrack", "stable_hash",
]
