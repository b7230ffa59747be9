"""A Mandarin reading of Cantonese copy, so that 「呢支面霜搽落去，暗疮消得好快」 is reviewed as 「这支面霜抹落去，痤疮消得好快」.

Every substitution keeps the length (one character for one, two for two), so a finding on the reading has the same
offsets in the text the merchant wrote. Only lines with a Cantonese marker are read (咗, 冇, 唔, 嘅, 佢, 啲, 係 or
「呢支/呢款…」): Mandarin uses 呢 and 系 too (你呢？ 系列), and those lines are left as written.
"""

from __future__ import annotations

import re

_MARKER = re.compile(r"[咗冇唔嘅佢啲係嚟㗎瞓攰]|呢(?:支|款|只|个|個|张|張|件|瓶|罐|盒|套|种|種)")
_WORDS = {"暗疮": "痤疮", "成个": "整个", "好返": "好了", "见返": "见了",
          # v13: 塊面白咗 (the face turned white), 舒服晒 (all better), 唔得就退錢 (no good, money back), 成日 (all day)
          "塊面": "脸上", "块面": "脸上", "舒服晒": "舒服了", "唔得": "不行", "成日": "整天", "飲開": "喝惯", "饮开": "喝惯"}
_CHARS = str.maketrans({"咗": "了", "冇": "没", "唔": "不", "嘅": "的", "佢": "它", "啲": "些", "係": "是", "系": "是",
                        "呢": "这", "搽": "抹", "瞓": "睡", "攰": "累", "俾": "给", "仲": "还"})
_WORD_RE = re.compile("|".join(map(re.escape, _WORDS)))


def mandarin_reading(text: str) -> str | None:
    """The same-length Mandarin reading of a Cantonese line, or None when the line has no Cantonese marker."""
    if not _MARKER.search(text):
        return None
    reading = _WORD_RE.sub(lambda m: _WORDS[m.group(0)], text).translate(_CHARS)
    return reading if reading != text else None
