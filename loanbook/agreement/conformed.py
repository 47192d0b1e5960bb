"""The conformed copy: the agreement as amended on a date, clause by clause, with where each came from."""
from __future__ import annotations

import difflib
import html
from datetime import date

from .model import Agreement, ClauseVersion

NOT_IN_RECORD = "text not in record"


def chain_on(agreement: Agreement, day: date):
    """The documents of the chain in effect on a day, oldest first."""
    return [doc for doc in agreement.documents if doc.effective <= day]


def terms_summary(version: ClauseVersion) -> str:
    """One line per block of terms, for people: the figures a clause version sets."""
    parts = []
    for block in version.terms:
        fields = block.model_dump(exclude={"kind"}, by_alias=True)
        parts.append(f"{block.kind}: " + ", ".join(f"{k}={_short(v)}" for k, v in fields.items()
                                                   if v not in (None, (), [], "")))
    return "; ".join(parts)


def terms_text(version: ClauseVersion) -> str:
    """The terms as a facility folder writes them (docs/agreement-format.md): each block a YAML flow mapping,
    `true`/`false`, amounts and dates as written; what a block leaves out stays out."""
    return "; ".join(_flow({"kind": block.kind, **block.model_dump(exclude={"kind"}, by_alias=True)})
                     for block in version.terms)


def _flow(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items() if v not in (None, (), [], "")) + "}"
    return str(value)


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items() if v not in (None, (), [])) + "}"
    return str(value)


def conformed_markdown(agreement: Agreement, day: date, *, summary: bool = False) -> str:
    lines = [f"# {agreement.name}", "", f"The Agreement as amended, in force on {day}.", ""]
    lines += ["## Documents of the chain", ""]
    for doc in chain_on(agreement, day):
        lines.append(f"- {doc.title} (as of {doc.as_of}; effective {doc.effective}): {doc.text_status}")
    if agreement.glossary:  # readings of words no document defines: the reviewer's, with their reasons
        lines += ["", "## Glossary: words the documents use but do not define", ""]
        lines += [f"- \"{entry.words}\" is read as `{entry.means.text}`: {' '.join(entry.why.split())}"
                  for entry in agreement.glossary]
    lines += ["", "## Clauses in force", ""]
    if summary:
        for clause in agreement.clauses.values():
            version = clause.version_on(day)
            if version is not None:
                status = "text in record" if version.in_record else NOT_IN_RECORD
                lines.append(f"- {clause.title} (`{clause.id}`): {version.op} by {version.document_id}, "
                             f"effective {version.effective}; {status}")
            elif clause.before_record and _before_first(clause, day):
                lines.append(f"- {clause.title} (`{clause.id}`): in force, {NOT_IN_RECORD}")
        used = sorted({i for v in agreement.in_force(day) for _, i in v.interpretations_used})
        if used:
            lines += ["", "## Interpretations in force", ""]
            for interpretation_id in used:
                item = agreement.register.get(interpretation_id)
                lines.append(f"- {item.id} ({item.clause}): {item.reading().text}")
        return "\n".join(lines)
    for clause in agreement.clauses.values():
        version = clause.version_on(day)
        if version is None:
            if clause.before_record and _before_first(clause, day):
                lines += [f"### {clause.title} (`{clause.id}`)", "",
                          f"In force; {NOT_IN_RECORD} ({clause.before_record}).", ""]
            continue
        doc = agreement.document(version.document_id)
        lines += [f"### {clause.title} (`{clause.id}`)", "",
                  f"Set by {doc.title} ({version.op}, effective {version.effective}).", ""]
        for used_field, interpretation_id in version.interpretations_used:
            interpretation = agreement.register.get(interpretation_id)
            reading = interpretation.reading()
            lines.append(f"- Interpretation {interpretation_id}: `{used_field}` read as {reading.text} "
                         f"({interpretation.why.strip()})")
        if version.terms:
            lines.append(f"- Terms: {terms_text(version)}")
        if version.note:
            lines.append(f"- Note: {version.note.strip()}")
        if not summary:
            lines.append("")
            if version.text is None:
                lines.append(f"_{NOT_IN_RECORD}; source: {version.source}_")
            else:
                lines += ["```", version.text, "```"]
        lines.append("")
    return "\n".join(lines)


def _before_first(clause, day: date) -> bool:
    """Whether a day falls before the clause's first version in the record (or it has none)."""
    first = clause.first_recorded()
    return first is None or day < first


def conformed_html(agreement: Agreement, day: date) -> str:
    """The conformed copy as a page: per clause, what each amendment replaced, as a redline."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(agreement.name)} as of {day}</title>",
           "<style>body{font-family:serif;max-width:60em;margin:2em auto}del{background:#fdd}ins{background:#dfd;"
           "text-decoration:none}pre{white-space:pre-wrap}.src{color:#555;font-size:90%}</style></head><body>",
           f"<h1>{html.escape(agreement.name)}</h1><p>The Agreement as amended, in force on {day}.</p>"]
    for clause in agreement.clauses.values():
        versions = [v for v in clause.versions if v.effective <= day]
        if not versions or clause.version_on(day) is None:
            continue
        out.append(f"<section id='{html.escape(clause.id)}'><h2>{html.escape(clause.title)}</h2>")
        previous_text: str | None = None
        for index, version in enumerate(versions):
            doc = agreement.document(version.document_id)
            out.append(f"<h3>{html.escape(doc.title)}: {version.op}, effective {version.effective}</h3>")
            if version.text is None:
                out.append(f"<p class='src'>{NOT_IN_RECORD}; source: {html.escape(version.source or '')}"
                           f"{'; terms: ' + html.escape(terms_text(version)) if version.terms else ''}</p>")
            elif index == 0 and clause.before_record is None:
                out.append(f"<pre><ins>{html.escape(version.text)}</ins></pre>")
            else:
                if previous_text is None:
                    out.append(f"<p class='src'>replaced: {NOT_IN_RECORD}</p>")
                out.append(f"<pre>{redline(previous_text or '', version.text)}</pre>")
            previous_text = version.text
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def redline(old: str, new: str) -> str:
    """Word-level redline of two texts in HTML: deletions struck, insertions marked."""
    old_words, new_words = old.split(), new.split()
    parts = []
    for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            parts.append(f"<del>{html.escape(' '.join(old_words[a1:a2]))}</del>")
        if tag in ("replace", "insert"):
            parts.append(f"<ins>{html.escape(' '.join(new_words[b1:b2]))}</ins>")
        if tag == "equal":
            parts.append(html.escape(" ".join(old_words[a1:a2])))
    return " ".join(parts)


def history(agreement: Agreement, clause_id: str) -> list[dict]:
    """Every version of a clause with its dates and source, oldest first."""
    clause = agreement.clauses[clause_id]
    rows = []
    if clause.before_record:
        rows.append({"document": None, "op": "existing", "effective": None, "until": _iso(clause.first_recorded()),
                     "text": None, "source": clause.before_record, "terms": None})
    for version in clause.versions:
        doc = agreement.document(version.document_id)
        rows.append({"document": doc.id, "document_title": doc.title, "op": version.op,
                     "effective": version.effective.isoformat(), "until": _iso(version.until),
                     "text": version.text, "source": version.source or doc.source,
                     "terms": terms_summary(version) or None})
    return rows


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
