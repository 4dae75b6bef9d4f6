"""``/docs``: the API's reference as one self-contained HTML page, built from its OpenAPI schema.

FastAPI's default ``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from a CDN, and
nothing may be downloaded at run time: this page needs no asset at all. The machine-readable schema
stays at ``/openapi.json`` for tools (Swagger UI, code generators) that have their own copy.
"""

from __future__ import annotations

import json
from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
          "h2{margin-top:2rem;border-bottom:1px solid #ddd}code,pre{background:#f5f5f5;border-radius:4px}"
          "pre{padding:.5rem;overflow:auto;font-size:13px}.m{font-weight:bold;display:inline-block;width:4.5rem}"
          ".d{white-space:pre-line}")
_METHODS = ("get", "post", "put", "patch", "delete")


def render_docs(schema: dict) -> str:
    """The HTML reference for an OpenAPI ``schema``: each path and method with its description, parameters
    and request body schema. Every text from the schema is escaped."""
    info = schema.get("info", {})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(info.get('title', 'API'))} API"
             f"</title><style>{_STYLE}</style></head><body><h1>{escape(info.get('title', 'API'))} API</h1>",
             f"<p>{escape(info.get('summary', ''))} Machine-readable schema: <a href='/openapi.json'>"
             "/openapi.json</a>. Errors are <code>{\"error\": \"one line\"}</code> with a 4xx/5xx status. "
             "With <code>QA_BOT_API_TOKEN</code> set, send <code>Authorization: Bearer &lt;token&gt;</code> "
             "(not needed for /health).</p>"]
    for path, operations in schema.get("paths", {}).items():
        for method in _METHODS:
            op = operations.get(method)
            if op is None:
                continue
            parts.append(f"<h2><span class='m'>{method.upper()}</span><code>{escape(path)}</code></h2>")
            parts.append(f"<p class='d'>{escape(op.get('description') or op.get('summary') or '')}</p>")
            params = op.get("parameters", [])
            if params:
                items = "".join(f"<li><code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
                                f"{', required' if p.get('required') else ''})</li>" for p in params)
                parts.append(f"<p>Parameters:</p><ul>{items}</ul>")
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                body = _resolve(content.get("schema", {}), schema)
                parts.append(f"<p>Body ({escape(media)}):</p><pre>{escape(json.dumps(body, indent=2))}</pre>")
            for status, response in op.get("responses", {}).items():
                parts.append(f"<p class='d'>{escape(status)}: {escape(response.get('description', ''))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _resolve(node, schema: dict, depth: int = 0):
    """``node`` with its ``$ref``s replaced by what they point to (a few levels deep, enough to read)."""
    if depth > 6:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = schema
            for key in ref[2:].split("/"):
                target = target.get(key, {})
            return _resolve(target, schema, depth + 1)
        return {k: _resolve(v, schema, depth + 1) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_resolve(v, schema, depth + 1) for v in node]
    return node


def install_docs(app: FastAPI) -> None:
    """Serve :func:`render_docs` of ``app``'s own schema at ``/docs``."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))
