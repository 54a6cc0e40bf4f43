from __future__ import annotations

from pathlib import Path

from indexer.model import ParsedFile, SourceFile
from indexer.parse import parse_file
from indexer.resolve import resolve


def facts_of(root: Path, files: dict[str, str]):
    out = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        parsed = parse_file(SourceFile(str(path), rel, len(text)), max_bytes=10**6)
        assert isinstance(parsed, ParsedFile)
        out.append(parsed.facts)
    return out


def edges(result, kind):
    return {(e.src, e.dst) for e in result.edges if e.type == kind}


def test_imports_absolute_relative_and_reexports(tmp_path: Path) -> None:
    result = resolve(facts_of(tmp_path, {
        "app/__init__.py": "from .core import Engine\n",
        "app/core.py": "class Engine:\n    def start(self):\n        pass\n",
        "app/cli.py": "import app.core\nfrom app import Engine\nfrom .. import nothing\nimport json\n"
                      "def main():\n    Engine().start()\n    app.core.Engine()\n",
    }))
    assert edges(result, "IMPORTS") == {("app/__init__.py", "app/core.py"), ("app/cli.py", "app/core.py"),
                                        ("app/cli.py", "app/__init__.py")}
    assert result.unresolved["imports"] == 2  # `..` above the top package, and json (not in the codebase)
    assert ("app/cli.py::main", "app/core.py::Engine") in edges(result, "CALLS")  # through the re-export


def test_inheritance_and_method_resolution(tmp_path: Path) -> None:
    result = resolve(facts_of(tmp_path, {
        "m/base.py": "class A:\n    def hello(self):\n        return 1\n",
        "m/child.py": "from m import base as b\nclass B(b.A):\n    def run(self):\n        return self.hello()\n"
                      "class C(B, Unknown):\n    def go(self):\n        return self.run() + self.missing()\n",
    }))
    assert edges(result, "INHERITS") == {("m/child.py::B", "m/base.py::A"), ("m/child.py::C", "m/child.py::B")}
    assert result.unresolved["bases"] == 1
    calls = edges(result, "CALLS")
    assert ("m/child.py::B.run", "m/base.py::A.hello") in calls
    assert ("m/child.py::C.go", "m/child.py::B.run") in calls
    assert not any(dst.endswith("missing") for _, dst in calls)


def test_nested_functions_and_star_imports(tmp_path: Path) -> None:
    result = resolve(facts_of(tmp_path, {
        "s/tools.py": "def tool():\n    pass\n",
        "s/use.py": "from s.tools import *\n"
                    "def outer():\n    def a():\n        return b()\n    def b():\n        return tool()\n"
                    "    return a()\n",
    }))
    calls = edges(result, "CALLS")
    assert ("s/use.py::outer", "s/use.py::outer.<locals>.a") in calls
    assert ("s/use.py::outer.<locals>.a", "s/use.py::outer.<locals>.b") in calls
    assert ("s/use.py::outer.<locals>.b", "s/tools.py::tool") in calls


def test_import_cycles_terminate(tmp_path: Path) -> None:
    result = resolve(facts_of(tmp_path, {
        "c/x.py": "from c.y import f\n",
        "c/y.py": "from c.x import f\ndef g():\n    f()\n",
    }))
    assert result.unresolved["calls"] == 1


def test_nested_class_keeps_its_label(tmp_path: Path) -> None:
    result = resolve(facts_of(tmp_path, {
        "n/m.py": "def factory():\n    class Local:\n        pass\n    return Local()\n",
    }))
    calls = [(e.dst_label, e.dst) for e in result.edges if e.type == "CALLS"]
    assert calls == [("Class", "n/m.py::factory.<locals>.Local")]
