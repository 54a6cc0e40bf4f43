"""Python's scoping rules as the parser applies them (`indexer.scopes`), checked through the
CALLS edges they produce. Each case is a construct the first resolver got wrong (issue 9)."""

from __future__ import annotations

from pathlib import Path

from .graphs import calls


def test_a_parameter_shadows_the_module_name(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def parse(): pass\n"
                                   "def process(parse):\n    parse()\n"
                                   "def run():\n    process(len)\n"})
    assert ("process", "parse") not in got  # `parse` is the parameter, which holds a builtin here
    assert ("run", "process") in got


def test_a_parameter_holds_what_callers_pass(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def step(): pass\n"
                                   "def apply(fn):\n    fn()\n"
                                   "apply(step)\n"})
    assert ("apply", "step") in got


def test_loop_variables_and_locals_shadow_module_names(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def handler(): pass\n"
                                   "def other(): pass\n"
                                   "def loop(items):\n    for handler in items:\n        handler()\n"
                                   "def local():\n    handler = other\n    handler()\n"})
    assert ("loop", "handler") not in got
    assert ("local", "other") in got and ("local", "handler") not in got


def test_comprehension_variables_are_their_own_scope(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def f(): pass\ndef g(): pass\n"
                                   "def use():\n    return [f() for f in (g,)]\n"})
    assert got == {("use", "g")}


def test_an_import_inside_a_function_binds_only_there(tmp_path: Path) -> None:
    got = calls(tmp_path, {
        "lib/__init__.py": "",
        "lib/tools.py": "def helper(): pass\n",
        "lib/main.py": "def helper(): pass\n"
                       "def a():\n    from lib.tools import helper\n    helper()\n"
                       "def b():\n    helper()\n",
    })
    assert ("lib/main.py::a", "lib/tools.py::helper") in got
    assert ("lib/main.py::b", "lib/main.py::helper") in got
    assert ("lib/main.py::b", "lib/tools.py::helper") not in got


def test_a_later_local_def_replaces_an_import(tmp_path: Path) -> None:
    got = calls(tmp_path, {
        "p/__init__.py": "",
        "p/x.py": "def tool(): pass\n",
        "p/y.py": "from p.x import tool\n"
                  "def tool(): pass\n"
                  "def run():\n    tool()\n",
    })
    assert ("p/y.py::run", "p/y.py::tool") in got
    assert ("p/y.py::run", "p/x.py::tool") not in got


def test_the_last_definition_wins(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def f(): pass\ndef f(): pass\n"
                                   "def main():\n    f()\n"})
    assert got == {("main", "f#2")}


def test_a_fallback_after_import_error_is_one_of_the_bindings(tmp_path: Path) -> None:
    got = calls(tmp_path, {
        "q/__init__.py": "",
        "q/fast.py": "def dumps(): pass\n",
        "q/use.py": "try:\n    from q.fast import dumps\nexcept ImportError:\n    def dumps(): pass\n"
                    "def run():\n    dumps()\n",
    })
    assert {("q/use.py::run", "q/fast.py::dumps"), ("q/use.py::run", "q/use.py::dumps")} <= got


def test_a_redefinition_in_one_branch_links_both(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def f(): pass\n"
                                   "if FLAG:\n    def f(): pass\n"
                                   "def main():\n    f()\n"})
    assert got == {("main", "f"), ("main", "f#2")}


def test_property_setter_and_getter_are_both_kept(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def check(v): pass\ndef read(): pass\n"
                                   "class C:\n"
                                   "    @property\n    def size(self):\n        return read()\n"
                                   "    @size.setter\n    def size(self, v):\n        check(v)\n"
                                   "    def grow(self):\n        return self.size\n"})
    assert ("C.size", "read") in got  # the getter, read through the property
    assert ("C.size#2", "check") in got


def test_global_and_nonlocal(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def a(): pass\ndef b(): pass\n"
                                   "handler = a\n"
                                   "def install():\n    global handler\n    handler = b\n"
                                   "def fire():\n    handler()\n"
                                   "def outer():\n    cb = a\n"
                                   "    def set_b():\n        nonlocal cb\n        cb = b\n"
                                   "    set_b()\n    cb()\n"})
    assert {("fire", "a"), ("fire", "b")} <= got
    assert {("outer", "a"), ("outer", "b")} <= got


def test_a_nested_class_body_does_not_see_the_enclosing_class_names(tmp_path: Path) -> None:
    # the body of Inner looks up `default` in its own namespace, then the module's: Outer's
    # namespace is not a scope of anything nested in it
    got = calls(tmp_path, {"m.py": "def default(): pass\n"
                                   "class Outer:\n    def default(): pass\n"
                                   "    class Inner:\n        value = default()\n"})
    assert got == {("Outer.Inner", "default")}


def test_a_comprehension_in_a_class_body_sees_the_class_names_in_its_first_iterable_only(tmp_path: Path) -> None:
    # only the first iterable is evaluated in the class body; the element, the conditions and
    # the other iterables run in the comprehension's scope, which skips the class namespace
    got = calls(tmp_path, {"m.py": "def helper(x): pass\ndef rows(): pass\ndef keep(x): pass\n"
                                   "TABLE = {'k': helper}\n"
                                   "class A:\n    def helper(x): pass\n    def rows(): pass\n"
                                   "    def keep(x): pass\n    TABLE = {'k': rows}\n"
                                   "    items = [helper(i) for i in rows() if keep(i) for j in rows()]\n"
                                   "    table = {k: TABLE['k']() for k in TABLE['k']()}\n"})
    assert got == {("A", "helper"), ("A", "A.rows"), ("A", "keep"), ("A", "rows")}


def test_a_global_rebound_in_a_function_is_seen_by_later_module_code(tmp_path: Path) -> None:
    # configure() rebinds the module's handler: the module-level call after it may run either
    # (flow-insensitively); a read before configure is defined can only see default
    got = calls(tmp_path, {"m.py": "def default(): pass\ndef custom(): pass\n"
                                   "handler = default\nhandler()\n"
                                   "def configure():\n    global handler\n    handler = custom\n"
                                   "configure()\nhandler()\n"})
    assert got == {("<module>", "default"), ("<module>", "configure"), ("<module>", "custom")}
    before = calls(tmp_path, {"m.py": "def default(): pass\ndef custom(): pass\n"
                                      "handler = default\nhandler()\n"
                                      "def configure():\n    global handler\n    handler = custom\n"})
    assert before == {("<module>", "default")}


def test_lambdas_are_their_own_callers(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def work(): pass\n"
                                   "def main():\n    run = lambda: work()\n    run()\n"})
    assert ("main", "main.<locals>.<lambda>") in got
    assert ("main.<locals>.<lambda>", "work") in got


def test_calls_in_comprehensions_belong_to_the_enclosing_function(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def one(x): pass\n"
                                   "def main(xs):\n    return {one(x) for x in xs}\n"})
    assert got == {("main", "one")}


def test_decorator_arguments_are_called_where_the_decorator_is(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def name(): return 'x'\n"
                                   "def route(path):\n    def wrap(fn):\n        return fn\n    return wrap\n"
                                   "@route(name())\ndef view(): pass\n"
                                   "def main():\n    view()\n"})
    assert {("<module>", "route"), ("<module>", "name"), ("<module>", "route.<locals>.wrap")} <= got
    assert ("main", "view") in got  # the decorator returns the function itself


def test_unknown_callees_are_not_guessed(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "import json\n"
                                   "def dumps(): pass\n"
                                   "def main(obj):\n    json.dumps(obj)\n    obj.dumps()\n"})
    assert got == set()
