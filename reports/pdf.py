"""Render a report Document to PDF with reportlab (platypus).

Every table cell is a Paragraph, so long text wraps at spaces and after hyphens ("support-" over "qa", never
"support-q" over "a"); column widths are fractions of the frame width, widened where a column's longest word
would not fit (``fit_widths``), so no table is wider than the page and only tokens longer than a third of it
(hashes, signatures) are split inside.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (Image, KeepTogether, ListFlowable, ListItem, PageBreak, Paragraph, SimpleDocTemplate,
                                Spacer, Table as RLTable, TableStyle)

from reports.blocks import Bullets
from reports.charts import Chart
from reports.document import Document, Table

PAGE = A4
MARGIN = 16 * mm
MAX_CHART_H = 125 * mm
_styles = getSampleStyleSheet()
CELL = ParagraphStyle("cell", parent=_styles["BodyText"], fontSize=7.2, leading=8.6, alignment=TA_LEFT,
                      splitLongWords=True, wordWrap=None)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
# for a cell holding a hyphenated word wider than its column: the word breaks after one of its own hyphens
# (a word that fits stays whole: 'bbq-gender' moves to the next line rather than splitting at its hyphen)
CELL_HY = ParagraphStyle("cell_hy", parent=CELL, embeddedHyphenation=1)
HEAD_HY = ParagraphStyle("head_hy", parent=HEAD, embeddedHyphenation=1)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9.5, leading=12.5)
CAPTION = ParagraphStyle("caption", parent=BODY, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=16, spaceBefore=4, spaceAfter=8, keepWithNext=1)
TITLE = ParagraphStyle("title", parent=_styles["Title"], fontSize=22, leading=28)


def frame_width() -> float:
    return PAGE[0] - 2 * MARGIN


def _soft_breaks(text: str) -> str:
    """Let signatures wrap after '|' and ','; hashes stay whole (the cell splits a word only when it must)."""
    return text.replace("|", "| ").replace(",", ", ").replace(",  ", ", ") if "|" in text else text


def _cell(text: str, colour: str | None) -> str:
    body = escape(_soft_breaks(text))
    return f'<font color="{colour}"><b>{body}</b></font>' if colour else body


def _blocks(blocks: list, width: float) -> list:
    flow: list = []
    for block in blocks:
        if isinstance(block, str):
            flow.append(Paragraph(escape(block), BODY))
            flow.append(Spacer(1, 4))
        elif isinstance(block, Table):
            if block.caption:
                flow.append(Paragraph(f"<b>{escape(block.caption)}</b>", BODY))
            if block.rows:
                flow.append(make_table(block, width))
            else:
                flow.append(Paragraph("(none)", CAPTION))
            flow.append(Spacer(1, 8))
        elif isinstance(block, Chart):
            flow.append(_chart(block, width))
        elif isinstance(block, Bullets):
            flow += _bullets(block)
    return flow


def _bullets(block: Bullets) -> list:
    """The lead sentence, then one bulleted line per note."""
    items = [ListItem(Paragraph(escape(x), BODY), leftIndent=12, bulletColor=colors.HexColor("#3b6ea8"))
             for x in block.items]
    return [Paragraph(escape(block.lead), BODY),
            ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=12, bulletFontSize=8),
            Spacer(1, 4)]


PAD = 6.0   # a cell's left and right padding together (the table style's 3 + 3)
LONG_TOKEN = 1 / 3   # a word wider than this share of the table (a hash) may be split inside


def _pieces(text: str) -> list[str]:
    """What a cell can never break inside: its words, split after hyphens where the PDF breaks there
    (a word of letters and hyphens, as reportlab's embedded hyphenation reads it)."""
    out: list[str] = []
    for word in _soft_breaks(text).split():
        out += re.findall(r"[^-]+-?|-", word) if re.fullmatch(r"[A-Za-z-]+", word) and "-" in word[1:-1] else [word]
    return out


def fit_widths(widths: list[float], columns: list[list[str]], total: float) -> list[float]:
    """``widths`` (summing to ``total``) with every column at least as wide as its widest piece (bold, padded;
    pieces of more than ``LONG_TOKEN`` of the table are left to split), taken from the columns with room to
    spare in proportion to it; the widths as given when the pieces cannot all fit."""
    cap = total * LONG_TOKEN
    need = [min(cap, max((stringWidth(p, HEAD.fontName, CELL.fontSize) for cell in col for p in _pieces(cell)),
                         default=0.0) + PAD) for col in columns]
    if sum(need) > total:
        return widths
    out = list(widths)
    for _ in range(len(out)):   # raising one column can push another below its need: repeat until none is
        short = sum(max(0.0, n - w) for n, w in zip(need, out))
        if short <= 1e-6:
            break
        spare = [max(0.0, w - n) for n, w in zip(need, out)]
        room = sum(spare)
        out = [max(n, w) - (s * short / room if room else 0.0) for n, w, s in zip(need, out, spare)]
    return out


def make_table(t: Table, width: float, header: bool = True) -> RLTable:
    total = sum(t.weights) or 1.0
    cells = ([list(t.columns)] if header else []) + [list(r) for r in t.rows]
    col_widths = fit_widths([width * w / total for w in t.weights], [list(c) for c in zip(*cells)], width)
    def style(text: str, j: int, head: bool) -> ParagraphStyle:
        wide = any("-" in w and stringWidth(w, HEAD.fontName, CELL.fontSize) > col_widths[j] - PAD
                   for w in _soft_breaks(text).split())
        return (HEAD_HY if wide else HEAD) if head else (CELL_HY if wide else CELL)

    data = [[Paragraph(escape(h), style(h, j, True)) for j, h in enumerate(t.columns)]] if header else []
    data += [[Paragraph(_cell(c, t.colours.get((i, j))), style(c, j, False)) for j, c in enumerate(row)]
             for i, row in enumerate(t.rows)]
    table = RLTable(data, colWidths=col_widths, repeatRows=1 if header else 0, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6" if header else "#ffffff")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa7b8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _chart(c: Chart, width: float) -> KeepTogether:
    from reportlab.lib.utils import ImageReader

    reader = ImageReader(io.BytesIO(c.png))
    w, h = reader.getSize()
    draw_w = min(width, w * 0.72)
    draw_h = h * draw_w / w
    if draw_h > MAX_CHART_H:  # a tall chart is scaled down rather than pushed to a page of its own
        draw_w, draw_h = draw_w * MAX_CHART_H / draw_h, MAX_CHART_H
    img = Image(io.BytesIO(c.png), width=draw_w, height=draw_h)
    return KeepTogether([img, Paragraph(escape(c.caption), CAPTION), Spacer(1, 6)])


def story(doc: Document) -> list:
    """The flowables of the report (tests measure their widths)."""
    width = frame_width()
    flow: list = [Paragraph(escape(doc.title), TITLE), Spacer(1, 3 * mm)]
    cover = Table(["", ""], [[k, v] for k, v in doc.cover], [1, 4])
    flow.append(make_table(cover, width, header=False))
    flow.append(Spacer(1, 5 * mm))
    flow += _blocks(doc.summary, width)   # page 1 leads with the answer; evidence follows
    flow.append(PageBreak())
    for number, section in enumerate(doc.sections, start=1):
        title = section.title if section.title.startswith("Appendix") else f"{number}. {section.title}"
        flow.append(Paragraph(escape(title), H1))
        flow += _blocks(section.blocks, width)
        if section.title.startswith(("Policy checklist",)):
            flow.append(PageBreak())
    return flow


def _footer(canvas, doc_template) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.setFillColor(colors.HexColor("#666666"))
    canvas.drawString(MARGIN, 9 * mm, doc_template.title)
    canvas.drawRightString(PAGE[0] - MARGIN, 9 * mm, f"page {doc_template.page}")
    canvas.restoreState()


def render_pdf(doc: Document) -> bytes:
    buf = io.BytesIO()
    template = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN + 4 * mm, title=doc.title, author="Assay", subject="Audit report",
                                 creator="Assay", invariant=1)
    template.build(story(doc), onFirstPage=_footer, onLaterPages=_footer)
    return buf.getvalue()
