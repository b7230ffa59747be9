"""Column names as merchants write them (Chinese or English aliases), value vocabularies and limits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import get_args

from generator.errors import DaihuoError
from generator.models import Language

# Canonical field -> accepted column names (matched after `header_key`: width, case, spaces, "*" and a
# bracketed unit such as "（元）" do not matter).
ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码", "商品编号", "货号", "编码", "sku", "sku_id", "item_code", "product_id"),
    "title": ("商品名称", "名称", "品名", "商品标题", "标题", "title", "name", "product_name"),
    "brand": ("品牌", "brand"),
    "category": ("类目", "品类", "分类", "category"),
    "price": ("原价", "划线价", "价格", "price", "list_price", "original_price"),
    "sale_price": ("到手价", "售价", "现价", "活动价", "sale_price", "final_price"),
    "selling_points": ("卖点", "核心卖点", "商品卖点", "selling_points", "features"),
    "specs": ("规格参数", "规格", "参数", "specs", "specifications"),
    "audience": ("适用人群", "人群", "目标人群", "audience"),
    "scenes": ("使用场景", "场景", "scenes", "scene"),
    "offer": ("优惠信息", "优惠", "促销", "offer", "promotion"),
    "images": ("主图", "图片", "商品图片", "images", "image", "pictures"),
    "language": ("语言", "language", "lang"),
    "currency": ("币种", "货币", "币别", "currency", "currency_code"),
}
# Without a SKU column each row gets a code derived from its content (rows.derive_skus); a title is a must.
REQUIRED: tuple[str, ...] = ("title",)

# Language column values -> code (matched case-insensitively after NFKC).
LANGUAGE_NAMES: dict[str, str] = {
    "zh": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh",
    "中文": "zh", "汉语": "zh", "简体中文": "zh", "普通话": "zh",
    "en": "en", "en-us": "en", "en-gb": "en", "english": "en", "英文": "en", "英语": "en",
    "id": "id", "indonesian": "id", "bahasa indonesia": "id", "印尼语": "id",
    "ms": "ms", "malay": "ms", "bahasa melayu": "ms", "马来语": "ms",
    "th": "th", "thai": "th", "泰语": "th",
    "vi": "vi", "vietnamese": "vi", "越南语": "vi",
}
LANGUAGES: tuple[str, ...] = get_args(Language)

# Separators. Selling points and scenes are sentences that may contain commas, so commas do not split them.
LIST_SEPARATORS = re.compile(r"[;；、\r\n]+")
SPEC_SEPARATORS = re.compile(r"[;；、,，\r\n]+")
IMAGE_SEPARATORS = re.compile(r"[;；,，、\r\n]+")
SPEC_COLON = re.compile(r"[:：=]")

# Limits that are not settings: they guard memory and file names, not taste (docs/security.md).
MAX_SHEET_BYTES = 50_000_000  # any sheet file
MAX_TEXT_SHEET_BYTES = 20_000_000  # CSV/TXT/TSV, JSON and YAML: the whole text is decoded in memory
MAX_COLUMNS = 256  # columns read per row; Excel itself stops at 16,384
MAX_CELLS_PER_LINE = 16_384  # separators in one CSV line (Excel's column limit); more is not a sheet
MAX_EMPTY_RUN = 10_000  # empty rows in a row after which reading stops
MAX_NESTING = 32  # JSON/YAML depth; a product is at most 3 deep ({"products": [{"specs": {...}}]})
MAX_NODES_PER_ROW = 200  # JSON/YAML values (after aliases are expanded) per allowed row, plus a margin
MAX_SKU_CHARS = 64
MAX_IMAGES_PER_PRODUCT = 12
MAX_TITLE_WIDTH = 80  # display columns (a CJK character is 2): about 40 Chinese or 80 Latin characters
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".json", ".yaml", ".yml")

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Dropped from every cell: zero-width characters, bidi controls (an RLO mark reverses a title on screen and
# in subtitles), variation selectors (no caption font has them), and control characters other than line
# breaks and tabs (NUL, ESC, C1 controls).
INVISIBLE = re.compile(r"[\u200b-\u200d\u2060-\u2064\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c"
                       r"\ufe00-\ufe0f\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SKU_FORBIDDEN = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]")


class SheetError(DaihuoError, ValueError):
    """The sheet as a whole cannot be read (wrong format, no header, a required column missing)."""

    def __init__(self, file: str, problem: str, fix: str) -> None:
        self.file = file
        super().__init__(problem, fix)

    @property
    def message(self) -> str:
        return f"{self.file}: {self.problem} — {self.fix}"


def header_key(name: str) -> str:
    """Column name as compared: NFKC, no bracketed unit, no spaces/underscores/dashes/stars, casefolded."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return re.sub(r"[\s_\-*.:/]+", "", text).casefold()


ALIAS_INDEX: dict[str, str] = {header_key(a): f for f, names in ALIASES.items() for a in names}


@dataclass(frozen=True)
class Columns:
    """The column names a kind of sheet knows (header_key(alias) -> field) and what makes a row its header: every
    REQUIRED field, and one of ENOUGH or at least MIN_KNOWN known columns. Product sheets by default;
    `daihuo learn` passes the analytics export's."""

    index: dict[str, str]
    required: tuple[str, ...]
    enough: tuple[str, ...] = ()
    min_known: int = 0

    def is_header(self, names: set[str]) -> bool:
        if not all(f in names for f in self.required):
            return False
        return not (self.enough or self.min_known) or any(f in names for f in self.enough) or len(names) >= self.min_known


# A product sheet's header names the title and the SKU, or the title and two more known columns.
PRODUCT_COLUMNS = Columns(ALIAS_INDEX, REQUIRED, enough=("sku",), min_known=3)


def accepted_names(field_name: str) -> str:
    return " / ".join(ALIASES[field_name])
