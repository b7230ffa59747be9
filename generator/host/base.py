"""The host overlay protocol the renderer composites, and `make_host`, which picks an engine by name."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from generator.models import Box, HostOverlay, Script, VoiceTrack

log = logging.getLogger(__name__)

LAYOUTS = ("pip", "pip-left", "pip-right", "side", "full")


@dataclass(frozen=True)
class HttpHostConfig:
    """Where the `http` host engine (a GPU talking-head server) is, from Settings (DAIHUO_HOST_*)."""

    url: str | None = None
    avatar: str = "default"
    timeout: float = 300.0


def make_host(name: str, voice: VoiceTrack, script: Script, frame_size: tuple[int, int], layout: str, fps: int,
              *, safe: Box | None = None, http: HttpHostConfig | None = None) -> HostOverlay | None:
    """The host overlay for one clip, or None for `none`.

    name: "none", "sprite"/"default" (the bundled drawn host), "photo" (the bundled photo host), any folder
    name under assets/hosts/ (or a path to a sprite folder or photo pack), or "http" (the GPU talking-head server at settings.host_url; falls back to the sprite host
    with a warning when the server fails). frame_size is (width, height); layout one of LAYOUTS; safe is the
    preset's safe box (left, top, right, bottom) in pixels when known (Preset.safe_box()).
    """
    from generator.host.layout import host_box
    from generator.host.sprite import SpriteHost, load_sprite_set

    if name in ("", "none"):
        return None
    if layout not in LAYOUTS:
        raise ValueError(f"unknown host layout '{layout}'; choose one of {', '.join(LAYOUTS)}")
    if name == "http":
        from generator.host.http_engine import HostServerError, HttpHost

        http = http or HttpHostConfig()
        sprites = load_sprite_set("default")
        box = host_box(frame_size, layout, sprites.aspect, safe)
        try:
            return HttpHost.fetch(http.url, voice, box=box, fps=fps, avatar=http.avatar,
                                  timeout=http.timeout, mouth_box=sprites.mouth_box_in(box))
        except HostServerError as exc:
            log.warning("host engine http failed (%s); falling back to the sprite host", exc)
            return SpriteHost(sprites, voice, script, box=box, fps=fps, card=layout.startswith("pip"))
    from generator.host.pack import is_photo_pack, load_photo_pack
    from generator.host.sprite import resolve_folder

    folder = resolve_folder("default" if name == "sprite" else name)
    if is_photo_pack(folder):  # a portrait made by `daihuo host create`
        from generator.host.photo import PhotoHost

        pack = load_photo_pack(folder)
        box = host_box(frame_size, layout, pack.aspect, safe)
        return PhotoHost(pack, voice, script, box=box, fps=fps, card=layout.startswith("pip"))
    sprites = load_sprite_set(str(folder))
    box = host_box(frame_size, layout, sprites.aspect, safe)
    return SpriteHost(sprites, voice, script, box=box, fps=fps, card=layout.startswith("pip"))
