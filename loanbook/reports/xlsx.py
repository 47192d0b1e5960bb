"""A document as a workbook: one sheet, its sections one after another, numbers as numbers (money shows two
places, rates a percentage as written: 85.00 is 85%), dates as dates; the signature block as lines to sign."""
from __future__ import annotations

from io import BytesIO

from .documents import Document

FORMATS = {"money": "#,##0.00", "rate": "0.00####", "number": "0.00####", "date": "yyyy-mm-dd", "count": "#,##0"}


def document_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = document.kind[:31]
    bold = Font(bold=True)
    sheet.append([document.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([document.facility])
    sheet.append([document.period])
    if not document.checked:
        sheet.append(["UNCHECKED: this facility fails `loanbook check`; its figures are computed from its terms as "
                      "written."])
    for section in document.sections:
        sheet.append([])
        sheet.append([section.heading])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
        for table in section.tables:
            sheet.append([c.name for c in table.columns])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for i, row in enumerate(table.rows):
                sheet.append(list(row))
                line = sheet[sheet.max_row]
                for cell, column in zip(line, table.columns):
                    if column.kind in FORMATS and cell.value is not None and not isinstance(cell.value, str):
                        cell.number_format = FORMATS[column.kind]
                    if i in table.totals:
                        cell.font = bold
                if table.depth and table.depth[i]:
                    line[0].alignment = Alignment(indent=table.depth[i])
        for text in section.paragraphs:
            sheet.append([text])
    if document.certification:
        sheet.append([])
        sheet.append(["Certification"])
        sheet.append([document.certification])
    for s in document.signatures:
        sheet.append([])
        sheet.append([f"{s.party}, {s.capacity}"])
        sheet.append(["By:", "______________________________"])
        sheet.append(["Name:", s.name or ""])
        sheet.append(["Title:", s.title or ""])
        sheet.append(["Date:", ""])
    if document.form_source:
        sheet.append([])
        sheet.append([f"Form: {document.form_source}"])
    for note in document.notes:
        sheet.append([note])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: a name starting "=" in a facility's files is no formula
    sheet.column_dimensions["A"].width = 60
    for letter in "BCDEFGH":
        sheet.column_dimensions[letter].width = 18
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
