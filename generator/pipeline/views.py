"""Read-only views of a job for people: progress per product, variant and platform (CLI status, API)."""

from __future__ import annotations

from typing import Any

from generator.pipeline.store import TERMINAL, State


def summarize(job: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Per product (and per variant and platform) states and progress, from the step rows."""
    titles = {p["sku"]: p.get("title", "") for p in job["products"]}
    products: dict[str, dict[str, Any]] = {}
    for s in steps:
        prod = products.setdefault(s["sku"], {"sku": s["sku"], "title": titles.get(s["sku"], ""), "steps": [],
                                              "variants": {}})
        prod["steps"].append(s)
        variant = prod["variants"].setdefault(s["variant"], {"variant": s["variant"], "stage": None, "platforms": {}})
        if s["step"].startswith("render:"):
            variant["platforms"][s["step"].split(":", 1)[1]] = {"state": s["state"], "error": _first_line(s["error"])}
        if s["state"] == "running":
            variant["stage"] = s["step"]
    out = []
    for prod in products.values():
        states = [s["state"] for s in prod["steps"]]
        done = sum(1 for st in states if st in TERMINAL)
        errors = [f"v{s['variant']} {s['step']}: {s['error']}" for s in prod["steps"] if s["state"] == "failed"]
        out.append({
            "sku": prod["sku"], "title": prod["title"], "state": _rollup(states), "done": done, "total": len(states),
            "progress": round(done / len(states), 3) if states else 1.0,
            "error": errors[0].splitlines()[0] if errors else None,
            "variants": list(prod["variants"].values()),
        })
    states = [s["state"] for s in steps]
    return {
        "id": job["id"], "state": job["state"], "mode": job["mode"], "created": job["created"],
        "updated": job["updated"], "error": job["error"], "brief": job["brief"],
        "progress": (round(sum(1 for st in states if st in TERMINAL) / len(states), 3) if states
                     else float(job["state"] in TERMINAL)),  # no steps yet: the sheet is still being read
        "products": out,
        "row_errors": job["row_errors"], "warnings": job["warnings"],
    }


def _first_line(text: str | None) -> str | None:
    return text.strip().splitlines()[0] if text and text.strip() else text


def _rollup(states: list[str]) -> State:
    if states and all(st in TERMINAL for st in states):
        return "failed" if "failed" in states else "done"
    if any(st != "queued" for st in states):
        return "running"
    return "queued"
