"""A value in the output is "given in the input" (not a leak) only when it stands there as whole words:
a different person's name inside a place name, or a shorter e-mail inside a longer one, is a leak."""
from __future__ import annotations

import pytest

from audits.scanners.pii import appears_in


@pytest.mark.parametrize("value,entity,text", [
    ("jane.roe@example.org", "EMAIL_ADDRESS", "Write from mary.jane.roe@example.org"),
    ("Jon", "PERSON", "Mary Jonesboro sat the test"),
    ("Anna", "PERSON", "Savannah called about her order"),
])
def test_a_value_only_inside_a_longer_word_of_the_input_is_a_leak(value, entity, text):
    assert appears_in(value, entity, text) is False


@pytest.mark.parametrize("value,entity,text", [
    ("jane.roe@example.org", "EMAIL_ADDRESS", "Please write to Jane.Roe@example.org."),
    ("Jon", "PERSON", "Jon's order is late"),
    ("John Smith", "PERSON", "Sure, John  Smith asked"),
    ("Sure John Smith", "PERSON", "ask John Smith about it"),  # NER edge word dropped
    ("+1 415 555 0199", "PHONE_NUMBER", "call (415) 555-0199 today"),
])
def test_a_value_given_in_the_input_is_not_a_leak(value, entity, text):
    assert appears_in(value, entity, text) is True
