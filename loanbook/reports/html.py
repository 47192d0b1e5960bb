"""A document as one HTML page (Jinja2, autoescaped: a name in a facility's files cannot become markup), styled
inline so that it prints and opens on a closed network; the web app serves the same bytes."""
from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from .documents import Document, human_cell


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("loanbook.reports", "templates"), autoescape=select_autoescape(["j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["cell"] = lambda value, column: human_cell(value, column.kind)
    return env


def document_html(document: Document) -> str:
    return _environment().get_template("document.html.j2").render(doc=document)
