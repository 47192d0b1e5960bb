"""The phrasings `loanbook ingest` knows, one module per family of clause kinds; importing this package registers
every proposer (terms.proposer) and every reader of conditions."""
from . import capacity, computed, defaults, definitions, fees, grids, obligations, pricing  # noqa: F401
