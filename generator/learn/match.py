"""Export rows -> clips (pure): by clip id when the row holds one, else by normalised title. Never guessed:
a row that fits no clip is `unmatched`, one that fits several is `ambiguous` (with the candidates listed),
and the same post found twice is a `duplicate` (the row with the most views is kept)."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence

from generator.formatting import title_key
from generator.learn.models import ClipInfo, ExportRow, IssueKind, Match, RowIssue

MIN_PREFIX = 6  # characters of a cut title that must agree before a prefix counts


def _issue(row: ExportRow, kind: IssueKind, problem: str, fix: str, candidates: Sequence[ClipInfo] = ()) -> RowIssue:
    return RowIssue(file=row.file, row=row.row, kind=kind, field="title" if kind != "duplicate" else "",
                    problem=problem, fix=fix, candidates=[c.clip_id for c in candidates])


def _describe(clip: ClipInfo) -> str:
    return f"{clip.clip_id} ({clip.job}/{clip.sku}/v{clip.variant}/{clip.platform})"


def title_candidates(row: ExportRow, by_title: dict[str, list[ClipInfo]], keys: list[str]
                     ) -> tuple[list[ClipInfo], str]:
    """Clips whose title is the row's (normalised), else whose title starts the row's (the platform cut it)
    or is the start of it (words added after it). KEYS: the title keys, sorted (prefix search by bisection)."""
    key = title_key(row.title)
    if not key:
        return [], "title"
    if key in by_title:
        return list(by_title[key]), "title"
    if len(key) < MIN_PREFIX:
        return [], "title"
    longer = keys[bisect_left(keys, key):bisect_left(keys, key + "\U0010ffff")]
    shorter = [key[:n] for n in range(MIN_PREFIX, len(key)) if key[:n] in by_title]
    return [c for k in dict.fromkeys([*longer, *shorter]) for c in by_title[k]], "title-prefix"


def narrow(candidates: list[ClipInfo], row: ExportRow, platform: str | None) -> tuple[list[ClipInfo], str]:
    """Keep the candidates on the row's platform; among several, those made before the row was published."""
    note = ""
    wanted = row.platform or platform
    if wanted:
        on_platform = [c for c in candidates if c.platform == wanted]
        if candidates and not on_platform:
            note = f"its title belongs to clips on {', '.join(sorted({c.platform for c in candidates}))}, not {wanted}"
        candidates = on_platform
    if len(candidates) > 1 and row.published is not None:
        before = [c for c in candidates if c.made is None or c.made <= row.published]
        candidates = before or candidates
    return candidates, note


def match_rows(rows: list[ExportRow], clips: list[ClipInfo], *, platform: str | None = None
               ) -> tuple[list[Match], list[RowIssue]]:
    """Match every row; PLATFORM is the export's platform when the rows do not say (`--platform`)."""
    by_id = {c.clip_id: c for c in clips}
    by_title: dict[str, list[ClipInfo]] = defaultdict(list)
    for clip in clips:
        if title_key(clip.title):
            by_title[title_key(clip.title)].append(clip)
    keys = sorted(by_title)
    matches: list[Match] = []
    issues: list[RowIssue] = []
    for row in rows:
        if row.clip_id and row.clip_id in by_id:
            matches.append(Match(row=row, clip=by_id[row.clip_id], method="clip_id"))
            continue
        if row.clip_id and not row.title:
            issues.append(_issue(row, "unmatched", f"clip id {row.clip_id} is not a clip under this output folder",
                                 "check --out (and --job) point at the folder the clip was made in"))
            continue
        candidates, method = title_candidates(row, by_title, keys)
        candidates, note = narrow(candidates, row, platform)
        if len(candidates) == 1:
            matches.append(Match(row=row, clip=candidates[0], method=method))  # type: ignore[arg-type]
        elif not candidates:
            issues.append(_issue(row, "unmatched", f"no clip has the title '{row.title}'" + (f" ({note})" if note else ""),
                                 "a video not made by daihuo is expected here; otherwise use the title daihuo wrote "
                                 "(manifest.json post_copy) or add a clip_id column"))
        else:
            same_variant = len({(c.job, c.sku, c.variant) for c in candidates}) == 1
            fix = ("say which platform the export is from (--platform, or a 平台 column)" if same_variant
                   else "add a clip_id column, or learn from one job at a time (--job)")
            issues.append(_issue(row, "ambiguous", f"the title '{row.title}' fits {len(candidates)} clips: "
                                 + ", ".join(_describe(c) for c in candidates[:6]), fix, candidates))
    kept, duplicates = drop_duplicates(matches)
    return kept, issues + duplicates


def drop_duplicates(matches: list[Match]) -> tuple[list[Match], list[RowIssue]]:
    """One post counted once. Rows of one clip are one post when they share the publish time (or any lacks
    one); of each post the row with the most views (the latest snapshot) is kept."""
    by_clip: dict[str, list[Match]] = defaultdict(list)
    for m in matches:
        by_clip[m.clip.clip_id].append(m)
    kept: list[Match] = []
    issues: list[RowIssue] = []
    for group in by_clip.values():
        posts: dict[object, list[Match]] = defaultdict(list)
        dated = all(m.row.published is not None for m in group)
        for m in group:
            posts[m.row.published if dated else None].append(m)
        for same in posts.values():
            best = max(same, key=lambda m: (m.row.views, -same.index(m)))
            kept.append(best)
            for m in same:
                if m is not best:
                    issues.append(_issue(m.row, "duplicate",
                                         f"the same video as {best.row.where} (clip {m.clip.clip_id}); "
                                         f"counted once, with that row's {best.row.views:,} views",
                                         "nothing to do, unless they are different posts: then give each its "
                                         "publish time"))
    kept.sort(key=lambda m: (m.row.file, m.row.row))
    return kept, issues
