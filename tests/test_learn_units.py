"""`daihuo learn` piece by piece: export cells and files, matching, posteriors, allocation, the writers'
creative choice and unique titles. Fast (no rendering); tests/test_learn.py runs the whole loop."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from generator.formatting import title_key
from generator.learn.allocate import allocate, explore_count
from generator.learn.charts import forest_chart
from generator.learn.columns import parse_count, parse_rate, parse_seconds, parse_time
from generator.learn.exports import platform_of, read_export
from generator.learn.match import match_rows
from generator.learn.models import ClipInfo, ExportRow, Insights, Match
from generator.learn.posteriors import estimate_all, estimate_factor
from generator.learn.report import render_html
from generator.learn.store import LearnError, load_insights
from generator.models import Brief, CreativeChoice, Product
from generator.platforms import get_preset, load_presets
from generator.script.template_writer import TemplateWriter, hook_line
from generator.sheets import CellProblem, SheetError

CREAM = Product(sku="HB-1", title="保湿补水面霜", brand="山水集", category="美妆",
                selling_points=["修护屏障", "轻薄不黏腻", "48小时保湿"], scenes=["早晚护肤"], offer="送小样")
RATE = 4.0


# ---- cells and files ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "count"), [("1.2万", 12000), ("12,345", 12345), (" 3k ", 3000), (987.0, 987),
                                             ("-", None), ("", None), ("1.5亿", 150_000_000)])
def test_counts_read_as_creator_centres_write_them(text, count) -> None:
    assert parse_count(text) == count


def test_rates_percent_or_fraction_and_bad_ones_refused() -> None:
    assert parse_rate("45.3%", percent=False) == pytest.approx(0.453)
    assert parse_rate("45.3", percent=True) == pytest.approx(0.453)  # a 完播率 column of bare percentages
    assert parse_rate(0.453, percent=False) == pytest.approx(0.453)
    for bad in ("130%", "很高"):
        with pytest.raises(CellProblem):
            parse_rate(bad, percent=False)


def test_watch_times_and_publish_times() -> None:
    assert [parse_seconds(v) for v in ("12.5s", "12秒", "1分05秒", "0:12", "00:01:05", 7)] == [12.5, 12, 65, 12, 65, 7]
    assert parse_time("2024/5/1 9:05") == datetime(2024, 5, 1, 9, 5)
    assert parse_time("2024年5月1日") == datetime(2024, 5, 1)
    assert parse_time(45413.5) == datetime(2024, 5, 1, 12, 0)  # an Excel serial date
    with pytest.raises(CellProblem):
        parse_time("昨天")


def test_platform_names() -> None:
    assert platform_of("抖音") == platform_of("Douyin") == "douyin"
    assert platform_of("小红书作品数据0501.xlsx", within=True) == "xiaohongshu"
    assert platform_of("export.xlsx", within=True) is None


def test_gbk_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "作品数据.csv"
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["作品名称", "发布时间", "播放量", "完播率", "平均播放时长(秒)", "点赞", "商品点击次数", "成交订单", "成交金额（元）"])
    w.writerow(["好物｜山水集面霜 #好物推荐", "2024-05-01 20:00", "1.2万", "31.5%", "12.5", "300", "240", "12", "￥1,068"])
    w.writerow(["第二条", "2024/5/2", "800", "28", "9", "很多", "5", "0", "0"])
    path.write_bytes(buf.getvalue().encode("gbk"))
    rows, issues, _ = read_export(path)
    first, second = rows
    assert (first.views, first.completion, first.clicks, first.orders, first.gmv) == (12000, 0.315, 240, 12, 1068)
    assert first.published == datetime(2024, 5, 1, 20) and first.avg_watch == 12.5
    assert second.completion == pytest.approx(0.28)  # the column is in percent, so 28 is 28 %
    assert second.likes is None and [(i.row, i.field, i.kind) for i in issues] == [(3, "likes", "warning")]


def test_xlsx_with_a_title_row_and_english_headers(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Video analytics 2024-05"])  # a title row above the header, as exports often have
    sheet.append(["Title", "Publish time", "Views", "Completion rate", "Product clicks", "Orders", "Platform"])
    sheet.append(["Stand | Lifto", datetime(2024, 5, 3, 18), 2000, 0.45, 30, 2, "TikTok"])
    book.save(path)
    rows, issues, warnings = read_export(path)
    assert issues == [] and len(rows) == 1
    assert (rows[0].completion, rows[0].platform, rows[0].row) == (0.45, "tiktok", 3)
    assert any("row 2" in w for w in warnings)


def test_malformed_rows_are_reported_one_by_one_and_the_rest_is_used(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("标题,播放量,完播率,商品点击\n"
                    "好视频,1000,30%,10\n"
                    "坏播放,abc,30%,1\n"
                    ",500,20%,1\n"
                    "超过百分百,1000,130%,1\n"
                    "点击太多,100,10%,500\n"
                    "没人看,0,0%,0\n", encoding="utf-8")
    rows, issues, _ = read_export(path)
    assert [r.title for r in rows] == ["好视频", "超过百分百", "点击太多"]
    found = {(i.row, i.kind, i.field) for i in issues}
    assert found == {(3, "error", "views"), (4, "error", "title"), (5, "warning", "completion"),
                     (6, "warning", "clicks"), (7, "warning", "views")}
    assert rows[1].completion is None and rows[2].successes("clicks") == 100  # capped at the views
    assert all(i.fix for i in issues)


def test_an_export_without_views_is_refused_naming_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("标题,点赞\n好视频,10\n", encoding="utf-8")
    with pytest.raises(SheetError) as info:
        read_export(path)
    assert "播放量" in str(info.value) and "标题" in str(info.value)


# ---- matching -------------------------------------------------------------------------------------------

def clip(cid: str, title: str, platform: str = "douyin", variant: int = 1, angle: str = "story", job: str = "j") -> ClipInfo:
    return ClipInfo(clip_id=cid, job=job, sku="HB-1", variant=variant, platform=platform, title=title,
                    factors={"angle": angle, "hook": f"{angle}/1", "platform": platform}, made=datetime(2024, 5, 1))


def row(n: int, title: str = "", **kw) -> ExportRow:
    return ExportRow(file="e.csv", row=n, title=title, views=kw.pop("views", 1000), **kw)


def test_rows_match_by_clip_id_then_title_never_by_guess() -> None:
    clips = [clip("dh0000000001", "同事都在问｜山水集保湿补水面霜", variant=1),
             clip("dh0000000002", "看参数，不看广告｜山水集保湿补水面霜", variant=2),
             clip("dh0000000003", "同事都在问｜山水集保湿补水面霜", platform="kuaishou", variant=1)]
    days = [datetime(2024, 5, d, 20) for d in range(2, 8)]  # separate posts, so none is a duplicate
    rows = [row(2, clip_id="dh0000000002", published=days[0]),
            row(3, "看参数 不看广告 | 山水集保湿补水面霜 #好物推荐 #面霜", published=days[1]),  # tags, punctuation
            row(4, "同事都在问｜山水集保湿补水面霜", published=days[2]),  # on douyin and kuaishou: ambiguous
            row(5, "同事都在问｜山水集保湿补水面霜", platform="kuaishou", published=days[3]),
            row(6, "看参数，不看广告｜山水集保湿补", published=days[4]),  # cut short by the platform
            row(7, "别人家的视频", published=days[5])]
    matches, issues = match_rows(rows, clips)
    assert [(m.row.row, m.clip.clip_id, m.method) for m in matches] == [
        (2, "dh0000000002", "clip_id"), (3, "dh0000000002", "title"), (5, "dh0000000003", "title"),
        (6, "dh0000000002", "title-prefix")]
    by_row = {i.row: i for i in issues}
    assert set(by_row) == {4, 7}
    assert by_row[4].kind == "ambiguous" and set(by_row[4].candidates) == {"dh0000000001", "dh0000000003"}
    assert "--platform" in by_row[4].fix
    assert by_row[7].kind == "unmatched" and "别人家的视频" in by_row[7].problem
    # The export's platform (from --platform or its file name) settles row 4.
    matches, _ = match_rows(rows[2:3], clips, platform="douyin")
    assert [m.clip.clip_id for m in matches] == ["dh0000000001"]


def test_duplicates_keep_the_latest_snapshot_and_separate_posts_both_count() -> None:
    clips = [clip("dh0000000001", "同事都在问｜山水集")]
    may1, may9 = datetime(2024, 5, 1, 20), datetime(2024, 5, 9, 20)
    rows = [row(2, "同事都在问｜山水集", published=may1, views=900), row(3, "同事都在问｜山水集", published=may1, views=1500),
            row(4, "同事都在问｜山水集", published=may9, views=400)]
    matches, issues = match_rows(rows, clips)
    assert [(m.row.row, m.row.views) for m in matches] == [(3, 1500), (4, 400)]
    assert [(i.row, i.kind) for i in issues] == [(2, "duplicate")] and "row 3" in issues[0].problem


# ---- posteriors and allocation ---------------------------------------------------------------------------

def matched(angle: str, views: int, completion: float, n: int = 1, hook: str | None = None) -> list[Match]:
    out = []
    for k in range(n):
        c = ClipInfo(clip_id=f"dh{abs(hash((angle, hook, k))) % 10**10:010d}", job="j", sku="HB-1", variant=k + 1,
                     platform="douyin", title=f"{angle}{k}", factors={"angle": angle, "hook": hook or f"{angle}/1"})
        out.append(Match(row=ExportRow(file="e", row=k, views=views, completion=completion), clip=c, method="title"))
    return out


def truth() -> list[Match]:
    return [*matched("story", 2000, 0.45), *(m for a in ("pain-point", "scene", "comparison", "expert")
                                              for m in matched(a, 2000, 0.25))]


def test_posterior_is_beta_over_views_with_the_textbook_interval() -> None:
    est = estimate_factor(truth(), "angle", "completion")
    story = est.level("story")
    assert (story.alpha, story.beta) == (901, 1101)
    # Normal approximation of Beta(901, 1101): mean 0.4500, sd 0.01112 -> 95 % interval 0.4282–0.4718.
    assert story.mean == pytest.approx(901 / 2002)
    assert story.low == pytest.approx(0.4282, abs=0.002) and story.high == pytest.approx(0.4718, abs=0.002)
    assert est.levels[0].level == "story" and est.verdict == "clear winner" and story.p_best > 0.999
    assert all(story.low > lv.high for lv in est.levels[1:])
    assert est == estimate_factor(truth(), "angle", "completion")  # seeded: same numbers every time


def test_too_little_data_is_said_not_ranked_first() -> None:
    few = [*matched("story", 120, 0.6), *matched("scene", 3000, 0.3)]
    est = estimate_factor(few, "angle", "completion", min_views=300)
    assert [lv.level for lv in est.levels] == ["scene", "story"]
    # Scene leads the levels with enough data, but the thin story level may well be better: not crowned.
    assert not est.level("story").enough and est.leader == "scene" and est.verdict == "undecided"
    even = estimate_factor([*matched("story", 2000, 0.30), *matched("scene", 2000, 0.30)], "angle", "completion")
    assert even.verdict in ("undecided", "leading") and even.verdict != "clear winner"


def insights_from(matches: list[Match], titles: dict[str, list[str]] | None = None) -> Insights:
    return Insights(generated="2024-05-10T00:00:00", out="/x", exports=["e.csv"], objective="completion",
                    objective_reason="test", settings={"min_views": 300}, rows={}, estimates=estimate_all(matches),
                    titles=titles or {})


HOOKS = {a: [f"{a}/1", f"{a}/2"] for a in ("pain-point", "scene", "comparison", "story", "expert")}


def test_thompson_allocation_mostly_exploits_and_explores_one_in_eight() -> None:
    insights = insights_from(truth())
    choices = allocate(insights, sku="HB-1", variants=8, explore=0.125, hooks=HOOKS)
    assert [c.angle for c in choices].count("story") == 7
    (explorer,) = [c for c in choices if c.mode == "explore"]
    assert explorer.angle != "story" and "explor" in explorer.reasons["angle"]
    assert all("Thompson" in c.reasons["angle"] and c.hook.startswith("story/") for c in choices if c.mode == "exploit")
    assert choices == allocate(insights, sku="HB-1", variants=8, explore=0.125, hooks=HOOKS)  # seeded
    assert all(c.mode == "exploit" for c in allocate(insights, sku="HB-1", variants=8, explore=0, hooks=HOOKS))
    assert [explore_count(n, 0.125) for n in (1, 3, 4, 8, 16, 20)] == [0, 0, 1, 1, 2, 3]


def test_exploring_goes_where_data_is_thinnest_and_untested_hooks_get_tried() -> None:
    data = [*matched("story", 4000, 0.45, hook="story/1"), *matched("scene", 4000, 0.25),
            *matched("expert", 300, 0.25)]
    choices = allocate(insights_from(data), sku="X", variants=20, explore=0.25, hooks=HOOKS)
    explored = [c.angle for c in choices if c.mode == "explore"]
    # Untested angles first, then the thinnest (expert, 300 views), then round again; never the leader.
    assert len(explored) == 5 and set(explored[:2]) == {"pain-point", "comparison"} and explored[2] == "expert"
    assert "story" not in explored
    exploiting = [c.angle for c in choices if c.mode == "exploit"]
    assert exploiting.count("story") >= 13 and not {"pain-point", "comparison"} & set(exploiting)
    hooks = {c.hook for c in choices if c.angle == "story"}
    assert hooks == {"story/1", "story/2"}  # story/2 has no data: it starts from story's own rate


# ---- the writers honour the choice; titles differ ---------------------------------------------------------

def test_template_writer_uses_the_chosen_angle_and_hook() -> None:
    choice = CreativeChoice(angle="story", hook="story/2", reasons={"angle": "why"})
    script = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(), 1, choice=choice)
    assert (script.angle, script.hook_id, script.creative) == ("story", "story/2", choice)
    assert script.hook.lines[0].text == hook_line(CREAM, "zh", "story/2").text
    odd = TemplateWriter(chars_per_second=RATE).write(CREAM, Brief(), 1, choice=CreativeChoice(angle="rap", hook="x/9"))
    assert odd.angle == "pain-point" and any("no angle 'rap'" in n for n in odd.notes)


@pytest.mark.parametrize("platform", sorted(load_presets()))
def test_titles_unique_per_platform_even_with_one_angle_and_hook(platform: str) -> None:
    writer = TemplateWriter(chars_per_second=RATE)
    earlier = ["同事都在问｜山水集保湿补水面霜"]
    choice = CreativeChoice(angle="story", hook="story/1", avoid_titles=earlier)
    scripts = []
    for n in range(1, 9):
        scripts.append(writer.write(CREAM, Brief(platforms=[platform]), n, siblings=tuple(scripts), choice=choice))
    titles = [s.copy_by_platform[platform].title for s in scripts]
    assert len({title_key(t) for t in titles}) == 8, titles
    assert title_key(earlier[0]) not in {title_key(t) for t in titles}
    assert all(0 < len(t) <= get_preset(platform).title_chars for t in titles)
    assert not any(t[-1].isdigit() and t[-2] in "#-_ " for t in titles)  # no codes appended


def test_openai_writer_is_asked_for_the_chosen_angle_and_hook(tmp_path: Path) -> None:
    from generator.script.openai_writer import OpenAIWriter
    from tests.openai_test_server import OpenAITestServer, chat_reply
    from tests.test_llm_writer import PRODUCT, script_json, settings_for

    brief = Brief(platforms=["douyin", "xiaohongshu"], duration=20, writer="openai")
    choice = CreativeChoice(angle="story", hook="story/1")
    with OpenAITestServer() as server:
        server.queue(chat_reply(script_json(1)), chat_reply(script_json(2)))
        writer = OpenAIWriter(settings_for(server.base_url, tmp_path / "cache"), rate=lambda _l: 4.5)
        script = writer.write(PRODUCT, brief, 1, choice=choice)
        prompt = server.chat_requests()[0].prompt_text()
        assert "Angle: story" in prompt and hook_line(PRODUCT, "zh", "story/1").text in prompt
        assert (script.angle, script.hook_id, script.creative) == ("story", "story/1", choice)
        writer.write(PRODUCT, brief, 1)  # no choice: a different cache key, so a second request
        assert len(server.chat_requests()) == 2


# ---- files: insights in, charts out ------------------------------------------------------------------------

def test_bad_insights_files_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps({"schema": "x"}), encoding="utf-8")
    for name, words in (("missing.json", "daihuo learn"), ("bad.json", "not valid JSON"), ("other.json", "not a daihuo insights")):
        with pytest.raises(LearnError) as info:
            load_insights(tmp_path / name)
        assert words in str(info.value) and "\n" not in str(info.value)


def test_charts_are_valid_svg_and_escape_what_the_export_says() -> None:
    hostile = [*matched("<script>alert(1)</script>", 2000, 0.3), *matched("story", 2000, 0.45)]
    est = estimate_factor(hostile, "angle", "completion")
    svg = forest_chart(est, "angle")
    root = ET.fromstring(svg)
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g")) == 2
    html = render_html(insights_from(hostile))
    assert "<script" not in html and "&lt;script&gt;" in html
