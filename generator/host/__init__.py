"""Virtual presenters: a lip-synced 2D sprite host (offline) and an HTTP engine for GPU talking-head servers.

The renderer asks `make_host(...)` for a HostOverlay and alpha-blends `overlay.rgba(t)` at `overlay.box`.
"""

from generator.host.base import LAYOUTS, HostOverlay, make_host

__all__ = ["LAYOUTS", "HostOverlay", "make_host"]
