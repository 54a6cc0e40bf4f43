"""Database faults in every mode: the run completes with the clean digest, or stops with a
clear error and a re-run completes with it. Nothing lost, nothing duplicated, no hang."""

from __future__ import annotations

import pytest

from codegraph_harness import corpus as corpora
from codegraph_harness.databases.providers import GraphDB
from codegraph_harness.faults import reliability
from codegraph_harness.faults import scenarios as faults

from .conftest import needs_embedded

MODES = [("sequential", 1), ("thread", 2), ("process", 2)]


@pytest.fixture(scope="module")
def medium() -> str:
    return corpora.synthetic("medium").path


@pytest.fixture(scope="module")
def clean_digest(graphdb: GraphDB, medium: str) -> str:
    with graphdb.fresh() as target:
        code, _, err, hung = faults.run_index(target, medium, "sequential", 1, timeout=300)
        assert code == 0 and not hung, err
        return faults.digest(target)


def port_of(db: GraphDB) -> int:
    return int(db.uri.rsplit(":", 1)[1])


@pytest.mark.graphdb
@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize("fault", faults.PROXY_FAULTS)
@pytest.mark.parametrize(("mode", "workers"), MODES)
def test_proxy_faults(clean_graph: GraphDB, medium: str, clean_digest: str, fault: str, mode: str,
                      workers: int) -> None:
    outcome = faults.scenario(clean_graph, medium, mode, workers, fault, clean_digest,
                              upstream_port=port_of(clean_graph))
    assert outcome.acceptable, outcome.to_dict()
    assert not outcome.hung and not outcome.data_lost
    assert outcome.hit, "the run had finished before the fault was injected"


@needs_embedded
@pytest.mark.graphdb
@pytest.mark.xdist_group("faults")
@pytest.mark.parametrize(("mode", "workers"), MODES)
def test_server_killed_and_restarted_mid_run(medium: str, clean_digest: str, mode: str, workers: int) -> None:
    outcome = reliability.restart(medium, mode, workers, clean_digest)
    assert outcome["acceptable"], outcome
    assert outcome["hit"], "the run had finished before the server was killed"
