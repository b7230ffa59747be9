"""Image intake (I/O edge): resolve paths inside the sheet's folder, fetch URLs, verify every image."""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator.models import Product, SheetResult
from generator.settings import SheetLimits
from generator.sheets.fetch import AllowPrivate, FetchError, ImageProblem, check_image, fetch_image
from generator.sheets.normalize import normalise_image

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]|^\\\\")


@dataclass
class ImageResolver:
    """Turns image references into verified, normalised absolute paths; remembers answers so a shared image
    is checked once. All URL downloads of one sheet share one time budget (limits.fetch_budget)."""

    base_dir: Path
    limits: SheetLimits
    image_cache: Path | None = None
    allow_private: AllowPrivate = False  # tests only: lets fetch reach a 127.0.0.1 server
    _memo: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    _downloads_end: float | None = None  # time.monotonic() when the sheet's download budget runs out

    def resolve(self, ref: str) -> tuple[str | None, str | None]:
        """(absolute path, what normalising changed or None) or (None, why it was dropped)."""
        if ref not in self._memo:
            try:
                normalised = normalise_image(self._resolve(ref), self._cache())
                self._memo[ref] = (str(normalised.path), normalised.note)
            except ImageProblem as exc:
                self._memo[ref] = (None, str(exc))
            except FetchError as exc:
                self._memo[ref] = (None, f"could not be fetched: {exc}")
        return self._memo[ref]

    def _resolve(self, ref: str) -> Path:
        if ref.lower().startswith(("http://", "https://")):
            if self._downloads_end is None:
                self._downloads_end = time.monotonic() + self.limits.fetch_budget
            elif time.monotonic() >= self._downloads_end:
                raise ImageProblem(f"was not downloaded: the sheet's image downloads already took "
                                   f"{self.limits.fetch_budget:g} s in all (DAIHUO_FETCH_BUDGET)")
            return fetch_image(ref, self._cache(), limits=self.limits, allow_private=self.allow_private,
                               deadline=self._downloads_end)
        if _WINDOWS_ABSOLUTE.match(ref):
            raise ImageProblem("is an absolute Windows path; copy the image next to the sheet and write its file name")
        if _URL.match(ref) and not ref.startswith(("./", "../")):
            scheme = ref.split(":", 1)[0]
            raise ImageProblem(f"uses '{scheme}:', but only http(s) links and files next to the sheet are read")
        base = self.base_dir.resolve()
        candidate = Path(ref.replace("\\", "/"))
        # resolve() follows symlinks, so a link inside the folder that points outside it is caught here too.
        target = (candidate if candidate.is_absolute() else base / candidate).resolve()
        if not target.is_relative_to(base):
            raise ImageProblem("points outside the sheet's folder; put the image in the sheet's folder (or below it)")
        if not target.is_file():
            raise ImageProblem("was not found in the sheet's folder; check the file name (it is case-sensitive)")
        size = target.stat().st_size
        if size > self.limits.max_image_bytes:
            raise ImageProblem(f"is {size:,} bytes, over the limit of {self.limits.max_image_bytes:,}; "
                               "save it smaller (or raise DAIHUO_MAX_IMAGE_BYTES)")
        check_image(target, max_pixels=self.limits.max_image_pixels)
        return target

    def _cache(self) -> Path:
        if self.image_cache is None:
            self.image_cache = Path(tempfile.mkdtemp(prefix="daihuo-images-"))
        return self.image_cache


def attach_images(result: SheetResult, resolver: ImageResolver, *, items: bool = False) -> SheetResult:
    """Replace each product's image references by verified absolute paths; failures become warnings."""
    products: list[Product] = []
    warnings = list(result.warnings)
    for product in result.products:
        paths: list[str] = []
        notes = list(product.warnings)
        where = f"{product.source} {'item' if items else 'row'} {product.row}"
        for ref in product.images:
            path, message = resolver.resolve(ref)
            note = None
            if path is None:
                note = f"{where}: image '{ref[:200]}' {message}; it is left out (a generated card is shown instead)"
            elif message:
                note = f"{where}: image '{ref[:200]}' {message}"
            if note:
                notes.append(note)
                warnings.append(note)
            if path is not None and path not in paths:
                paths.append(path)
        products.append(product.model_copy(update={"images": paths, "warnings": notes}))
    return result.model_copy(update={"products": products, "warnings": warnings})
