"""A product row of a sheet, and what reading a sheet gives: products, row errors, warnings."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from generator.models.common import Language, stable_hash


class Product(BaseModel):
    """One product row of a sheet, cleaned and validated."""

    model_config = ConfigDict(frozen=True)

    sku: str
    title: str
    brand: str = ""
    category: str = ""
    price: float | None = None
    sale_price: float | None = None
    currency: str = Field(default="CNY", description="ISO 4217 code of both prices (generator/currency.py)")
    selling_points: list[str] = Field(default_factory=list)
    specs: dict[str, str] = Field(default_factory=dict)
    audience: str = ""
    scenes: list[str] = Field(default_factory=list)
    offer: str = ""
    images: list[str] = Field(default_factory=list, description="absolute local paths after fetching")
    language: Language = "zh"
    # Where it came from, so that every later error can point back at the merchant's spreadsheet row.
    source: str = ""
    row: int = 0
    warnings: list[str] = Field(default_factory=list)

    def content_hash(self) -> str:
        """Hash of what the product says (not where it came from): same product, same clips."""
        data = self.model_dump(exclude={"source", "row", "warnings", "images"})
        if data["currency"] == "CNY":  # the default leaves the hash of every earlier product unchanged
            del data["currency"]
        data["images"] = [_file_fingerprint(p) for p in self.images]
        return stable_hash(data)



def _file_fingerprint(path: str) -> str:
    p = Path(path)
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    except OSError:
        return path



class RowError(BaseModel):
    """A sheet row that could not become a Product: where, what, and what to do about it."""

    file: str
    row: int = Field(description="spreadsheet row number as the merchant sees it; the header is row 1")
    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, field '{self.field}': {self.problem} — {self.fix}"



class SheetResult(BaseModel):
    products: list[Product] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

