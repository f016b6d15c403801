"""Datasets: local files (JSONL, CSV, Parquet) and built-ins from installed packages."""

from audits.datasets.builtin import BUILTINS, builtin_catalogue
from audits.datasets.loader import TaskData, data_sha256, load_task_data

__all__ = ["BUILTINS", "TaskData", "builtin_catalogue", "data_sha256", "load_task_data"]
