"""The PDFs' typeface: DejaVu Sans (bundled in ``fonts/`` with its licence), embedded as cached subsets.

reportlab builds, checksums and compresses a TrueType subset for every document, which costs about 4 ms
per font in pure Python: more than our whole budget for an invoice. Two things make that work reusable:

- every document first claims a fixed repertoire (ASCII plus the common Latin letters and signs), so its
  first subset is the same whatever order its text brings the characters in;
- a subset's font program, widths and ToUnicode map are built once per distinct subset, then kept
  compressed and handed to each document as ready streams.

Greek, Cyrillic, Vietnamese and the rarer Latin letters go into further subsets, cached the same way.
This leans on reportlab's ``TTFont`` internals (reportlab is pinned); the tests' ``qpdf --check`` and text
extraction catch an upgrade that changes them.
"""

import unicodedata
import zlib
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, makeToUnicodeCMap

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

# With reportlab's ASCII-readable subsets, subset 0 holds ASCII plus 159 more characters.
_FIRST_SUBSET_SLOTS = 159
_COMMON_CHARACTERS = (
    "€–—‘’‚“”„•…‰™№"
    + "".join(chr(code) for code in range(0xA1, 0x100) if code != 0xAD)  # Latin-1 (0xA0 prints as a space)
    + "ĄąĆćĘęŁłŃńŚśŹźŻż"  # Polish
    + "ĞğİıŞş"  # Turkish
    + "ČčĎďĚěŇňŘřŠšŤťŮůŽžĹĺĽľŔŕ"  # Czech, Slovak
    + "ŐőŰűĂăȘșȚțĀāĒēĪīŌōŪūĢģĶķĻļŅņĖėĮįŲųŒœŸ"
    + "₺₹₽₩₪"
)


class _SubsetData(NamedTuple):
    base_font_name: str
    widths: bytes  # the formatted /Widths array
    cmap: bytes  # compressed ToUnicode CMap
    program: bytes  # compressed TrueType program
    program_length: int


class _Preformatted(pdfdoc.PDFObject):
    def __init__(self, data: bytes):
        self.data = data

    def format(self, document):
        return self.data


def _flate_stream(compressed: bytes, **entries) -> pdfdoc.PDFStream:
    # A /Filter entry tells reportlab the content is already encoded, so it is not compressed again.
    dictionary = pdfdoc.PDFDictionary({"Filter": pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")]), **entries})
    return pdfdoc.PDFStream(dictionary, content=compressed)


@lru_cache(maxsize=256)
def _subset_data(face, index: int, subset: tuple[int, ...]) -> _SubsetData:
    base_font_name = (SUBSETN(index) + b"+" + face.name + face.subfontNameX).decode("pdfdoc")
    widths = fp_str(*(face.getCharWidth(code) for code in subset))
    program = face.makeSubset(list(subset))
    return _SubsetData(
        base_font_name=base_font_name,
        widths=f"[{widths}]".encode(),
        cmap=zlib.compress(makeToUnicodeCMap(base_font_name, list(subset)).encode("latin-1")),
        program=zlib.compress(program),
        program_length=len(program),
    )


class _Advances(dict):
    """Advance widths per character, as fractions of the font size, looked up at C speed."""

    def __init__(self, face):
        super().__init__()
        self.face = face

    def __missing__(self, char: str) -> float:
        width = self[char] = self.face.getCharWidth(ord(char)) / 1000
        return width


class EmbeddedFont(TTFont):
    """A reportlab TrueType font whose subsets are built once per process, not once per document.

    It also encodes and measures the common case quickly: text made only of characters in the first
    subset, whose codes are the same in every document, is translated in one call instead of character
    by character.
    """

    def __init__(self, name: str, filename: str):
        super().__init__(name, filename)
        glyphs = self.face.charToGlyph
        self.repertoire = "".join(c for c in _COMMON_CHARACTERS if ord(c) in glyphs)[:_FIRST_SUBSET_SLOTS]
        self._advances = _Advances(self.face)
        # Claim the repertoire once on a scratch document; every real document gets a copy of that state.
        scratch = pdfdoc.PDFDocument()
        ((_subset, codes),) = self.splitString(self.repertoire, scratch)
        self._claimed = self.state.pop(scratch)
        table = {code: code for code in range(32, 127) if code in glyphs}
        table[0xA0] = 32  # reportlab prints a no-break space as a space
        table.update(zip(map(ord, self.repertoire), codes, strict=True))
        self._first_subset_codes = table
        self._first_subset_chars = frozenset(map(chr, table))

    def claim_repertoire(self, doc) -> None:
        """Fix this document's first subset. Call it before any of the document's text is encoded."""
        state = self._assignState(doc)
        state.assignments = dict(self._claimed.assignments)
        state.subsets = [list(subset) for subset in self._claimed.subsets]
        state.nextCode = self._claimed.nextCode

    def encode(self, text: str, doc) -> list[tuple[int, bytes]]:
        """The text as (subset, codes) runs, for a document whose repertoire is claimed."""
        if self._first_subset_chars.issuperset(text):
            return [(0, text.translate(self._first_subset_codes).encode("latin-1"))]
        return self.splitString(text, doc)

    def stringWidth(self, text: str, size: float, encoding: str = "utf8") -> float:
        return sum(map(self._advances.__getitem__, text)) * size

    def addObjects(self, doc):
        # reportlab's own version, with the per-subset work taken from the cache.
        state = self._assignState(doc)
        state.frozen = 1
        font_dict = doc.idToObject["BasicFonts"].dict
        face = self.face
        for index, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(index, doc)[1:]
            data = _subset_data(face, index, tuple(subset))
            font_file = _flate_stream(data.program, Length1=data.program_length)
            descriptor = pdfdoc.PDFDictionary(
                {
                    "Type": "/FontDescriptor",
                    "Ascent": face.ascent,
                    "CapHeight": face.capHeight,
                    "Descent": face.descent,
                    "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                    "FontBBox": pdfdoc.PDFArray(face.bbox),
                    "FontName": pdfdoc.PDFName(data.base_font_name),
                    "ItalicAngle": face.italicAngle,
                    "StemV": face.stemV,
                    "FontFile2": doc.Reference(font_file, f"fontFile:{data.base_font_name}"),
                    "MissingWidth": face.defaultWidth,
                }
            )
            font = pdfdoc.PDFTrueTypeFont()
            font.Name = internal_name
            font.BaseFont = data.base_font_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = _Preformatted(data.widths)
            font.ToUnicode = doc.Reference(_flate_stream(data.cmap), f"toUnicodeCMap:{data.base_font_name}")
            font.FontDescriptor = doc.Reference(descriptor, f"fontDescriptor:{data.base_font_name}")
            doc.Reference(font, internal_name)
            font_dict[internal_name] = font


class Typeface(NamedTuple):
    regular: EmbeddedFont
    bold: EmbeddedFont


def _register(name: str, filename: str) -> EmbeddedFont:
    font = EmbeddedFont(name, str(FONT_DIR / filename))
    pdfmetrics.registerFont(font)
    return font


@lru_cache(maxsize=1)
def typeface() -> Typeface:
    """The fonts, read and registered with reportlab on first use (not when the app loads)."""
    return Typeface(_register("InvoiceSans", "DejaVuSans.ttf"), _register("InvoiceSans-Bold", "DejaVuSans-Bold.ttf"))


def printable(text: str) -> str:
    """The text in composed form, with characters DejaVu lacks replaced by a compatible one if it has it.

    Composed, because reportlab places glyphs without shaping: a Vietnamese "ế" typed as e + two combining
    marks would print its accents beside the letter. The compatibility form turns a full-width "￥" (as
    Babel writes yen for ja_JP) into "¥".
    """
    if text.isascii():
        return text
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    characters = _printable_characters()
    if characters.issuperset(text):
        return text
    return "".join(c if c in characters else _substitute(c) for c in text)


@lru_cache(maxsize=1)
def _printable_characters() -> frozenset[str]:
    regular, bold = typeface()
    return frozenset(chr(code) for code in regular.face.charToGlyph if code in bold.face.charToGlyph)


@lru_cache(maxsize=1024)
def _substitute(char: str) -> str:
    compatible = unicodedata.normalize("NFKC", char)
    return compatible if _printable_characters().issuperset(compatible) else char
