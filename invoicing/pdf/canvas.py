"""Drawing primitives for the PDFs, written straight into a reportlab canvas's page stream.

reportlab's ``drawString`` costs about 50 µs a call in its pure-Python path; an invoice draws ~100 strings.
``Pen`` encodes text through the font's subsets itself and emits ``Tj`` operators, which is about ten times
cheaper, and leaves fonts, images and the file structure to reportlab. Logos and QR codes are prepared once
per logo file and per pay link, and reused by every document that shows them.
"""

import hashlib
import io
import math
import os
import re
import zlib
from functools import lru_cache
from typing import NamedTuple

import zint
from PIL import Image
from reportlab import rl_config
from reportlab.pdfbase import pdfdoc

from .fonts import EmbeddedFont, printable

# reportlab wraps compressed page streams in ASCII85 by default, a 7-bit-safe armour that no PDF reader
# needs; its pure-Python encoder costs more than drawing a whole invoice. reportlab reads the flag when it
# writes a file, so it is set here, for every reportlab document this process makes.
rl_config.useA85 = 0

BLACK = "0 0 0"
WHITE = "1 1 1"
_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")

# libzint's option_1 for QR codes: 1 = L, 2 = M, 3 = Q, 4 = H. M survives smudges on paper.
QR_ERROR_CORRECTION_M = 2


def rgb(colour: str, fallback: str = "#1d4ed8") -> str:
    """'#rrggbb' as the PDF operands 'r g b'."""
    match = _HEX_COLOUR.match(colour or "") or _HEX_COLOUR.match(fallback)
    value = match.group(1)
    return " ".join(f"{int(value[i : i + 2], 16) / 255:.3f}" for i in (0, 2, 4))


def tint(colour: str, amount: float) -> str:
    """The colour mixed with white; amount 0 is the colour, 1 is white."""
    return " ".join(f"{float(c) + (1 - float(c)) * amount:.3f}" for c in rgb(colour).split())


class Logo(NamedTuple):
    name: str  # the XObject's name
    width: int  # pixels
    height: int
    dictionary: dict  # image dictionary entries other than the alpha channel
    data: bytes
    alpha: bytes | None  # compressed 8-bit soft mask


# A logo is drawn at most ~170 pt wide: 700 px keeps it sharp at 300 dpi without embedding a poster.
_LOGO_MAX_PIXELS = 700


def load_logo(path: str | None) -> Logo | None:
    """The logo, prepared for embedding; None when there is none or it cannot be read."""
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _prepare_logo(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _prepare_logo(path: str, mtime_ns: int, size: int) -> Logo | None:
    # Keyed by modification time and size so that a replaced file is read again.
    try:
        with open(path, "rb") as file:
            content = file.read()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            return _logo_from_image(image, content)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _logo_from_image(image: Image.Image, content: bytes) -> Logo:
    # Named after the content, not the path: the same logo gives the same bytes on every machine.
    name = "Logo" + hashlib.sha256(content).hexdigest()[:16]
    fits = max(image.size) <= _LOGO_MAX_PIXELS
    if image.format == "JPEG" and image.mode in ("RGB", "L") and fits:
        # Embedded as it is: PDF readers decode JPEG themselves.
        colour_space = "/DeviceRGB" if image.mode == "RGB" else "/DeviceGray"
        return Logo(name, *image.size, _image_dictionary(image.size, colour_space, "DCTDecode"), content, None)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if not fits:
        image.thumbnail((_LOGO_MAX_PIXELS, _LOGO_MAX_PIXELS), Image.Resampling.LANCZOS)
    alpha = None
    if has_alpha:
        mask = image.getchannel("A")
        if mask.getextrema() != (255, 255):
            alpha = zlib.compress(mask.tobytes())
        image = image.convert("RGB")
    dictionary = _image_dictionary(image.size, "/DeviceRGB", "FlateDecode")
    return Logo(name, *image.size, dictionary, zlib.compress(image.tobytes()), alpha)


def _image_dictionary(size: tuple[int, int], colour_space: str, codec: str) -> dict:
    return {
        "Type": "/XObject",
        "Subtype": "/Image",
        "Width": size[0],
        "Height": size[1],
        "BitsPerComponent": 8,
        "ColorSpace": colour_space,
        "Filter": pdfdoc.PDFArray([pdfdoc.PDFName(codec)]),
    }


@lru_cache(maxsize=256)
def qr_path(url: str) -> tuple[int, str]:
    """The QR code of ``url``: its width in modules, and its dark modules as one PDF path in module units.

    Each run of dark modules in a row is one rectangle, with y growing upwards.
    """
    size, rows = _qr_rows(url)
    rects = []
    for index, row in enumerate(rows):
        y = f" {size - 1 - index} "
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            rects.append(f"{start}{y}{end - start} 1 re")
    return size, "\n".join(rects)


def _qr_rows(url: str) -> tuple[int, list[str]]:
    """The QR code's modules, one string per row, top first, "1" for dark. libzint (through
    zint-bindings) encodes in C in ~0.3 ms, where a pure-Python encoder takes 2 to 10 ms."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.option_1 = QR_ERROR_CORRECTION_M
    symbol.encode(url.encode())
    packed = symbol.encoded_data  # rows of bit fields: module x of a row is bit x % 8 of byte x // 8
    row_bytes, used_bytes, width = packed.shape[1], (symbol.width + 7) // 8, symbol.width
    data = packed.tobytes()
    rows = []
    for row in range(symbol.rows):
        # Little-endian, the row is one integer whose bit x is module x; its binary digits, reversed.
        bits = int.from_bytes(data[row * row_bytes : row * row_bytes + used_bytes], "little")
        rows.append(f"{bits:0{used_bytes * 8}b}"[::-1][:width])
    return width, rows


_DARK_RUN = re.compile(r"1+")


# Character codes inside a PDF literal string: printable ASCII as it is, the rest as octal escapes
# (reportlab encodes page streams as UTF-8, so raw bytes above 127 would not survive).
_LITERAL = {code: f"\\{code:03o}" for code in range(256) if not 32 <= code < 127}
_LITERAL.update({ord("("): "\\(", ord(")"): "\\)", ord("\\"): "\\\\"})


def _literal(codes: bytes) -> str:
    return codes.decode("latin-1").translate(_LITERAL)


class Pen:
    """Writes text, rules, boxes, the logo and QR codes onto the current page of a reportlab canvas."""

    def __init__(self, canvas, fonts: tuple[EmbeddedFont, ...]):
        self.canvas = canvas
        self.fonts = fonts
        # The fonts keep their subset state, and images their registration, on reportlab's document.
        self._doc = canvas._doc
        self._emit = canvas.addLiteral
        self._subset_names: dict[tuple[str, int], str] = {}
        self._images: set[str] = set()
        for font in fonts:
            font.claim_repertoire(self._doc)

    @staticmethod
    def width(text: str, font: EmbeddedFont, size: float) -> float:
        return font.stringWidth(printable(text), size)

    def _encoded(self, text: str, font: EmbeddedFont, size: float) -> str:
        shows = []
        for subset, data in font.encode(printable(text), self._doc):
            name = self._subset_names.get((font.fontName, subset))
            if name is None:
                name = self._subset_names[font.fontName, subset] = font.getSubsetInternalName(subset, self._doc)
            shows.append(f"{name} {size:g} Tf ({_literal(data)}) Tj")
        return " ".join(shows)

    def text(self, x: float, y: float, text: str, font: EmbeddedFont, size: float, colour: str = BLACK) -> None:
        if text:
            self._emit(f"BT {colour} rg {x:.2f} {y:.2f} Td {self._encoded(text, font, size)} ET")

    def text_right(self, right: float, y: float, text: str, font: EmbeddedFont, size: float, colour=BLACK) -> None:
        self.text(right - self.width(text, font, size), y, text, font, size, colour)

    def text_centred(self, centre: float, y: float, text: str, font: EmbeddedFont, size: float, colour=BLACK):
        self.text(centre - self.width(text, font, size) / 2, y, text, font, size, colour)

    def text_rotated(self, x, y, degrees, text, font: EmbeddedFont, size: float, colour: str = BLACK) -> None:
        """Text whose baseline starts at (x, y) and turns anticlockwise by ``degrees``."""
        cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        matrix = f"{cos:.4f} {sin:.4f} {-sin:.4f} {cos:.4f} {x:.2f} {y:.2f} Tm"
        self._emit(f"BT {colour} rg {matrix} {self._encoded(text, font, size)} ET")

    def fill_rect(self, x: float, y: float, width: float, height: float, colour: str) -> None:
        self._emit(f"{colour} rg {x:.2f} {y:.2f} {width:.2f} {height:.2f} re f")

    def stroke_rect(self, x, y, width, height, colour: str, line_width: float = 1) -> None:
        self._emit(f"{colour} RG {line_width:g} w {x:.2f} {y:.2f} {width:.2f} {height:.2f} re S")

    def hline(self, x1: float, x2: float, y: float, colour: str, line_width: float = 0.5) -> None:
        self._emit(f"{colour} RG {line_width:g} w {x1:.2f} {y:.2f} m {x2:.2f} {y:.2f} l S")

    def image(self, logo: Logo, x: float, y: float, width: float, height: float) -> None:
        if logo.name not in self._images:
            self._images.add(logo.name)
            entries = dict(logo.dictionary)
            if logo.alpha is not None:
                mask = pdfdoc.PDFStream(
                    pdfdoc.PDFDictionary(
                        {**_image_dictionary((logo.width, logo.height), "/DeviceGray", "FlateDecode")}
                    ),
                    content=logo.alpha,
                )
                entries["SMask"] = self._doc.Reference(mask, pdfdoc.xObjectName(logo.name + "Alpha"))
            self._doc.addForm(logo.name, pdfdoc.PDFStream(pdfdoc.PDFDictionary(entries), content=logo.data))
        canvas = self.canvas
        canvas.saveState()
        canvas.transform(width, 0, 0, height, x, y)
        canvas.doForm(logo.name)
        canvas.restoreState()

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        """The QR code of ``url`` with its lower left corner at (x, y), ``size`` points wide."""
        modules, path = qr_path(url)
        scale = size / modules
        self._emit(f"q {scale:.4f} 0 0 {scale:.4f} {x:.2f} {y:.2f} cm {BLACK} rg\n{path}\nf Q")
