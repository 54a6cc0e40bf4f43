"""Turn the pending references of all parsed modules into IMPORTS, INHERITS and CALLS edges.

Runs once, single-threaded, after every worker has finished. Only references that lead to an
entity of the indexed codebase become edges; everything else (builtins, third-party code,
dynamic attributes) is counted as unresolved, never guessed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from indexer.model import ClassFacts, Edge, ImportRef, ModuleFacts

_MAX_HOPS = 8  # re-export chains followed through package __init__ files

Target = tuple[str, str]  # (label, id)


@dataclass
class Resolution:
    edges: list[Edge]
    resolved: Counter[str] = field(default_factory=Counter)
    unresolved: Counter[str] = field(default_factory=Counter)


@dataclass
class _Binding:
    module: str | None = None  # bound to a module of the codebase
    source: str | None = None  # ... or to `name` looked up in module `source`
    name: str | None = None


class Resolver:
    def __init__(self, modules: list[ModuleFacts]) -> None:
        self.by_name: dict[str, ModuleFacts] = {}
        for facts in sorted(modules, key=lambda m: m.module_id):
            self.by_name.setdefault(facts.name, facts)
        self.classes: dict[str, ClassFacts] = {c.id: c for m in modules for c in m.classes}
        self.class_module: dict[str, ModuleFacts] = {c.id: m for m in modules for c in m.classes}
        self.bindings: dict[str, dict[str, _Binding]] = {}
        self.star: dict[str, list[str]] = {}
        self.import_targets: dict[str, list[str | None]] = {}
        for facts in modules:
            self._bind_imports(facts)
        self.modules = modules
        self._bases: dict[str, list[str]] = {}

    # -- imports ------------------------------------------------------------------------
    def _absolute(self, facts: ModuleFacts, ref: ImportRef) -> str | None:
        if ref.level == 0:
            return ref.module
        package = facts.name if facts.is_package else facts.name.rpartition(".")[0]
        parts = package.split(".") if package else []
        if ref.level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (ref.level - 1)]
        return ".".join(base + ([ref.module] if ref.module else []))

    def _bind_imports(self, facts: ModuleFacts) -> None:
        table: dict[str, _Binding] = {}
        stars: list[str] = []
        targets: list[str | None] = []
        for ref in facts.imports:
            base = self._absolute(facts, ref)
            if base is None:
                targets.append(None)
                continue
            if ref.name is None:  # import a.b.c [as x]
                targets.append(base if base in self.by_name else None)
                if ref.alias:
                    table[ref.alias] = _Binding(module=base)
                else:
                    top = base.split(".")[0]
                    table[top] = _Binding(module=top)
            elif ref.name == "*":
                targets.append(base if base in self.by_name else None)
                stars.append(base)
            else:
                sub = f"{base}.{ref.name}" if base else ref.name
                local = ref.alias or ref.name
                if sub in self.by_name:
                    targets.append(sub)
                    table[local] = _Binding(module=sub)
                else:
                    targets.append(base if base in self.by_name else None)
                    table[local] = _Binding(source=base, name=ref.name)
        self.bindings[facts.module_id] = table
        self.star[facts.module_id] = stars
        self.import_targets[facts.module_id] = targets

    # -- names ----------------------------------------------------------------------------
    def _member(self, module_name: str, name: str, hops: int = 0) -> Target | str | None:
        """What `name` means inside module `module_name`: an entity, a module name, or None."""
        facts = self.by_name.get(module_name)
        if facts is None or hops > _MAX_HOPS:
            return None
        found = facts.toplevel.get(name)
        if found is not None:
            return found
        sub = f"{module_name}.{name}"
        binding = self.bindings[facts.module_id].get(name)
        if binding is not None:
            return self._follow(binding, hops + 1)
        if sub in self.by_name:
            return sub
        for star in self.star[facts.module_id]:
            got = self._member(star, name, hops + 1)
            if got is not None:
                return got
        return None

    def _follow(self, binding: _Binding, hops: int) -> Target | str | None:
        if binding.module is not None:
            return binding.module if binding.module in self.by_name else None
        assert binding.source is not None and binding.name is not None
        return self._member(binding.source, binding.name, hops)

    def resolve_dotted(self, facts: ModuleFacts, expr: str) -> Target | str | None:
        first, *rest = expr.split(".")
        current = self._member(facts.name, first)
        for part in rest:
            if current is None:
                return None
            if isinstance(current, str):
                current = self._member(current, part)
            elif current[0] == "Class":
                current = self._method(current[1], part)
            else:
                return None
        return current

    # -- classes --------------------------------------------------------------------------
    def bases_of(self, class_id: str) -> list[str]:
        if class_id not in self._bases:
            cls = self.classes[class_id]
            module = self.class_module[class_id]
            found = []
            for base in cls.bases:
                target = self.resolve_dotted(module, base)
                if isinstance(target, tuple) and target[0] == "Class" and target[1] != class_id:
                    found.append(target[1])
            self._bases[class_id] = found
        return self._bases[class_id]

    def _method(self, class_id: str, name: str) -> Target | None:
        seen: set[str] = set()
        stack = [class_id]
        while stack:
            cid = stack.pop(0)
            if cid in seen:
                continue
            seen.add(cid)
            method = self.classes[cid].methods.get(name)
            if method is not None:
                return ("Function", method)
            stack.extend(self.bases_of(cid))
        return None

    # -- calls ----------------------------------------------------------------------------
    def _local(self, facts: ModuleFacts, caller: str, name: str) -> Target | None:
        scope: str | None = caller
        while scope is not None:
            found = facts.nested.get(scope, {}).get(name)
            if found is not None:
                return found
            scope = facts.enclosing.get(scope)
        return None

    def resolve_call(self, facts: ModuleFacts, caller_label: str, caller: str, target: str,
                     scope_class: str | None) -> Target | None:
        first, _, rest = target.partition(".")
        if first in ("self", "cls") and scope_class is not None and rest and "." not in rest:
            return self._method(scope_class, rest)
        if not rest and caller_label == "Function":
            local = self._local(facts, caller, first)
            if local is not None:
                return local
        found = self.resolve_dotted(facts, target)
        if isinstance(found, tuple) and found[0] in ("Function", "Class"):
            return found
        return None


def resolve(modules: list[ModuleFacts]) -> Resolution:
    resolver = Resolver(modules)
    edges: set[Edge] = set()
    result = Resolution([])
    for facts in modules:
        for target in resolver.import_targets[facts.module_id]:
            if target is None or target == facts.name:
                result.unresolved["imports"] += 1
                continue
            result.resolved["imports"] += 1
            edges.add(Edge("IMPORTS", "Module", facts.module_id, "Module", resolver.by_name[target].module_id))
        for cls in facts.classes:
            found = resolver.bases_of(cls.id)
            result.resolved["bases"] += len(found)
            result.unresolved["bases"] += len(cls.bases) - len(found)
            for base in found:
                edges.add(Edge("INHERITS", "Class", cls.id, "Class", base))
        for call in facts.calls:
            hit = resolver.resolve_call(facts, call.caller_label, call.caller, call.target, call.scope_class)
            if hit is None:
                result.unresolved["calls"] += 1
                continue
            result.resolved["calls"] += 1
            edges.add(Edge("CALLS", call.caller_label, call.caller, hit[0], hit[1]))
    result.edges = sorted(edges, key=lambda e: (e.type, e.src, e.dst))
    return result
