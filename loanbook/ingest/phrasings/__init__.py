"""The phrasings `loanbook ingest` knows, one module per family of clause kinds; importing this package registers
every proposer (terms.proposer) and every reader of conditions."""
from . import (  # noqa: F401
    amortization,
    capacity,
    computed,
    covenants,
    defaults,
    definitions,
    differences,
    fees,
    greatest,
    grids,
    limits,
    lines,
    obligations,
    pricing,
    reporting,
)
