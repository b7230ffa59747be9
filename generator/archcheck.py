"""The architecture's "never" edges, checked from the source: `python -m generator.archcheck` (exit 1 on a breach).

Edges are read from every import statement (module level and inside functions) of generator/ and workers/:

- script writers ↛ video (writers know nothing of pixels)
- video ↛ script or edit (the renderer only draws the Timeline it is given)
- models ↛ any stage, nor anything above them (models are data)
- stages ↛ pipeline, bootstrap, cli, api or workers (engines and results are handed in)
- pipeline ↛ cli, api or workers; workers ↛ api

Also: no module over MAX_LINES lines, and no environment read (os.environ / os.getenv) outside settings.py.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("generator", "workers")
MAX_LINES = 450

STAGES = ("script", "compliance", "voice", "edit", "host", "video", "learn", "sheets", "loop", "export")
ABOVE_STAGES = ("pipeline", "bootstrap", "cli", "api", "workers")
NEVER: list[tuple[str, tuple[str, ...], str]] = [
    ("script", ("video",), "script writers must know nothing of pixels"),
    ("video", ("script", "edit"), "the renderer only draws the Timeline it is given"),
    ("models", (*STAGES, *ABOVE_STAGES), "models are data: they import no stage"),
    *((stage, ABOVE_STAGES, "stages are handed engines and inputs; they never reach up") for stage in STAGES),
    ("pipeline", ("cli", "api", "workers"), "the plan knows nothing of its entry points"),
    ("workers", ("api",), "workers run steps; the API only enqueues"),
]


@dataclass(frozen=True)
class Breach:
    path: str  # relative to the checked root
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def layer(module: str) -> str | None:
    """The architectural layer of a dotted module name: `generator.video.render` → video."""
    parts = module.split(".")
    if parts[0] == "workers":
        return "workers"
    if parts[0] != "generator" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) for every import in TREE, relative imports resolved."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb", "putenv"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        elif (isinstance(node, ast.ImportFrom) and node.module == "os"
              and any(alias.name in ("environ", "getenv") for alias in node.names)):
            lines.append(node.lineno)
    return lines


def check_file(path: Path, root: Path = ROOT) -> list[Breach]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=str(path))
    module = module_name(path, root)
    where = path.relative_to(root).as_posix()
    source_layer = layer(module)
    breaches: list[Breach] = []
    seen: set[tuple[int, str]] = set()
    for line, target in imports(tree, module, path.name == "__init__.py"):
        target_layer = layer(target)
        for source, forbidden, why in NEVER:
            if source_layer == source and target_layer in forbidden and (line, target_layer) not in seen:
                seen.add((line, target_layer))
                breaches.append(Breach(where, line, f"{source} imports {target} ({target_layer}): {why}"))
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        breaches.append(Breach(where, 1, f"{lines} lines, over {MAX_LINES}: split it by what its parts do"))
    if path.name != "settings.py" or source_layer != "settings":
        for line in _reads_environment(tree):
            breaches.append(Breach(where, line, "reads the environment: make it a Settings field (generator/settings.py)"))
    return breaches


def check(root: Path = ROOT) -> list[Breach]:
    breaches: list[Breach] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            breaches += check_file(path, root)
    return breaches


def main() -> int:
    breaches = check()
    for breach in breaches:
        print(breach)
    print(f"archcheck: {len(breaches)} breach(es)" if breaches else "archcheck: the architecture holds")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
