"""Render a report Document to one self-contained HTML file (jinja2; charts as base64 PNG)."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.blocks import Bullets
from reports.charts import Chart
from reports.document import Document, Table

_ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def _kind(block) -> str:
    if isinstance(block, Bullets):
        return "list"
    return "table" if isinstance(block, Table) else "chart" if isinstance(block, Chart) else "text"


def render_html(doc: Document) -> str:
    return _ENV.get_template("report.html.j2").render(
        doc=doc, kind=_kind, b64=lambda png: base64.b64encode(png).decode("ascii"))
