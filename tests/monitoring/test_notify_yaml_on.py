"""A pack's ``notify.on`` written as the docs write it (``on: [fail]``, unquoted) is read as ``on``:
YAML 1.1 reads an unquoted ``on`` key as the boolean true, and the documented pack was refused with
'invalid value at 'notify.1': Keys should be strings'."""

from __future__ import annotations

from policies.schema import load_pack

PACK = """\
name: monitoring
title: Quarter-on-quarter monitoring
notify:
  file: alerts.jsonl
  on: [fail, inconclusive]
  timeout_s: 5
controls:
  - {id: MON-1, title: Accuracy is not falling, source: internal, owner: compliance,
     check: "trend.exact_match.slope_high >= -0.01"}
"""


def test_unquoted_on_key_is_the_notify_on_list(tmp_path):
    path = tmp_path / "monitoring.yaml"
    path.write_text(PACK, encoding="utf-8")
    pack = load_pack(path)
    assert pack.notify is not None and pack.notify.on == ["fail", "inconclusive"]
    assert pack.notify.file == "alerts.jsonl"
