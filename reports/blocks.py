"""The blocks a report document is made of: a section holds paragraphs (str), tables and charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    weights: list[float]          # relative column widths
    caption: str = ""
    colours: dict[tuple[int, int], str] = field(default_factory=dict)   # (row, column) -> text colour
    # columns whose words break only at spaces, never inside (a browser broke 'INT-ACC-1' at its hyphen)
    whole_words: tuple[int, ...] = ()


@dataclass
class Section:
    title: str
    blocks: list[Any] = field(default_factory=list)   # str (paragraph) | Table | Chart


@dataclass
class Bullets:
    """A lead sentence and a list of short notes, each on a line of its own (not run into one paragraph)."""
    lead: str
    items: list[str]
