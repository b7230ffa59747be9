"""A bounded fuzz of the upload endpoint (issue #11): generated multipart and JSON bodies against the real ASGI
app in Celery mode (a real redis-server, no worker: accepted jobs are queued, not rendered).

Whatever comes in: never a 5xx, never a traceback or a server path in the answer, error messages on one line,
and every product of an accepted JSON body is either taken or named by a row error. Bounded to about 35 s:
20 s of JSON bodies (each one that reaches the reader starts a child process: 40-60 bodies, every shape), then
150 multipart uploads (~15 s on two busy cores).
"""

from __future__ import annotations

import json
import shutil
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="pip install -e '.[test]' (hypothesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.harness.processes import RedisServer  # noqa: E402
from tests.hostile.service_support import assert_no_leak  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server (make test-setup)")
JSON_BUDGET_S = 20.0
MULTIPART_BUDGET_S = 20.0  # a bound only: max_examples ends it first
KEY = "fuzz-key"
H = {"Authorization": f"Bearer {KEY}"}
FIELDS = ["sku", "title", "price", "sale_price", "selling_points", "images", "brand", "offer", "language",
          "商品编码", "商品名称", "到手价", "卖点", "主图", "currency", "specs", "scenes"]
OPTIONS = ["platforms", "duration", "variants", "voice", "writer", "host", "lang", "compliance", "scale", "music"]

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
weird = st.sampled_from(["", "\x00", "../../etc/passwd", "/etc/passwd", "%00", "a\nb", "商品", "‮evil", "1e309",
                         "-0", "NaN", "douyin", "douyin,xiaohongshu", "espeak", "template", "zh", "fix", "0.25", "6"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), texts, weird)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(texts, inner, max_size=4)), max_leaves=12)
# Mostly plausible products (so that many bodies are accepted and reach the sheet reader), with hostile values
# mixed in: odd SKUs, wrong types, NUL bytes, paths, huge numbers, nesting.
good_sku = st.from_regex(r"[A-Z]{1,3}-[0-9]{1,4}", fullmatch=True)
good_title = st.sampled_from(["保温杯", "Cup", "保湿补水面霜"])
skus = st.one_of(good_sku, good_sku, good_sku, texts, weird, values)
titles = st.one_of(good_title, good_title, good_title, texts, values)
extras = st.dictionaries(st.sampled_from([f for f in FIELDS if f not in ("sku", "title")]), st.one_of(values, weird),
                         max_size=2)
product = st.builds(lambda sku, title, extra: {**extra, "sku": sku, "title": title}, skus, titles, extras)
products = st.lists(product, min_size=1, max_size=5)
options = st.one_of(st.just({}), st.just({"platforms": "douyin", "duration": 6}),
                    st.dictionaries(st.sampled_from(OPTIONS), st.one_of(values, weird), max_size=3))
csv_cells = st.text(alphabet=string.printable + "商品编码名称价格卖点,，\"\n", max_size=30)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    from fastapi.testclient import TestClient

    from generator.api import create_app
    from generator.settings import Settings

    root = tmp_path_factory.mktemp("fuzz")
    redis = RedisServer(root / "redis").start()
    app = create_app(root / "out", settings=Settings(parse_wait_seconds=60, max_upload_bytes=200_000),
                     keys=KEY, redis_url=redis.url)
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client, root / "out"
    finally:
        redis.stop()


STATS: dict[int, int] = {}  # status → count, over both fuzz tests


def check(res: Any, out: Path) -> None:
    STATS[res.status_code] = STATS.get(res.status_code, 0) + 1
    assert res.status_code < 500, (res.status_code, res.text[:500])
    assert res.status_code in (202, 401, 413, 415, 422), (res.status_code, res.text[:300])
    assert_no_leak(res.text, out)
    detail = res.json().get("detail") if res.status_code >= 400 else None
    text = detail if isinstance(detail, str) else (detail or {}).get("message", "") if isinstance(detail, dict) else ""
    assert "\n" not in text


class Budget:
    """Hypothesis has no wall-clock bound: after `seconds`, the remaining examples return at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = 0.0

    def spent(self) -> bool:
        if not self.end:
            self.end = time.monotonic() + self.seconds
        return time.monotonic() > self.end


json_budget, multipart_budget = Budget(JSON_BUDGET_S), Budget(MULTIPART_BUDGET_S)
SETTINGS = settings(max_examples=400, deadline=None, derandomize=False, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(items=products, opts=options, shape=st.sampled_from(["object", "list", "raw"]))
def test_fuzz_json_bodies(client: tuple[Any, Path], items: list[dict[str, Any]], opts: dict[str, Any],
                          shape: str) -> None:
    if json_budget.spent():
        return
    test_client, out = client
    body: Any = {"products": items, **opts} if shape == "object" else items
    content = json.dumps(body, ensure_ascii=False).encode() if shape != "raw" else json.dumps(body)[:-1].encode()
    res = test_client.post("/v1/jobs", headers={**H, "Content-Type": "application/json"}, content=content)
    check(res, out)
    if res.status_code == 202 and not res.json().get("reading"):
        answer = res.json()
        bad_rows = {e["row"] for e in answer["row_errors"] if e["field"] != "(rows)"}
        assert answer["products"] + len(bad_rows) == len(items), answer  # every item is a product or a row error


@settings(SETTINGS, max_examples=150)  # most are answered before a sheet is read: ~0.1 s each on 2 busy cores
@given(name=st.one_of(weird, texts, st.sampled_from(["a.csv", "a.xlsx", "a.json", "a.yaml", "商品.csv"])),
       rows=st.lists(st.lists(csv_cells, min_size=1, max_size=5), max_size=6),
       raw=st.one_of(st.none(), st.binary(max_size=300)),
       images=st.lists(st.tuples(st.one_of(weird, texts, st.just("x.jpg")), st.binary(max_size=50)), max_size=3),
       form=st.dictionaries(st.sampled_from(OPTIONS), st.one_of(texts, weird), max_size=4))
def test_fuzz_multipart_uploads(client: tuple[Any, Path], name: str, rows: list[list[str]], raw: bytes | None,
                                images: list[tuple[str, bytes]], form: dict[str, str]) -> None:
    if multipart_budget.spent():
        return
    test_client, out = client
    header = "商品编码,商品名称,到手价,卖点,主图\n"
    sheet = raw if raw is not None else (header + "\n".join(",".join(r) for r in rows)).encode()
    files = [("sheet", (name, sheet)), *(("images", image) for image in images)]
    res = test_client.post("/v1/jobs", headers=H, files=files, data=form)
    check(res, out)



def test_the_fuzz_reached_the_sheet_reader() -> None:
    """The fuzz above is worth something only if bodies got past the options to the reader and were accepted."""
    if not STATS:
        pytest.skip("the fuzz tests did not run")
    assert STATS.get(202, 0) >= 3 and STATS.get(422, 0) >= 3, STATS
