"""Python's scoping rules over one module's syntax tree, turned into flow facts.

`FlowWalker` walks a module once, in execution order, and describes how values flow through
it as constraints over numbered variables (`indexer.model.ModuleFacts`):

- every name is resolved where it is used, as Python does (LEGB): parameters, locals (a name
  bound anywhere in a function is local to all of it), comprehension variables, `global` and
  `nonlocal`, enclosing functions (closures see every binding of the enclosing function),
  module names (functions see the module's final bindings), then builtins or star imports;
- each binding of a name in a scope is its own variable (static single assignment): a use sees
  the binding in force where it is, branches merge (if/try/match), loops merge with what their
  bodies bind, so the last definition wins and overloads, redefinitions, fallbacks after
  `except ImportError` and property setters resolve as Python binds them;
- `d["k"] = v` followed by `d["k"]` in the same scope reads `v` (constant keys are tracked per
  scope like names); everything reached through attributes and containers is left to
  resolution (`indexer.flow`), which is flow-insensitive there.

The parser subclasses the walker to create the nodes (`_defined`). Like the parser, this
module imports nothing outside the stdlib and `indexer.model`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from indexer.model import (
    AENTER,
    AITERATE,
    CLASSMETHOD,
    ENTER,
    ITERATE,
    MAPPING,
    METHOD,
    PLAIN,
    PROPERTY,
    RAISE,
    SEQUENCE,
    STATICMETHOD,
    VARARG_REST,
    VARARG_SLOTS,
    ClassFacts,
    FunctionFacts,
    ImportRef,
    ModuleFacts,
)

MODULE, CLASS, FUNCTION = 0, 1, 2
_MISSING = -2  # "not bound here" in an environment (-1 is "bound to nothing we follow")

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_ENDS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_TRY = tuple(t for t in (getattr(ast, "Try", None), getattr(ast, "TryStar", None)) if t is not None)
_BUILTIN_KINDS = {"staticmethod": STATICMETHOD, "classmethod": CLASSMETHOD, "property": PROPERTY}
_PROPERTY_PARTS = frozenset({"setter", "getter", "deleter"})
_IMPLICIT_KINDS = {"__new__": STATICMETHOD, "__init_subclass__": CLASSMETHOD, "__class_getitem__": CLASSMETHOD}
#: list/set/dict methods that put their argument into the container (argument position).
_ADDERS = {"append": 0, "add": 0, "appendleft": 0, "insert": 1, "setdefault": 1}
_GETTERS = frozenset({"get", "pop", "setdefault"})
#: list methods after which an entry may be at another index (or gone).
_MOVERS = frozenset({"insert", "pop", "remove", "reverse", "sort", "clear"})
#: builtins that call the functions they are given.
_CALLING_BUILTINS = frozenset({"map", "filter"})

Key = Any  # str (a name) or tuple (a name and constant subscripts: ("d", "k"))


class Scope:
    """A module, class or function body being walked."""

    __slots__ = ("kind", "label", "id", "qualname", "caller", "parent", "env", "bound", "glob", "nonloc",
                 "cells", "shared", "versions", "loops", "log", "overlays", "pathroots", "extends", "returns", "gen",
                 "owner",
                 "fn_index", "first", "params")

    def __init__(self, kind: int, label: str, node_id: str, qualname: str, caller: int, parent: Scope | None) -> None:
        self.kind = kind
        self.label = label
        self.id = node_id
        self.qualname = qualname  # prefix for the qualnames of what it defines
        self.caller = caller  # index in ModuleFacts.scopes of whoever runs this code
        self.parent = parent
        self.env: dict[Key, int] = {}
        self.bound: set[str] = set()  # names local to this scope
        self.glob: set[str] = set()
        self.nonloc: set[str] = set()
        self.cells: dict[str, int] = {}  # name -> variable nested functions read (every binding)
        self.shared: set[str] = set()  # local names nested functions assign (`nonlocal`): read from the cell
        self.versions: dict[str, list[int]] = {}
        self.loops: dict[int, set[str]] = {}  # id(loop statement) -> names its body binds
        self.log: list[dict[Key, list[Any]]] = []  # open branches: key -> [value before, bindings]
        self.overlays: list[dict[str, int]] = []  # comprehension variables, innermost last
        self.pathroots: dict[str, set[tuple[Any, ...]]] = {}  # name -> the paths bound under it
        self.extends: dict[tuple[Any, ...], set[tuple[Any, ...]]] = {}  # a path's prefix -> bound paths under it
        self.returns: list[int] = []
        self.gen = -1
        self.owner = -1  # class index: the class itself (CLASS) or the method's class (FUNCTION)
        self.fn_index = -1
        self.first = 0
        self.params: tuple[str, ...] = ()


def _const_key(node: ast.expr) -> Any:
    """A constant subscript as a container key (int or str), else None."""
    if type(node) is ast.Constant:
        value = node.value
        if type(value) in (int, str):
            return value
    return None


def _ends(body: list[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], _ENDS)


class FlowWalker:
    """Walks one module and fills `facts` (the parser creates nodes through `_defined`)."""

    def __init__(self, facts: ModuleFacts) -> None:
        self.facts = facts
        self.nvars = 0
        self.gvar: dict[str, int] = {}  # module name -> variable functions and other modules read
        self.global_assigned: dict[str, int] = {}  # module name -> what functions bind to it (`global`)
        self.module_bound: set[str] = set()
        self.loaded: dict[tuple[int, str], int] = {}  # (object variable, attribute) -> variable
        self.subloaded: dict[tuple[int, Any, bool], int] = {}
        self.seqlen: dict[int, list[int]] = {}  # container variable -> element variables (literal sequences)
        self.mappings: set[int] = set()  # container variables of dicts: unpacking one gives its keys
        self.varargs: dict[int, int] = {}  # a function's `*args` tuple variable -> its first slot variable
        self.kind_of: dict[int, int] = {}  # what facts.kinds says: binding -> the kind a builtin decorator gives
        self.exports: list[str] | None = None
        self.exports_dynamic = False
        self.module_scope: Scope | None = None
        self._class_names: list[str] = []
        ex: dict[type, Callable[[Scope, Any], int]] = {
            ast.Name: self._e_name, ast.Attribute: self._e_attribute, ast.Call: self._e_call,
            ast.Constant: self._e_nothing, ast.Subscript: self._e_subscript, ast.Lambda: self._e_lambda,
            ast.IfExp: self._e_ifexp, ast.BoolOp: self._e_boolop, ast.NamedExpr: self._e_walrus,
            ast.Starred: self._e_inner, ast.Await: self._e_inner, ast.Tuple: self._e_sequence,
            ast.List: self._e_sequence, ast.Set: self._e_sequence, ast.Dict: self._e_dict,
            ast.ListComp: self._e_comprehension, ast.SetComp: self._e_comprehension,
            ast.GeneratorExp: self._e_comprehension, ast.DictComp: self._e_comprehension,
            ast.Yield: self._e_yield, ast.YieldFrom: self._e_yield,
        }
        self._ex = ex
        st: dict[type, Callable[[Scope, Any], None]] = {
            ast.FunctionDef: self._s_function, ast.AsyncFunctionDef: self._s_function,
            ast.ClassDef: self._s_class, ast.Return: self._s_return, ast.Delete: self._s_delete,
            ast.Assign: self._s_assign, ast.AugAssign: self._s_augassign, ast.AnnAssign: self._s_annassign,
            ast.For: self._s_for, ast.AsyncFor: self._s_for, ast.While: self._s_while, ast.If: self._s_if,
            ast.With: self._s_with, ast.AsyncWith: self._s_with, ast.Raise: self._s_raise,
            ast.Import: self._s_import, ast.ImportFrom: self._s_import, ast.Expr: self._s_expr,
            ast.Pass: self._s_nothing, ast.Break: self._s_nothing, ast.Continue: self._s_nothing,
            ast.Global: self._s_nothing, ast.Nonlocal: self._s_nothing,
        }
        for kind in _TRY:
            st[kind] = self._s_try
        if hasattr(ast, "Match"):
            st[ast.Match] = self._s_match
        self._st = st
        self._child_fields: dict[type, tuple[str, ...]] = {}

    # -- hooks ----------------------------------------------------------------------------------
    def _defined(self, node: ast.AST, parent: Scope, label: str) -> tuple[str, str]:
        """Record a definition (function, class or lambda) made in `parent`; returns (id, qualname)."""
        raise NotImplementedError

    # -- variables ------------------------------------------------------------------------------
    def _new(self) -> int:
        v = self.nvars
        self.nvars = v + 1
        return v

    def _copy(self, dst: int, src: int) -> None:
        if src >= 0 and dst != src:
            self.facts.copies.append((dst, src))

    def _union(self, values: list[int]) -> int:
        found = sorted({v for v in values if v >= 0})
        if not found:
            return -1
        if len(found) == 1:
            return found[0]
        phi = self._new()
        copies = self.facts.copies
        for v in found:
            copies.append((phi, v))
        if self.kind_of:  # the bindings of one kind (`@staticmethod` over a decorator in if/else) keep it
            given = {self.kind_of.get(v, -1) for v in found}
            if len(given) == 1 and min(given) >= 0:
                self.kind_of[phi] = min(given)
                self.facts.kinds.append((phi, min(given)))
        return phi

    def _gvar(self, name: str) -> int:
        v = self.gvar.get(name)
        if v is None:
            v = self.gvar[name] = self._new()
        return v

    # -- the module -----------------------------------------------------------------------------
    def walk_module(self, tree: ast.Module, module_id: str) -> None:
        """Walk a module once. Afterwards the dispatch tables are dropped: they hold this walker's
        bound methods, a cycle that would keep the walker and all it made (nodes, edges, facts)
        for the cyclic GC instead of freeing them by reference counting."""
        if not self._st:
            raise RuntimeError("a FlowWalker walks one module: make a new one")
        try:
            self._walk_module(tree, module_id)
        finally:
            self._ex, self._st = {}, {}

    def _walk_module(self, tree: ast.Module, module_id: str) -> None:
        facts = self.facts
        facts.scopes.append(("Module", module_id))
        scope = Scope(MODULE, "Module", module_id, "", 0, None)
        self.module_scope = scope
        self._scan(tree.body, self.module_bound, scope)
        self._stmts(scope, tree.body)
        final = {k: v for k, v in scope.env.items() if type(k) is str}
        for name in self.global_assigned:
            final.setdefault(name, -1)
        names: dict[str, int] = {}
        for name in sorted(final):
            value = final[name]
            g = self.gvar.get(name)
            if g is None:
                names[name] = value
            else:
                self._copy(g, value)
                names[name] = g
        facts.names = names
        facts.free = {n: v for n, v in sorted(self.gvar.items()) if n not in names}
        if self.exports is not None:
            exports = list(self.exports)
            if self.exports_dynamic:  # partly computed: what it may hold
                exports += [n for n in names if not n.startswith("_")]
            facts.exports = tuple(sorted(set(exports)))
        facts.nvars = self.nvars

    # -- pre-scan: what each scope binds --------------------------------------------------------
    def _scan(self, body: list[ast.stmt], acc: set[str], scope: Scope) -> None:
        for st in body:
            t = type(st)
            if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
                acc.add(st.name)  # type: ignore[attr-defined]
            elif t is ast.Assign:
                for target in st.targets:  # type: ignore[attr-defined]
                    _scan_target(target, acc)
            elif t is ast.AugAssign or t is ast.AnnAssign:
                _scan_target(st.target, acc)  # type: ignore[attr-defined]
            elif t is ast.For or t is ast.AsyncFor or t is ast.While:
                inner: set[str] = set()
                if t is not ast.While:
                    _scan_target(st.target, inner)  # type: ignore[attr-defined]
                self._scan(st.body, inner, scope)  # type: ignore[attr-defined]
                scope.loops[id(st)] = inner
                acc |= inner
                self._scan(st.orelse, acc, scope)  # type: ignore[attr-defined]
            elif t is ast.If:
                self._scan(st.body, acc, scope)  # type: ignore[attr-defined]
                self._scan(st.orelse, acc, scope)  # type: ignore[attr-defined]
            elif t is ast.With or t is ast.AsyncWith:
                for item in st.items:  # type: ignore[attr-defined]
                    if item.optional_vars is not None:
                        _scan_target(item.optional_vars, acc)
                self._scan(st.body, acc, scope)  # type: ignore[attr-defined]
            elif t in _TRY:
                self._scan(st.body, acc, scope)  # type: ignore[attr-defined]
                for h in st.handlers:  # type: ignore[attr-defined]
                    if h.name:
                        acc.add(h.name)
                    self._scan(h.body, acc, scope)
                self._scan(st.orelse, acc, scope)  # type: ignore[attr-defined]
                self._scan(st.finalbody, acc, scope)  # type: ignore[attr-defined]
            elif t is ast.Import:
                for alias in st.names:  # type: ignore[attr-defined]
                    acc.add(alias.asname or alias.name.partition(".")[0])
            elif t is ast.ImportFrom:
                for alias in st.names:  # type: ignore[attr-defined]
                    if alias.name != "*":
                        acc.add(alias.asname or alias.name)
            elif t is ast.Global:
                scope.glob.update(st.names)  # type: ignore[attr-defined]
            elif t is ast.Nonlocal:
                scope.nonloc.update(st.names)  # type: ignore[attr-defined]
            elif t is ast.Delete:
                for target in st.targets:  # type: ignore[attr-defined]
                    _scan_target(target, acc)
            elif t.__name__ == "Match":
                for case in st.cases:  # type: ignore[attr-defined]
                    for sub in ast.walk(case.pattern):
                        for name in ("name", "rest"):
                            value = getattr(sub, name, None)
                            if isinstance(value, str):
                                acc.add(value)
                    self._scan(case.body, acc, scope)

    # -- names ----------------------------------------------------------------------------------
    def _read(self, scope: Scope, name: str) -> int:
        for overlay in reversed(scope.overlays):
            if name in overlay:
                return overlay[name]
        kind = scope.kind
        if kind == FUNCTION:
            if name in scope.bound:
                if name in scope.shared:  # a nested function may have rebound it: every binding
                    return self._cell(scope, name)
                return scope.env.get(name, -1)
            if name in scope.glob:
                return self._gvar(name)
            if name in scope.nonloc:
                return self._enclosing(scope.parent, name)
            return self._enclosing(scope.parent, name)
        if kind == MODULE:  # (a function defined above may have run and rebound it: `global`)
            v = scope.env.get(name, _MISSING)
            if v == _MISSING:
                return self._gvar(name)
            assigned = self.global_assigned.get(name)
            return v if assigned is None else self._union([v, assigned])
        # a class body runs at once: its own names, then what encloses it as it is now (not the
        # bodies of enclosing classes: a class scope is seen by nothing nested in it, not even by
        # the comprehensions of its own body, whose overlays are pushed)
        v = _MISSING if scope.overlays else scope.env.get(name, _MISSING)
        if v != _MISSING:
            return v
        parent = scope.parent
        while parent is not None and parent.kind == CLASS:
            parent = parent.parent
        if parent is None:
            return self._gvar(name)
        return self._read(parent, name)

    def _cell(self, scope: Scope, name: str) -> int:
        cell = scope.cells.get(name)
        if cell is None:
            cell = scope.cells[name] = self._new()
        return cell

    def _enclosing(self, scope: Scope | None, name: str, write: bool = False) -> int:
        """What a nested function reads for a free `name` (every binding it may see when it
        runs), or, with `write`, the cell a `nonlocal` assignment stores into."""
        while scope is not None:
            for overlay in reversed(scope.overlays):
                if name in overlay:
                    return overlay[name]
            if scope.kind == FUNCTION:
                if name in scope.glob:
                    return self._gvar(name)
                if name in scope.nonloc:
                    return self._enclosing(scope.parent, name, write)
                if name in scope.bound:
                    if write:
                        scope.shared.add(name)
                    return self._cell(scope, name)
            elif scope.kind == MODULE:
                return self._gvar(name)
            scope = scope.parent
        return self._gvar(name)

    def _bind(self, scope: Scope, key: Key, var: int) -> None:
        if type(key) is str:
            if scope.kind == FUNCTION:
                if key in scope.glob:
                    assigned = self.global_assigned.get(key)
                    if assigned is None:
                        assigned = self.global_assigned[key] = self._new()
                        self._copy(self._gvar(key), assigned)
                    self._copy(assigned, var)
                    return
                if key in scope.nonloc:
                    self._copy(self._enclosing(scope.parent, key, write=True), var)
                    return
                if var >= 0:
                    versions = scope.versions.get(key)
                    if versions is None:
                        scope.versions[key] = [var]
                    else:
                        versions.append(var)
            paths = scope.pathroots.pop(key, None) if scope.pathroots else None
            if paths:
                for path in sorted(paths, key=repr):
                    for n in range(1, len(path)):
                        scope.extends.pop(path[:n], None)
                    self._set(scope, path, _MISSING)
        else:
            paths = scope.pathroots.get(key[0])
            if paths is None:
                paths = scope.pathroots[key[0]] = set()
            else:  # what was bound under this path is gone (was a scan of every path: quadratic)
                stale = scope.extends.get(key)
                if stale:
                    for path in sorted(stale, key=repr):
                        self._set(scope, path, _MISSING)
            if key not in paths:
                paths.add(key)
                for n in range(1, len(key)):
                    scope.extends.setdefault(key[:n], set()).add(key)
        self._set(scope, key, var)

    def _set(self, scope: Scope, key: Key, var: int) -> None:
        if scope.log:
            entry = scope.log[-1]
            record = entry.get(key)
            if record is None:
                entry[key] = [scope.env.get(key, _MISSING), [var]]
            else:
                record[1].append(var)
        if var == _MISSING:
            scope.env.pop(key, None)
        else:
            scope.env[key] = var

    # -- branches -------------------------------------------------------------------------------
    def _merge(self, key: Key, values: list[int]) -> int:
        if type(key) is not str and _MISSING in values:
            return _MISSING  # a constant-key entry unknown on one path is unknown
        present = [v for v in values if v != _MISSING]
        if not present:
            return _MISSING
        return self._union(present)

    def _close(self, scope: Scope) -> dict[Key, list[Any]]:
        """End the innermost branch: restore the environment, pass its bindings outwards."""
        entry = scope.log.pop()
        env = scope.env
        for key, (old, _) in entry.items():
            if old == _MISSING:
                env.pop(key, None)
            else:
                env[key] = old
        if scope.log:
            outer = scope.log[-1]
            for key, (old, versions) in entry.items():
                record = outer.get(key)
                if record is None:
                    outer[key] = [old, list(versions)]
                else:
                    record[1].extend(versions)
        return entry

    def _branches(self, scope: Scope, walks: list[Callable[[], bool]]) -> None:
        """Run alternative paths from the current environment, then bind what they merge to.
        Each walk returns whether its path ends (return, raise, break, continue)."""
        outcomes: list[tuple[dict[Key, list[Any]], dict[Key, int]]] = []
        for walk in walks:
            scope.log.append({})
            ended = walk()
            final = {k: scope.env.get(k, _MISSING) for k in scope.log[-1]}
            entry = self._close(scope)
            if not ended:
                outcomes.append((entry, final))
        if not outcomes:
            return
        keys: dict[Key, None] = {}
        for entry, _ in outcomes:
            keys.update(dict.fromkeys(entry))
        for key in keys:
            current = scope.env.get(key, _MISSING)
            values = [final[key] if key in entry else current for entry, final in outcomes]
            merged = self._merge(key, values)
            if merged != current:
                self._bind_merged(scope, key, merged)

    def _bind_merged(self, scope: Scope, key: Key, var: int) -> None:
        if type(key) is str and scope.kind == FUNCTION and (key in scope.glob or key in scope.nonloc):
            return
        self._set(scope, key, var)
        if type(key) is str and scope.kind == FUNCTION and var >= 0:
            scope.versions.setdefault(key, []).append(var)

    def _restore_to(self, scope: Scope, values: dict[Key, int]) -> None:
        for key, var in values.items():
            if scope.env.get(key, _MISSING) != var:
                self._bind_merged(scope, key, var)

    # -- statements -----------------------------------------------------------------------------
    def _stmts(self, scope: Scope, body: list[ast.stmt]) -> None:
        st = self._st
        for stmt in body:
            handler = st.get(type(stmt))
            if handler is None:
                self._generic(scope, stmt)
            else:
                handler(scope, stmt)

    def _s_nothing(self, scope: Scope, node: ast.stmt) -> None:
        return None

    def _s_expr(self, scope: Scope, node: ast.Expr) -> None:
        value = node.value
        if type(value) is ast.Call:
            func = value.func
            if scope.kind == MODULE and type(func) is ast.Attribute and type(func.value) is ast.Name \
                    and func.value.id == "__all__" and func.attr in ("extend", "append") and value.args:
                arg = value.args[0]
                self._exports(ast.List([arg], ast.Load()) if func.attr == "append" else arg, replace=False)
            self._call(scope, value, False)
        elif type(value) is not ast.Constant:
            self._expr(scope, value)

    def _s_return(self, scope: Scope, node: ast.Return) -> None:
        if node.value is not None:
            scope.returns.append(self._expr(scope, node.value))

    def _s_delete(self, scope: Scope, node: ast.Delete) -> None:
        for target in node.targets:
            if type(target) is ast.Name:
                self._bind(scope, target.id, -1)
            elif type(target) is ast.Subscript:  # `del s[i]`: what followed moved up
                self._effect(scope, target.slice)
                self._moved(scope, target.value, self._expr(scope, target.value))
            else:
                self._effect(scope, target)

    def _s_assign(self, scope: Scope, node: ast.Assign) -> None:
        value = node.value
        targets = node.targets
        if scope.kind == MODULE and any(type(t) is ast.Name and t.id == "__all__" for t in targets):
            self._exports(value, replace=True)
        shape = self._shape(scope, value)
        for target in targets:
            self._assign(scope, target, shape)

    def _s_annassign(self, scope: Scope, node: ast.AnnAssign) -> None:
        if node.value is None:
            if type(node.target) is not ast.Name:
                self._effect(scope, node.target)
            return
        if scope.kind == MODULE and type(node.target) is ast.Name and node.target.id == "__all__":
            self._exports(node.value, replace=True)
        self._assign(scope, node.target, self._shape(scope, node.value))

    def _s_augassign(self, scope: Scope, node: ast.AugAssign) -> None:
        target = node.target
        if scope.kind == MODULE and type(target) is ast.Name and target.id == "__all__":
            self._exports(node.value, replace=False)
            self._expr(scope, node.value)
            return
        value = self._expr(scope, node.value)
        if type(target) is ast.Name:
            old = self._read(scope, target.id)
            if value >= 0:
                self._bind(scope, target.id, self._union([old, value]))
        elif type(target) is ast.Attribute:
            obj = self._expr(scope, target.value)
            if obj >= 0 and value >= 0:
                self.facts.stores.append((obj, target.attr, value))
        else:
            self._effect(scope, target)

    def _exports(self, value: ast.expr, replace: bool) -> None:
        names = _literal_strings(value)
        if names is None:
            self.exports_dynamic = True
            if self.exports is None:
                self.exports = []
            return
        if replace or self.exports is None:
            self.exports = list(names)
            if replace:
                self.exports_dynamic = False
        else:
            self.exports.extend(names)

    def _s_for(self, scope: Scope, node: ast.For | ast.AsyncFor) -> None:
        source = self._expr(scope, node.iter)
        item = -1
        if source >= 0:
            item = self._new()
            kind = AITERATE if type(node) is ast.AsyncFor else ITERATE
            self.facts.protocols.append((kind, item, source, scope.caller))

        def before() -> None:
            self._assign(scope, node.target, (item, None))

        self._loop(scope, node, before, node.body)
        self._stmts(scope, node.orelse)

    def _s_while(self, scope: Scope, node: ast.While) -> None:
        self._loop(scope, node, lambda: self._effect(scope, node.test), node.body)
        self._stmts(scope, node.orelse)

    def _loop(self, scope: Scope, node: ast.stmt, before: Callable[[], None], body: list[ast.stmt]) -> None:
        phis: dict[str, int] = {}
        for name in sorted(scope.loops.get(id(node), ())):
            if scope.kind == FUNCTION and (name in scope.glob or name in scope.nonloc):
                continue
            phi = self._new()
            current = scope.env.get(name, _MISSING)
            if current >= 0:
                self.facts.copies.append((phi, current))
            phis[name] = phi
            self._bind(scope, name, phi)
        scope.log.append({})
        before()
        self._stmts(scope, body)
        entry = scope.log[-1]
        exits: dict[Key, int] = {}
        for key, (old, versions) in entry.items():
            merged = phis.get(key) if type(key) is str else None
            if merged is not None:
                for v in versions:
                    if v >= 0 and v != merged:
                        self.facts.copies.append((merged, v))
                exits[key] = merged
            else:
                exits[key] = self._merge(key, [old, *versions])
        self._close(scope)
        self._restore_to(scope, exits)

    def _s_if(self, scope: Scope, node: ast.If) -> None:
        self._effect(scope, node.test)
        self._branches(scope, [lambda: self._walk(scope, node.body), lambda: self._walk(scope, node.orelse)])

    def _walk(self, scope: Scope, body: list[ast.stmt]) -> bool:
        self._stmts(scope, body)
        return _ends(body)

    def _s_try(self, scope: Scope, node: Any) -> None:
        scope.log.append({})
        self._stmts(scope, node.body)
        after_body = {k: scope.env.get(k, _MISSING) for k in scope.log[-1]}
        entry = self._close(scope)
        # a handler may start anywhere in the body: it sees every binding the body made
        at_handler = {key: self._merge(key, [old, *versions]) for key, (old, versions) in entry.items()}
        body_ends = _ends(node.body)

        def normal() -> bool:
            if body_ends:
                return True
            self._restore_to(scope, after_body)
            return self._walk(scope, node.orelse)

        def handler(h: ast.ExceptHandler) -> Callable[[], bool]:
            def walk() -> bool:
                self._restore_to(scope, at_handler)
                if h.type is not None:
                    self._effect(scope, h.type)
                if h.name:
                    self._bind(scope, h.name, -1)
                return self._walk(scope, h.body)
            return walk

        self._branches(scope, [normal] + [handler(h) for h in node.handlers])
        self._stmts(scope, node.finalbody)

    def _s_match(self, scope: Scope, node: Any) -> None:
        self._effect(scope, node.subject)

        def case_walk(case: Any) -> Callable[[], bool]:
            def walk() -> bool:
                for sub in ast.walk(case.pattern):
                    for name in ("name", "rest"):
                        value = getattr(sub, name, None)
                        if isinstance(value, str):
                            self._bind(scope, value, -1)
                    for field_name in ("value", "cls"):
                        value = getattr(sub, field_name, None)
                        if isinstance(value, ast.expr):
                            self._effect(scope, value)
                if case.guard is not None:
                    self._effect(scope, case.guard)
                return self._walk(scope, case.body)
            return walk

        walks = [case_walk(c) for c in node.cases]
        last = node.cases[-1].pattern if node.cases else None
        if not (type(last).__name__ == "MatchAs" and getattr(last, "pattern", 1) is None):
            walks.append(lambda: False)  # no case matched
        self._branches(scope, walks)

    def _s_with(self, scope: Scope, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            source = self._expr(scope, item.context_expr)
            result = -1
            if source >= 0:
                result = self._new() if item.optional_vars is not None else -1
                kind = AENTER if type(node) is ast.AsyncWith else ENTER
                self.facts.protocols.append((kind, result, source, scope.caller))
            if item.optional_vars is not None:
                self._assign(scope, item.optional_vars, (result, None))
        self._stmts(scope, node.body)

    def _s_raise(self, scope: Scope, node: ast.Raise) -> None:
        if node.exc is not None:
            source = self._expr(scope, node.exc)
            if source >= 0:
                self.facts.protocols.append((RAISE, -1, source, scope.caller))
        if node.cause is not None:
            self._effect(scope, node.cause)

    def _s_import(self, scope: Scope, node: ast.Import | ast.ImportFrom) -> None:
        facts = self.facts
        for alias in node.names:
            if isinstance(node, ast.Import):
                ref = ImportRef(alias.name, None, alias.asname, 0)
                local = alias.asname or alias.name.partition(".")[0]
            else:
                ref = ImportRef(node.module or "", alias.name, alias.asname, node.level)
                local = alias.asname or alias.name
            facts.imports.append(ref)
            if alias.name == "*":
                continue
            var = self._new()
            facts.bound.append((var, len(facts.imports) - 1))
            self._bind(scope, local, var)

    def _generic(self, scope: Scope, node: ast.AST) -> None:
        """Statements with nothing to bind (assert, type aliases...): their expressions."""
        for name in node._fields:
            value = getattr(node, name)
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self._stmts(scope, value)
                else:
                    for item in value:
                        if isinstance(item, ast.expr):
                            self._effect(scope, item)
            elif isinstance(value, ast.expr):
                self._effect(scope, value)

    # -- assignment -----------------------------------------------------------------------------
    def _shape(self, scope: Scope, node: ast.expr) -> tuple[int, tuple[tuple[Any, Any], ...] | None]:
        """The value of `node`, and for literal tuples, lists and dicts their items (key, shape)."""
        t = type(node)
        if (t is ast.Tuple or t is ast.List) and not any(type(e) is ast.Starred for e in node.elts):  # type: ignore[attr-defined]
            items = tuple((i, self._shape(scope, e)) for i, e in enumerate(node.elts))  # type: ignore[attr-defined]
            return self._container(SEQUENCE, tuple((k, s[0]) for k, s in items), True), items
        if t is ast.Dict and all(k is not None and _const_key(k) is not None for k in node.keys):  # type: ignore[attr-defined]
            items = tuple((_const_key(k), self._shape(scope, v))  # type: ignore[arg-type]
                          for k, v in zip(node.keys, node.values, strict=True))  # type: ignore[attr-defined]
            return self._container(MAPPING, tuple((k, s[0]) for k, s in items), True), items
        return self._expr(scope, node), None

    def _assign(self, scope: Scope, target: ast.expr, shape: tuple[int, Any]) -> None:
        t = type(target)
        var, items = shape
        if t is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            if scope.kind == FUNCTION and name not in scope.bound and name not in scope.glob \
                    and name not in scope.nonloc:
                scope.bound.add(name)  # bound by a walrus or another form the pre-scan skips
            self._bind(scope, name, var)
            if items is not None:
                self._bind_items(scope, (name,), items)
        elif t is ast.Tuple or t is ast.List:
            self._unpack(scope, target.elts, var, items)  # type: ignore[attr-defined]
        elif t is ast.Attribute:
            obj = self._expr(scope, target.value)  # type: ignore[attr-defined]
            if obj >= 0 and var >= 0:
                self.facts.stores.append((obj, target.attr, var))  # type: ignore[attr-defined]
        elif t is ast.Subscript:
            key = _const_key(target.slice)  # type: ignore[attr-defined]
            if key is None:
                self._effect(scope, target.slice)  # type: ignore[attr-defined]
            obj = self._expr(scope, target.value)  # type: ignore[attr-defined]
            if obj >= 0 and var >= 0:
                self.facts.substores.append((obj, key, var))
            path = _path(target) if key is not None else None
            if path is not None and self._tracks(scope, path):
                self._bind(scope, path, var)
                if items is not None:
                    self._bind_items(scope, path, items)
        elif t is ast.Starred:
            self._assign(scope, target.value, shape)  # type: ignore[attr-defined]
        else:
            self._effect(scope, target)

    def _bind_items(self, scope: Scope, path: tuple[Any, ...], items: tuple[tuple[Any, Any], ...]) -> None:
        for key, (var, sub) in items:
            self._bind(scope, (*path, key), var)
            if sub is not None:
                self._bind_items(scope, (*path, key), sub)

    def _unpack(self, scope: Scope, targets: list[ast.expr], var: int, items: Any) -> None:
        if var in self.mappings:
            items = None  # a dict's items are its values, what unpacking gives its keys
        starred = [i for i, t in enumerate(targets) if type(t) is ast.Starred]
        if items is not None and not starred and len(items) == len(targets):
            for target, (_, shape) in zip(targets, items, strict=True):
                self._assign(scope, target, shape)
            return
        if items is not None and len(starred) == 1 and len(items) >= len(targets) - 1:
            s = starred[0]
            tail = len(targets) - s - 1
            for target, (_, shape) in zip(targets[:s], items[:s], strict=True):
                self._assign(scope, target, shape)
            middle = items[s: len(items) - tail]
            rest = tuple((i, sh) for i, (_, sh) in enumerate(middle))
            self._assign(scope, targets[s], (self._container(SEQUENCE, tuple((k, sh[0]) for k, sh in rest)), rest))
            for target, (_, shape) in zip(targets[s + 1:], items[len(items) - tail:], strict=True):
                self._assign(scope, target, shape)
            return
        after_star = False
        for i, target in enumerate(targets):
            if type(target) is ast.Starred:
                after_star = True
                element = self._subload(var, None, iterate=True)
                self._assign(scope, target, (self._container(SEQUENCE, ((None, element),)), None))
                continue
            self._assign(scope, target, (self._subload(var, None if after_star else i, iterate=True), None))

    def _container(self, kind: int, items: tuple[tuple[Any, int], ...], empty: bool = False) -> int:
        """A container literal: a new object whose entries hold the items' values. Literals of
        constants alone are left out (nothing to follow), empty ones kept (they get filled)."""
        slots = tuple((k, v) for k, v in items if v >= 0)
        if not slots and not (empty and not items):
            return -1
        var = self._new()
        self.facts.containers.append((var, kind, slots))
        if kind == MAPPING:
            self.mappings.add(var)
        elif all(type(k) is int for k, _ in items):
            self.seqlen[var] = [v for _, v in items]
        return var

    def _subload(self, obj: int, key: Any, iterate: bool = False) -> int:
        """`obj[key]` (None: an unknown key), or with `iterate` the item at position `key` (None:
        any) of what iterating obj gives (unpacking, `*obj`, `yield from`, `extend`)."""
        if obj < 0:
            return -1
        cache_key = (obj, key, iterate)
        var = self.subloaded.get(cache_key)
        if var is None:
            var = self.subloaded[cache_key] = self._new()
            if iterate:
                self.facts.unpacks.append((var, obj, key))
            else:
                self.facts.subloads.append((var, obj, key))
        return var

    # -- expressions ----------------------------------------------------------------------------
    def _expr(self, scope: Scope, node: ast.expr) -> int:
        handler = self._ex.get(type(node))
        if handler is None:
            return self._e_generic(scope, node)
        return handler(scope, node)

    def _effect(self, scope: Scope, node: ast.expr) -> None:
        if type(node) is ast.Call:
            self._call(scope, node, False)
        elif type(node) is not ast.Constant:
            self._expr(scope, node)

    def _e_generic(self, scope: Scope, node: ast.AST) -> int:
        kind = type(node)
        names = self._child_fields.get(kind)
        if names is None:
            names = self._child_fields[kind] = tuple(
                n for n in kind._fields if n not in ("ctx", "op", "ops", "conversion", "kind"))
        for name in names:
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.expr):
                        self._effect(scope, item)
            elif isinstance(value, ast.expr):
                self._effect(scope, value)
        return -1

    def _e_nothing(self, scope: Scope, node: ast.expr) -> int:
        return -1

    def _e_name(self, scope: Scope, node: ast.Name) -> int:
        return self._read(scope, node.id)

    def _e_inner(self, scope: Scope, node: ast.Starred | ast.Await) -> int:
        return self._expr(scope, node.value)

    def _e_attribute(self, scope: Scope, node: ast.Attribute) -> int:
        value = node.value
        if type(value) is ast.Call and type(value.func) is ast.Name and value.func.id == "super":
            return self._super(scope, value, node.attr)
        obj = self._expr(scope, value)
        return self._load(obj, node.attr)

    def _load(self, obj: int, attr: str) -> int:
        if obj < 0:
            return -1
        key = (obj, attr)
        var = self.loaded.get(key)
        if var is None:
            var = self.loaded[key] = self._new()
            self.facts.loads.append((var, obj, attr))
        return var

    def _super(self, scope: Scope, call: ast.Call, attr: str) -> int:
        """`super().attr` in a method: `attr` after the method's class in the MRO of self."""
        for arg in call.args:
            self._effect(scope, arg)
        if scope.kind != FUNCTION or scope.owner < 0 or not scope.params or call.keywords:
            return -1
        if call.args:
            if len(call.args) != 2 or type(call.args[0]) is not ast.Name:
                return -1
            if call.args[0].id != self._class_names[scope.owner]:
                return -1
            this = self._expr(scope, call.args[1])
        else:
            this = self._read(scope, scope.params[0])
        if this < 0:
            return -1
        var = self._new()
        self.facts.supers.append((var, this, scope.owner, attr))
        return var

    def _e_subscript(self, scope: Scope, node: ast.Subscript) -> int:
        path = _path(node)
        if path is not None:
            var = self._path_value(scope, path)
            if var != _MISSING:
                return var
        index = node.slice
        obj = self._expr(scope, node.value)
        if type(index) is ast.Slice:
            for part in (index.lower, index.upper, index.step):
                if part is not None:
                    self._effect(scope, part)
            return self._slice(obj, index)
        key = _const_key(index)
        if key is None:
            self._effect(scope, index)
        return self._subload(obj, key)

    def _path_value(self, scope: Scope, path: tuple[Any, ...]) -> int:
        if not self._tracks(scope, path) or scope.overlays and (
                scope.kind == CLASS or any(path[0] in o for o in scope.overlays)):
            return _MISSING
        return scope.env.get(path, _MISSING)

    @staticmethod
    def _tracks(scope: Scope, path: tuple[Any, ...]) -> bool:
        """Constant-key entries are followed for the scope's own names only."""
        return scope.kind != FUNCTION or path[0] in scope.bound

    def _slice(self, obj: int, index: ast.Slice) -> int:
        """A slice of a literal list with constant bounds is a new list of those elements."""
        elements = self.seqlen.get(obj)
        parts = (index.lower, index.upper, index.step)
        bounds = [None if p is None else _const_key(p) for p in parts]
        if elements is None or any(b is not None and type(b) is not int for b in bounds) or \
                any(p is not None and b is None for p, b in zip(parts, bounds, strict=True)):
            return -1
        try:
            chosen = elements[slice(*bounds)]
        except ValueError:
            return -1
        return self._container(SEQUENCE, tuple(enumerate(chosen)))

    def _e_ifexp(self, scope: Scope, node: ast.IfExp) -> int:
        self._effect(scope, node.test)
        return self._union([self._expr(scope, node.body), self._expr(scope, node.orelse)])

    def _e_boolop(self, scope: Scope, node: ast.BoolOp) -> int:
        return self._union([self._expr(scope, v) for v in node.values])

    def _e_walrus(self, scope: Scope, node: ast.NamedExpr) -> int:
        var = self._expr(scope, node.value)
        self._assign(scope, node.target, (var, None))
        return var

    def _e_sequence(self, scope: Scope, node: ast.Tuple | ast.List | ast.Set) -> int:
        items: list[tuple[Any, int]] = []
        unknown = type(node) is ast.Set
        for i, element in enumerate(node.elts):
            if type(element) is ast.Starred:
                unknown = True
                items.append((None, self._subload(self._expr(scope, element.value), None, iterate=True)))
            else:
                items.append((None if unknown else i, self._expr(scope, element)))
        return self._container(SEQUENCE, tuple(items), type(node) is not ast.Tuple)

    def _e_dict(self, scope: Scope, node: ast.Dict) -> int:
        items: list[tuple[Any, int]] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # **other
                items.append((None, self._subload(self._expr(scope, value), None)))
                continue
            k = _const_key(key)
            if k is None:
                self._effect(scope, key)
            items.append((k, self._expr(scope, value)))
        return self._container(MAPPING, tuple(items), True)

    def _e_yield(self, scope: Scope, node: ast.Yield | ast.YieldFrom) -> int:
        if node.value is None:
            return -1
        var = self._expr(scope, node.value)
        target = scope
        while target.kind != FUNCTION and target.parent is not None:
            target = target.parent
        if target.kind == FUNCTION:
            if target.gen < 0:
                target.gen = self._new()
            if type(node) is ast.YieldFrom:
                var = self._subload(var, None, iterate=True)
            self._copy(target.gen, var)
        return -1

    def _e_comprehension(self, scope: Scope, node: Any) -> int:
        """The first iterable is evaluated where the comprehension is; the rest runs in its own
        scope (the overlay), which in a class body does not see the class's names (`_read`)."""
        overlay: dict[str, int] = {}
        pushed = False
        for generator in node.generators:
            source = self._expr(scope, generator.iter)
            if not pushed:
                scope.overlays.append(overlay)
                pushed = True
            item = -1
            if source >= 0:
                item = self._new()
                self.facts.protocols.append((AITERATE if generator.is_async else ITERATE, item, source, scope.caller))
            self._bind_overlay(scope, overlay, generator.target, item)
            for condition in generator.ifs:
                self._effect(scope, condition)
        if type(node) is ast.DictComp:
            self._effect(scope, node.key)
            element = self._expr(scope, node.value)
        else:
            element = self._expr(scope, node.elt)
        if pushed:
            scope.overlays.pop()
        return self._container(MAPPING if type(node) is ast.DictComp else SEQUENCE, ((None, element),))

    def _bind_overlay(self, scope: Scope, overlay: dict[str, int], target: ast.expr, var: int) -> None:
        t = type(target)
        if t is ast.Name:
            overlay[target.id] = var  # type: ignore[attr-defined]
        elif t is ast.Tuple or t is ast.List:
            after_star = False
            for i, element in enumerate(target.elts):  # type: ignore[attr-defined]
                if type(element) is ast.Starred:
                    after_star = True
                    self._bind_overlay(scope, overlay, element.value, -1)
                else:
                    self._bind_overlay(scope, overlay, element, self._subload(var, None if after_star else i,
                                                                              iterate=True))
        else:
            self._assign(scope, target, (var, None))

    # -- calls ----------------------------------------------------------------------------------
    def _e_call(self, scope: Scope, node: ast.Call) -> int:
        return self._call(scope, node, True)

    def _call(self, scope: Scope, node: ast.Call, want: bool) -> int:
        func = node.func
        facts = self.facts
        base = -1
        if type(func) is ast.Attribute and not (type(func.value) is ast.Call and type(func.value.func) is ast.Name
                                                and func.value.func.id == "super"):
            base = self._expr(scope, func.value)
            callee = self._load(base, func.attr)
        else:
            callee = self._expr(scope, func)
        args: list[int] = []
        star = False
        items = None
        for arg in node.args:
            if items is None and base >= 0 and type(arg) is ast.Dict and getattr(func, "attr", None) == "update":
                var, items = self._shape(scope, arg)
                args.append(var)
            elif type(arg) is ast.Starred:
                value = self._expr(scope, arg.value)
                spread = -1 if star else self.varargs.get(value, -1)
                if spread >= 0:  # a function's own `*args` passed on: each entry where it was given
                    args.extend(range(spread, spread + VARARG_SLOTS))
                else:
                    args.append(-1)
                star = True  # (what follows sits at an unknown position)
            else:
                var = self._expr(scope, arg)
                args.append(-1 if star else var)
        keywords: list[tuple[str, int]] = []
        for keyword in node.keywords:
            var = self._expr(scope, keyword.value)
            if keyword.arg is not None and var >= 0:
                keywords.append((keyword.arg, var))
        while args and args[-1] < 0:
            args.pop()
        extra = -1
        if base >= 0:
            extra = self._container_method(scope, func, base, node, args, items)  # type: ignore[arg-type]
        elif type(func) is ast.Name and func.id in _CALLING_BUILTINS and self._is_builtin(scope, func.id):
            results = []
            for a in args:
                if a >= 0:
                    result = self._new()
                    facts.calls.append((result, a, scope.caller, (), ()))
                    results.append(result)
            facts.unknown_calls += 1
            return self._container(SEQUENCE, ((None, self._union(results)),)) if want else -1
        if callee < 0:
            facts.unknown_calls += 1
            return extra if want else -1
        dst = self._new() if want else -1
        facts.calls.append((dst, callee, scope.caller, tuple(args), tuple(keywords)))
        if extra >= 0 and dst >= 0:
            return self._union([dst, extra])
        return dst

    def _container_method(self, scope: Scope, func: ast.Attribute, base: int, node: ast.Call,
                          args: list[int], items: Any) -> int:
        """What list, set and dict methods do to the containers they are called on."""
        attr = func.attr
        position = _ADDERS.get(attr)
        substores = self.facts.substores
        if position is not None and len(args) > position and args[position] >= 0:
            key = _const_key(node.args[0]) if attr == "setdefault" and node.args else None
            substores.append((base, key, args[position]))
        elif attr in ("extend", "update") and args and args[0] >= 0:
            if items is not None:  # d.update({"k": v}): the entries, by key
                for key, (var, _) in items:
                    if var >= 0:
                        substores.append((base, key, var))
                path = _root_path(func.value)
                if path is not None and self._tracks(scope, path):
                    self._bind_items(scope, path, items)
            else:
                substores.append((base, None, self._subload(args[0], None, iterate=attr == "extend")))
        result = self._subload(base, _const_key(node.args[0])) if attr in _GETTERS and node.args else -1
        if attr in _MOVERS:
            self._moved(scope, func.value, base)
        return result

    def _moved(self, scope: Scope, node: ast.expr, var: int) -> None:
        """The entries of the list `node` (held by var) may have moved: an index reads any of them
        (a dict's keys do not move: resolution leaves dicts as they are)."""
        if var >= 0:
            self.facts.moves.append(var)
        path = _root_path(node)
        if path is not None:
            for stale in sorted(scope.extends.get(path, ()), key=repr):
                self._set(scope, stale, _MISSING)

    def _is_builtin(self, scope: Scope, name: str) -> bool:
        s: Scope | None = scope
        while s is not None:
            if any(name in o for o in s.overlays) or name in s.env or (s.kind == FUNCTION and name in s.bound):
                return False
            s = s.parent
        return name not in self.module_bound

    # -- definitions ----------------------------------------------------------------------------
    def _decorators(self, scope: Scope, node: Any) -> tuple[list[int], int, int]:
        """Evaluate decorators (outermost first); returns their variables, the kind they give the
        function, and the kind they give what the others return (-1: none), which a builtin
        outside all of them gives (`@staticmethod` over `@deco`: deco's wrapper is static)."""
        kind = outer = -1
        found: list[int] = []
        for d in node.decorator_list:
            if type(d) is ast.Name and d.id in _BUILTIN_KINDS and self._is_builtin(scope, d.id):
                kind = _BUILTIN_KINDS[d.id]
            elif type(d) is ast.Attribute and d.attr in _PROPERTY_PARTS:
                self._effect(scope, d.value)
                kind = PROPERTY
            else:
                found.append(self._expr(scope, d))
                continue
            if not found and outer < 0:
                outer = kind
        return found, kind, outer

    def _decorate(self, scope: Scope, decorators: list[int], var: int) -> int:
        """Apply decorators innermost first: the name is bound to what they return."""
        facts = self.facts
        for d in reversed(decorators):
            if d < 0:
                continue  # a decorator we cannot follow: assume it keeps the function
            result = self._new()
            facts.calls.append((result, d, scope.caller, (var,), ()))
            facts.decorated.append((result, var, d))
            var = result
        return var

    def _s_function(self, scope: Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        decorators, kind, outer = self._decorators(scope, node)
        if kind < 0:
            kind = METHOD if scope.kind == CLASS else PLAIN
        if scope.kind == CLASS and node.name in _IMPLICIT_KINDS:  # (type() makes whatever is bound there one)
            kind = outer = _IMPLICIT_KINDS[node.name]
        var = self._function(scope, node, node.args, node.body, "Function", kind)
        result = self._decorate(scope, decorators, var)
        if scope.kind == CLASS and outer >= 0 and result != var:
            self.facts.kinds.append((result, outer))
            self.kind_of[result] = outer
        self._bind(scope, node.name, result)

    def _e_lambda(self, scope: Scope, node: ast.Lambda) -> int:
        return self._function(scope, node, node.args, node.body, "Lambda", PLAIN)

    def _function(self, scope: Scope, node: Any, arguments: ast.arguments, body: Any, label: str, kind: int) -> int:
        facts = self.facts
        positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        params = (*positional, *(a.arg for a in arguments.kwonlyargs))
        defaults = [self._expr(scope, d) for d in arguments.defaults]
        kw_defaults = [-1 if d is None else self._expr(scope, d) for d in arguments.kw_defaults]
        node_id, qualname = self._defined(node, scope, label)
        index = len(facts.functions)
        facts.functions.append(None)  # type: ignore[arg-type]  # filled below, after the body
        facts.scopes.append((label, node_id))
        inner = Scope(FUNCTION, label, node_id, f"{qualname}.<locals>.", len(facts.scopes) - 1, scope)
        inner.fn_index = index
        inner.owner = scope.owner if scope.kind == CLASS and label == "Function" else -1
        first = self.nvars
        self.nvars += len(params)
        inner.first = first
        inner.params = params
        copies = facts.copies
        for i, d in enumerate(defaults):
            if d >= 0:
                copies.append((first + len(positional) - len(defaults) + i, d))
        for i, d in enumerate(kw_defaults):
            if d >= 0:
                copies.append((first + len(positional) + i, d))
        inner.bound.update(params)
        for i, name in enumerate(params):
            inner.env[name] = first + i
            inner.versions[name] = [first + i]
        vararg = -1
        if arguments.vararg is not None:  # a tuple: the arguments past the parameters, by position, then the rest
            name = arguments.vararg.arg
            vararg = self.nvars
            self.nvars += VARARG_SLOTS + 1
            packed = self._new()
            slots = (*((i, vararg + i) for i in range(VARARG_SLOTS)), (VARARG_REST, vararg + VARARG_SLOTS))
            facts.containers.append((packed, SEQUENCE, slots))
            self.varargs[packed] = vararg
            inner.bound.add(name)
            inner.env[name] = packed
            inner.versions[name] = [packed]
        if arguments.kwarg is not None:
            inner.bound.add(arguments.kwarg.arg)
            inner.env[arguments.kwarg.arg] = -1
        ret = self._new()
        if label == "Lambda":
            inner.returns.append(self._expr(inner, body))
        else:
            self._scan(body, inner.bound, inner)
            inner.bound -= inner.glob | inner.nonloc
            self._stmts(inner, body)
        for name, cell in inner.cells.items():
            for v in inner.versions.get(name, ()):
                self._copy(cell, v)
        returned = {v for v in inner.returns if v >= 0}
        passthrough = -1
        if inner.gen < 0 and len(returned) == 1:
            (only,) = returned
            if first <= only < first + len(params):
                passthrough = only - first
        if passthrough < 0:
            for v in sorted(returned):
                copies.append((ret, v))
        facts.functions[index] = FunctionFacts(
            node_id, label, params, len(positional), first, ret, kind,
            inner.owner if kind != PLAIN else -1, inner.gen, passthrough, len(arguments.posonlyargs), vararg)
        var = self._new()
        facts.objects.append((var, 0, index))
        return var

    def _s_class(self, scope: Scope, node: ast.ClassDef) -> None:
        facts = self.facts
        decorators, _, _ = self._decorators(scope, node)
        bases = tuple(self._expr(scope, b) for b in node.bases)
        for keyword in node.keywords:
            self._effect(scope, keyword.value)
        node_id, qualname = self._defined(node, scope, "Class")
        index = len(facts.classes)
        facts.classes.append(None)  # type: ignore[arg-type]
        self._class_names.append(node.name)
        facts.scopes.append(("Class", node_id))
        inner = Scope(CLASS, "Class", node_id, f"{qualname}.", len(facts.scopes) - 1, scope)
        inner.owner = index
        self._scan(node.body, inner.bound, inner)
        self._stmts(inner, node.body)
        attrs = {k: v for k, v in inner.env.items() if type(k) is str}
        facts.classes[index] = ClassFacts(node_id, node.name, bases, attrs)
        var = self._new()
        facts.objects.append((var, 1, index))
        self._bind(scope, node.name, self._decorate(scope, decorators, var))


def _scan_target(target: ast.expr, acc: set[str]) -> None:
    t = type(target)
    if t is ast.Name:
        acc.add(target.id)  # type: ignore[attr-defined]
    elif t is ast.Tuple or t is ast.List:
        for element in target.elts:  # type: ignore[attr-defined]
            _scan_target(element, acc)
    elif t is ast.Starred:
        _scan_target(target.value, acc)  # type: ignore[attr-defined]


def _path(node: ast.expr) -> tuple[Any, ...] | None:
    """`d["a"][0]` -> ("d", "a", 0): a name followed by constant subscripts, else None."""
    keys: list[Any] = []
    while type(node) is ast.Subscript:
        key = _const_key(node.slice)  # type: ignore[attr-defined]
        if key is None:
            return None
        keys.append(key)
        node = node.value  # type: ignore[attr-defined]
    if type(node) is not ast.Name or not keys:
        return None
    return (node.id, *reversed(keys))  # type: ignore[attr-defined]


def _root_path(node: ast.expr) -> tuple[Any, ...] | None:
    if type(node) is ast.Name:
        return (node.id,)
    return _path(node)


def _literal_strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        out = []
        for e in node.elts:
            if type(e) is ast.Constant and isinstance(e.value, str):
                out.append(e.value)
            else:
                return None
        return out
    return None
