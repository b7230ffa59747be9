"""`daihuo loop stream SHEET`: wires the live room together (engines, renderers, play-out, comment intake).

Only translation and wiring: the room is generator.loop.live, the play-out generator.loop.playout, the intake
generator.loop.comments, the replies generator.loop.answers.
"""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape


@dataclass
class LiveOptions:
    sheet: Path
    rtmp: str
    out: Path
    hours: float
    platform: str
    start_hour: float
    retries: int = 20
    window: float = 60.0
    seed: int = 0
    weights: dict[str, float] = field(default_factory=dict)
    renderer: str = "auto"
    buffer: int = 2
    answer_scale: float = 0.5
    comments_port: int = 8790
    comments_host: str = "127.0.0.1"
    comments_file: str | None = None
    host_name: str = "小禾"


def _llm_answers(settings: Any, host_name: str) -> Any:
    """Model answers through the writer's endpoint: short timeout, one retry, plain text (an answer that is
    late is worth less than the template answer it falls back to)."""
    from generator.loop.answers_llm import LLMAnswerer
    from generator.script.llm_client import ChatClient

    client = ChatClient(model=settings.llm_model, base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                        timeout=min(settings.llm_timeout, 8.0), max_retries=1, max_requests=settings.llm_max_requests,
                        temperature=0.3, response_format="text")
    return LLMAnswerer(client, host_name)


def background_renderer(settings: Any, brief: Any, platform: str, kind: str) -> Any:
    """The loop's segment renderer, built inside the live room's render process (module level: picklable)."""
    from generator.bootstrap import build_engines
    from generator.cli.loop import segment_renderer

    return segment_renderer(kind, platform, brief, build_engines(settings, brief))


def _start_feed(source: str, inbox: Any, stop: threading.Event, log: Any) -> None:
    from generator.loop.comments import follow_file, read_lines

    if source == "-":
        lines: Any = sys.stdin
        name = "stdin"
    else:
        lines = follow_file(Path(source), stop)
        name = Path(source).name
    threading.Thread(target=read_lines, args=(lines, inbox, name, log), daemon=True, name="comments-feed").start()


def stream_live(options: LiveOptions, brief: Any, products: list, settings: Any, console: Console) -> None:
    from generator.bootstrap import build_engines
    from generator.cli.loop import review_fn, segment_renderer, writer_fn
    from generator.errors import DaihuoError
    from generator.loop.answers import Answerer
    from generator.loop.comments import CommentServer, Inbox
    from generator.loop.live import LiveConfig, LiveRoom
    from generator.loop.playout import Playout, StreamFormat, bitrate_for, check_tools
    from generator.loop.render_process import ProcessRenderer
    from generator.platforms import get_preset

    def log(message: str) -> None:
        console.print(f"[dim]{escape(message)}[/]")

    if not products:
        console.print("[red]error:[/] the sheet has no usable product rows — fix the rows listed above")
        raise typer.Exit(1)
    engines = build_engines(settings, brief)
    answer_brief = brief.model_copy(update={"scale": options.answer_scale, "music": False})
    preset = get_preset(options.platform)
    size = preset.scaled(brief.scale)
    fmt = StreamFormat(size.width, size.height, size.fps, preset.audio_rate, bitrate_for(size.width, size.height))
    stop_feed = threading.Event()
    server = None
    in_process = segment_renderer(options.renderer, options.platform, brief, engines)
    background = ProcessRenderer(partial(background_renderer, settings, brief, options.platform, options.renderer),
                                 in_process.name)
    try:
        check_tools()
        inbox = Inbox()
        if options.comments_port:
            server = CommentServer(options.comments_host, options.comments_port, inbox, settings.live_token, log)
            server.start()
            console.print(f"comments: POST http://{options.comments_host}:{server.port}/comments "
                          f'{{"user", "text"}}; POST /stats {{"viewers"}}')
        if options.comments_file:
            _start_feed(options.comments_file, inbox, stop_feed, log)
        llm = _llm_answers(settings, options.host_name) if brief.writer == "openai" else None
        playout = Playout(options.rtmp, fmt, workdir=options.out / "live",
                          retries=options.retries, log=log)
        room = LiveRoom(
            products, brief, writer=writer_fn(engines), renderer=background,
            answer_brief=answer_brief,
            answer_renderer=segment_renderer(options.renderer, options.platform, answer_brief, engines),
            playout=playout, loop_dir=options.out,
            config=LiveConfig(hours=options.hours, window_min=options.window, seed=options.seed,
                              start_hour=options.start_hour, buffer=options.buffer, host_name=options.host_name,
                              weights=options.weights),
            inbox=inbox, answerer=Answerer(products, host_name=options.host_name, seed=options.seed, llm=llm),
            review=review_fn(engines, brief), log=log)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda _s, _f: room.stop())
        console.print(f"going on air: {fmt.width}x{fmt.height} {fmt.fps} fps → {options.rtmp} "
                      f"(logs in {options.out / 'live'})")
        report = room.run()
    except DaihuoError as exc:
        console.print(f"[red]live stream failed:[/] {escape(exc.message)}")
        raise typer.Exit(1) from None
    finally:
        background.close()
        stop_feed.set()
        if server is not None:
            server.shutdown()
            server.server_close()
    on_air = f"{report.on_air_after:.1f}s" if report.on_air_after is not None else "never"
    console.print(f"[green]on air after {on_air}; streamed {report.played:.0f}s: {report.items} segments in "
                  f"{report.slices} slices ({report.fills} filled in), {report.answers} answers, "
                  f"{report.restarts} reconnect(s)[/]")
