"""``/docs``: the API's reference as one self-contained HTML page, built from its OpenAPI schema.

FastAPI's default ``/docs`` (Swagger UI) and ``/redoc`` load their scripts and styles from a CDN, and
nothing may be downloaded at run time: this page needs no asset but its icon, which is drawn here.
The machine-readable schema stays at ``/openapi.json`` for tools (Swagger UI, code generators) that have
their own copy. Descriptions come from docstrings and are shown as plain text (reST and Markdown
code marks dropped); request bodies keep every field, ``title`` included.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from functools import lru_cache
from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

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
             f"</title><link rel='icon' href='/favicon.ico'><style>{_STYLE}</style></head><body><h1>{escape(info.get('title', 'API'))} API</h1>",
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
            parts.append(f"<p class='d'>{escape(plain_text(op.get('description') or op.get('summary') or ''))}</p>")
            params = op.get("parameters", [])
            if params:
                items = "".join(f"<li><code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
                                f"{', required' if p.get('required') else ''})</li>" for p in params)
                parts.append(f"<p>Parameters:</p><ul>{items}</ul>")
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                body = _resolve(content.get("schema", {}), schema)
                parts.append(f"<p>Body ({escape(media)}):</p><pre>{escape(json.dumps(body, indent=2))}</pre>")
            for status, response in op.get("responses", {}).items():
                parts.append(f"<p class='d'>{escape(status)}: {escape(plain_text(response.get('description', '')))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


_ROLE = re.compile(r":[a-z]+:`~?([^`]*?)`")
_CODE = re.compile(r"``([^`]+)``|`([^`]+)`")


def plain_text(text: str) -> str:
    """A docstring's text without reST and Markdown marks: ``:func:`~a.b.name``` -> ``name``, code quotes
    dropped."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1] if "~" in m.group(0) else m.group(1), text)
    return _CODE.sub(lambda m: m.group(1) or m.group(2), text)


def _resolve(node, schema: dict, depth: int = 0, fields: bool = False):
    """``node`` with its ``$ref``s replaced by what they point to (a few levels deep, enough to read), without
    pydantic's generated ``title`` labels and with descriptions in plain text.

    ``fields`` is true for a ``properties`` mapping: its keys are field names, kept whatever they are
    (a field called ``title`` included).
    """
    if depth > 6:
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if not fields and isinstance(ref, str) and ref.startswith("#/"):
            target = schema
            for key in ref[2:].split("/"):
                target = target.get(key, {})
            return _resolve(target, schema, depth + 1)
        out = {}
        for key, value in node.items():
            if fields:
                out[key] = _resolve(value, schema, depth + 1)
            elif key == "description" and isinstance(value, str):
                out[key] = plain_text(value)
            elif key != "title":
                out[key] = _resolve(value, schema, depth + 1, fields=key == "properties")
        return out
    if isinstance(node, list):
        return [_resolve(v, schema, depth + 1) for v in node]
    return node


@lru_cache(maxsize=1)
def favicon() -> bytes:
    """A 16x16 icon (a speech bubble), as an ICO file holding one PNG image."""
    rows = []
    for y in range(16):
        row = bytearray(b"\0")  # PNG filter type: none
        for x in range(16):
            inside = ((x - 7.5) / 7.5) ** 2 + ((y - 6.5) / 6) ** 2 <= 1 or (3 <= x <= 6 and 11 <= y <= 15 - (x - 3))
            row += bytes((31, 92, 153, 255)) if inside else bytes(4)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(png), 22) + png


def install_docs(app: FastAPI) -> None:
    """Serve :func:`render_docs` of ``app``'s own schema at ``/docs``, and the icon browsers ask for."""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render_docs(app.openapi()))

    @app.get("/favicon.ico", include_in_schema=False)
    def icon() -> Response:
        return Response(favicon(), media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})
