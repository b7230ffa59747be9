"""`daihuo lint` (advertising-law review of plain text) and `daihuo verify` (AIGC labels of a clip)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.models import Finding

SEVERITY_STYLE = {"block": "bold red", "review": "yellow", "warn": "cyan"}


def _read_lines(file: str) -> list[str]:
    if file == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(file)
        if not path.is_file():
            raise typer.BadParameter(f"{file} is not a readable file; pass a text file or - for stdin",
                                     param_hint="FILE")
        data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise typer.BadParameter(f"{file}: not UTF-8 or GBK text", param_hint="FILE")


def _highlight(text: str, findings: list[Finding]) -> str:
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        out.append(escape(text[pos:f.start]))
        out.append(f"[{SEVERITY_STYLE.get(f.severity, 'bold')} underline]{escape(text[f.start:f.end])}[/]")
        pos = f.end
    out.append(escape(text[pos:]))
    return "".join(out)


def lint_cmd(
    file: Annotated[str, typer.Argument(help="text file (UTF-8 or GBK), or - to read standard input")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per input line")] = False,
    category: Annotated[str, typer.Option(help="product category, e.g. 美妆, 食品, 保健食品, finance")] = "",
) -> None:
    """Review plain text against the advertising-law lexicon, one input line at a time.

    Exit 0 when no line has a blocking finding, 1 otherwise.
    """
    from generator.compliance.review import review_text

    console = Console()
    blocking = 0
    total = 0
    for n, text in enumerate(_read_lines(file), start=1):
        language = "en" if text.isascii() else "zh"
        findings = review_text(text, category=category, language=language)
        total += len(findings)
        blocking += sum(1 for f in findings if f.severity == "block")
        if as_json:
            row = {"line": n, "text": text, "findings": [
                f.model_dump(include={"term", "rule", "category", "severity", "start", "end", "suggestion"})
                for f in findings]}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            continue
        if not findings:
            continue
        console.print(f"[bold]{n}:[/] {_highlight(text, findings)}")
        for f in findings:
            style = SEVERITY_STYLE.get(f.severity, "bold")
            console.print(f"    [{style}]{f.severity}[/] 「{escape(f.term)}」 → {escape(f.suggestion)}  "
                          f"[dim]{escape(f.rule)}: {escape(f.reason)}[/]")
    if not as_json:
        console.print(f"[{'red' if blocking else 'green'}]{total} finding(s), {blocking} blocking[/]")
    raise typer.Exit(1 if blocking else 0)


def verify_cmd(
    clip: Annotated[Path, typer.Argument(help="a rendered clip (mp4/mov/mkv)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
) -> None:
    """Read a clip back and check both AIGC labels (GB 45438-2025): the metadata field and the on-screen text.

    Exit 0 when both labels pass, 1 when one fails, 2 when the file cannot be read.
    """
    from generator.compliance.aigc import LabelError
    from generator.compliance.verify import verify_clip

    try:
        report = verify_clip(clip)
    except LabelError as exc:
        Console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        raise typer.Exit(0 if report.ok else 1)
    console = Console()
    console.print(f"[bold]{escape(report.path)}[/]  {report.width}x{report.height}, {report.duration:.2f}s")
    table = Table("label", "rule", "result", "detail")
    for name, part in (("implicit", report.implicit), ("explicit", report.explicit)):
        for c in part.checks:
            table.add_row(name, c.id, "[green]pass[/]" if c.ok else "[red]FAIL[/]", escape(c.detail))
    console.print(table)
    console.print("[green]both AIGC labels present[/]" if report.ok else "[red]AIGC labels incomplete[/]")
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("lint")(lint_cmd)
    app.command("verify")(verify_cmd)
