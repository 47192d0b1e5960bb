"""Done-when of `loanbook ingest`: the seed's Amendment 10, ingested from its filed text into the seed facility
without its hand-made Amendment 10 and then accepted, answers every command of the contract (status, advance,
fees, obligations, payoff) exactly as the hand-made facility does, on every day of the record.

The filed text is examples/iec-2002/documents/amendment-10.txt (Exhibit 10.31 as filed, page footers and all):
the same bytes as the seed's text, so the fixture is the example's own copy.
"""
import json
import shutil
from datetime import timedelta
from decimal import Decimal

import pytest
import yaml
from typer.testing import CliRunner

from conftest import SEED, folder_facility
from loanbook import projection as out
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.ingest.draft import same_words

runner = CliRunner()
FILING = SEED / "documents" / "amendment-10.txt"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The seed without its Amendment 10, then the filing ingested and accepted through the command line."""
    folder = tmp_path_factory.mktemp("ingest") / "iec-2002"
    shutil.copytree(SEED, folder)
    (folder / "documents" / "amendment-10.yaml").unlink()
    (folder / "documents" / "amendment-10.txt").unlink()
    result = runner.invoke(app, ["ingest", str(FILING), "--facility", str(folder), "--id", "amendment-10"])
    assert result.exit_code == 0, result.output
    assert (folder / "drafts" / "amendment-10.yaml").exists()
    assert not (folder / "documents" / "amendment-10.yaml").exists()  # a draft is not a document
    result = runner.invoke(app, ["accept", "amendment-10", "--facility", str(folder)])
    assert result.exit_code == 0, result.output
    assert not (folder / "drafts" / "amendment-10.yaml").exists()
    return folder


def _days(agreement, engine):
    first = min(e.date for e in engine.events) if engine.events else agreement.record_end
    day = first
    while day <= agreement.record_end:
        yield day
        day += timedelta(days=1)


_PROSE = {"obligation", "label", "message", "title", "text", "explanation", "note", "description"}


def _figures(value):
    """An answer without its prose (a label, an obligation's wording, a clause's title): what remains are the
    figures, dates, statuses, ids and clauses, compared exactly."""
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items() if k not in _PROSE}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return value


def _all_answers(folder) -> dict:
    agreement = load_agreement(folder)
    assert passed(fidelity_check(agreement))
    engine = folder_facility(folder, agreement)
    answers = {}
    for day in _days(agreement, engine):
        answers[day] = _figures(json.loads(json.dumps({
            "status": out.status_json(engine.status(day)),
            "advance": out.decision_json(engine.advance(day, Decimal("100000.00"), None)),
            "fees": out.fees_json(engine.fees(day), day, engine.charges_on(day), engine.charges_credit(day)),
            "obligations": out.obligations_answer(engine, day),
            "payoff": out.payoff_json(engine.payoff(day)),
        }, default=str).replace(str(folder), "FACILITY")))  # an event's source names its folder
    return answers


def test_the_accepted_draft_answers_as_the_hand_made_facility(ingested):
    hand_made, from_filing = _all_answers(SEED), _all_answers(ingested)
    assert list(hand_made) == list(from_filing)
    assert len(hand_made) > 60  # the record runs from the first event to 2002-12-31
    for day in hand_made:
        for command in hand_made[day]:
            assert from_filing[day][command] == hand_made[day][command], (day, command)


def test_the_accepted_document_quotes_the_hand_made_clauses(ingested):
    """Each clause the hand-made document quotes is in the accepted one with the same text (spacing aside)."""
    hand = yaml.safe_load((SEED / "documents" / "amendment-10.yaml").read_text())
    mine = yaml.safe_load((ingested / "documents" / "amendment-10.yaml").read_text())
    texts = {op["clause"]: op.get("text", "") for op in mine["operations"]}
    for op in hand["operations"]:  # the filing's "third-\n party" reads "third-party" (a line-end hyphen joined)
        assert same_words(texts[op["clause"]], op["text"]), op["clause"]
    assert "draft" not in mine and "unmapped" not in mine  # the draft's review keys are gone
