"""`daihuo lint` (advertising-law review of a sheet or of plain text) and `daihuo verify` (QC of any clip)."""

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


# Sheets are linted cell by cell; .txt stays plain text (one claim per line), as before.
LINT_SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".json", ".yaml", ".yml")


def _lint_sheet(path: Path, as_json: bool) -> None:
    from generator.compliance.sheet_lint import lint_sheet
    from generator.settings import get_settings
    from generator.sheets import SheetError

    try:
        result = lint_sheet(path, limits=get_settings().sheet_limits())
    except SheetError as exc:
        Console(stderr=True).print(f"[red]sheet error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    failed = bool(result.blocking or result.row_errors)  # a row that cannot be made fails the pre-check too
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        raise typer.Exit(1 if failed else 0)
    console = Console()
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    for err in result.row_errors:
        console.print(f"[red]row error:[/] {escape(str(err))}", soft_wrap=True)
    for f in result.findings:
        style = SEVERITY_STYLE.get(f.severity, "bold")
        console.print(f"[{style}]{f.severity:6}[/] {escape(f.line())}", soft_wrap=True)
    review = sum(1 for f in result.findings if f.severity == "review")
    errors = f", {len(result.row_errors)} row error(s)" if result.row_errors else ""
    console.print(f"[{'red' if failed else 'green'}]{result.source}: {result.rows} row(s), {result.cells} "
                  f"text cell(s) reviewed; {len(result.findings)} finding(s), {result.blocking} blocking, "
                  f"{review} to check{errors}[/]")
    raise typer.Exit(1 if failed else 0)


def lint_cmd(
    file: Annotated[str, typer.Argument(help="a product sheet (.xlsx .csv .tsv .json .yaml), a text file (UTF-8 or "
                                             "GBK, one line at a time), or - to read standard input")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="JSON: the sheet's findings, or one object per text line")] = False,
    category: Annotated[str, typer.Option(help="text only: product category, e.g. 美妆, 食品, 保健食品, finance "
                                               "(a sheet uses each row's own category column)")] = "",
) -> None:
    """Review a product sheet cell by cell, or plain text line by line, against the advertising-law rules.

    Sheet findings read: row 4, 卖点: "三天根治痘痘" — 广告法第十七条 疾病当作功效「根治痘痘」; rewrite: …
    Rows that cannot become a product (a price that is not a number, an empty name) are listed too.
    Exit 0 when nothing blocks, 1 when a finding blocks or a row cannot be made, 2 when the file cannot be read.
    """
    from generator.compliance.review import review_text

    if file != "-" and Path(file).suffix.lower() in LINT_SHEET_SUFFIXES:
        _lint_sheet(Path(file), as_json)

    console = Console()
    blocking = 0
    total = 0
    for n, text in enumerate(_read_lines(file), start=1):
        language = "en" if text.isascii() else "zh"
        findings = review_text(text, category=category, language=language)
        total += len(findings)
        blocking += sum(1 for f in findings if f.severity == "block")
        if as_json:
            # "also" (the other families the same claim breaks) is added only where there is one: the keys stay
            row = {"line": n, "text": text, "findings": [
                f.model_dump(include={"term", "rule", "category", "severity", "start", "end", "suggestion"}
                             | ({"also"} if f.also else set()))
                for f in findings]}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            continue
        if not findings:
            continue
        console.print(f"[bold]{n}:[/] {_highlight(text, findings)}")
        for f in findings:
            style = SEVERITY_STYLE.get(f.severity, "bold")
            console.print(f"    [{style}]{f.severity}[/] 「{escape(f.term)}」 → {escape(f.suggestion)}  "
                          f"[dim]{escape(f.rule)} ({escape(f.basis)}): {escape(f.reason)}[/]")
            for also in f.further_articles():  # the same claim, a second article: read once, cited twice
                console.print(f"           also {escape(also.category)} ({escape(also.basis)}): {escape(also.reason)}")
    if not as_json:
        console.print(f"[{'red' if blocking else 'green'}]{total} finding(s), {blocking} blocking[/]")
    raise typer.Exit(1 if blocking else 0)


def verify_cmd(
    clip: Annotated[Path, typer.Argument(help="a clip (mp4/mov/mkv); ours or any other")],
    as_json: Annotated[bool, typer.Option("--json", help="print the full QC report as JSON")] = False,
    platform: Annotated[str | None, typer.Option(help="platform preset to check size, codecs and safe zone against "
                                                      "(default: the one recorded in <clip>.qc.json)")] = None,
    scale: Annotated[float | None, typer.Option(help="proxy scale the clip was rendered at (default: recorded, else 1)")] = None,
    write: Annotated[bool, typer.Option(help="also write the report to <clip>.qc.json")] = False,
) -> None:
    """Read a clip back and check it: codecs, faststart, A/V sync, loudness, both AIGC labels, burned-in text.

    A clip daihuo made is compared with the approved script and sheet stored in its <platform>.qc.json; any other
    file gets the label checks (which must pass) and the delivery checks for --platform (or as information).
    Exit 0 when every required check passes, 1 when one fails, 2 when the file cannot be read.
    """
    from generator.compliance.aigc import LabelError
    from generator.compliance.qc import run_qc
    from generator.compliance.qc_models import QCInputs
    from generator.compliance.qc_pipeline import check_clip, saved_inputs
    from generator.platforms import get_preset, load_presets

    err = Console(stderr=True)
    if not clip.is_file():
        err.print(f"[red]error:[/] {escape(str(clip))} does not exist or is not a file")
        raise typer.Exit(2)
    saved = saved_inputs(clip)
    inputs = saved[0] if saved else QCInputs()
    key = platform or inputs.platform
    if key is not None and key not in load_presets():
        err.print(f"[red]error:[/] unknown platform {escape(key)}; choose from {', '.join(load_presets())}")
        raise typer.Exit(2)
    preset = get_preset(key).scaled(scale or inputs.scale) if key else None
    try:
        if write:
            report = check_clip(clip, clip.with_name(f"{clip.stem}.qc.json"), inputs=inputs, preset=preset)
        else:
            report = run_qc(clip, approved=inputs.approved, preset=preset, boxes=inputs.boxes,
                            statements=inputs.statements)
    except LabelError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        raise typer.Exit(0 if report.ok else 1)
    console = Console()
    console.print(f"[bold]{escape(report.path)}[/]  {report.width}x{report.height}, {report.duration:.2f}s"
                  f"  ({'compared with its approved texts' if saved else 'no approved texts on record'};"
                  f" QC took {report.seconds:.1f}s)")
    table = Table("check", "result", "detail")
    for c in report.checks:
        result = "[green]pass[/]" if c.ok else ("[red]FAIL[/]" if c.severity == "fail" else "[yellow]warn[/]")
        table.add_row(c.id, result, escape(c.detail))
    console.print(table)
    console.print("[green]QC passed[/]" if report.ok else "[red]QC failed[/]")
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("lint")(lint_cmd)
    app.command("verify")(verify_cmd)
