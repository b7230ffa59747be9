"""The architecture's "never" edges hold in the real source tree, and the check really catches a breach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.archcheck import check

ROOT = Path(__file__).resolve().parent.parent


def test_the_source_tree_has_no_forbidden_edge_no_oversized_module_and_no_environment_read() -> None:
    breaches = check()
    assert breaches == [], "\n".join(map(str, breaches))
    proc = subprocess.run([sys.executable, "-m", "generator.archcheck"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "the architecture holds" in proc.stdout


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (tmp_path / "workers").mkdir(exist_ok=True)
    return tmp_path


def test_each_kind_of_breach_is_reported_with_file_and_line(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "generator/__init__.py": "",
        "generator/script/writer.py": "import json\n\ndef f():\n    from generator.video.render import render_video\n",
        "generator/video/render.py": "from ..edit import plan\n",
        "generator/models/product.py": "from generator.voice.track import speak_script\n",
        "generator/voice/track.py": "from generator.pipeline.steps import speak\n",
        "generator/pipeline/run.py": "import generator.cli\n",
        "generator/host/photo.py": "import os\nURL = os.environ.get('X')\n",
        "generator/big.py": "x = 1\n" * 451,
        "generator/settings.py": "import os\nA = os.environ.get('DAIHUO_A')\n",
        "workers/tasks.py": "from generator.api.app import create_app\n",
    })
    found = {str(b) for b in check(root)}
    expected = [
        "generator/script/writer.py:4: script imports generator.video.render (video)",
        "generator/video/render.py:1: video imports generator.edit (edit)",
        "generator/models/product.py:1: models imports generator.voice.track (voice)",
        "generator/voice/track.py:1: voice imports generator.pipeline.steps (pipeline)",
        "generator/pipeline/run.py:1: pipeline imports generator.cli (cli)",
        "generator/host/photo.py:2: reads the environment",
        "generator/big.py:1: 452 lines, over 450",
        "workers/tasks.py:1: workers imports generator.api.app (api)",
    ]
    for text in expected:
        assert any(f.startswith(text) for f in found), f"not reported: {text}\n{sorted(found)}"
    assert not any(f.startswith("generator/settings.py") for f in found), "settings.py may read the environment"
