"""JSON and YAML sheets, bounded before they are built into Python objects.

A 1 KB YAML file with nested aliases describes billions of values, a JSON file of nested brackets
overflows the parser's stack, and a 5,000-digit number is a ValueError in Python. So: JSON is refused when
it holds far more lists/objects than the allowed rows could need, or nests deeper than a product sheet ever
does; YAML is walked as a stream of parser events first, counting every value as if aliases were expanded,
and refused past the same budget or depth; numbers too long for Python stay text (the price cell then
gets a row error); YAML dates that are not dates stay text.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from generator.sheets.columns import MAX_NESTING, MAX_NODES_PER_ROW, SheetError

_YAML_FIX = "fix the indentation/syntax there"
_LONG_NUMBER_DIGITS = 300


def node_budget(max_rows: int) -> int:
    """Values a document may hold for MAX_ROWS products (each a few dozen; aliases counted expanded)."""
    return MAX_NODES_PER_ROW * max_rows + 1000


def load_json(data: bytes, *, source: str, max_rows: int) -> Any:
    containers = data.count(b"[") + data.count(b"{")  # bytes inside UTF-8 characters never match these
    if containers > node_budget(max_rows):
        raise SheetError(source, f"the JSON holds {containers:,} lists/objects, far more than {max_rows:,} products need",
                         "send a list of flat product objects (split big sheets, or raise DAIHUO_MAX_ROWS)")
    try:
        text = data.decode("utf-8-sig")
        # NaN/Infinity are kept as text so that a price of NaN is a row error, not a float.
        return json.loads(text, parse_constant=lambda name: name, parse_int=_int_or_text)
    except UnicodeDecodeError as exc:
        raise SheetError(source, "JSON must be UTF-8", "save the file as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise SheetError(source, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                         "fix the syntax (a JSON validator shows where)") from exc
    except RecursionError as exc:
        raise SheetError(source, "the JSON nests lists/objects thousands of levels deep",
                         "send a list of flat product objects") from exc


def _int_or_text(digits: str) -> int | str:
    return int(digits) if len(digits) <= _LONG_NUMBER_DIGITS else digits


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML with two changes: over-long integers and impossible dates stay text."""


def _yaml_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = loader.construct_scalar(node)
    if len(re.sub(r"[^0-9]", "", str(text))) > _LONG_NUMBER_DIGITS:
        return str(text)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _yaml_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:  # 2024-02-30
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _yaml_timestamp)


def load_yaml(text: str, *, source: str, max_rows: int) -> Any:
    try:
        _check_yaml_events(text, source=source, budget=node_budget(max_rows))
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
        raise SheetError(source, f"invalid YAML{where}: {problem}", _YAML_FIX) from exc
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor that still chokes on a value
        raise SheetError(source, f"a YAML value could not be read ({str(exc).splitlines()[0][:120]})",
                         "write the values as plain text or numbers") from exc
    except RecursionError as exc:
        raise SheetError(source, "the YAML nests lists/objects too deeply", "write a list of flat products") from exc


def _check_yaml_events(text: str, *, source: str, budget: int) -> None:
    """Walk the parser events (no objects built): refuse past BUDGET values counted with every alias expanded,
    or past MAX_NESTING levels."""
    sizes: dict[str, int] = {}  # anchor -> values under it, aliases expanded
    stack: list[list[Any]] = []  # [anchor, values so far] per open list/mapping
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1])
            if len(stack) > MAX_NESTING:
                raise SheetError(source, f"the YAML nests lists/objects more than {MAX_NESTING} levels deep",
                                 "write a list of flat products")
            total += 1
            continue
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size = stack.pop()
            if anchor:
                sizes[anchor] = size
            if stack:
                stack[-1][1] += size
            continue
        if isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor, 1)
        else:
            continue
        total += size
        if stack:
            stack[-1][1] += size
        if total > budget:
            raise SheetError(source, f"the YAML expands to more than {budget:,} values (aliases such as *name repeat "
                             "what an &name anchor holds)", "write the products out without nested aliases")
