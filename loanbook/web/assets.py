"""The front-end libraries, served from the npm packages `make setup` installs (`npm ci`), and the API's /docs
page on them: the pages work on a network with no way out, and nothing is copied into the repository."""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

STATIC = Path(__file__).resolve().parent / "static"


def node_modules() -> Path:
    """Where `npm ci` put the packages: the repository's node_modules, or LOANBOOK_NODE_MODULES."""
    return Path(os.environ.get("LOANBOOK_NODE_MODULES") or Path(__file__).resolve().parents[2] / "node_modules")


# The files a page may load, by the name it asks for: nothing else under node_modules is served.
PACKAGED = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "chart.umd.js": "chart.js/dist/chart.umd.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "favicon-32x32.png": "swagger-ui-dist/favicon-32x32.png",
}
OWN = {path.name: path for path in STATIC.iterdir() if path.is_file()}
MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def mount(app: FastAPI) -> None:
    @app.get("/assets/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        path = OWN.get(name) or (node_modules() / PACKAGED[name] if name in PACKAGED else None)
        if path is None:
            raise HTTPException(404, f"no asset {name!r}")
        if not path.is_file():
            raise HTTPException(404, f"{name} is not installed: run `make setup` (npm ci) in the repository")
        return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"),
                            headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title}: the API",
                                   swagger_js_url="/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/assets/swagger-ui.css",
                                   swagger_favicon_url="/assets/favicon-32x32.png")
