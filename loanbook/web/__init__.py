"""The web app: server-rendered pages on the same FastAPI app as the API (`loanbook serve`).

Every figure on a page is the JSON answer the command line and the API give (`projection.py`), read from the
same engine calls; the templates only lay it out. Front-end libraries come from npm (package.json at the
repository's root) and are served from node_modules by `assets.py`: nothing is loaded from another site.
"""
from __future__ import annotations

from fastapi import FastAPI

from ..store.store import Store
from . import actions, assets, auth, calendar, pages


def mount(app: FastAPI, store: Store) -> None:
    """Add the pages, the log-in, the local assets and the offline /docs page to the API's app."""
    assets.mount(app)
    auth.mount(app, store)
    pages.mount(app, store)
    actions.mount(app, store)
    calendar.mount(app, store)
