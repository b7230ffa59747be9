"""Start-up work taken off the critical path of a job's first clip.

While the io thread writes and speaks the first variant, the main thread has nothing to do until the first
clip renders; it fills the process-wide caches that the first clip would otherwise fill one after another before its first
frame: the compliance rule sets (compiled while the script is written, so the review that follows finds them),
the music bed, the render and edit modules, the fonts' character maps. Later clips find them filled, as
they always did. Nothing here changes an output; a failure is left for the step that needs the part to report.
"""

from __future__ import annotations

import logging

from generator.models import Brief

log = logging.getLogger("daihuo.pipeline")


def warm_up(brief: Brief, languages: set[str]) -> None:
    try:
        from generator.compliance.lexicon import default_rulesets

        default_rulesets()  # first: the review comes right after the script
        from generator.pipeline.steps import MUSIC
        from generator.voice.track import preload_music

        if brief.music:  # next: the voice step wants it right after the review
            preload_music(MUSIC)
        from generator.edit import edit_clip  # noqa: F401 - the import is the work
        if brief.qc == "on":
            from generator.compliance import qc  # noqa: F401 - read-back of each clip, loaded ahead of the first
        from generator.video import cover, render  # noqa: F401
        from generator.video.text import preload_faces

        for language in sorted(languages):
            preload_faces(language)
    except Exception:  # noqa: BLE001 - only a head start; the step that needs the part reports its failure
        log.debug("warm-up skipped", exc_info=True)
