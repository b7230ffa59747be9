"""Schema = validator: what the JSON schema sent to the model allows, the validator accepts.

A strict structured-outputs server may answer with any schema-valid instance, including the smallest one. The
local server (tests/openai_test_server.py) answers every request with the minimal instance of the schema the
request carried; the script must be accepted, not replaced by the template writer's fallback.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from generator.models import BEAT_ORDER, Brief, Product
from generator.script.llm_schema import ReplyContract, json_schema, parse_reply
from generator.script.openai_writer import OpenAIWriter
from generator.settings import Settings
from tests.openai_test_server import OpenAITestServer, minimal_instance, schema_responder

PRODUCT = Product(sku="C-1", title="竹制收纳盒", category="家居", price=39, sale_price=29,
                  selling_points=["可叠放省空间"], images=["/nonexistent/a.jpg", "/nonexistent/b.jpg"], language="zh")
BRIEF = Brief(platforms=["douyin", "wechat_channels"], duration=15, writer="openai")


def test_the_schema_carries_the_validators_constraints() -> None:
    schema = json_schema(ReplyContract(images=2, platforms=("douyin", "wechat_channels")))
    beat, post, line = (schema["$defs"][k]["properties"] for k in ("LLMBeat", "LLMPost", "LLMLine"))
    assert beat["visual"]["enum"] == ["image:0", "image:1", "card:title", "card:specs", "card:offer"]
    assert beat["kind"]["enum"] == list(BEAT_ORDER)
    assert schema["properties"]["beats"]["minItems"] == schema["properties"]["beats"]["maxItems"] == 6
    assert beat["lines"]["minItems"] == 1 and line["text"]["pattern"] == r"\S" and line["keywords"]["maxItems"] == 3
    assert post["platform"]["enum"] == ["douyin", "wechat_channels"]
    assert schema["properties"]["posts"]["minItems"] == schema["properties"]["posts"]["maxItems"] == 2
    # strict structured outputs: no keyword the strict subset rejects, every object closed and fully required
    text = json.dumps(schema)
    assert all(k not in text for k in ('"minLength"', '"maxLength"', '"format"', '"default"'))
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"angle", "beats", "posts"}


def _random_instance(schema: dict[str, Any], rng: random.Random, root: dict[str, Any] | None = None) -> Any:
    """A random schema-valid instance (random enum picks, array sizes and strings within the bounds)."""
    root = root or schema
    if "$ref" in schema:
        return _random_instance(root["$defs"][schema["$ref"].split("/")[-1]], rng, root)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return {k: _random_instance(v, rng, root) for k, v in schema["properties"].items()}
    if kind == "array":
        n = rng.randint(schema.get("minItems", 0), schema.get("maxItems", schema.get("minItems", 0) + 3))
        return [_random_instance(schema["items"], rng, root) for _ in range(n)]
    if kind == "string":
        while True:
            text = rng.choice(["", " ", "x", "好用", " 真的 ", "#tag", "\t"])
            if re.search(schema.get("pattern", ""), text):
                return text
    raise AssertionError(schema)


@pytest.mark.parametrize("images,platforms", [(0, ("douyin",)), (2, ("douyin", "wechat_channels")),
                                              (12, ("xiaohongshu", "tiktok", "bilibili"))])
def test_every_schema_valid_instance_is_accepted(images: int, platforms: tuple[str, ...]) -> None:
    contract = ReplyContract(images=images, platforms=platforms)
    schema = json_schema(contract)
    rng = random.Random(images)
    for _ in range(60):
        reply = parse_reply(json.dumps(_random_instance(schema, rng), ensure_ascii=False), contract)
        assert [b.kind for b in reply.beats] == list(BEAT_ORDER)
    assert parse_reply(json.dumps(minimal_instance(schema)), contract)


def test_a_reply_outside_the_schema_is_refused_with_the_reason() -> None:
    contract = ReplyContract(images=1, platforms=("douyin",))
    bad = minimal_instance(json_schema(contract))
    bad["beats"][0]["visual"] = "image:1"  # the product has one image
    with pytest.raises(ValueError, match="visual must be one of image:0, card:title"):
        parse_reply(json.dumps(bad), contract)


def test_a_server_answering_the_minimal_instance_gets_its_script_used(tmp_path: Path) -> None:
    with OpenAITestServer() as server:
        server.responder = schema_responder
        settings = Settings(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test", llm_model="strict-model",
                            llm_timeout=5.0, llm_max_retries=0, llm_max_requests=10, cache_dir=tmp_path / "cache",
                            llm_response_format="json_schema")
        writer = OpenAIWriter(settings, rate=lambda _lang: 4.5)
        script = writer.write(PRODUCT, BRIEF, 1)
        sent = server.chat_requests()[0].body["response_format"]["json_schema"]["schema"]
    assert sent["$defs"]["LLMBeat"]["properties"]["visual"]["enum"][:2] == ["image:0", "image:1"]
    assert script.writer == "openai", script.notes
    assert writer.fallbacks == 0
    assert [b.kind for b in script.beats] == list(BEAT_ORDER)
    assert set(script.copy_by_platform) == {"douyin", "wechat_channels"}


def test_make_reports_a_writer_fallback_but_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no server: the template writer stands in; the clip is made, the CLI and the report say so."""
    from typer.testing import CliRunner

    from generator.cli import app
    from generator.settings import get_settings

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DAIHUO_WRITER"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    sheet = tmp_path / "one.csv"
    sheet.write_text("商品编码,商品名称,到手价,卖点\nF-1,竹制收纳盒,29,可叠放省空间\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["make", str(sheet), "--writer", "openai", "--scale", "0.25", "--duration", "5",
                                      "--out", str(tmp_path / "out"), "--qc", "off"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "fallback:" in result.output and "F-1 v1: the openai writer was unavailable (OPENAI_API_KEY" in result.output
    report = json.loads((tmp_path / "out" / "one" / "report.json").read_text(encoding="utf-8"))
    assert report["fallbacks"] == 1 and report["ok"] is True
    assert report["variants"][0]["fallbacks"][0]["wanted"] == "openai"
    assert "## Fallbacks (1)" in (tmp_path / "out" / "one" / "report.md").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "one" / "F-1" / "v1" / "douyin.mp4").stat().st_size > 10_000
