"""Typed data that flows between the pipeline stages (data only: no stage is imported here).

Every stage is a function from these models to these models; only the edges (sheets, voice engines, the
renderer, the output writer) touch files, processes or the network. The models are the contract between the
CLI, the pipeline's runners, the Celery workers and the HTTP API, so they are serialisable (pydantic) and
carry no behaviour beyond small derived properties.
"""

from generator.models.brief import Brief
from generator.models.common import BEAT_ORDER, BeatKind, CompliancePolicy, Language, stable_hash
from generator.models.compliance import AlsoCited, ComplianceReport, Finding
from generator.models.creative import ANGLES, CHOOSABLE, FACTORS, CreativeChoice
from generator.models.product import Product, RowError, SheetResult
from generator.models.results import Clip, JobResult, Manifest, VariantResult
from generator.models.script import Beat, Line, PlatformCopy, Script
from generator.models.timeline import (
    Animation,
    Box,
    HostOverlay,
    Layer,
    LayerKind,
    Picture,
    Shot,
    SoundCue,
    Timeline,
    Transition,
)
from generator.models.voice import LineTiming, VoiceTrack

__all__ = [
    "ANGLES", "Animation", "Beat", "BEAT_ORDER", "BeatKind", "Box", "Brief", "CHOOSABLE", "Clip",
    "AlsoCited", "CompliancePolicy", "ComplianceReport", "CreativeChoice", "FACTORS", "Finding", "HostOverlay",
    "JobResult", "Language", "Layer", "LayerKind", "Line", "LineTiming", "Manifest", "Picture",
    "PlatformCopy", "Product", "RowError", "Script", "SheetResult", "Shot", "SoundCue", "stable_hash",
    "Timeline", "Transition", "VariantResult", "VoiceTrack",
]
