"""Whole-program flow of values: which functions, classes, instances and modules each variable
of every module may hold, and so which functions each call may run.

An inclusion-based (Andersen-style) analysis, flow-insensitive across the heap and
context-insensitive, in the spirit of PyCG: the parser resolved names and bindings per
module (`indexer.scopes`); here the constraints of all modules are solved together with a
worklist. Abstract values are ints `(index << 3) | kind`:

- FUNC f / BOUND f   a function (lambda) or the same bound to a receiver (calls shift arguments);
- CLASS c / INST c   a class, and any instance of it (instance attributes are kept per class);
- SELF c             an instance of c or of any subclass: what `self` holds in c's methods, so
                     `self.m()` reaches the overrides of m (subclasses are looked up by index
                     when the attribute is read, instead of every subclass instance flowing in);
- MODULE m           a module or namespace package of the codebase;
- CONT k / GEN f     a container literal (by allocation site, entries by constant key) and the
                     generator objects of generator function f.

Attributes are looked up as Python does: instance attributes, then the class namespaces in
C3 MRO order (functions found there bind to the receiver), modules' final bindings, then
their submodules and star imports. A call of a class calls `__init__` (INSTANTIATES is kept
too), an instance's call `__call__`, `for` `__iter__`/`__next__`, `with` `__enter__`/`__exit__`
(`async for` and `async with` their `__aiter__`/`__anext__` and `__aenter__`/`__aexit__`).
What is outside the codebase holds nothing: calls that reach no value stay unresolved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from indexer.model import (
    AENTER,
    AITERATE,
    CLASSMETHOD,
    ENTER,
    ITERATE,
    PROPERTY,
    RAISE,
    STATICMETHOD,
    VARARG_REST,
    VARARG_SLOTS,
    FunctionFacts,
)

FUNC, BOUND, CLASS, INST, MODULE, CONT, GEN, SELF = range(8)
_KIND_MASK = 7
#: The two methods each protocol calls on an instance (`__next__` on what `__iter__` returned).
_DUNDERS = {ITERATE: ("__iter__", "__next__"), AITERATE: ("__aiter__", "__anext__"),
            ENTER: ("__enter__", "__exit__"), AENTER: ("__aenter__", "__aexit__")}
#: A variable holds at most this many values: one that would hold more stops growing, and what
#: it would have reached is not linked (a variable that may hold anything says nothing).
CAP = 32

#: A hook: its handler (a function of the Solver class) first, then what it needs, e.g.
#: `(Solver.on_load, dst, attr)`. One tuple per hook (not a pair of a bound method and a tuple of
#: arguments): 45 MiB less at the peak on the stdlib's 795,000 hooks. Handlers get the hook itself.
Hook = tuple[Any, ...]


class Solver:
    """Variables, abstract values and the worklist; `resolve` feeds it the facts of every module."""

    def __init__(self) -> None:
        self.pts: list[int | set[int] | None] = []  # one value as the int itself (most hold one)
        self.succ: list[int | set[int] | None] = []  # successors: one as an int, more as a set
        self.hooks: list[Hook | list[Hook] | None] = []  # one as the tuple itself, more as a list
        self.delta: list[set[int] | None] = []
        self.work: list[int] = []
        self.saturated = 0  # variables that reached CAP
        # functions (FunctionFacts with global variables), classes, modules, containers
        self.functions: list[FunctionFacts] = []
        self.f_params: list[dict[str, int] | None] = []
        self.class_ids: list[str] = []
        self.c_attrs: list[dict[str, int]] = []
        self.c_bases: list[tuple[int, ...]] = []
        self.module_names: list[dict[str, int]] = []
        self.module_children: list[dict[str, int]] = []
        self.module_stars: list[list[int]] = []
        self.module_exports: list[tuple[str, ...] | None] = []
        self.module_const: dict[int, int] = {}  # module -> variable holding just that module
        self.kinds: dict[int, int] = {}  # class attribute variable -> kind its builtin decorator gives
        self.cont_slots: list[dict[Any, int]] = []
        self.cont_all: list[int] = []
        self.cont_len: list[int] = []
        self.cont_mapping: list[bool] = []  # dicts: iterating one gives its keys, which are not followed
        self.cont_moved: list[int] = []  # -1, or what a constant index reads besides its slot (all once moved)
        # class hierarchy and attribute lookups
        self._mro: dict[int, list[int]] = {}
        self._mroset: dict[int, frozenset[int]] = {}
        self._used_bases: dict[int, list[int]] = {}
        self._dependents: dict[int, set[int]] = {}
        self._views: dict[tuple[int, str, int], tuple[int, set[int]]] = {}  # (class, attr, mode) -> view, sources
        self._views_of: dict[int, list[tuple[int, str, int]]] = {}
        self._inst_views: dict[str, dict[int, int]] = {}  # attr -> classes with an INST view of it -> order
        self._self_views: dict[int, set[str]] = {}  # class -> attributes read through a SELF view of it
        self._subclasses: dict[int, set[int]] = {}  # class -> the classes (not itself) whose MRO holds it
        self._slots: dict[tuple[int, str], int] = {}  # attributes set on instances of exactly a class
        self._own_slots: dict[int, set[str]] = {}  # class -> attributes in _slots
        self._cslots: dict[tuple[int, str], int] = {}  # ... on `self` in a class's methods (a cone)
        self._own_cslots: dict[int, set[str]] = {}  # class -> attributes in _cslots
        self._module_attr: dict[tuple[int, str], int] = {}
        self._super_views: dict[tuple[int, int, str, int], int] = {}
        self._through: set[tuple[int, int]] = set()  # (view, id of a call's hook) already linked
        # results
        self.call_edges: set[tuple[int, int]] = set()  # (scope, function)
        self.instantiations: set[tuple[int, int]] = set()  # (scope, class)
        # what was found since `resolve` last took it (results only ever grow: found is final)
        self.new_calls: list[tuple[int, int]] = []
        self.new_instantiations: list[tuple[int, int]] = []
        self.resolved_sites: set[int] = set()

    def release(self) -> list[Any]:
        """Everything the solver holds, which it lets go of, for `gcpause.paused_gc`'s `dispose`
        to free apart from the cyclic GC (millions of sets and tuples: seconds of rescanning on
        the stdlib otherwise). The solver cannot be used afterwards."""
        parts = list(vars(self).values())
        vars(self).clear()
        return parts

    # -- variables and propagation --------------------------------------------------------------
    def new_vars(self, n: int) -> int:
        base = len(self.pts)
        nothing: list[None] = [None] * n
        self.pts.extend(nothing)
        self.succ.extend(nothing)
        self.hooks.extend(nothing)
        self.delta.extend(nothing)
        return base

    def new_var(self) -> int:
        v = len(self.pts)
        self.pts.append(None)
        self.succ.append(None)
        self.hooks.append(None)
        self.delta.append(None)
        return v

    def add(self, v: int, values: Iterable[int]) -> None:
        p = self.pts[v]
        if p is None:
            new = set(values)
            if not new:
                return
            if len(new) > CAP:
                new = set(sorted(new)[:CAP])
                self.saturated += 1
            self.pts[v] = next(iter(new)) if len(new) == 1 else set(new)  # (delta is `new`: not shared)
        elif isinstance(p, int):
            new = set(values)
            new.discard(p)
            if not new:
                return
            if len(new) > CAP - 1:
                new = set(sorted(new)[:CAP - 1])
                self.saturated += 1
            self.pts[v] = {p, *new}
        else:
            room = CAP - len(p)
            if room <= 0:
                return
            new = (values if type(values) is set else set(values)) - p
            if not new:
                return
            if len(new) > room:
                new = set(sorted(new)[:room])
                self.saturated += 1
            p |= new
        d = self.delta[v]
        if d is None:
            self.delta[v] = new
            self.work.append(v)
        else:
            d |= new

    def holds(self, v: int) -> set[int] | tuple[int, ...]:
        """The values v holds now."""
        p = self.pts[v]
        return () if p is None else (p,) if type(p) is int else p  # type: ignore[return-value]

    def _settled(self, v: int) -> set[int] | tuple[int, ...]:
        """What v holds that is not waiting in its delta (the worklist hands that on); may be
        v's own set."""
        p = self.pts[v]
        if p is None:
            return ()
        d = self.delta[v]
        if isinstance(p, int):
            return () if d and p in d else (p,)
        return p - d if d else p

    def edge(self, src: int, dst: int) -> None:
        """dst holds at least what src holds."""
        if src == dst:
            return
        s = self.succ[src]
        if s is None:
            self.succ[src] = dst  # one successor as the int itself: most have one, and a set is 216 bytes
        elif isinstance(s, int):
            if s == dst:
                return
            self.succ[src] = {s, dst}
        elif dst in s:
            return
        else:
            s.add(dst)
        values = self._settled(src)
        if values:
            self.add(dst, values)

    def hook(self, v: int, hook: Hook) -> None:
        """Call hook[0](self, hook, values) with every value v holds, now and as they come."""
        h = self.hooks[v]
        if h is None:
            self.hooks[v] = hook  # one hook: the tuple itself, not a list of one
        elif isinstance(h, list):
            h.append(hook)
        else:
            self.hooks[v] = [h, hook]
        values = self._settled(v)
        if values:
            hook[0](self, hook, set(values) if values is self.pts[v] else values)  # (it may add to v)

    def run(self, tick: Callable[[], None] | None = None, every: int = 50_000) -> None:
        """Propagate until nothing changes; `tick` is called every `every` steps (resolution
        hands what was found so far to the edge writers from there)."""
        work, delta, succ, hooks, add, pts = self.work, self.delta, self.succ, self.hooks, self.add, self.pts
        steps = 0
        while work:
            if tick is not None:
                steps += 1
                if steps == every:
                    steps = 0
                    tick()
            v = work.pop()
            d = delta[v]
            if d is None:
                continue
            delta[v] = None
            s = succ[v]
            if s is not None:
                for t in (s,) if isinstance(s, int) else s:  # `add(t, d)`, its common case inlined (hot)
                    p = pts[t]
                    if p is None or type(p) is int:
                        add(t, d)
                        continue
                    new = d - p  # type: ignore[operator]  # (`type(p) is int` above: mypy does not narrow)
                    if not new:
                        continue
                    if len(p) + len(new) > CAP:  # type: ignore[arg-type]
                        add(t, new)
                        continue
                    p |= new  # type: ignore[operator]
                    dt = delta[t]
                    if dt is None:
                        delta[t] = new
                        work.append(t)
                    else:
                        dt |= new
            h = hooks[v]
            if h is not None:
                if isinstance(h, list):
                    for i in range(len(h)):  # (hooks added meanwhile got their values when added)
                        e = h[i]
                        e[0](self, e, d)
                else:
                    h[0](self, h, d)

    # -- the class hierarchy --------------------------------------------------------------------
    def bases(self, c: int) -> list[int]:
        """The classes each base expression of c holds, in order."""
        out: list[int] = []
        for var in self.c_bases[c]:
            if var >= 0:
                for value in sorted(self.holds(var)):
                    if value & _KIND_MASK == CLASS and value >> 3 != c and value >> 3 not in out:
                        out.append(value >> 3)
        return out

    def mro(self, c: int, visiting: set[int] | None = None) -> list[int]:
        found = self._mro.get(c)
        if found is not None:
            return found
        visiting = visiting or set()
        if c in visiting:  # an inheritance cycle (impossible at run time): stop here
            return [c]
        visiting.add(c)
        bases = self.bases(c)
        self._used_bases[c] = bases
        lines = []
        for b in bases:
            lines.append(list(self.mro(b, visiting)))
            self._dependents.setdefault(b, set()).add(c)
        visiting.discard(c)
        result = [c] + _c3_merge(lines + [list(bases)])
        self._mro[c] = result
        self._mroset[c] = frozenset(result)
        for k in result[1:]:  # ancestors only grow as bases are found, so this index only grows
            self._subclasses.setdefault(k, set()).add(c)
        return result

    def is_subclass(self, x: int, c: int) -> bool:
        found = self._mroset.get(x)
        if found is None:
            self.mro(x)
            found = self._mroset[x]
        return c in found

    def on_bases(self, hook: Hook, values: Iterable[int]) -> None:
        """A base expression of class hook[1] got a value: compute its MRO (or redo it and the
        lookups made without it), and show its attributes to the SELF views of its new superclasses."""
        c = hook[1]
        if c not in self._mro:
            self._joined([c])
            return
        if self.bases(c) == self._used_bases.get(c):
            return
        affected: list[int] = []
        stack = [c]
        while stack:
            k = stack.pop()
            if k in affected:
                continue
            affected.append(k)
            stack.extend(sorted(self._dependents.get(k, ())))
        for k in affected:
            self._mro.pop(k, None)
            self._mroset.pop(k, None)
        for k in affected:
            for key in self._views_of.get(k, ()):
                self._refresh(key)
        self._joined(affected)

    def _joined(self, classes: list[int]) -> None:
        """Classes whose MRO may have gained superclasses: the SELF views of those superclasses
        see the subclasses' bindings (a SELF view's sources only ever grow)."""
        for x in classes:
            own = self._own_attrs(x)
            if not own:
                self.mro(x)
                continue
            for c in self.mro(x)[1:]:
                wanted = self._self_views.get(c)
                if wanted:
                    for attr in sorted(wanted & own):
                        self._add_subclass_sources(c, attr, x)

    def _own_attrs(self, x: int) -> set[str]:
        """Attributes class x binds itself: in its namespace, on its instances, on `self`."""
        return set(self.c_attrs[x]) | self._own_slots.get(x, set()) | self._own_cslots.get(x, set())

    def _add_subclass_sources(self, c: int, attr: str, x: int) -> None:
        """The SELF view of (c, attr) also holds what subclass x binds to attr."""
        w, sources = self._views[(c, attr, SELF)]
        var = self.c_attrs[x].get(attr)
        if var is not None and var >= 0 and var not in sources:
            sources.add(var)
            self.bind_from(var, w, x, SELF)
        for table in (self._slots, self._cslots):
            var = table.get((x, attr))
            if var is not None and var not in sources:
                sources.add(var)
                self.edge(var, w)

    def definer(self, c: int, attr: str, after: int = -1) -> int:
        """The variable of `attr` in the first class of c's MRO that binds it (after `after`)."""
        mro = self.mro(c)
        start = 0
        if after >= 0:
            if after not in mro:
                return -1
            start = mro.index(after) + 1
        attrs = self.c_attrs
        for k in mro[start:]:
            var = attrs[k].get(attr)
            if var is not None:
                return var
        return -1

    # -- attribute lookups ----------------------------------------------------------------------
    def view(self, c: int, attr: str, mode: int) -> int:
        """What reading `attr` gives through an instance of c (INST), an instance of c or of a
        subclass (SELF), or c itself (CLASS)."""
        key = (c, attr, mode)
        record = self._views.get(key)
        if record is not None:
            return record[0]
        w = self.new_var()
        self._views[key] = (w, set())
        self._views_of.setdefault(c, []).append(key)
        if mode == INST:
            viewers = self._inst_views.setdefault(attr, {})
            viewers[c] = len(viewers)
        elif mode == SELF:
            self._self_views.setdefault(c, set()).add(attr)
        self._refresh(key)
        return w

    def _refresh(self, key: tuple[int, str, int]) -> None:
        """Link a view to every source it has now (sources are only ever added)."""
        c, attr, mode = key
        w, sources = self._views[key]
        definer = self.definer(c, attr)
        if definer >= 0 and definer not in sources:
            sources.add(definer)
            self.bind_from(definer, w, c, mode)
        if mode == INST:
            for var in (self.slot(c, attr), *(self._cslots[(k, attr)] for k in self.mro(c)
                                               if (k, attr) in self._cslots)):
                if var not in sources:
                    sources.add(var)
                    self.edge(var, w)
        elif mode == SELF:
            exact = self.view(c, attr, INST)
            if exact not in sources:
                sources.add(exact)
                self.edge(exact, w)
            for x in sorted(self._subclasses.get(c, ())):
                self._add_subclass_sources(c, attr, x)

    def _subclass_views(self, x: int, attr: str) -> None:
        """Class x gained a binding of `attr`: the SELF views of its superclasses see it."""
        for c in self.mro(x)[1:]:
            if (c, attr, SELF) in self._views:
                self._add_subclass_sources(c, attr, x)

    def slot(self, c: int, attr: str) -> int:
        var = self._slots.get((c, attr))
        if var is None:
            var = self._slots[(c, attr)] = self.new_var()
            self._own_slots.setdefault(c, set()).add(attr)
            self._subclass_views(c, attr)
        return var

    def cslot(self, c: int, attr: str) -> int:
        """`self.attr = v` in c's methods: an attribute of instances of c and of its subclasses."""
        var = self._cslots.get((c, attr))
        if var is None:
            var = self._cslots[(c, attr)] = self.new_var()
            self._own_cslots.setdefault(c, set()).add(attr)
            for x in self._inst_viewers(c, attr):
                self._refresh((x, attr, INST))
            self._subclass_views(c, attr)
        return var

    def _inst_viewers(self, c: int, attr: str) -> list[int]:
        """The classes with an INST view of `attr` that are c or its subclasses, in the order their
        views were made. From whichever is smaller: c's subclasses, or the classes viewing `attr`
        (scanning every class that reads a common attribute name, for every new binding of it,
        made resolution quadratic: 124 s for 12,000 files). Each viewer's MRO is known (a view
        computes it), so the subclass index holds every one of them below c."""
        viewers = self._inst_views.get(attr)
        if not viewers:
            return []
        below = self._subclasses.get(c, set())
        if len(below) + 1 < len(viewers):
            found = [x for x in (c, *below) if x in viewers]
            found.sort(key=viewers.__getitem__)
            return found
        return [x for x in viewers if self.is_subclass(x, c)]

    def define_class_attr(self, c: int, attr: str) -> int:
        """`C.attr = v` for an attribute the class body did not bind."""
        var = self.c_attrs[c].get(attr)
        if var is None or var < 0:
            var = self.new_var()
            self.c_attrs[c][attr] = var
            for x in self._inst_viewers(c, attr):
                self._refresh((x, attr, INST))
            for key in list(self._views_of.get(c, ())):
                if key[1] == attr:
                    self._refresh(key)
            self._subclass_views(c, attr)
        return var

    def bind_from(self, var: int, w: int, c: int, mode: int) -> None:
        """w holds what class attribute var holds, read through an instance of c or c (mode)."""
        self.hook(var, (Solver.on_bind, w, c, mode, self.kinds.get(var, -1)))

    def on_bind(self, hook: Hook, values: Iterable[int]) -> None:
        """Values found in a class namespace, read through an instance (INST, SELF) or the class;
        functions behave as their kind, or as the kind the attribute's builtin decorator gives."""
        _, w, c, mode, given = hook
        out: set[int] = set()
        functions = self.functions
        for value in values:
            if value & _KIND_MASK != FUNC:
                out.add(value)
                continue
            f = value >> 3
            fn = functions[f]
            kind = fn.kind if given < 0 else given
            if kind == STATICMETHOD:
                out.add(value)
            elif kind == CLASSMETHOD:
                out.add(value | BOUND)
                if fn.npos:
                    self.add(fn.first, ((c << 3) | CLASS,))
            elif mode == CLASS:
                out.add(value)
            elif kind == PROPERTY:
                self.edge(fn.ret, w)
            else:
                out.add(value | BOUND)
                if fn.owner < 0 and fn.npos:  # a function stored in a class: self is the receiver
                    self.add(fn.first, ((c << 3) | mode,))
        if out:
            self.add(w, out)

    def super_view(self, x: int, owner: int, attr: str, mode: int) -> int:
        key = (x, owner, attr, mode)
        w = self._super_views.get(key)
        if w is None:
            w = self._super_views[key] = self.new_var()
            source = self.definer(x, attr, after=owner)
            if source >= 0:
                self.bind_from(source, w, x, mode)
        return w

    # -- modules --------------------------------------------------------------------------------
    def module_value(self, m: int) -> int:
        var = self.module_const.get(m)
        if var is None:
            var = self.module_const[m] = self.new_var()
            self.add(var, ((m << 3) | MODULE,))
        return var

    def exported(self, m: int, name: str, seen: set[int] | None = None) -> bool:
        """Whether `from m import *` binds `name`."""
        exports = self.module_exports[m]
        if exports is not None:
            return name in exports
        if name.startswith("_"):
            return False
        if name in self.module_names[m]:
            return True
        seen = seen or set()
        seen.add(m)
        return any(s not in seen and self.exported(s, name, seen) for s in self.module_stars[m])

    def star_source(self, m: int, name: str) -> int:
        """The variable a name of m comes from through m's star imports, or -1."""
        for s in self.module_stars[m]:
            if s != m and self.exported(s, name):
                var = self.member(s, name)
                if var >= 0:
                    return var
        return -1

    def member(self, m: int, name: str) -> int:
        """The variable holding `m.name` (a binding, a submodule, a star import), or -1."""
        key = (m, name)
        var = self._module_attr.get(key)
        if var is not None:
            return var
        self._module_attr[key] = -1  # cycles through star imports end here
        var = self.module_names[m].get(name, -1)
        if var < 0:
            child = self.module_children[m].get(name)
            var = self.module_value(child) if child is not None else self.star_source(m, name)
        self._module_attr[key] = var
        return var

    # -- hooks for the constraints --------------------------------------------------------------
    def on_load(self, hook: Hook, values: Iterable[int]) -> None:
        _, dst, attr = hook
        for value in values:
            kind = value & _KIND_MASK
            if kind in (INST, SELF, CLASS):
                self.edge(self.view(value >> 3, attr, kind), dst)
            elif kind == MODULE:
                var = self.member(value >> 3, attr)
                if var >= 0:
                    self.edge(var, dst)

    def on_store(self, hook: Hook, values: Iterable[int]) -> None:
        _, attr, src = hook
        for value in values:
            kind = value & _KIND_MASK
            if kind == INST:
                self.edge(src, self.slot(value >> 3, attr))
            elif kind == SELF:
                self.edge(src, self.cslot(value >> 3, attr))
            elif kind == CLASS:
                self.edge(src, self.define_class_attr(value >> 3, attr))
            elif kind == MODULE:
                m = value >> 3
                var = self.module_names[m].get(attr, -1)
                if var < 0:
                    var = self.module_names[m][attr] = self.new_var()
                    self._module_attr.pop((m, attr), None)
                self.edge(src, var)

    def on_subload(self, hook: Hook, values: Iterable[int]) -> None:
        _, dst, key = hook
        for value in values:
            if value & _KIND_MASK == CONT:
                self._cont_load(value >> 3, key, dst)

    def on_unpack(self, hook: Hook, values: Iterable[int]) -> None:
        """An item got by iterating (`a, b = v`, `*v`...): the entry at that index of a sequence,
        a generator's yielded values; a dict gives its keys, which are not followed."""
        _, dst, index = hook
        for value in values:
            kind = value & _KIND_MASK
            if kind == CONT:
                if not self.cont_mapping[value >> 3]:
                    self._cont_load(value >> 3, index, dst)
            elif kind == GEN:
                gen = self.functions[value >> 3].gen
                if gen >= 0:
                    self.edge(gen, dst)

    def _cont_load(self, k: int, key: Any, dst: int) -> None:
        if key is None:
            self.edge(self.cont_all[k], dst)
            return
        if not self.cont_mapping[k]:
            self.edge(self._moved(k), dst)
        if type(key) is int and key < 0 and self.cont_len[k] >= 0:
            key += self.cont_len[k]
        slots = self.cont_slots[k]
        var = slots.get(key)
        if var is not None:
            self.edge(var, dst)
        unknown = slots.get(None)
        if unknown is not None:
            self.edge(unknown, dst)
        if type(key) is int and (key >= VARARG_SLOTS or key < 0):  # `*args` past those kept by position
            rest = slots.get(VARARG_REST)
            if rest is not None:
                self.edge(rest, dst)

    def on_move(self, hook: Hook, values: Iterable[int]) -> None:
        """The entries of a list moved (insert, pop, sort, del...): its constant indexes are stale,
        so each reads every entry (flow-insensitively: before the move too)."""
        for value in values:
            if value & _KIND_MASK == CONT and not self.cont_mapping[value >> 3]:
                self.edge(self.cont_all[value >> 3], self._moved(value >> 3))

    def _moved(self, k: int) -> int:
        var = self.cont_moved[k]
        if var < 0:
            var = self.cont_moved[k] = self.new_var()
        return var

    def on_substore(self, hook: Hook, values: Iterable[int]) -> None:
        _, key, src = hook
        for value in values:
            if value & _KIND_MASK == CONT:
                self.edge(src, self.cont_slot(value >> 3, key))

    def new_container(self, length: int, mapping: bool = False) -> int:
        k = len(self.cont_slots)
        self.cont_slots.append({})
        self.cont_all.append(self.new_var())
        self.cont_len.append(length)
        self.cont_mapping.append(mapping)
        self.cont_moved.append(-1)
        return k

    def cont_slot(self, k: int, key: Any) -> int:
        slots = self.cont_slots[k]
        var = slots.get(key)
        if var is None:
            var = slots[key] = self.new_var()
            self.edge(var, self.cont_all[k])
            if key is not None:
                self.cont_len[k] = -1
        return var

    def on_call(self, call: Hook, values: Iterable[int]) -> None:
        """A callee got values; `call` is the call's hook: (on_call, dst, scope, args, keywords, site)."""
        for value in values:
            kind = value & _KIND_MASK
            if kind == FUNC:
                self.invoke(value >> 3, 0, call)
            elif kind == BOUND:
                self.invoke(value >> 3, 1, call)
            elif kind == CLASS:
                self.instantiate(value >> 3, call)
            elif kind in (INST, SELF):
                self.call_through(self.view(value >> 3, "__call__", kind), call)

    def call_through(self, view: int, call: Hook) -> None:
        """Call whatever `view` holds (a method found by name) with the arguments of the call hook
        `call`, once per view and hook (hooks live as long as the solver: their ids stay theirs)."""
        key = (view, id(call))
        if key not in self._through:
            self._through.add(key)
            self.hook(view, call)

    def invoke(self, f: int, shift: int, call: Hook) -> None:
        _, dst, scope, args, keywords, site = call
        key = (scope, f)
        if key not in self.call_edges:
            self.call_edges.add(key)
            self.new_calls.append(key)
        if site >= 0:
            self.resolved_sites.add(site)
        fn = self.functions[f]
        first, npos, vararg = fn.first, fn.npos, fn.vararg
        edge = self.edge
        for i, a in enumerate(args):
            if a >= 0:
                j = i + shift
                if j < npos:
                    edge(a, first + j)
                elif vararg >= 0:  # `*args`: by position, then the rest together (a receiver never goes
                    # there: a wrapper that many methods share, mock.patch's, would give each the others')
                    edge(a, vararg + min(j - npos, VARARG_SLOTS))
        if keywords:
            index = self.f_params[f]
            if index is None:  # (positional-only parameters take no keyword: it goes to **kwargs)
                index = self.f_params[f] = {name: i for i, name in enumerate(fn.params) if i >= fn.posonly}
            for name, a in keywords:
                k = index.get(name)
                if k is not None:
                    edge(a, first + k)
        if dst < 0:
            return
        if fn.passthrough >= 0:
            p = fn.passthrough
            j = p - shift
            if 0 <= j < len(args):
                if args[j] >= 0:
                    edge(args[j], dst)
                return
            name = fn.params[p]
            for n, a in keywords:
                if n == name and p >= fn.posonly:
                    edge(a, dst)
                    return
            edge(first + p, dst)
        elif fn.gen >= 0:
            self.add(dst, ((f << 3) | GEN,))
        else:
            edge(fn.ret, dst)

    def instantiate(self, c: int, call: Hook) -> None:
        _, dst, scope, args, keywords, site = call
        key = (scope, c)
        if key not in self.instantiations:
            self.instantiations.add(key)
            self.new_instantiations.append(key)
        if site >= 0:
            self.resolved_sites.add(site)
        self.call_through(self.view(c, "__init__", INST), (Solver.on_call, -1, scope, args, keywords, site))
        if dst >= 0:
            self.add(dst, ((c << 3) | INST,))

    def on_protocol(self, hook: Hook, values: Iterable[int]) -> None:
        """`for` (stage 0: the iterable, 1: its iterator), `with`, their async forms and `raise`."""
        _, kind, dst, scope, stage = hook
        call = Solver.on_call
        for value in values:
            vk = value & _KIND_MASK
            k = value >> 3
            if kind in (ITERATE, AITERATE):
                if vk == CONT:  # (a dict gives its keys; `async for` over a list: TypeError)
                    if dst >= 0 and kind == ITERATE and not self.cont_mapping[k]:
                        self.edge(self.cont_all[k], dst)
                elif vk == GEN:  # (sync or async generator: which one is not known)
                    gen = self.functions[k].gen
                    if dst >= 0 and gen >= 0:
                        self.edge(gen, dst)
                elif vk in (INST, SELF):
                    first, then = _DUNDERS[kind]
                    if stage == 0:
                        iterator = self.new_var()
                        self.hook(self.view(k, first, vk), (call, iterator, scope, (), (), -1))
                        self.hook(iterator, (Solver.on_protocol, kind, dst, scope, 1))
                    else:
                        self.hook(self.view(k, then, vk), (call, dst, scope, (), (), -1))
            elif kind in (ENTER, AENTER):
                if vk in (INST, SELF):
                    enter, exit_ = _DUNDERS[kind]
                    self.hook(self.view(k, enter, vk), (call, dst, scope, (), (), -1))
                    self.hook(self.view(k, exit_, vk), (call, -1, scope, (), (), -1))
            elif kind == RAISE and vk == CLASS:
                self.instantiate(k, (call, -1, scope, (), (), -1))

    def on_super(self, hook: Hook, values: Iterable[int]) -> None:
        _, dst, owner, attr = hook
        for value in values:
            kind = value & _KIND_MASK
            if kind in (INST, SELF, CLASS):
                self.edge(self.super_view(value >> 3, owner, attr, kind), dst)


def _c3_merge(lines: list[list[int]]) -> list[int]:
    """C3 linearization; an inconsistent hierarchy (TypeError in Python) falls back to
    depth-first order without repeats, so that lookups still find something sensible."""
    out: list[int] = []
    pending = [list(line) for line in lines if line]
    while pending:
        for line in pending:
            head = line[0]
            if not any(head in other[1:] for other in pending):
                break
        else:
            for line in pending:
                for c in line:
                    if c not in out:
                        out.append(c)
            return out
        out.append(head)
        pending = [[c for c in line if c != head] for line in pending]
        pending = [line for line in pending if line]
    return out
