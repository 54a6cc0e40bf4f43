from __future__ import annotations

import pytest

from indexer import write


def test_schema_is_per_flavour() -> None:
    arcade = write.schema_statements("arcadedb", 256)
    neo = write.schema_statements("neo4j", 256)
    assert not any("VECTOR" in s or "FULLTEXT" in s for s in arcade)
    assert sum("VECTOR INDEX" in s for s in neo) == 2 and any("FULLTEXT" in s for s in neo)
    assert all("IF NOT EXISTS" in s for s in arcade + neo)
    assert "`vector.dimensions`: 256" in " ".join(neo)


def test_labels_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown label"):
        write.check_label("Module) DETACH DELETE (x")
    with pytest.raises(ValueError, match="unknown relationship type"):
        write.check_type("CALLS]->() //")
    assert write.check_label("Class") == "Class" and write.check_type("CALLS") == "CALLS"
