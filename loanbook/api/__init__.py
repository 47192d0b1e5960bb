"""The HTTP API (FastAPI) over the store: `loanbook serve`."""
