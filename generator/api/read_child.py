"""The process that reads one uploaded sheet, under limits: `python -m generator.api.read_child CPU_S MEMORY_MB`.

The API server never parses an untrusted file itself: it starts this program, which lowers its own CPU-time
and address-space limits (setrlimit) before it imports a parser, reads the request (JSON) from stdin and writes
the answer (JSON) to stdout. A sheet that needs more is cut off by the kernel, not by the parser's good will;
the server also stops waiting after DAIHUO_PARSE_TIMEOUT (generator/api/sheet_reader.py).
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Any


def limit(cpu_seconds: int, memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a sheet that hits the CPU limit leaves no core file


def read(request: dict[str, Any]) -> dict[str, Any]:
    from generator.settings import SheetLimits
    from generator.sheets import SheetError, read_products_json, read_sheet

    limits = SheetLimits.model_validate(request["limits"])
    cache = Path(request["image_cache"])
    try:
        if request["kind"] == "lint":  # the compliance pre-check of every text cell (POST /v1/lint)
            from generator.compliance.sheet_lint import lint_sheet

            return {"ok": True, "lint": lint_sheet(Path(request["path"]), limits=limits).model_dump(mode="json")}
        if request["kind"] == "sheet":
            result = read_sheet(Path(request["path"]), image_cache=cache, limits=limits)
        else:
            products = json.loads(Path(request["path"]).read_text(encoding="utf-8"))
            result = read_products_json(products, base_dir=Path(request["base"]), source="request",
                                        limits=limits, image_cache=cache)
    except SheetError as exc:
        return {"ok": False, "problem": exc.problem, "fix": exc.fix, "message": str(exc)}
    return {"ok": True, "result": result.model_dump(mode="json")}


def main() -> int:
    limit(int(sys.argv[1]), int(sys.argv[2]))
    try:
        answer = read(json.loads(sys.stdin.read()))
    except MemoryError:
        answer = {"ok": False, "limit": "memory"}
    except RecursionError:
        answer = {"ok": False, "problem": "the file is nested too deeply to be a product sheet",
                  "fix": "save it again as a plain table (one product per row)"}
    except Exception as exc:  # noqa: BLE001 - a reader's bug must still come back as one line, not a dead child
        from generator.pipeline.failures import explain

        answer = {"ok": False, "problem": f"the sheet could not be read ({explain(exc)})",
                  "fix": "save it again from Excel/WPS as .xlsx or .csv; if it still fails, report it with the file"}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
