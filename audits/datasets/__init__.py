"""Datasets: local files (JSONL, CSV, Parquet) and built-ins from installed packages."""

from audits.datasets.builtin import BUILTINS, builtin_catalogue
from audits.datasets.loader import TaskData, load_task_data, sha256_file

__all__ = ["BUILTINS", "TaskData", "builtin_catalogue", "load_task_data", "sha256_file"]
