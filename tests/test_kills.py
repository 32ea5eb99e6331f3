"""Fifty SIGKILLs while hecha saves, imports a list, exports and imports bundles (issue 14): the
harness is bench/kills.py (``python bench/kills.py --kills 1000`` is the documented longer run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "bench" / "kills.py"


@pytest.mark.slow
def test_fifty_kills_leave_no_damage(tmp_path):
    spec = importlib.util.spec_from_file_location("kills", HARNESS)
    assert spec is not None and spec.loader is not None
    kills = importlib.util.module_from_spec(spec)
    sys.modules["kills"] = kills  # its dataclasses look their module up
    spec.loader.exec_module(kills)
    report = kills.run(tmp_path, kills=50, seed=7)
    assert report.kills == 50 and report.acks >= 50, report.line()  # each worker acknowledged writes before its kill
    damage = (report.integrity_failures, report.rows_lost, report.partial_imports, report.broken_chains)
    # a worker that stops on an error of its own is a finding too (once: rage refused the key's passphrase
    # under load, which export/agefile.py now reads with a fixed work-factor ceiling)
    assert damage == (0, 0, 0, 0) and report.worker_failures == 0, (report.line(), report.notes)
