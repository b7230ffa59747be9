"""The rule guard: what each target platform's published rules say about looped, unattended AI streams."""

from __future__ import annotations

from functools import lru_cache

from generator.loop.models import RuleFinding
from generator.settings import ASSETS_DIR
from generator.yamlfile import load_yaml

RULES_FILE = ASSETS_DIR / "platform_rules.yaml"
BLOCKING = ("forbid", "restrict")


@lru_cache(maxsize=1)
def load_rules() -> dict:
    return load_yaml(RULES_FILE.read_text(encoding="utf-8"))


def check_platforms(platforms: list[str]) -> list[RuleFinding]:
    """One finding per platform and concern (looped playback, unattended AI host), worst first."""
    data = load_rules()
    findings = []
    for platform in platforms:
        entry = data["platforms"].get(platform)
        if entry is None:
            findings.append(RuleFinding(platform=platform, level="unknown",
                                        rule="no published rule on AI hosts or looped streams is on file",
                                        advice="check the platform's current live-stream terms yourself"))
            continue
        for concern, what in (("looped", "looped/recorded playback as a live stream"),
                              ("unattended", "an AI host without a real person driving it")):
            level = entry.get(concern, "unknown")
            findings.append(RuleFinding(platform=platform, level=level, rule=f"{what}: {level}",
                                        advice=entry.get("advice", ""), details=list(entry.get("rules", []))))
    order = {"forbid": 0, "restrict": 1, "unknown": 2, "ok": 3}
    return sorted(findings, key=lambda f: order[f.level])


def blocking(findings: list[RuleFinding]) -> list[RuleFinding]:
    """The findings `--strict` refuses on."""
    return [f for f in findings if f.level in BLOCKING]


def general_rules() -> list[str]:
    return list(load_rules().get("everywhere", []))
