"""Turn the facts of all parsed modules into IMPORTS, INHERITS, CALLS and INSTANTIATES edges.

Runs once, in this process, after every worker has finished (what it finds is handed to the
edge writers as it goes; the solver is freed by a helper thread when the caller keeps the
collector paused, as a run does: `indexer.gcpause`).
`Layout` finds which dotted names each file can be imported as (package roots: the top of the
codebase, `src/` layouts, directories of scripts and namespace packages, i.e. directories
without `__init__.py`);
imports are resolved against it, then the flow facts of every module are solved together
(`indexer.flow`). Only references that lead to an entity of the indexed codebase become
edges; everything else (builtins, third-party code, dynamic attributes) is counted as
unresolved, never guessed. The output does not depend on the order of the input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from indexer.flow import BOUND, CLASS, CONT, FUNC, INST, MODULE, SELF, Solver
from indexer.gcpause import paused_gc
from indexer.model import CLASSMETHOD, MAPPING, METHOD, PROPERTY, Edge, FunctionFacts, ImportRef, ModuleFacts

_CALLABLE = frozenset((FUNC, BOUND, CLASS, INST, SELF))

#: How often (solver steps) resolution hands what it found to `stream`.
STREAM_EVERY = 20_000


@dataclass
class Resolution:
    edges: list[Edge]  # every edge (with `stream`: those not handed to it), sorted unless not `ordered`
    resolved: Counter[str] = field(default_factory=Counter)
    unresolved: Counter[str] = field(default_factory=Counter)


class Layout:
    """Where each module sits: its path key ('a/b/m' for a/b/m.py, 'a/b' for a/b/__init__.py),
    the namespace packages (directories holding Python files but no `__init__.py`), and the
    dotted names each can be imported as."""

    def __init__(self, modules: list[ModuleFacts]) -> None:
        self.count = len(modules)  # indexes >= count are namespace packages (no file, no node)
        self.keys: list[str] = []
        self.index: dict[str, int] = {}
        packages: set[str] = set()
        for facts in modules:
            path = facts.module_id[:-3] if facts.module_id.endswith(".py") else facts.module_id
            key = path[: -len("/__init__")] if path.endswith("/__init__") else ("" if path == "__init__" else path)
            if key.endswith("__init__") or facts.is_package:
                packages.add(key)
            self.keys.append(key)
        for i, key in enumerate(self.keys):
            if key in self.index and self.keys[self.index[key]] in packages and not modules[i].is_package:
                continue  # a/b/__init__.py wins over a/b.py
            if key not in self.index or modules[i].is_package:
                self.index[key] = i
        for key in sorted(set(self.keys)):
            parts = key.split("/") if key else []
            for n in range(1, len(parts)):
                directory = "/".join(parts[:n])
                if directory not in self.index:
                    self.index[directory] = len(self.keys)
                    self.keys.append(directory)
        self.packages = packages
        self.children: list[dict[str, int]] = [{} for _ in self.keys]
        for key, i in sorted(self.index.items()):
            if key:
                parent, _, name = key.rpartition("/")
                p = self.index.get(parent)
                if p is not None:
                    self.children[p][name] = i
        self.by_name: dict[str, list[tuple[int, int]]] = {}
        self.roots: list[set[str]] = [set() for _ in self.keys]
        for key, i in sorted(self.index.items()):
            if not key:
                continue
            parts = key.split("/")
            limit = len(parts) - 1
            for j in range(len(parts) - 1):
                if "/".join(parts[: j + 1]) in packages:  # nothing inside a regular package is a root
                    limit = j
                    break
            for start in range(limit + 1):
                self.by_name.setdefault(".".join(parts[start:]), []).append((start, i))
                self.roots[i].add("/".join(parts[:start]))

    def find(self, name: str, importer: int) -> int | None:
        """The module an absolute import of `name` from `importer` loads."""
        found = self.by_name.get(name)
        if not found:
            return None
        if len(found) == 1:
            return found[0][1]
        best = min(found)
        if best[0] == 0:
            return best[1]
        near = sorted(c for c in found if "/".join(self.keys[c[1]].split("/")[: c[0]]) in self.roots[importer])
        if near:
            return near[0][1]
        ranks = sorted(found)
        return ranks[0][1] if ranks[0][0] < ranks[1][0] else None

    def relative(self, importer: int, is_package: bool, level: int, module: str) -> int | None:
        """The module a relative import names, or None where Python raises ImportError: it would
        leave the top-level package. That is the top-most regular package holding the importer
        (the directories above it are package roots, e.g. `src/`); a module in no regular
        package is taken to be in the namespace packages its directories make."""
        key = self.keys[importer]
        parts = key.split("/") if key else []
        if not is_package:
            parts = parts[:-1]
        top = next((j for j in range(len(parts)) if "/".join(parts[: j + 1]) in self.packages), 0)
        if level > len(parts) - top:
            return None
        base = parts[: len(parts) - (level - 1)]
        if module:
            base = base + module.split(".")
        return self.index.get("/".join(base))

    def target(self, importer: int, is_package: bool, ref: ImportRef) -> int | None:
        """The module an import statement names (before `import name`)."""
        if ref.level:
            return self.relative(importer, is_package, ref.level, ref.module)
        return self.find(ref.module, importer)


def resolve(modules: list[ModuleFacts], stream: Callable[[list[Edge]], None] | None = None, *,
            consume: bool = False, ordered: bool = True) -> Resolution:
    """Every module's facts solved together (with the cyclic GC paused: `indexer.gcpause`).

    With `consume`, each module's constraints are emptied once the solver holds them (its id,
    name and counts are left), so that the facts and the solver are not in memory together:
    on the stdlib the facts are about 200 MiB.

    With `stream`, the CALLS and INSTANTIATES edges found while the solver runs are handed to
    it as they are found (a found edge is final: the solver only ever adds), each once, so that
    they can be written while resolution goes on; `Resolution.edges` holds the rest. The edges,
    as a set, do not depend on `stream` nor on the order of the input.

    `Resolution.edges` is sorted unless `ordered` is False (for a caller that sorts them itself,
    as the edge writer does: sorting the stdlib's 219,550 edges takes about 0.5 s)."""
    solved: list[object] = []
    with paused_gc(solved):
        solver = Solver()
        try:
            return _resolve(sorted(modules, key=lambda m: m.module_id), stream, solver, consume, ordered)
        finally:
            solved.extend(solver.release())  # also when the stream's writer raised


def _edge_order(e: Edge) -> tuple[str, str, str]:
    return (e.type, e.src, e.dst)


def _take_found(solver: Solver, scopes: list[tuple[str, str]]) -> list[Edge]:
    """The CALLS and INSTANTIATES edges found since the last call."""
    functions, class_ids = solver.functions, solver.class_ids
    out = [Edge("CALLS", scopes[scope][0], scopes[scope][1], functions[f].label, functions[f].id)
           for scope, f in solver.new_calls]
    out += [Edge("INSTANTIATES", scopes[scope][0], scopes[scope][1], "Class", class_ids[c])
            for scope, c in solver.new_instantiations]
    solver.new_calls, solver.new_instantiations = [], []
    return out


def _resolve(modules: list[ModuleFacts], stream: Callable[[list[Edge]], None] | None, solver: Solver,
             consume: bool = False, ordered: bool = True) -> Resolution:
    layout = Layout(modules)
    result = Resolution([])
    edges: set[Edge] = set()

    # 1. modules, classes and functions, with their variables
    count = len(layout.keys)
    solver.module_names = [{} for _ in range(count)]
    solver.module_children = layout.children
    solver.module_stars = [[] for _ in range(count)]
    solver.module_exports = [None] * count
    offsets: list[int] = []
    class_base: list[int] = []
    function_base: list[int] = []
    scope_base: list[int] = []
    scopes: list[tuple[str, str]] = []
    for i, facts in enumerate(modules):
        off = solver.new_vars(facts.nvars)
        offsets.append(off)
        scope_base.append(len(scopes))
        scopes.extend(facts.scopes)
        solver.module_names[i] = {n: (v + off if v >= 0 else -1) for n, v in facts.names.items()}
        solver.module_exports[i] = facts.exports
        cbase = len(solver.c_attrs)
        class_base.append(cbase)
        for cls in facts.classes:
            solver.class_ids.append(cls.id)
            solver.c_attrs.append({n: (v + off if v >= 0 else -1) for n, v in cls.attrs.items()})
            solver.c_bases.append(tuple([v + off if v >= 0 else -1 for v in cls.bases]))
        function_base.append(len(solver.functions))
        for fn in facts.functions:
            solver.functions.append(FunctionFacts(
                fn.id, fn.label, fn.params, fn.npos, fn.first + off, fn.ret + off, fn.kind,
                fn.owner + cbase if fn.owner >= 0 else -1, fn.gen + off if fn.gen >= 0 else -1, fn.passthrough,
                fn.posonly, fn.vararg + off if fn.vararg >= 0 else -1))
            solver.f_params.append(None)
        solver.kinds.update((var + off, kind) for var, kind in facts.kinds)  # (before any lookup binds)

    # 2. imports
    for i, facts in enumerate(modules):
        for ref in facts.imports:
            target = layout.target(i, facts.is_package, ref)
            if ref.name == "*":
                if target is not None:
                    solver.module_stars[i].append(target)
            elif ref.name is not None and target is not None:
                child = layout.children[target].get(ref.name)
                target = child if child is not None else target
            if target is None or target == i or target >= layout.count:
                result.unresolved["imports"] += 1
                continue
            result.resolved["imports"] += 1
            edges.add(Edge("IMPORTS", "Module", facts.module_id, "Module", modules[target].module_id))

    # 3. constraints: first what names, imports and attribute reads bind (so that class bases
    #    are known before most lookups), then the rest
    for i, facts in enumerate(modules):
        off = offsets[i]
        cbase = class_base[i]
        fbase = function_base[i]
        add, edge, hook = solver.add, solver.edge, solver.hook
        for var, kind, index in facts.objects:
            value = ((fbase + index) << 3) | FUNC if kind == 0 else ((cbase + index) << 3) | CLASS
            add(var + off, (value,))
        for var, imp in facts.bound:
            _bind_import(solver, layout, i, facts, facts.imports[imp], var + off)
        for dst, src in facts.copies:
            edge(src + off, dst + off)
        on_load = Solver.on_load
        for dst, obj, attr in facts.loads:
            hook(obj + off, (on_load, dst + off, attr))
        for c in range(len(facts.classes)):
            for var in solver.c_bases[cbase + c]:
                if var >= 0:
                    hook(var, (Solver.on_bases, cbase + c))
    for i, facts in enumerate(modules):
        if facts.free and solver.module_stars[i]:
            off = offsets[i]
            for name, var in facts.free.items():
                source = solver.star_source(i, name)
                if source >= 0:
                    solver.edge(source, var + off)
    for i in range(len(modules), count):
        solver.module_value(i)
    solver.run()

    hand_over = stream or (lambda found: None)

    def tick() -> None:  # (maybe nothing new: the writer may be waiting for work)
        hand_over(_take_found(solver, scopes))

    sites = 0
    call_count = 0
    decorated: list[tuple[int, int, int]] = []
    for i, facts in enumerate(modules):  # (calls whose callee is known already resolve here: most do)
        if stream is not None:  # (without one, the final step takes all: nothing to build twice)
            tick()
        off = offsets[i]
        cbase = class_base[i]
        fbase = function_base[i]
        sbase = scope_base[i]
        add, edge, hook = solver.add, solver.edge, solver.hook
        on_store = Solver.on_store
        for obj, attr, src in facts.stores:
            hook(obj + off, (on_store, attr, src + off))
        on_subload = Solver.on_subload
        for dst, obj, key in facts.subloads:
            hook(obj + off, (on_subload, dst + off, key))
        on_substore = Solver.on_substore
        for obj, key, src in facts.substores:
            hook(obj + off, (on_substore, key, src + off))
        on_unpack = Solver.on_unpack
        for dst, obj, position in facts.unpacks:
            hook(obj + off, (on_unpack, dst + off, position))
        on_move = Solver.on_move
        for var in facts.moves:
            hook(var + off, (on_move,))
        for var, kind, slots in facts.containers:
            k = solver.new_container(len(slots) if all(type(key) is int for key, _ in slots) else -1,
                                     kind == MAPPING)
            for key, src in slots:
                edge(src + off, solver.cont_slot(k, key))
            add(var + off, ((k << 3) | CONT,))
        on_call = Solver.on_call
        for dst, callee, scope, args, keywords in facts.calls:
            hook(callee + off, (on_call, dst + off if dst >= 0 else -1, scope + sbase,
                                tuple([a + off if a >= 0 else -1 for a in args]) if args else (),
                                tuple([(n, a + off) for n, a in keywords]) if keywords else (), sites))
            sites += 1
        call_count += len(facts.calls) + facts.unknown_calls
        on_protocol = Solver.on_protocol
        for kind, dst, src, scope in facts.protocols:
            hook(src + off, (on_protocol, kind, dst + off if dst >= 0 else -1, scope + sbase, 0))
        on_super = Solver.on_super
        for dst, this, owner, attr in facts.supers:
            hook(this + off, (on_super, dst + off, owner + cbase, attr))
        decorated.extend((dst + off, src + off, d + off) for dst, src, d in facts.decorated)
        for f in range(fbase, fbase + len(facts.functions)):
            fn = solver.functions[f]
            if fn.owner >= 0 and fn.npos and fn.kind in (METHOD, CLASSMETHOD, PROPERTY):
                add(fn.first, ((fn.owner << 3) | (CLASS if fn.kind == CLASSMETHOD else SELF),))
        if consume:
            _empty(facts)

    # 4. solve (handing what is found to `stream` as it goes); then decorators that gave nothing
    #    keep the function they decorate: first those from outside the codebase (holding nothing
    #    callable), then, once that is solved, those of the codebase whose result is still empty
    #    (they hand it to something outside: `lru_cache()(fn)`, `type(...)`), the most deeply
    #    nested functions first, solving after each depth. All at once linked every `@wraps`
    #    wrapper's callers to the function it wraps too: the wrapper had not yet been given back
    solver.run(tick if stream is not None else None, STREAM_EVERY)
    pts = solver.pts
    outside = [(dst, src) for dst, src, d in decorated if pts[dst] is None and not _callable(solver, d)]
    for dst, src in outside:
        solver.edge(src, dst)
    solver.run()
    inside = [(dst, src) for dst, src, d in decorated if pts[dst] is None and _callable(solver, d)]
    by_depth: dict[int, list[tuple[int, int]]] = {}
    for dst, src in inside:  # the most deeply nested first: a wrapper before what it wraps
        by_depth.setdefault(-_depth(solver, src), []).append((dst, src))
    for _, group in sorted(by_depth.items()):
        for dst, src in group:
            if pts[dst] is None:  # (what the deeper ones kept may have filled it)
                solver.edge(src, dst)
        solver.run()

    # 5. edges: the calls and instantiations found since the last hand-over (every one without
    #    `stream`: each is found once), IMPORTS and INHERITS
    edges.update(_take_found(solver, scopes))
    class_ids = solver.class_ids
    for c, class_id in enumerate(class_ids):
        found = solver.bases(c)
        result.resolved["bases"] += len(found)
        known = sum(1 for var in solver.c_bases[c] if var >= 0 and any(
            v & 7 == CLASS for v in solver.holds(var)))
        result.unresolved["bases"] += len(solver.c_bases[c]) - known
        for base in found:
            edges.add(Edge("INHERITS", "Class", class_id, "Class", class_ids[base]))
    result.resolved["calls"] = len(solver.resolved_sites)
    result.unresolved["calls"] = call_count - len(solver.resolved_sites)
    result.resolved["instantiations"] = len(solver.instantiations)
    result.edges = sorted(edges, key=_edge_order) if ordered else list(edges)
    return result


def _depth(solver: Solver, var: int) -> int:
    """How deeply the function or class var holds is nested in functions (`<locals>` in its id)."""
    depth = 0
    for value in solver.holds(var):
        kind, index = value & 7, value >> 3
        node_id = solver.functions[index].id if kind == FUNC else solver.class_ids[index] if kind == CLASS else ""
        depth = max(depth, node_id.count("<locals>"))
    return depth


def _callable(solver: Solver, var: int) -> bool:
    """Whether var holds something of the codebase that a call runs."""
    return any(v & 7 in _CALLABLE for v in solver.holds(var))


def _empty(facts: ModuleFacts) -> None:
    """Drop a module's constraints (every list and dict): the caller may still hold the object."""
    for f in fields(facts):
        value = getattr(facts, f.name)
        if isinstance(value, (list, dict)):
            setattr(facts, f.name, type(value)())
    facts.exports = None


def _bind_import(solver: Solver, layout: Layout, importer: int, facts: ModuleFacts, ref: ImportRef,
                 var: int) -> None:
    """The value an import binds to its local name."""
    if ref.name is None:
        name = ref.module if ref.alias else ref.module.partition(".")[0]
        target = layout.find(name, importer)
        if target is not None:
            solver.add(var, ((target << 3) | MODULE,))
        return
    base = layout.target(importer, facts.is_package, ref)
    if base is None:
        return
    source = solver.member(base, ref.name)
    if source >= 0:
        solver.edge(source, var)



