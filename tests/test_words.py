"""Text output speaks the agreement's words: labels, not ids; terms as the docs write them; covenant lines as
sentences; the book's totals; the server's address and its requests; the README and `--help` agree."""
import json
import re
import subprocess
import time
from decimal import Decimal

import httpx
from servers import LOANBOOK, free_port
from typer.main import get_command
from typer.testing import CliRunner

from conftest import DNOW, ROOT, SEED
from loanbook.cli import app

runner = CliRunner()


def text(*args):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_status_names_the_tranche_by_its_label():
    out = text("status", "--facility", str(DNOW), "--as-of", "2023-12-31")
    assert "availability of US Revolving Loans" in out
    assert "us_revolver" not in out


def test_fees_name_the_fee_and_its_components():
    out = text("fees", "--facility", str(SEED), "--as-of", "2002-11-20")
    assert "Extension Fee at the end of 2002-11-20" in out and "Base Fee" in out and "Additional Fee" in out
    assert "extension_fee" not in out


def test_conformed_shows_terms_as_the_docs_write_them():
    out = text("conformed", "--facility", str(SEED), "--as-of", "2002-10-15")
    assert "{document: executed_originals, accepted: true}" in out
    assert "True" not in out and "False" not in out and "Decimal(" not in out


def test_a_covenant_line_is_a_sentence():
    """DNOW's Fixed Charge Coverage Ratio for 2022-12-31 is reported as 2.40 against at least 1.00 (Section 7)."""
    out = text("covenants", "--facility", str(DNOW), "--as-of", "2023-12-31")
    assert "Fixed Charge Coverage Ratio for 2022-12-31: 2.40, at least 1.00: met; certificate due 2023-02-14" in out


def test_portfolio_run_prints_the_totals_of_its_rows(tmp_path):
    """The totals line adds the figures the --json rows give, facility by facility."""
    text("portfolio", "generate", "--facilities", "3", "--invoices", "300", "--seed", "7", "--out", str(tmp_path))
    out = text("portfolio", "run", "--as-of", "2024-03-31", "--book", str(tmp_path))
    rows = json.loads(text("portfolio", "run", "--as-of", "2024-03-31", "--book", str(tmp_path), "--json"))
    facilities = rows["facilities"]
    total = {key: sum(Decimal(r[key]) for r in facilities if r[key] is not None)
             for key in ("borrowing_base", "availability", "overadvance")}
    line = next(line for line in out.splitlines() if line.startswith("totals of"))
    assert f"borrowing base {total['borrowing_base']:,.2f}" in line
    assert f"availability {total['availability']:,.2f}" in line
    assert f"overadvance {total['overadvance']:,.2f}" in line


def test_readme_and_serve_help_agree_on_the_defaults():
    readme = (ROOT / "README.md").read_text()
    [line] = [line for line in readme.splitlines() if line.strip().startswith("loanbook serve")]
    documented = dict(re.findall(r"--(host|port|workers) ([^\]\s]+)", line))
    defaults = {p.name: p.default for p in get_command(app).commands["serve"].params}
    assert documented == {"host": str(defaults["host"]), "port": str(defaults["port"]),
                          "workers": str(defaults["workers"])}


def test_serve_prints_its_address_and_logs_each_request(tmp_path):
    port = free_port()
    env = {"LOANBOOK_DB": str(tmp_path / "store.db"), "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen([LOANBOOK, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first = process.stderr.readline()
        assert f"at http://127.0.0.1:{port}" in first and "/docs" in first
        deadline = time.monotonic() + 60
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert re.search(r'"GET /openapi.json HTTP/1.1" 200', out + err), out + err


def test_import_several_folders(tmp_path):
    store = tmp_path / "store.db"
    result = runner.invoke(app, ["import", str(SEED), str(DNOW), "--json"], env={"LOANBOOK_DB": str(store)})
    assert result.exit_code == 0, result.output
    assert [f["id"] for f in json.loads(result.stdout)["imported"]] == ["iec-2002", "dnow-2022"]
    refused = runner.invoke(app, ["import", str(SEED), str(DNOW), "--id", "x"], env={"LOANBOOK_DB": str(store)})
    assert refused.exit_code == 2 and "--id names one facility" in refused.stderr
