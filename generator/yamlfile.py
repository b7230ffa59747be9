"""Reading the project's own YAML data (presets, styles, fonts, rule sets, prompts, host manifests).

libyaml's C parser when PyYAML was built with it (the wheels are), the pure-Python safe parser otherwise: the
C one is about ten times faster, which matters at start-up, where the compliance rule sets alone took 0.2 s to
parse in pure Python. Both build only plain data (no Python objects from tags).
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The document in TEXT as plain data; raises yaml.YAMLError when it is not valid YAML."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader (C or Python)
