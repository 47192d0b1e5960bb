"""A document in the format asked for: HTML, PDF or xlsx bytes, with the media type a web response gives them.
The command line writes these bytes to a file; the web app serves the same bytes."""
from __future__ import annotations

from collections.abc import Callable

from .documents import Document

MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _html(document: Document) -> bytes:
    from .html import document_html

    return document_html(document).encode("utf-8")


def _pdf(document: Document) -> bytes:
    from .pdf import document_pdf

    return document_pdf(document)


def _xlsx(document: Document) -> bytes:
    from .xlsx import document_xlsx

    return document_xlsx(document)


RENDERERS: dict[str, Callable[[Document], bytes]] = {"html": _html, "pdf": _pdf, "xlsx": _xlsx}


def render(document: Document, fmt: str) -> bytes:
    """The document's bytes in `fmt` (html, pdf or xlsx); KeyError for another."""
    return RENDERERS[fmt](document)


def file_name(document: Document, fmt: str) -> str:
    """A download's name: facility, document and period, safe in a Content-Disposition header."""
    return f"{document.facility_id}-{document.kind.replace('_', '-')}-{document.stamp}.{fmt}"
