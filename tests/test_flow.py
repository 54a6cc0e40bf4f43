"""Values that flow between modules, classes and instances (`indexer.flow`), checked through
the edges they produce. Each case is a construct of issue 9, in a program of our own."""

from __future__ import annotations

from pathlib import Path

from indexer.flow import CAP, FUNC, Solver, _c3_merge
from indexer.resolve import resolve

from .graphs import calls, edges, facts_of, resolved


def test_calls_through_instances(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "class A:\n    def f(self): pass\n"
                                   "def make():\n    return A()\n"
                                   "def direct():\n    a = A()\n    a.f()\n"
                                   "def returned():\n    make().f()\n"})
    assert {("direct", "A.f"), ("returned", "make"), ("returned", "A.f")} <= got


def test_constructor_calls_init_and_instantiates_the_class(tmp_path: Path) -> None:
    result = resolved(tmp_path, {"m.py": "class Base:\n    def __init__(self): pass\n"
                                         "class Child(Base): pass\n"
                                         "def main():\n    Child()\n"})
    assert edges(result, "CALLS") == {("m.py::main", "m.py::Base.__init__")}  # inherited __init__
    assert edges(result, "INSTANTIATES") == {("m.py::main", "m.py::Child")}


def test_names_bound_by_assignment(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def f(): pass\n"
                                   "g = f\n"
                                   "h, k = g, f\n"
                                   "def main():\n    g()\n    h()\n    k()\n"})
    assert got == {("main", "f")}


def test_values_through_attributes_and_containers(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def a(): pass\ndef b(): pass\n"
                                   "class Box:\n    def __init__(self, fn):\n        self.fn = fn\n"
                                   "    def run(self):\n        self.fn()\n"
                                   "table = {'x': a, 'y': b}\n"
                                   "def main():\n    Box(a).run()\n    table['y']()\n    [a, b][0]()\n"})
    assert ("Box.run", "a") in got
    assert ("main", "b") in got and ("main", "a") in got


def test_iterating_or_unpacking_a_dict_gives_its_keys_not_its_values(tmp_path: Path) -> None:
    # `for k in d`, `x, y = d`, `[*d]`, `yield from d` and `l.extend(d)` give the keys (not
    # followed here), never the values
    got = calls(tmp_path, {"m.py": "def ha(): pass\ndef hb(): pass\ndef fn(): pass\n"
                                   "class A: pass\n"
                                   "REG = {'a': ha, A: hb}\n"
                                   "def keys():\n    yield from REG\n"
                                   "def main():\n    for key in REG:\n        key()\n"
                                   "    x, y = {'x': ha, 'y': hb}\n    x()\n"
                                   "    z, *rest = REG\n    z()\n    [*REG][0]()\n"
                                   "    for k in keys():\n        k()\n"
                                   "    out = []\n    out.extend(REG)\n    out[0]()\n"
                                   "    for c in {k: ha for k in 'ab'}:\n        c()\n"
                                   "    for f in [fn]:\n        f()\n"})
    assert got == {("main", "keys"), ("main", "fn")}


def test_a_constant_index_reads_every_entry_once_the_list_entries_move(tmp_path: Path) -> None:
    # after reverse/pop(0)/del/insert/sort/remove/clear, s[0] may be any entry (b here, and the
    # analysis is flow-insensitive); append only adds at the end, and a dict's keys do not move
    got = calls(tmp_path, {"m.py": "def a(): pass\ndef b(): pass\ndef c(): pass\n"
                                   "G = [a, b]\n"
                                   "def shuffle():\n    G.sort()\n"
                                   "def glob():\n    G[0]()\n"
                                   "def local(op):\n    s = [a, b]\n    if op:\n        s.reverse()\n"
                                   "    s[0]()\n"
                                   "def popped():\n    s = [a, b]\n    s.pop(0)\n    s[0]()\n"
                                   "def deleted():\n    s = [a, b]\n    del s[0]\n    x, = s\n    x()\n"
                                   "def appended():\n    s = [a]\n    s.append(c)\n    s[0]()\n"
                                   "def keyed():\n    d = {'x': a, 'y': b}\n    d.pop('x')\n    d['y']()\n"})
    assert got == {("glob", "a"), ("glob", "b"), ("local", "a"), ("local", "b"), ("popped", "a"),
                   ("popped", "b"), ("deleted", "a"), ("deleted", "b"), ("appended", "a"), ("keyed", "b")}


def test_several_possible_targets_are_all_linked(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "class Cat:\n    def speak(self): pass\n"
                                   "class Dog:\n    def speak(self): pass\n"
                                   "def talk(animal):\n    animal.speak()\n"
                                   "talk(Cat())\ntalk(Dog())\n"})
    assert {("talk", "Cat.speak"), ("talk", "Dog.speak")} <= got


def test_decorators_that_wrap_and_that_return_the_function(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "def logged(fn):\n    def wrapper(*a):\n        return fn(*a)\n    return wrapper\n"
                                   "def keep(fn):\n    return fn\n"
                                   "@logged\ndef work(): pass\n"
                                   "@keep\ndef rest(): pass\n"
                                   "def main():\n    work()\n    rest()\n"})
    assert ("main", "logged.<locals>.wrapper") in got and ("logged.<locals>.wrapper", "work") in got
    assert ("main", "rest") in got


def test_a_wraps_wrapper_is_what_the_name_calls_not_the_function_it_wraps(tmp_path: Path) -> None:
    # `functools.wraps` (outside the codebase) keeps `wrapper`; `logged` (inside) returns it, so
    # `work` is bound to the wrapper alone; a decorator from outside keeps what it decorates
    got = calls(tmp_path, {"m.py": "import functools\n"
                                   "def logged(fn):\n    @functools.wraps(fn)\n"
                                   "    def wrapper(*a, **k):\n        return fn(*a, **k)\n    return wrapper\n"
                                   "@logged\ndef work(): pass\n"
                                   "@functools.lru_cache\ndef cached(): pass\n"
                                   "def memo(fn):\n    return functools.lru_cache()(fn)\n"
                                   "@memo\ndef handed(): pass\n"
                                   "def main():\n    work()\n    cached()\n    handed()\n"})
    assert ("main", "logged.<locals>.wrapper") in got and ("logged.<locals>.wrapper", "work") in got
    assert ("main", "work") not in got
    assert ("main", "cached") in got
    assert ("main", "handed") in got  # `memo` hands it to a decorator from outside: kept too
    # a wrapper whose own decorator hands it to one from outside is kept before what it wraps
    got = calls(tmp_path / "nested", {"m.py": "import functools\n"
                                              "def cached(fn):\n    return functools.lru_cache()(fn)\n"
                                              "def logged(fn):\n    @cached\n"
                                              "    def wrapper(*a):\n        return fn(*a)\n    return wrapper\n"
                                              "@logged\ndef work(): pass\n"
                                              "def main():\n    work()\n"})
    assert ("main", "logged.<locals>.wrapper") in got and ("main", "work") not in got


def test_a_keyword_named_like_a_positional_only_parameter_goes_to_kwargs(tmp_path: Path) -> None:
    # in `f(a, x=b)` with `def f(x, /, **kw)`, x is a and kw == {"x": b}; b never reaches x
    got = calls(tmp_path, {"m.py": "def a(): pass\ndef b(): pass\n"
                                   "def f(x, /, **kw):\n    x()\n"
                                   "def same(x, /, **kw):\n    return x\n"
                                   "def main():\n    f(a, x=b)\n    same(a, x=b)()\n"})
    assert got == {("main", "f"), ("main", "same"), ("f", "a"), ("main", "a")}


def test_staticmethod_or_classmethod_over_a_decorator_gives_its_kind_to_the_wrapper(tmp_path: Path) -> None:
    # staticmethod(deco(f)): the wrapper deco returns is static (no receiver in x), and
    # classmethod(deco(g)) binds the class to the wrapper's first parameter, not an instance
    got = calls(tmp_path, {"m.py": "def deco(fn):\n    def wrapper(x):\n        return fn(x)\n    return wrapper\n"
                                   "def other(fn):\n    def inner(x):\n        return fn(x)\n    return inner\n"
                                   "class File:\n    def close(self): pass\n"
                                   "class A:\n    def close(self): pass\n"
                                   "    @staticmethod\n    @deco\n    def shut(x):\n        x.close()\n"
                                   "    @classmethod\n    @other\n    def make(cls):\n        cls.close(File())\n"
                                   "    def run(self):\n        self.shut(File())\n        self.make()\n"})
    assert got == {("A", "deco"), ("A", "other"), ("A.run", "deco.<locals>.wrapper"), ("A.run", "other.<locals>.inner"),
                   ("deco.<locals>.wrapper", "A.shut"), ("other.<locals>.inner", "A.make"),
                   ("A.shut", "File.close"), ("A.make", "A.close")}
    # the same bound in both branches of an `if` (a version check, say): still static
    got = calls(tmp_path / "branches", {"m.py": "import sys\n"
                                                "def deco(fn):\n    def wrapper(x):\n        return fn(x)\n"
                                                "    return wrapper\n"
                                                "class File:\n    def close(self): pass\n"
                                                "class A:\n    def close(self): pass\n"
                                                "    if sys.version_info >= (3, 12):\n"
                                                "        @staticmethod\n        @deco\n        def shut(x):\n"
                                                "            x.close()\n"
                                                "    else:\n"
                                                "        @staticmethod\n        @deco\n        def shut(x):\n"
                                                "            x.close()\n"
                                                "    def run(self):\n        self.shut(File())\n"})
    assert ("A.shut", "File.close") in got and ("A.shut", "A.close") not in got


def test_a_wrapper_passes_its_star_args_on_by_position(tmp_path: Path) -> None:
    # `def w(*args): return fn(*args)`: each argument reaches the parameter where it was given
    # (a wrapped method's `self` is its class, as for any method: receivers are not passed through
    # a wrapper, which many methods may share)
    got = calls(tmp_path, {"m.py": "import functools\n"
                                   "def logged(fn):\n    @functools.wraps(fn)\n"
                                   "    def wrapper(*args):\n        return fn(*args)\n    return wrapper\n"
                                   "def ping(): pass\ndef pong(): pass\n"
                                   "class Job:\n    def step(self): pass\n"
                                   "    @logged\n    def run(self, first, second):\n"
                                   "        first()\n        self.step()\n"
                                   "def each(*fns):\n    fns[1]()\n    for f in fns:\n        f()\n"
                                   "def main():\n    Job().run(ping, pong)\n    each(pong, ping)\n"})
    assert {("main", "logged.<locals>.wrapper"), ("logged.<locals>.wrapper", "Job.run")} <= got
    assert ("Job.run", "ping") in got and ("Job.run", "pong") not in got  # second is never called
    assert ("Job.run", "Job.step") in got
    assert {("each", "ping"), ("each", "pong")} <= got
    many = calls(tmp_path / "many", {"m.py": "def a(): pass\ndef b(): pass\ndef c(): pass\ndef d(): pass\n"
                                             "def e(): pass\n"
                                             "def last(*fns):\n    fns[-1]()\n"
                                             "def first(*fns):\n    fns[0]()\n"
                                             "last(a, b, c, d, e)\nfirst(a, b, c, d, e)\n"})
    assert ("last", "e") in many  # past the 4 kept by position, the rest: read by a negative index
    assert ("first", "a") in many and ("first", "e") not in many  # (not by a small one)


def test_method_lookup_follows_the_c3_mro(tmp_path: Path) -> None:
    # D(B, C), B(A): Python's MRO is D, B, A, C; breadth-first lookup would find C.m first
    got = calls(tmp_path, {"m.py": "class A:\n    def m(self): pass\n"
                                   "class B(A): pass\n"
                                   "class C:\n    def m(self): pass\n"
                                   "class D(B, C):\n    def go(self):\n        self.m()\n"})
    assert ("D.go", "A.m") in got and ("D.go", "C.m") not in got


def test_c3_merge_is_pythons_linearization() -> None:
    # class O; A(O); B(O); C(O); D(O); E(O); K1(A, B, C); K2(D, B, E); K3(D, A); Z(K1, K2, K3)
    o, a, b, c, d, e, k1, k2, k3 = range(9)
    mro = {o: [o], a: [a, o], b: [b, o], c: [c, o], d: [d, o], e: [e, o]}
    mro[k1] = [k1, *_c3_merge([mro[a], mro[b], mro[c], [a, b, c]])]
    mro[k2] = [k2, *_c3_merge([mro[d], mro[b], mro[e], [d, b, e]])]
    mro[k3] = [k3, *_c3_merge([mro[d], mro[a], [d, a]])]
    assert _c3_merge([mro[k1], mro[k2], mro[k3], [k1, k2, k3]]) == [k1, k2, k3, d, a, b, c, e, o]


def test_self_and_super_reach_overrides_and_bases(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "class Base:\n    def run(self):\n        self.step()\n"
                                   "    def step(self): pass\n"
                                   "class Impl(Base):\n    def step(self):\n        super().step()\n"})
    assert {("Base.run", "Base.step"), ("Base.run", "Impl.step"), ("Impl.step", "Base.step")} <= got


def test_star_import_honours_all_and_skips_private_names(tmp_path: Path) -> None:
    got = calls(tmp_path, {
        "k/__init__.py": "",
        "k/api.py": "__all__ = ['public']\n"
                    "def public(): pass\ndef hidden(): pass\ndef _private(): pass\n",
        "k/plain.py": "def shown(): pass\ndef _private(): pass\n",
        "k/use.py": "from k.api import *\nfrom k.plain import *\n"
                    "def main():\n    public()\n    hidden()\n    shown()\n    _private()\n",
    })
    callees = {dst for src, dst in got if src == "k/use.py::main"}
    assert callees == {"k/api.py::public", "k/plain.py::shown"}


def test_protocols_call_the_dunder_methods(tmp_path: Path) -> None:
    got = calls(tmp_path, {"m.py": "class Res:\n    def __enter__(self): return self\n"
                                   "    def __exit__(self, *a): pass\n"
                                   "class Seq:\n    def __iter__(self): return self\n    def __next__(self): pass\n"
                                   "class Fn:\n    def __call__(self): pass\n"
                                   "def main():\n    with Res():\n        pass\n"
                                   "    for _ in Seq():\n        pass\n    Fn()()\n"})
    assert {("main", "Res.__enter__"), ("main", "Res.__exit__"), ("main", "Seq.__iter__"),
            ("main", "Seq.__next__"), ("main", "Fn.__call__")} <= got


def test_async_with_and_async_for_call_the_async_dunder_methods(tmp_path: Path) -> None:
    # `async with` awaits __aenter__/__aexit__ and `async for` calls __aiter__ then awaits
    # __anext__: the sync methods are not called, and a list cannot be iterated asynchronously
    got = calls(tmp_path, {"m.py": "def item(): pass\n"
                                   "class Res:\n    def __enter__(self): return self\n"
                                   "    def __exit__(self, *a): pass\n"
                                   "    async def __aenter__(self): return self\n"
                                   "    async def __aexit__(self, *a): pass\n"
                                   "    def __iter__(self): return self\n    def __next__(self): pass\n"
                                   "    def __aiter__(self): return self\n    async def __anext__(self): pass\n"
                                   "async def main():\n    async with Res():\n        pass\n"
                                   "    async for _ in Res():\n        pass\n"
                                   "    async for f in [item]:\n        f()\n"
                                   "    return [g async for g in Res()]\n"})
    assert got == {("main", "Res.__aenter__"), ("main", "Res.__aexit__"), ("main", "Res.__aiter__"),
                   ("main", "Res.__anext__")}


def test_the_result_does_not_depend_on_the_order_of_modules(tmp_path: Path) -> None:
    files = {"o/__init__.py": "", "o/a.py": "from o.b import g\ndef f():\n    g()\n",
             "o/b.py": "def g(): pass\nclass K:\n    def m(self):\n        from o.a import f\n        f()\n"}
    facts = facts_of(tmp_path, files)
    assert resolve(facts).edges == resolve(list(reversed(facts))).edges


def test_a_variable_holds_one_value_as_an_int_then_a_set_and_stops_at_cap() -> None:
    solver = Solver()
    a, b = solver.new_var(), solver.new_var()
    seen: list[int] = []
    solver.hook(b, (lambda _solver, _hook, values: seen.extend(values),))
    solver.edge(a, b)
    solver.add(a, ((0 << 3) | FUNC,))  # value 0: function 0 (a falsy value that is held all the same)
    solver.run()
    assert solver.pts[a] == 0 and solver.pts[b] == 0 and seen == [0]
    zero, later = solver.new_var(), []
    solver.add(zero, (0,))
    solver.run()
    solver.hook(zero, (lambda _solver, _hook, values: later.extend(values),))  # a hook added later sees it too
    assert later == [0]
    solver.add(a, (0, 8, 16))  # 0 again and two new values
    solver.run()
    assert solver.pts[b] == {0, 8, 16} and sorted(seen) == [0, 8, 16]
    solver.add(a, range(0, 8 * (CAP + 10), 8))
    solver.run()
    assert solver.holds(b) == set(range(0, 8 * CAP, 8)) and len(seen) == CAP  # each value once
    late = solver.new_var()
    solver.edge(a, late)  # a successor added later gets what is there
    assert solver.holds(late) == solver.holds(a) and solver.holds(solver.new_var()) == ()


def test_one_value_then_more_than_cap_and_values_still_pending() -> None:
    solver = Solver()
    a, b = solver.new_var(), solver.new_var()
    solver.add(a, (8,))
    solver.add(a, range(0, 8 * (CAP + 5), 8))  # from one value: cut to CAP, 8 among them
    assert solver.holds(a) == set(range(0, 8 * CAP, 8)) and solver.saturated == 1
    solver.add(b, range(0, 8 * (CAP + 5), 8))  # a new variable given more than CAP at once
    assert solver.holds(b) == set(range(0, 8 * CAP, 8)) and solver.saturated == 2
    c, d = solver.new_var(), solver.new_var()
    solver.add(c, (16,))  # pending: not propagated yet
    seen: list[int] = []
    solver.hook(c, (lambda _solver, _hook, values: seen.extend(values),))  # added while 16 is pending
    solver.edge(c, d)
    solver.run()
    assert seen == [16] and solver.pts[d] == 16  # once each, by the worklist
