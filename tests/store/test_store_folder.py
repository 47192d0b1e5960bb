"""A facility folder opened as known at a moment (store/folder.py): the same answer `loanbook status` gives, the
events read against the agreement as now known, an --events file in place of events.yaml, and events.yaml read
only from inside the folder, once the replay is asked for (the check comes first)."""
import json
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from conftest import SEED, copy_of
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.projection import checked_answer, status_json
from loanbook.store.folder import EVENTS_FILE, open_folder, open_with_events

runner = CliRunner()
DAY = date(2002, 12, 31)
BEFORE_AMENDMENT_10 = datetime(2002, 10, 20, tzinfo=UTC)  # amendment-10 is recorded at 2002-10-25T21:00:00Z
NOVEMBER = datetime(2002, 11, 15, tzinfo=UTC)  # before the December reports: another borrowing base on DAY


def cli_status(*args: str) -> dict:
    from loanbook.cli import app

    result = runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", DAY.isoformat(), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("moment", [None, NOVEMBER], ids=["now", "november"])
def test_the_folder_as_known_at_a_moment_answers_as_the_command_line(moment):
    replay = open_folder(SEED, {}).replay(moment)
    known_at = ("--known-at", moment.isoformat()) if moment else ()
    assert checked_answer(True, status_json(replay.status(DAY))) == cli_status(*known_at)


def test_a_moment_changes_the_answer():
    """The comparison above can fail: as known in November, the base on DAY is the November report's."""
    opened = open_folder(SEED, {})
    assert opened.replay(NOVEMBER).status(DAY) != opened.replay().status(DAY)


def test_the_agreement_is_read_again_as_known_at_the_moment():
    opened = open_folder(SEED, {})
    now, then = opened.replay(), opened.replay(BEFORE_AMENDMENT_10)
    assert "amendment-10" in {d.id for d in now.agreement.documents}
    assert "amendment-10" not in {d.id for d in then.agreement.documents}
    assert then.events == now.events  # read once, against the agreement as now known
    assert opened.as_written is now.agreement


def test_an_events_file_replaces_events_yaml(tmp_path):
    empty = tmp_path / "none.yaml"
    empty.write_text("[]\n")
    assert open_folder(SEED, {}, events=empty).replay().events == ()
    assert len(open_folder(SEED, {}).replay().events) == 27


def test_a_folder_without_events_yaml_has_no_events(tmp_path):
    folder = copy_of(SEED, tmp_path)
    (folder / EVENTS_FILE).unlink()
    assert open_folder(folder, {}).replay().events == ()


def test_an_events_yaml_leading_outside_the_folder_is_refused_when_replayed(tmp_path):
    folder = copy_of(SEED, tmp_path / "copy")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((folder / EVENTS_FILE).read_text())
    (folder / EVENTS_FILE).unlink()
    (folder / EVENTS_FILE).symlink_to(outside)
    opened = open_folder(folder, {})  # the agreement is read (and may be checked) first
    with pytest.raises(InputError, match="events.yaml leads outside the facility folder"):
        opened.replay()


def test_the_default_readings_are_read_only_where_others_are_chosen():
    assert open_folder(SEED, {}).default is None
    loads = []

    def load(folder, choices, known_at):
        loads.append((choices, known_at))
        return load_agreement(folder, choices, known_at)

    opened = open_folder(SEED, {"I-2": "iec_borrowing_capacity"}, load=load)
    assert opened.default is not None and loads == [({"I-2": "iec_borrowing_capacity"}, None)]
    opened.default()
    assert loads[-1] == ({}, None)


def test_an_agreement_read_elsewhere_with_an_events_file(tmp_path):
    """As for a stored facility given --events: the agreement from its reader, the events from the file."""
    asked = []

    def read(choices, known_at):
        asked.append(known_at)
        return load_agreement(SEED, choices, known_at)

    opened = open_with_events(read, {}, SEED / EVENTS_FILE)
    replay = opened.replay(BEFORE_AMENDMENT_10)
    assert asked == [None, BEFORE_AMENDMENT_10] and opened.default is None
    assert replay.events == open_folder(SEED, {}).replay().events
