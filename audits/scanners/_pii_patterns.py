"""Regular expressions shared by the PII recognizers and the leak matcher (no presidio import,
so the scanner registry and ``assay check`` stay light)."""

from __future__ import annotations

import re

# phone numbers as people write them, and a trailing extension
_PHONE = re.compile(r"""
    (?<![\w@/+.\-#])                    # not inside a word, an e-mail, a path or another number
    (?:\+|00)?\(?\d                     # international prefix, optional bracket, first digit
    [\d()\-. \t]{5,22}\d                # digits and the separators people use
    (?:[ \t]*(?:x|ext\.?|extension|\#)[ \t]*\d{1,5})?   # extension
    (?![\w@/\-]|[.,]\d)
""", re.X | re.I)
_EXT = re.compile(r"[ \t]*(?:x|ext\.?|extension|\#)[ \t]*\d{1,5}$", re.I)
