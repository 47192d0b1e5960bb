"""A document as PDF bytes, laid out by ReportLab (pure Python: no browser, no system library). Every piece of
text goes in escaped: a name in a facility's files is printed, never read as ReportLab's paragraph markup."""
from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from .documents import Document, Table, human_cell

NUMERIC = {"money", "rate", "number", "count"}


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontSize=8.5, leading=10.5)
    return {"title": sheet["Title"], "h2": sheet["Heading2"], "body": body,
            "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=9.5),
            "number": ParagraphStyle("number", parent=body, fontSize=8, leading=9.5, alignment=2),
            "head": ParagraphStyle("head", parent=body, fontSize=8, leading=9.5, fontName="Helvetica-Bold"),
            "warning": ParagraphStyle("warning", parent=body, textColor=colors.darkred, fontName="Helvetica-Bold"),
            "note": ParagraphStyle("note", parent=body, textColor=colors.dimgrey, fontSize=7.5)}


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(table: Table, styles: dict, width: float) -> PdfTable:  # float-ok: a page width in points
    head = [_p(c.name, styles["head"]) for c in table.columns]
    body = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, (value, column) in enumerate(zip(row, table.columns)):
            text = human_cell(value, column.kind)
            if j == 0 and table.depth:
                text = "\u00a0" * 3 * table.depth[i] + text
            style = styles["number"] if column.kind in NUMERIC else styles["cell"]
            if i in table.totals:
                text_markup = f"<b>{escape(text)}</b>"
                cells.append(Paragraph(text_markup, style))
            else:
                cells.append(_p(text, style))
        body.append(cells)
    numeric = [c.kind in NUMERIC for c in table.columns]
    wide = max(1, sum(1 for n in numeric if not n))
    number_width = 1.1 * inch
    rest = max(width - number_width * sum(numeric), inch * wide)
    widths = [number_width if n else rest / wide for n in numeric]
    out = PdfTable([head, *body], colWidths=widths, repeatRows=1)
    commands = [("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey)]
    commands += [("LINEABOVE", (0, i + 1), (-1, i + 1), 0.8, colors.black) for i in table.totals]
    out.setStyle(TableStyle(commands))
    return out


def document_pdf(document: Document) -> bytes:
    styles = _styles()
    wide = any(len(t.columns) > 5 for s in document.sections for t in s.tables)
    size = landscape(LETTER) if wide else LETTER
    buffer = BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=size, leftMargin=0.6 * inch, rightMargin=0.6 * inch,
                            topMargin=0.6 * inch, bottomMargin=0.6 * inch,
                            title=f"{document.title}: {document.facility}, {document.period}",
                            author="loanbook", subject=document.facility_id)
    width = size[0] - 1.2 * inch
    story: list = [_p(document.title, styles["title"]), _p(document.facility, styles["h2"]),
                   _p(document.period, styles["body"])]
    if not document.checked:
        story.append(_p("UNCHECKED: this facility fails `loanbook check`; its figures are computed from its terms "
                        "as written.", styles["warning"]))
    for section in document.sections:
        story.append(_p(section.heading, styles["h2"]))
        for table in section.tables:
            story += [_table(table, styles, width), Spacer(1, 6)]
        story += [_p(text, styles["body"]) for text in section.paragraphs]
    if document.certification:
        story += [_p("Certification", styles["h2"]), _p(document.certification, styles["body"])]
    if document.signatures:
        blocks = [KeepTogether([Spacer(1, 18), _p(f"{s.party}, {s.capacity}", styles["body"]), Spacer(1, 22),
                                _p("By: ______________________________", styles["body"]),
                                _p(f"Name: {s.name or ''}", styles["body"]), _p(f"Title: {s.title or ''}",
                                                                                styles["body"]),
                                _p("Date:", styles["body"])]) for s in document.signatures]
        story += blocks
    if document.form_source:
        story += [Spacer(1, 12), _p(f"Form: {document.form_source}", styles["note"])]
    story += [_p(note, styles["note"]) for note in document.notes]
    pdf.build(story)
    return buffer.getvalue()
