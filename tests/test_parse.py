from __future__ import annotations

from pathlib import Path

import pytest

from indexer.model import METHOD, PLAIN, ErrorKind, FileError, ParsedFile, SourceFile
from indexer.parse import dotted, module_name, parse_file
from indexer.tokens import count_nodes

SOURCE = '''"""Module doc."""
import os
from .sibling import thing as alias


@decorator
class Shape(Base, metaclass=Meta):
    """A shape."""

    def area(self) -> float:
        return self.width() * helper(2)

    async def fetch(self, url: str, *, timeout: int = 3):
        def inner():
            return os.path.join("a", "b")
        return inner()


def helper(x):
    return x


def helper(y):
    return y
'''


def parse(tmp_path: Path, text: str | bytes, name: str = "pkg/mod.py", **kw) -> ParsedFile | FileError:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return parse_file(SourceFile(str(path), name, path.stat().st_size), max_bytes=kw.pop("max_bytes", 10**6), **kw)


def test_entities_ids_and_properties(tmp_path: Path) -> None:
    out = parse(tmp_path, SOURCE)
    assert isinstance(out, ParsedFile)
    by_id = {n.id: n for n in out.nodes}
    assert set(by_id) == {
        "pkg/mod.py", "pkg/mod.py::Shape", "pkg/mod.py::Shape.area", "pkg/mod.py::Shape.fetch",
        "pkg/mod.py::Shape.fetch.<locals>.inner", "pkg/mod.py::helper", "pkg/mod.py::helper#2",
    }
    module = by_id["pkg/mod.py"].props
    assert (module["name"], module["docstring"], module["is_package"]) == ("pkg.mod", "Module doc.", False)
    shape = by_id["pkg/mod.py::Shape"].props
    assert shape["bases"] == ["Base"] and shape["decorators"] == ["decorator"]
    assert (shape["line_start"], shape["docstring"]) == (6, "A shape.")  # the decorator line starts the span
    fetch = by_id["pkg/mod.py::Shape.fetch"].props
    assert fetch["is_async"] and fetch["is_method"]
    assert fetch["signature"] == "async def fetch(self, url: str, *, timeout: int=3)"
    assert by_id["pkg/mod.py::Shape.area"].props["signature"] == "def area(self) -> float"
    assert not by_id["pkg/mod.py::helper"].props["is_method"]
    assert "tokens" not in module  # counted where the file is written, not in the parser
    count_nodes(out)
    for node in out.nodes:
        assert node.props["tokens"] > 0
    assert module["tokens"] >= sum(n.props["tokens"] for n in out.nodes if n.id.count("::") == 1 and "." not in
                                   n.id.split("::")[1])


def test_defines_and_flow_facts(tmp_path: Path) -> None:
    out = parse(tmp_path, SOURCE)
    assert isinstance(out, ParsedFile)
    defines = {(e.src, e.dst) for e in out.defines}
    assert ("pkg/mod.py", "pkg/mod.py::Shape") in defines
    assert ("pkg/mod.py::Shape", "pkg/mod.py::Shape.area") in defines
    assert ("pkg/mod.py::Shape.fetch", "pkg/mod.py::Shape.fetch.<locals>.inner") in defines
    facts = out.facts
    assert [(i.module, i.name, i.alias, i.level) for i in facts.imports] == [
        ("os", None, None, 0), ("sibling", "thing", "alias", 1)]
    functions = {f.id: f for f in facts.functions}
    assert (functions["pkg/mod.py::Shape.area"].kind, functions["pkg/mod.py::helper"].kind) == (METHOD, PLAIN)
    assert functions["pkg/mod.py::Shape.fetch"].params == ("self", "url", "timeout")
    assert functions["pkg/mod.py::Shape.fetch"].npos == 2  # timeout is keyword-only
    assert set(facts.classes[0].attrs) == {"area", "fetch"}
    assert len(facts.classes[0].bases) == 1  # Base; the metaclass is not a base
    # the module's namespace after it ran: `helper` is the second definition (the last one wins)
    made = {var: facts.functions[i].id for var, kind, i in facts.objects if kind == 0}
    holds = {dst: src for dst, src in facts.copies}
    assert made[holds.get(facts.names["helper"], facts.names["helper"])] == "pkg/mod.py::helper#2"
    assert set(facts.free) == {"decorator", "Base", "Meta"}  # read, never bound here: builtins or unknown
    assert ("Function", "pkg/mod.py::Shape.fetch.<locals>.inner") in facts.scopes
    assert {attr for _, _, attr in facts.loads} == {"width", "path", "join"}


def test_same_input_same_output(tmp_path: Path) -> None:
    a, b = parse(tmp_path, SOURCE), parse(tmp_path, SOURCE)
    assert isinstance(a, ParsedFile) and isinstance(b, ParsedFile)
    assert [n.props for n in a.nodes] == [n.props for n in b.nodes]
    assert a.fingerprint == b.fingerprint
    c = parse(tmp_path, SOURCE, fingerprint_salt="hash:256")
    assert isinstance(c, ParsedFile) and c.fingerprint != a.fingerprint


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("def f(:\n", ErrorKind.SYNTAX),
        (b"x = '\xff\xfe'\n", ErrorKind.DECODE),
        (b"# coding: no-such-codec\nx = 1\n", ErrorKind.DECODE),
        (b"\x00\x01\x02binary", ErrorKind.BINARY),
        (b"x = 1\x00\n", ErrorKind.BINARY),
        ("x = " + "-" * 100_000 + "1\n", ErrorKind.RECURSION),
    ],
)
def test_bad_input_is_a_typed_error(tmp_path: Path, content: str | bytes, kind: str) -> None:
    out = parse(tmp_path, content)
    assert isinstance(out, FileError)
    assert out.kind == kind and out.relpath == "pkg/mod.py" and out.message


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    out = parse(tmp_path, "x = 1\n" * 100, max_bytes=50)
    assert isinstance(out, FileError) and out.kind == ErrorKind.TOO_LARGE
    assert "MAX_FILE_BYTES" in out.message


def test_encodings_bom_and_cookie(tmp_path: Path) -> None:
    bom = parse(tmp_path, b"\xef\xbb\xbfdef f():\n    return 1\n", "bom.py")
    latin = parse(tmp_path, "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"), "latin.py")
    empty = parse(tmp_path, b"", "empty.py")
    assert isinstance(bom, ParsedFile) and [n.props["name"] for n in bom.nodes] == ["bom", "f"]
    assert isinstance(latin, ParsedFile)
    assert isinstance(empty, ParsedFile) and empty.nodes[0].props["lines"] == 0


def test_vanished_file(tmp_path: Path) -> None:
    out = parse_file(SourceFile(str(tmp_path / "gone.py"), "gone.py", 10), max_bytes=100)
    assert isinstance(out, FileError) and out.kind == ErrorKind.VANISHED


def test_keep_text_gives_chunks_for_classes_and_functions(tmp_path: Path) -> None:
    out = parse(tmp_path, SOURCE, keep_text=True)
    assert isinstance(out, ParsedFile)
    assert out.chunks["pkg/mod.py::helper"].startswith("def helper(x):")
    assert "pkg/mod.py" not in out.chunks


def test_module_names_and_dotted() -> None:
    assert module_name("a/b/c.py") == ("a.b.c", False)
    assert module_name("a/b/__init__.py") == ("a.b", True)
    import ast

    assert dotted(ast.parse("a.b.c", mode="eval").body) == "a.b.c"
    assert dotted(ast.parse("Generic[T]", mode="eval").body) == "Generic"
    assert dotted(ast.parse("f()", mode="eval").body) is None


@pytest.mark.parametrize("package", ["email", "asyncio", "json", "unittest"])
def test_class_and_function_counts_equal_a_plain_ast_walk(package: str) -> None:
    import sysconfig

    from indexer.pipeline import parse_and_resolve

    from .graphs import ast_counts

    root = Path(sysconfig.get_paths()["stdlib"]) / package
    parsed, errors, _ = parse_and_resolve(str(root))
    assert not errors
    got = {"Class": 0, "Function": 0, "Lambda": 0}
    for p in parsed:
        for n in p.nodes:
            if n.label in got:
                got[n.label] += 1
    want = dict(ast_counts(sorted(root.rglob("*.py"))))
    assert got == want
