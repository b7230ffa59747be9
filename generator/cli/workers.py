"""`daihuo worker`, `daihuo batch`, `daihuo status` and `daihuo serve`: the distributed side of the CLI.

Entry points only translate arguments; the work is in workers/ (Celery tasks, job state, the HTTP API).
generator.cli is imported lazily inside the commands because it imports this module while it loads.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from generator.cli import options as opt
from generator.settings import get_settings

console = Console(stderr=True)


def _use_broker(url: str | None) -> str:
    """Point the Celery app at URL (or $DAIHUO_REDIS_URL) and check that Redis answers."""
    import redis

    from workers import celery_app

    url = url or celery_app.redis_url(get_settings())
    celery_app.configure(celery_app.app, url, get_settings())
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        console.print(f"[red]cannot reach Redis at {url}:[/] {exc}\n"
                      "Start it (`redis-server --appendonly yes`) or point --broker / DAIHUO_REDIS_URL at it.")
        raise typer.Exit(2) from exc
    return url


def _store(out_root: Path) -> Any:
    from generator.pipeline.store import JobStore

    return JobStore(out_root, journal=get_settings().state_journal)


def _out_root(out: Path | None) -> Path:
    return (out or get_settings().out).resolve()


def worker_cmd(
    queues: Annotated[str, typer.Option(help="queues to consume: io (script, voice), render (video), or both")] = "io,render",
    concurrency: Annotated[int | None, typer.Option(min=1, help="worker processes (default: CPU cores)")] = None,
    broker: Annotated[str | None, typer.Option(help="Redis URL (default $DAIHUO_REDIS_URL or redis://127.0.0.1:6379/0)")] = None,
    loglevel: Annotated[str, typer.Option(help="debug, info, warning or error")] = "info",
    hostname: Annotated[str | None, typer.Option(help="node name, e.g. render1@%h (must be unique per machine)")] = None,
) -> None:
    """Start a Celery worker that runs the pipeline's steps for `daihuo batch` and `daihuo serve`.

    Run one per machine (or one per queue: `--queues io --concurrency 8` for LLM/TTS work and `--queues render`
    with one process per core for rendering). Every worker must see the same output folder ($DAIHUO_OUT).
    """
    from workers.celery_app import app

    _use_broker(broker)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(names) - {"io", "render"})
    if unknown or not names:
        raise typer.BadParameter(f"unknown queue(s) {', '.join(unknown) or '(none)'}; use io, render or io,render",
                                 param_hint="--queues")
    argv = ["worker", "--queues", ",".join(names), "--concurrency", str(concurrency or os.cpu_count() or 1),
            "--loglevel", loglevel]
    if hostname:
        argv += ["--hostname", hostname]
    app.worker_main(argv)


def batch_cmd(
    sheet: Annotated[Path | None, typer.Argument(help="product sheet (.xlsx, .csv, .json, .yaml); omit with --resume")] = None,
    platforms: opt.Platforms = "douyin",
    variants: opt.Variants = 1,
    duration: opt.Duration = 30,
    lang: opt.Lang = None,
    out: Annotated[Path | None, typer.Option(help="output root shared by all workers (default $DAIHUO_OUT or ./out)")] = None,
    job: opt.Job = None,
    writer: opt.Writer = None,
    voice: opt.Voice = None,
    host: opt.Host = None,
    compliance: opt.Compliance = "fix",
    music: opt.Music = True,
    scale: opt.Scale = 1.0,
    qc: opt.QC = "on",
    style: opt.Style = None,
    captions: opt.Captions = "verbatim",
    export: opt.Export = "none",
    broker: Annotated[str | None, typer.Option(help="Redis URL (default $DAIHUO_REDIS_URL or redis://127.0.0.1:6379/0)")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="show live progress per product and wait for the end")] = False,
    resume: Annotated[str | None, typer.Option(help="re-send the unfinished or failed parts of job RESUME")] = None,
    timeout: Annotated[float, typer.Option(help="with --wait: give up waiting after this many seconds (0: never)")] = 0,
) -> None:
    """Submit SHEET to the Celery workers (`daihuo worker`) as one job; with --wait, follow it to the end.

    Outputs are the same as `daihuo make`: OUT/<job>/<sku>/v<N>/<platform>.mp4 and OUT/<job>/report.json.
    Exit 0 when every product produced its clips, 1 when some failed, 2 on usage errors.
    """
    from generator.pipeline.intake import create_job, load_sheet
    from generator.pipeline.store import JobNotFound
    from generator.sheets import SheetError
    from workers.canvas import enqueue
    from workers.canvas import resume as resume_job

    out_root = _out_root(out)
    broker_url = _use_broker(broker)
    store = _store(out_root)
    if resume:
        try:
            sent = resume_job(store, resume)
        except JobNotFound as exc:
            console.print(f"[red]no job {resume!r} in {store.path}[/]; check --out (it must be the job's output root)")
            raise typer.Exit(2) from exc
        job_id = resume
        console.print(f"resumed job [bold]{job_id}[/]: {sent} product variant(s) re-sent")
    else:
        if sheet is None:
            raise typer.BadParameter("give a SHEET to submit, or --resume JOB", param_hint="SHEET")
        if not sheet.exists():
            raise typer.BadParameter(f"{sheet} does not exist", param_hint="SHEET")
        brief = opt.brief_from_options(platforms=platforms, variants=variants, duration=duration, lang=lang,
                                       writer=writer, voice=voice, host=host, compliance=compliance, music=music,
                                       scale=scale, qc=qc, style=style, captions=captions,
                                       export=export)
        try:
            result = load_sheet(sheet, out_root, get_settings().sheet_limits())
        except SheetError as exc:
            console.print(f"[red]sheet error:[/] {exc}")
            raise typer.Exit(2) from exc
        for err in result.errors:
            console.print(f"[red]row error:[/] {err}")
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/] {warning}")
        if not result.products:
            console.print("[red]no product row could be read; nothing was submitted[/]")
            raise typer.Exit(1)
        from generator.output import job_name

        job_id = job_name(sheet, job)
        create_job(store, job_id, result, brief, mode="celery")
        sent = enqueue(store, job_id)
        console.print(f"submitted job [bold]{job_id}[/]: {sent} product variant(s) → {out_root / job_id}")
    if not wait:
        console.print(f"follow it with: daihuo status {job_id} --out {out_root}")
        raise typer.Exit(0)
    raise typer.Exit(_follow(store, job_id, timeout, broker_url))


def _follow(store: Any, job_id: str, timeout: float, broker_url: str) -> int:
    """Live progress bars per product until the job settles; the exit code for `batch --wait`."""
    from generator.pipeline.views import summarize
    from workers.canvas import settle

    started = last_settle = time.monotonic()
    settings = get_settings()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        bars: dict[str, Any] = {}
        while True:
            if time.monotonic() - last_settle >= 2.0:  # recovery of lost work (workers/recovery.py), every 2 s
                last_settle = time.monotonic()
                job = settle(store, job_id, settings, broker_url=broker_url)
            else:
                job = store.job(job_id)
            view = summarize(job, store.steps(job_id))
            for prod in view["products"]:
                if prod["sku"] not in bars:
                    bars[prod["sku"]] = progress.add_task(prod["sku"], total=prod["total"])
                stage = next((v["stage"] for v in prod["variants"] if v["stage"]), "")
                note = {"done": "✅", "failed": "❌"}.get(prod["state"], stage or prod["state"])
                progress.update(bars[prod["sku"]], completed=prod["done"], total=prod["total"],
                                description=f"{prod['sku']} {note}")
            if job["state"] in ("done", "failed"):
                break
            if timeout and time.monotonic() - started > timeout:
                out = store.out_root
                console.print(f"[yellow]still running after {timeout:.0f}s[/] — see `daihuo status {job_id} --out {out}`; "
                              f"if no worker is making progress, start one (`daihuo worker`) and run "
                              f"`daihuo batch --resume {job_id} --out {out} --wait` (finished clips are kept)")
                return 3
            time.sleep(0.5)
    _print_outcome(view)
    return 0 if job["state"] == "done" and not view["row_errors"] else 1


def _print_outcome(view: dict[str, Any]) -> None:
    for prod in view["products"]:
        if prod["state"] == "failed":
            console.print(f"[red]failed:[/] {prod['sku']}: {prod['error']}")
    for err in view["row_errors"]:
        console.print(f"[red]row {err['row']} skipped:[/] {err['field']}: {err['problem']} — {err['fix']}")
    done = sum(1 for p in view["products"] if p["state"] == "done")
    console.print(f"job {view['id']}: {view['state']} — {done}/{len(view['products'])} product(s) done")


def status_cmd(
    job: Annotated[str, typer.Argument(help="job id (printed by `daihuo batch`; the job's folder name)")],
    out: Annotated[Path | None, typer.Option(help="output root (default $DAIHUO_OUT or ./out)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full state as JSON")] = False,
) -> None:
    """Show a job's state per product and platform (queued / running / done / failed, with errors).

    Exit 0 when done, 1 when failed, 3 while queued or running, 2 when there is no such job.
    """
    from generator.pipeline.store import JobNotFound
    from generator.pipeline.views import summarize

    store = _store(_out_root(out))
    try:
        view = summarize(store.job(job), store.steps(job))  # a status only reads
    except JobNotFound as exc:
        console.print(f"[red]no job {job!r} in {store.path}[/]; check --out")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(view, ensure_ascii=False, indent=2) + "\n")
    else:
        table = Table(title=f"job {view['id']}: {view['state']} ({view['progress']:.0%})")
        for col in ("SKU", "state", "steps", "platforms", "error"):
            table.add_column(col)
        for prod in view["products"]:
            plats = " ".join(f"{p}:{s['state']}" for v in prod["variants"] for p, s in v["platforms"].items())
            table.add_row(prod["sku"], prod["state"], f"{prod['done']}/{prod['total']}", plats, prod["error"] or "")
        Console().print(table)
        for err in view["row_errors"]:
            console.print(f"[red]row {err['row']} skipped:[/] {err['field']}: {err['problem']}")
    raise typer.Exit({"done": 0, "failed": 1}.get(view["state"], 3))


def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 for every interface)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    out: Annotated[Path | None, typer.Option(help="output root (default $DAIHUO_OUT or ./out)")] = None,
) -> None:
    """Serve the HTTP API (/v1/jobs, /docs) and the merchant web page (/).

    With DAIHUO_REDIS_URL set, jobs go to the Celery workers; without it they run in this process.
    API keys come from DAIHUO_API_KEYS (comma-separated KEY or TENANT:KEY; `Authorization: Bearer KEY`); each
    key sees only its tenant's jobs, keys in DAIHUO_ADMIN_KEYS see all (docs/security.md).
    """
    import uvicorn

    from generator.api import create_app

    api = create_app(out_root=_out_root(out))
    if api.state.config.open:
        console.print("[yellow]warning:[/] DAIHUO_API_KEYS is empty: anyone who can reach this port can submit jobs "
                      "and see every job (docs/security.md)")
    uvicorn.run(api, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_cmd)
    app.command("batch")(batch_cmd)
    app.command("status")(status_cmd)
    app.command("serve")(serve_cmd)
