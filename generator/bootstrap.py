"""Settings + Brief → the engines a job runs with, built once per job and handed to the plan.

This is the one place that chooses engines by name (writer, voice, reviewer, host, renderer); stages never look
them up. Tests build `Engines` themselves, or call `build_engines` with their own Settings.
"""

from __future__ import annotations

from functools import partial

from generator.compliance.reviewer import LexiconReviewer
from generator.models import Brief, HostOverlay, Script, VoiceTrack
from generator.pipeline.engines import Engines
from generator.platforms import Preset
from generator.script.registry import get_writer
from generator.settings import Settings
from generator.voice.registry import get_voice


def build_engines(settings: Settings, brief: Brief) -> Engines:
    voice = get_voice(brief.voice, settings)
    return Engines(
        # The writer fits scripts to the duration at the speaking rate of the voice that will read them.
        writer=get_writer(brief.writer, settings, rate=voice.chars_per_second),
        voice=voice,
        reviewer=LexiconReviewer(),
        host=partial(_host_for_clip, brief.host, settings),
        render=settings,
        producer=settings.content_producer,
        propagator=settings.content_propagator,
    )


def _host_for_clip(name: str, settings: Settings, voice: VoiceTrack, script: Script,
                   preset: Preset) -> HostOverlay | None:
    if name in ("", "none"):
        return None
    from generator.host.base import HttpHostConfig, make_host
    from generator.pipeline.layout import host_layout, host_safe_box

    layout = host_layout(preset)
    http = HttpHostConfig(settings.host_url, settings.host_avatar, settings.host_timeout)
    return make_host(name, voice, script, (preset.width, preset.height), layout, preset.fps,
                     safe=host_safe_box(preset, layout), http=http)
