"""The self-test (`codegraph bench --self-test`): each planted regression turns the verdict to
NO-GO on its criterion, and the clean bench of the same cells has no NO-GO. These runs time
parallel modes, so `make test` runs them after the rest of the suite, alone on the machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.verdict import selftest
from indexer import RuntimeFacts


@pytest.mark.graphdb
@pytest.mark.selftest
@pytest.mark.parametrize("name", [s.name for s in selftest.SCENARIOS])
def test_scenario(graphdb: GraphDB, tmp_path: Path, name: str) -> None:
    scenario = selftest.scenario_named(name)
    outcome = selftest.run_scenario(graphdb, scenario, tmp_path, RuntimeFacts.current().label, os.cpu_count() or 1,
                                    progress=lambda m: None)
    details = {v.key: (v.status, v.detail) for v in outcome.verdicts}
    assert outcome.passed, (outcome.line(), details)
    if scenario.expect:
        assert selftest.crit.overall(outcome.verdicts) == selftest.crit.NOGO
