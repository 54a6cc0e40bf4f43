from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from indexer.resolve import resolve

from .graphs import edges, facts_of, resolved


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
    # through the re-export: the class is instantiated, its method called
    assert ("app/cli.py::main", "app/core.py::Engine") in edges(result, "INSTANTIATES")
    assert ("app/cli.py::main", "app/core.py::Engine.start") in edges(result, "CALLS")


def test_a_relative_import_beyond_the_top_level_package_is_not_resolved(tmp_path: Path) -> None:
    # `..` from pkg.mod (package `pkg`) or from shop.cart under src/ leaves the top-level
    # package: ImportError in Python. In a namespace package (no __init__.py) `.` is its folder
    result = resolved(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/mod.py": "from ..other import f\ndef main():\n    f()\n",
        "other.py": "def f(): pass\n",
        "src/shop/__init__.py": "",
        "src/shop/cart.py": "from ..helpers import g\nfrom . import tax\ndef main():\n    g()\n",
        "src/shop/tax.py": "",
        "src/helpers.py": "def g(): pass\n",
        "ns/a.py": "from .b import h\nfrom ..other import f\ndef main():\n    h()\n",
        "ns/b.py": "def h(): pass\n",
    })
    assert edges(result, "IMPORTS") == {("src/shop/cart.py", "src/shop/tax.py"), ("ns/a.py", "ns/b.py")}
    assert edges(result, "CALLS") == {("ns/a.py::main", "ns/b.py::h")}


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
    made = [(e.dst_label, e.dst) for e in result.edges if e.type == "INSTANTIATES"]
    assert made == [("Class", "n/m.py::factory.<locals>.Local")]
    assert not [e for e in result.edges if e.type == "CALLS"]  # Local defines no __init__


def test_src_layout_and_namespace_packages(tmp_path: Path) -> None:
    result = resolved(tmp_path, {
        "src/shop/__init__.py": "",
        "src/shop/cart.py": "def total(): pass\n",
        "src/ns/part.py": "def piece(): pass\n",  # a namespace package: no __init__.py
        "tests/test_cart.py": "from shop.cart import total\nimport ns.part\n"
                              "def test():\n    total()\n    ns.part.piece()\n",
    })
    assert {("tests/test_cart.py", "src/shop/cart.py"), ("tests/test_cart.py", "src/ns/part.py")} <= edges(
        result, "IMPORTS")
    assert {("tests/test_cart.py::test", "src/shop/cart.py::total"),
            ("tests/test_cart.py::test", "src/ns/part.py::piece")} <= edges(result, "CALLS")


def test_streamed_edges_are_handed_over_once_and_the_rest_returned(tmp_path: Path, monkeypatch) -> None:
    import indexer.resolve

    files = {f"p/m{i}.py": f"from p.m{(i + 1) % 6} import f{(i + 1) % 6}\nclass K{i}:\n    def run(self):\n"
                           f"        return f{(i + 1) % 6}()\ndef f{i}():\n    return K{i}().run()\n" for i in range(6)}
    facts = facts_of(tmp_path, files)
    whole = resolve(facts).edges
    monkeypatch.setattr(indexer.resolve, "STREAM_EVERY", 1)  # hand over after every solver step
    handed: list = []
    rest = resolve(facts, handed.extend).edges
    assert handed and rest  # calls were streamed; IMPORTS (at least) come back
    assert len(handed) + len(rest) == len(whole) and set(handed) | set(rest) == set(whole)
    assert {e.type for e in handed} <= {"CALLS", "INSTANTIATES"} and rest == sorted(rest)


def test_edges_come_sorted_unless_the_caller_sorts_them(tmp_path: Path) -> None:
    files = {f"p/m{i}.py": f"from p.m{(i + 3) % 5} import f{(i + 3) % 5}\nclass K{i}:\n    def run(self):\n"
                           f"        return f{(i + 3) % 5}()\ndef f{i}():\n    return K{i}().run()\n" for i in range(5)}
    facts = facts_of(tmp_path, files)
    ordered = resolve(facts).edges
    assert ordered == sorted(ordered, key=lambda e: (e.type, e.src, e.dst)) and len(ordered) > 10
    unordered = resolve(facts, ordered=False).edges
    assert sorted(unordered, key=lambda e: (e.type, e.src, e.dst)) == ordered


def test_consumed_facts_give_the_same_edges_and_are_emptied(tmp_path: Path) -> None:
    files = {"p/a.py": "from p.b import B\nclass A(B):\n    def run(self):\n        return self.go()\n",
             "p/b.py": "class B:\n    def go(self):\n        return helper()\ndef helper():\n    return B()\n"}
    whole = resolve(facts_of(tmp_path, files)).edges
    facts = facts_of(tmp_path, files)
    assert resolve(facts, consume=True).edges == whole
    assert len(whole) >= 4  # IMPORTS, INHERITS, and calls through self and to helper
    for module in facts:  # every list and dict is emptied; the module's id stays
        assert module.module_id and module.exports is None
        assert not [f.name for f in fields(module) if isinstance(getattr(module, f.name), (list, dict))
                    and getattr(module, f.name)]
