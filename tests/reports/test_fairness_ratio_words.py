"""The PDF Fairness table's "lowest / highest group, by measure" column read "average toxicity score 1":
each ratio now says it is the lowest group's value over the highest's."""

from __future__ import annotations

from reports.document import ratios_text
from reports.glossary import term


def test_each_ratio_says_what_it_divides():
    got = ratios_text("toxicity_mean 1, accuracy 0.8")
    assert got == (f"{term('toxicity_mean')}: lowest ÷ highest group = 1; "
                   f"{term('accuracy')}: lowest ÷ highest group = 0.8")


def test_nothing_or_free_text_stays_readable():
    assert ratios_text("") == "" and ratios_text(None) == ""
    assert ratios_text("no ratios (one group)") == "no ratios (one group)"
