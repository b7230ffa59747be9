"""Bytes of a text sheet -> text, and say so when the file mixes encodings (pure).

Excel/WPS on Chinese Windows save "CSV" as GBK; merchants then paste UTF-8 rows from a web page into it,
or the other way round. A file that is UTF-8 as a whole is UTF-8; one that is not is decoded line by line
(line breaks are the same byte in UTF-8 and GB18030, and neither uses it inside a character), so that
UTF-8 lines stay UTF-8 instead of becoming mojibake, and the merchant is told which lines were which.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.sheets.columns import SheetError

LINES_NAMED = 8


@dataclass
class Decoded:
    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def decode_sheet_text(data: bytes, *, source: str) -> Decoded:
    """UTF-16 (BOM), UTF-8 (with or without BOM), GB18030 (a superset of GBK and GB2312), a line-by-line
    mix of UTF-8 and GB18030, and charset-normalizer for the rest."""
    if data.startswith(b"PK\x03\x04"):
        raise SheetError(source, "this is an Excel workbook (.xlsx) with a text file name", "rename it to .xlsx")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise SheetError(source, f"the UTF-16 text is damaged ({exc.reason} at byte {exc.start:,})",
                             "save the sheet again as CSV UTF-8") from exc
    if data[:4096].count(b"\x00") > 8:
        raise SheetError(source, "this looks like a binary file, not a text sheet", "export the sheet as CSV (UTF-8) or .xlsx")
    data = data.replace(b"\x00", b"")  # a stray NUL in a text sheet is dropped (cells drop control characters anyway)
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _decode_by_line(data, source=source)
    if mixed is not None:
        return mixed
    try:
        return Decoded(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise SheetError(source, "the text encoding could not be recognised", "save the sheet as CSV UTF-8 in Excel/WPS")
    try:
        return Decoded(data.decode(best.encoding), best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SheetError(source, "the text encoding could not be recognised", "save the sheet as CSV UTF-8 in Excel/WPS") from exc


def _decode_by_line(data: bytes, *, source: str) -> Decoded | None:
    """Lines that are valid UTF-8 with non-ASCII text as UTF-8, the others as GB18030; None when the file
    has no UTF-8 line with non-ASCII text (then it is simply GB18030)."""
    lines = data.split(b"\n")
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    texts: list[str] = []
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            texts.append(line.decode("ascii"))
            continue
        try:
            texts.append(line.decode("utf-8"))
            utf8_lines.append(number)
        except UnicodeDecodeError:
            texts.append(line.decode("gb18030", errors="replace"))
            other_lines.append(number)
    if not utf8_lines:
        return None
    named = ", ".join(str(n) for n in other_lines[:LINES_NAMED]) + (" …" if len(other_lines) > LINES_NAMED else "")
    warning = (f"{source}: the file mixes text encodings — line{'s' if len(other_lines) > 1 else ''} {named} "
               f"{'are' if len(other_lines) > 1 else 'is'} GBK, the other {len(utf8_lines):,} line(s) with Chinese "
               "text UTF-8; each line was read in its own encoding — check those rows, and save the sheet as CSV UTF-8")
    return Decoded("\n".join(texts), "utf-8+gb18030", [warning])
