"""The lexicon as prompt text for an LLM script writer, so that drafts start compliant (they are reviewed anyway)."""

from __future__ import annotations

from generator.compliance.lexicon import select_rulesets


def rules_for_prompt(category: str = "", language: str = "zh", terms_per_rule: int = 12) -> str:
    """A short, stable rules section: for each rule a sample of banned terms, each with its preferred wording
    (最好→很好) where there is one."""
    english = language != "zh"
    lines = ["Compliance rules (China Advertising Law; do not use these words or claims):" if english
             else "合规要求（广告法）：不要使用下列用语或宣称："]
    disclosures: list[str] = []
    for s in select_rulesets(category):
        disclosures += s.disclosures
        if (s.view == "words") != english and s.always:
            continue  # English terms for English scripts, Chinese terms for Chinese ones
        for rule in s.rules:
            if rule.severity == "warn" or not rule.terms:
                continue
            sample = [f"{t.text}→{t.replace[0]}" if t.fix == "replace" and t.replace else t.text
                      for t in rule.terms][:terms_per_rule]
            lines.append(f"- {rule.label}: {', '.join(sample)}")
    if disclosures:
        lines.append(("Do not replace the mandatory on-screen statements: " if english else "画面将另行显示声明：")
                     + "；".join(dict.fromkeys(disclosures)))
    return "\n".join(lines)
