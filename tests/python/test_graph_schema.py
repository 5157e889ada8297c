"""docs/graph.schema.json (issue 19): every shipped and example graph file
validates against it, and it refuses what the loader refuses."""
import copy
import json
import pathlib

import jsonschema
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "graph.schema.json").read_text())
GRAPHS = sorted(list((ROOT / "graphs").glob("*.sumi.json")) + list((ROOT / "examples").rglob("*.sumi.json")))


def validator():
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    return cls(SCHEMA)


def test_there_are_graphs_of_both_versions():
    versions = {json.loads(p.read_text())["version"] for p in GRAPHS}
    assert versions == {1, 2}


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: str(p.relative_to(ROOT)))
def test_graph_file_matches_the_schema(path):
    validator().validate(json.loads(path.read_text()))


def test_schema_refuses_what_the_loader_refuses():
    v = validator()
    good = json.loads((ROOT / "examples" / "subgraphs" / "sketch_styles.sumi.json").read_text())
    v.validate(good)
    bad_cases = []
    b = copy.deepcopy(good); b["version"] = 1; bad_cases.append(b)                    # variables need version 2
    b = copy.deepcopy(good); b["nodes"]["bold"]["params"].pop("file"); bad_cases.append(b)  # an instance names its file
    b = copy.deepcopy(good); b["nodes"]["../x"] = {"type": "io.load_image"}; bad_cases.append(b)
    b = copy.deepcopy(good); b["outputs"]["o"] = "sketch"; bad_cases.append(b)     # links are node.port
    b = copy.deepcopy(good); b["variables"]["file"] = 1; bad_cases.append(b)       # reserved
    b = copy.deepcopy(good); b["extra"] = 1; bad_cases.append(b)
    for bad in bad_cases:
        with pytest.raises(jsonschema.ValidationError):
            v.validate(bad)
