"""Text wrapping and pagination for the PDFs: everything is placed before anything is drawn.

So the page count is known when the first page is drawn, and "Page X of Y" is plain text.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .fonts import EmbeddedFont, printable


def wrap(text: str, font: EmbeddedFont, size: float, width: float) -> list[str]:
    """The text's lines, at most ``width`` points wide. Lines break at spaces and at the text's own line
    breaks; a word wider than the whole width is cut where it reaches the edge."""
    lines: list[str] = []
    space = font.stringWidth(" ", size)
    for paragraph in printable(text).replace("\t", " ").splitlines() or [""]:
        if font.stringWidth(paragraph, size) <= width:
            lines.append(paragraph)
            continue
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = font.stringWidth(word, size)
            if line and line_width + space + word_width <= width:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            while word_width > width:
                head, word = _cut(word, font, size, width)
                lines.append(head)
                word_width = font.stringWidth(word, size)
            line, line_width = word, word_width
        lines.append(line)
    return lines


def _cut(word: str, font: EmbeddedFont, size: float, width: float) -> tuple[str, str]:
    used = 0.0
    for index, char in enumerate(word):
        used += font.stringWidth(char, size)
        if used > width:
            index = max(index, 1)  # at least one character per line, however narrow the column
            return word[:index], word[index:]
    return word, ""


@dataclass(frozen=True)
class Block:
    """A horizontal slice of a page's body, placed whole on one page."""

    height: float
    draw: Callable[[float], None]  # draws the block with its top edge at the given y
    in_table: bool = False  # a row of the lines table: the page shows the column headings above it
    keep_with_previous: bool = False  # never the first thing on a page when the block before it can come along


def paginate(blocks: list[Block], first_height: float, height: float, heading_height: float) -> list[list[Block]]:
    """Fills pages top to bottom. The first page's body is ``first_height`` points high, the others'
    ``height``; a page with table rows also holds the column headings."""
    pages: list[list[Block]] = [[]]
    used = 0.0

    def cost(block: Block, page: list[Block]) -> float:
        needs_heading = block.in_table and not any(b.in_table for b in page)
        return block.height + (heading_height if needs_heading else 0.0)

    for block in blocks:
        page = pages[-1]
        capacity = first_height if len(pages) == 1 else height
        if page and used + cost(block, page) > capacity:
            carried: list[Block] = []
            if block.keep_with_previous and len(page) > 1 and page[-1].in_table:
                carried.append(page.pop())
            page = []
            pages.append(page)
            used = 0.0
            for moved in carried:
                used += cost(moved, page)
                page.append(moved)
        used += cost(block, page)
        page.append(block)
    return pages
