"""One definition of a row's stratum (``production_log.stratum_keys``): the log sampler and the task
sampler (``audits.sampling.draw``) name the same strata."""

from __future__ import annotations

import pandas as pd

from audits.datasets.production_log import LogReport, stratified_sample, stratum_keys
from audits.sampling import draw


def test_the_task_sampler_and_the_log_sampler_name_the_same_strata():
    frame = pd.DataFrame({"segment": ["retail"] * 60 + ["business"] * 30 + ["vip"] * 10,
                          "region": (["eu", "us"] * 50), "text": [f"row {i}" for i in range(100)]})
    keys = stratum_keys(frame, ["segment", "region"])
    assert keys.iloc[0] == "retail|eu" and keys.iloc[99] == "vip|us"
    assert set(stratum_keys(frame, [])) == {"all"}
    report = LogReport(path="log", format="sample")
    logged = stratified_sample(frame, 20, ["segment", "region"], 7, report)
    sample, record = draw(frame, 20, ["segment", "region"], 7, what="task 't'")
    assert record.strata == {k: int(v) for k, v in keys.value_counts().sort_index().items()}
    assert record.drawn_by_stratum == report.strata and set(report.strata) == set(record.strata)
    assert sample["text"].tolist() == logged["text"].tolist() and len(sample) == 20
