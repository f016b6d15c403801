"""Bad executor settings fail in one line before any work starts, with nothing in the catalog."""

from __future__ import annotations

import socket
import sys

import pytest
import yaml

from audits.config import parse_config
from audits.errors import AssayError
from tests.conftest import run_cli
from tests.executors.conftest import MINI, write_config


def _config(**executor):
    data = yaml.safe_load(MINI.format(kind="ray"))
    data["executor"].update(executor)
    return parse_config(data)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket closes


def _run(config, tmp_path):
    from audits.runner import run_audit
    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    catalog = Catalog(tmp_path / "c.duckdb")
    with pytest.raises(AssayError) as err:
        run_audit(config, catalog, limit=2)
    assert len(runs_q.list_runs(catalog)) == 0  # nothing registered
    assert "\n" not in str(err.value)
    return str(err.value)


def test_ray_not_installed_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    message = _run(_config(), tmp_path)
    assert "pip install 'assay[ray]'" in message


def test_unreachable_address(tmp_path):
    message = _run(_config(address=f"127.0.0.1:{_closed_port()}"), tmp_path)
    assert "unreachable" in message and "executor.address" in message


def test_malformed_address(tmp_path):
    assert "host:port" in _run(_config(address="no-port-here"), tmp_path)


def test_cuda_without_gpus_per_worker(tmp_path):
    config = _config()
    config.model.device = "cuda"
    assert "gpus_per_worker" in _run(config, tmp_path)


@pytest.mark.slow
def test_more_gpus_per_worker_than_the_cluster_has(tmp_path):
    ray = pytest.importorskip("ray")
    message = _run(_config(gpus_per_worker=1), tmp_path)  # a local CPU-only cluster is started, then stopped
    assert "gpus_per_worker" in message and "0 GPU" in message
    assert not ray.is_initialized()


def test_cli_prints_one_line_and_exits_2(tmp_path):
    config = write_config(tmp_path, "local")
    text = config.read_text().replace("block_size: 2}", f"block_size: 2, address: '127.0.0.1:{_closed_port()}'}}")
    config.write_text(text)
    proc = run_cli("run", str(config), "--executor", "ray", catalog=tmp_path / "c.duckdb", timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("assay: error:")]
    assert len(lines) == 1 and "unreachable" in lines[0]
