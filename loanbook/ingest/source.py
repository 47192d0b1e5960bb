"""A filing as the text a draft quotes: plain text, HTML or a PDF's text layer, with the page furniture removed.

The text this module returns is what the draft's clauses quote and what every span counts in: it is written
beside the draft as the document's text file, so `check` finds each clause verbatim in it. Removed: page numbers
and footers on lines of their own ("Page 2", "Page 89 of 104", "-4-"), EDGAR's filing tags (`<PAGE>`, `<S>`,
`<C>`, `<TYPE>EX-10.31` ...), form feeds, trailing spaces, and the line break inside a word hyphenated at the end
of a line ("third-\\n party" reads "third-party": the hyphen is kept, since without a dictionary a real hyphen
and a word broken in two cannot be told apart).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..core.errors import InputError, Problem
from ..core.files import MAX_TEXT_BYTES, read_bytes

MAX_FILING_BYTES = 20_000_000

_PAGE_LINE = re.compile(r"(?:page\s+\d+(?:\s+of\s+\d+)?|-\s*\d{1,3}\s*-|\d{1,3}|\[?page\]?)", re.I)
_FILING_TAG = re.compile(r"</?(?:PAGE|S|C|FN|CAPTION|TABLE|DOCUMENT|TEXT|PDF|SEC-DOCUMENT|SEC-HEADER)>", re.I)
_FILING_HEADER_LINE = re.compile(r"\s*<(?:TYPE|SEQUENCE|FILENAME|DESCRIPTION)>.*", re.I)
_HYPHENATED = re.compile(r"(?<=[A-Za-z])-\n[ \t]*(?=[a-z])")
# What any loan agreement or amendment says: without these, the text is not one.
_AGREEMENT_WORDS = re.compile(r"\bagreement\b", re.I)
_OPERATIVE_WORDS = re.compile(r"\b(?:shall|hereby|means|amended|agrees?)\b", re.I)


@dataclass(frozen=True)
class Filing:
    path: str
    form: str  # text | html | pdf
    text: str  # the cleaned text: what the draft's clauses quote and its spans count in


def read_filing(path: Path) -> Filing:
    """The filing at `path`, cleaned; an empty file, a binary one, or a text that is not an agreement is refused
    with a message naming the file, and nothing is written."""
    data = read_bytes(path, limit=MAX_FILING_BYTES, what="filing")
    if not data.strip():
        raise _refused(path, "the file is empty: there is nothing to ingest")
    if data.startswith(b"%PDF-"):
        form, raw = "pdf", _pdf_text(path, data)
    elif b"\x00" in data[:65536]:
        raise _refused(path, "a binary file (it holds NUL bytes), not a filing's text, HTML or PDF")
    else:
        decoded = _decoded(data)
        if sum(1 for c in decoded[:65536] if ord(c) < 32 and c not in "\n\r\t\f") > len(decoded[:65536]) // 100:
            raise _refused(path, "a binary file (control characters throughout), not a filing's text, HTML or PDF")
        if _looks_like_html(path, decoded):
            form, raw = "html", html_text(decoded)
        else:
            form, raw = "text", decoded
    text = clean(raw)
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise _refused(path, f"its text is {len(text.encode()):,} bytes; a document's text is at most "
                             f"{MAX_TEXT_BYTES:,} (split the filing into its documents)")
    if not text.strip():
        raise _refused(path, f"the {form} holds no text (a scanned PDF has no text layer to read)")
    if not (_AGREEMENT_WORDS.search(text) and _OPERATIVE_WORDS.search(text)):
        raise _refused(path, "this text is not a loan agreement or an amendment: it never speaks of an "
                             "\"Agreement\" with operative words (shall, hereby, means, amended)")
    return Filing(str(path), form, text)


def _refused(path: Path, message: str) -> InputError:
    return InputError([Problem(str(path), None, None, message)])


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # EDGAR's older filings: Windows' Latin


def _looks_like_html(path: Path, text: str) -> bool:
    if path.suffix.lower() in {".htm", ".html"} or re.match(r"\s*(?:<!doctype html|<html\b)", text, re.I):
        return True
    return len(re.findall(r"<(?:p|div|td|br)\b", text, re.I)) > 3


def clean(raw: str) -> str:
    """Page furniture and filing tags out; lines kept as the filing lays them out (tables are read by their
    columns). Where a page break fell inside a sentence (the line before it ends no sentence, the line after it
    goes on in lower case) the sentence is joined again; elsewhere the blank lines around it are made one."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\u00ad", "")
    kept: list[str] = []
    removed_here = False
    for n, page in enumerate(text.split("\f")):
        removed_here = removed_here or n > 0
        for line in page.split("\n"):
            stripped_tags = _FILING_TAG.sub("", line)
            if _FILING_HEADER_LINE.fullmatch(line) or (stripped_tags != line and not stripped_tags.strip()) or (
                    line.strip() and _PAGE_LINE.fullmatch(line.strip())):
                removed_here = True
                continue
            line = stripped_tags.rstrip()
            if not line.strip():
                if not (removed_here and (not kept or not kept[-1])):
                    kept.append("")  # blank lines around a removed page footer: one is kept
                continue
            if removed_here and _goes_on(kept, line):
                while kept and not kept[-1]:
                    kept.pop()
            removed_here = False
            kept.append(line)
    joined = "\n".join(kept).strip("\n")
    return _HYPHENATED.sub("-", joined) + "\n"


def _goes_on(kept: list[str], line: str) -> bool:
    """A line that carries on the sentence the last kept line left open."""
    last = next((k for k in reversed(kept) if k.strip()), "")
    return bool(last) and not re.search(r"[.:;!?\"”’)]\s*$", last) and line.lstrip()[:1].islower()


def _pdf_text(path: Path, data: bytes) -> str:
    """The text layer of each page, pages apart by a form feed (the page's footer then sits on lines of its own)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _refused(path, f"the PDF cannot be read: {exc}") from None
    return "\f".join(pages)


class _TextOfHtml(HTMLParser):
    """The text of an HTML filing: a block element is a paragraph, `<br>` a line break, a table's rows
    `| cell | cell |` (read by the figure reader as a table drawn with pipes); scripts and styles are skipped."""

    _BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "center", "pre",
               "blockquote", "title", "section", "article", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.pre = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "head"}:
            self.skipping += 1
        elif tag == "tr":
            self.row = []
        elif tag in {"td", "th"}:
            self.cell = []
        elif tag == "br":
            self._write("\n")
        elif tag in self._BLOCKS:
            self.pre += tag == "pre"
            self._write("\n\n")

    def handle_endtag(self, tag):
        if tag in {"script", "style", "head"}:
            self.skipping = max(0, self.skipping - 1)
        elif tag in {"td", "th"} and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if any(self.row):
                self.parts.append("| " + " | ".join(self.row) + " |\n")
            self.row = None
        elif tag in self._BLOCKS:
            self.pre -= tag == "pre"
            self._write("\n\n")

    def handle_data(self, data):
        if self.skipping:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.pre > 0:
            self._write(data)
        else:
            self._write(re.sub(r"\s+", " ", data))

    def _write(self, text: str) -> None:
        self.parts.append(text)


def html_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() if not line.lstrip().startswith("|") else line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
