"""Policy expressions run under size and time limits, with a clear error and quickly."""

from __future__ import annotations

import time

import pytest

from policies import expr


class _Names:
    def resolve(self, path):
        return {"accuracy": 0.9, "n": 3}[path[0]]


@pytest.mark.parametrize("source,message", [
    ("(((9**99)**99)**99)**99 > 0", "larger than 1024 bits"),
    ("9 ** 1000 > 0", "exponent above 100"),
    ("'a' * 2**30 == 'a'", "repetition longer"),
    ("[0] * 10**9 == []", "repetition longer"),
    ("(2**100)**9 * (2**100)**9 > 0", "product larger than 1024 bits"),
])
def test_expensive_expressions_are_refused_fast(source, message):
    parsed = expr.parse(source)
    start = time.perf_counter()
    with pytest.raises(expr.LimitExceeded, match=message):
        parsed.evaluate(_Names())
    assert time.perf_counter() - start < 0.5


def test_ordinary_expressions_still_work():
    assert expr.parse("accuracy >= 0.85 and n * 2 == 6 and 2 ** 10 == 1024").evaluate(_Names()) is True


def test_a_wall_time_cap(monkeypatch):
    monkeypatch.setattr(expr, "MAX_SECONDS", -1.0)
    with pytest.raises(expr.LimitExceeded, match="of evaluation"):
        expr.parse("accuracy > 0").evaluate(_Names())
