"""The columns of analytics exports and how their cells read (pure).

Creator centres (抖音/快手/视频号/小红书) and MCN tracking sheets name the same numbers differently and write
them as "1.2万", "12,345", "45.3%", "0.453", "12.5s", "1分05秒" or "2024/5/1 20:00". Each parser returns the
value or raises `CellProblem(problem, fix)`; an empty cell or "-" is None (not reported).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

from generator.sheets import CellProblem, Columns, clean_text, header_key

ALIASES: dict[str, tuple[str, ...]] = {
    "clip_id": ("clip_id", "clipid", "daihuo_id", "daihuo", "素材ID", "素材编号", "素材编码", "片段ID"),
    "title": ("作品名称", "作品标题", "视频标题", "标题", "视频名称", "作品", "作品描述", "视频描述", "title",
              "video_title", "name", "caption"),
    "platform": ("平台", "发布平台", "渠道", "platform", "channel"),
    "published": ("发布时间", "发布日期", "发布时刻", "发表时间", "publish_time", "published", "publish_date",
                  "post_time", "posted", "date", "日期"),
    "views": ("播放量", "播放次数", "播放数", "观看次数", "观看量", "观看数", "浏览量", "阅读量", "views", "plays",
              "play_count", "video_views", "view_count"),
    "completion": ("完播率", "完整播放率", "完播", "视频完播率", "completion", "completion_rate", "finish_rate",
                   "completed_rate"),
    "avg_watch": ("平均播放时长", "平均观看时长", "人均观看时长", "平均播放时间", "avg_watch_time",
                  "average_watch_time", "avg_view_duration", "average_view_duration"),
    "likes": ("点赞", "点赞数", "点赞量", "点赞次数", "获赞", "likes", "like_count"),
    "comments": ("评论", "评论数", "评论量", "评论次数", "comments", "comment_count"),
    "shares": ("分享", "分享数", "分享量", "分享次数", "转发", "转发数", "转发量", "shares", "share_count"),
    "clicks": ("商品点击", "商品点击次数", "商品点击量", "商品点击数", "购物车点击", "小黄车点击", "点击次数",
               "clicks", "product_clicks", "click_count"),
    "click_rate": ("商品点击率", "点击率", "ctr", "click_rate", "product_ctr"),
    "orders": ("成交订单", "成交订单数", "订单数", "订单量", "成交单数", "成交件数", "orders", "order_count",
               "paid_orders"),
    "gmv": ("成交金额", "成交额", "销售额", "gmv", "sales", "revenue", "paid_amount"),
}
EXPORT_COLUMNS = Columns({header_key(a): f for f, names in ALIASES.items() for a in names}, ("views",))
COUNT_FIELDS = ("views", "likes", "comments", "shares", "clicks", "orders")
RATE_FIELDS = ("completion", "click_rate")

_UNITS = {"万": 1e4, "w": 1e4, "千": 1e3, "k": 1e3, "亿": 1e8, "m": 1e6}
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(万|w|千|k|亿|m)?$")
_MISSING = {"", "-", "--", "—", "/", "n/a", "na", "null", "none", "暂无", "无"}


def accepted(field: str) -> str:
    return " / ".join(ALIASES[field])


def _text(value: Any) -> str:
    if isinstance(value, str) and value.isascii():  # most numeric cells: skip the full clean-up
        return value.strip().casefold().replace(",", "").replace(" ", "")
    text = unicodedata.normalize("NFKC", clean_text(value)).strip().casefold()
    return text.replace(",", "").replace(" ", "")


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or _text(value) in _MISSING


def parse_number(value: Any) -> float | None:
    """'1.2万' -> 12000, '12,345' -> 12345, '¥1,234.5' -> 1234.5, 3 -> 3.0; None when empty."""
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise CellProblem(f"is {value}, not a number", "write a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _text(value).lstrip("¥￥$").removesuffix("元").removesuffix("次")
        match = _NUMBER.match(text)
        if not match:
            raise CellProblem(f"'{clean_text(value)}' is not a number", "write a number such as 1234 or 1.2万")
        number = float(match.group(1)) * _UNITS.get(match.group(2) or "", 1.0)
    if not math.isfinite(number):
        raise CellProblem(f"'{clean_text(value)}' is not a finite number", "write a number")
    return number


def parse_count(value: Any) -> int | None:
    number = parse_number(value)
    if number is None:
        return None
    if number < 0:
        raise CellProblem(f"is negative ({clean_text(value)})", "write a count of 0 or more")
    return round(number)


def percent_scale(values: list[Any]) -> bool:
    """Whether a rate column is written in percent: any cell with '%' or any number above 1."""
    for value in values:
        if is_missing(value):
            continue
        if isinstance(value, str) and "%" in value:
            return True
        try:
            number = parse_number(value if not isinstance(value, str) else value.replace("%", ""))
        except CellProblem:
            continue
        if number is not None and number > 1:
            return True
    return False


def parse_rate(value: Any, percent: bool) -> float | None:
    """A rate as a fraction: '45.3%' -> 0.453; 45.3 in a percent column -> 0.453; 0.453 -> 0.453."""
    if is_missing(value):
        return None
    text = clean_text(value) if isinstance(value, str) else value
    has_sign = isinstance(text, str) and "%" in text
    number = parse_number(text.replace("%", "") if isinstance(text, str) else text)
    if number is None:
        return None
    fraction = number / 100 if (has_sign or percent) else number
    if not 0 <= fraction <= 1:
        raise CellProblem(f"'{clean_text(value)}' is not a rate between 0 and 100 %", "write e.g. 45.3% or 0.453")
    return fraction


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")
_PARTS = re.compile(r"(\d+(?:\.\d+)?)(小时|时|h|分钟|分|min|m|秒|s)")


def parse_seconds(value: Any) -> float | None:
    """'12.5s', '12秒', '1分05秒', '0:12', '00:01:05', 12.5 -> seconds."""
    if is_missing(value):
        return None
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_number(value)
    text = _text(value)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    parts = _PARTS.findall(text)
    if parts and _PARTS.sub("", text) == "":
        scale = {"小时": 3600, "时": 3600, "h": 3600, "分钟": 60, "分": 60, "min": 60, "m": 60}
        return sum(float(n) * scale.get(unit, 1) for n, unit in parts)
    number = parse_number(value)
    if number is None:
        return None
    return number


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d", "%Y-%m-%dT%H:%M:%S")


def parse_time(value: Any) -> datetime | None:
    """'2024-05-01 20:00', '2024/5/1', '2024年5月1日 20:00', an Excel date or serial number -> datetime."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return datetime(1899, 12, 30) + timedelta(days=float(value))  # an Excel serial date
    text = unicodedata.normalize("NFKC", clean_text(value)).strip()
    text = re.sub(r"[年/.]", "-", text).replace("月", "-").replace("日", " ").replace("号", " ")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<!\d)(\d)(?!\d)", r"0\1", text)  # 2024-5-1 9:05 -> 2024-05-01 09:05
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise CellProblem(f"'{clean_text(value)}' is not a date", "write it as 2024-05-01 20:00") from None
