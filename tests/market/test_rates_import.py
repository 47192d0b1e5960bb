"""`loanbook rates import FILE --facility F --index NAME`: an index history in the CSV form rate services publish
(a date column, a value column, "." for a day with no value) becomes the facility's rate file (a folder) or its
index_rate events (the store). Bad rows are refused by line, and nothing is written."""
import json
from datetime import date
from decimal import Decimal as D

from cli_answers import refused
from typer.testing import CliRunner

from conftest import DNOW, copy_of
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

runner = CliRunner()
FRED = """observation_date,DFF
2023-01-02,.
2023-01-03,4.33
2023-01-04,4.33
2023-01-05,4.32
2023-01-06,.
2023-01-09,4.32
2023-02-02,4.57
"""


def test_a_fred_csv_becomes_the_folders_rate_file(tmp_path):
    folder = copy_of(DNOW, tmp_path)
    csv = tmp_path / "DFF.csv"
    csv.write_text(FRED)
    result = runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "federal_funds",
                                 "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    # three changes: 4.33 from 01-03, 4.32 from 01-05 (01-09 repeats it, "." days carry it), 4.57 from 02-02
    assert (answer["changes"], answer["from"], answer["known_through"]) == (3, "2023-01-03", "2023-02-02")
    written = (folder / "rates" / "federal_funds.yaml").read_text()
    assert 'changes:\n  - {from: 2023-01-03, rate: "4.33"}\n  - {from: 2023-01-05, rate: "4.32"}\n' in written
    agreement = load_agreement(folder)
    engine = Facility(agreement, parse_events(folder / "events.yaml", agreement), shipped_prime_series())
    assert engine.indices.on("federal_funds", date(2023, 1, 6)).rate == D("4.32")   # a "." day: the last value
    assert engine.indices.on("federal_funds", date(2023, 2, 2)).rate == D("4.57")


def test_bad_rows_are_refused_by_line_and_nothing_is_written(tmp_path):
    folder = copy_of(DNOW, tmp_path)
    before = (folder / "rates" / "federal_funds.yaml").read_text()
    csv = tmp_path / "DFF.csv"
    csv.write_text("observation_date,DFF\n2023-01-03,4.33\n2023-01-04,4,33\n2023-01-02,4.30\n2023-02-30,4.1\n")
    result = runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "federal_funds"])
    refused(result, "DFF.csv: line 3", "expected 2 cells")
    assert (folder / "rates" / "federal_funds.yaml").read_text() == before
    csv.write_text("observation_date,DFF\n2023-01-03,4.33\n2023-01-02,4.30\n")
    refused(runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "federal_funds"]),
            "line 3", "2023-01-02 does not come after 2023-01-03")
    csv.write_text("observation_date,DFF\n2023-01-03,4.3x\n")
    refused(runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "federal_funds"]),
            "line 2", "field 'DFF'", "a rate in percent")


def test_an_index_that_is_not_a_rate_file_says_how_to_declare_one(tmp_path):
    folder = copy_of(DNOW, tmp_path)
    csv = tmp_path / "DPRIME.csv"
    csv.write_text("observation_date,DPRIME\n2023-01-03,7.50\n")
    refused(runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "prime"]),
            "prime is `series: shipped`", "series: file, file: rates/prime.yaml")
    refused(runner.invoke(app, ["rates", "import", str(csv), "--facility", str(folder), "--index", "libor"]),
            "field 'vocabulary.indices'")


def test_into_the_store_as_index_rate_events(tmp_path, store_url):
    env = {"LOANBOOK_DATABASE_URL": store_url}
    assert runner.invoke(app, ["import", str(DNOW)], env=env).exit_code == 0
    csv = tmp_path / "DFF.csv"
    csv.write_text(FRED)
    result = runner.invoke(app, ["rates", "import", str(csv), "--facility", "dnow-2022", "--index", "federal_funds",
                                 "--json"], env=env)
    assert result.exit_code == 0, result.output
    recorded = json.loads(result.stdout)["recorded"]
    assert recorded["last_seq"] - recorded["first_seq"] + 1 == 3  # one event a change
