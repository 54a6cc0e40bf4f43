"""codegraph ids in PyCG's naming.

codegraph: module `pkg/mod.py`, class or function `pkg/mod.py::A.f`, nested function
`pkg/mod.py::f.<locals>.g`, lambdas `pkg/mod.py::f.<locals>.<lambda>`, `...<lambda>#2`, ...,
repeated definitions `pkg/mod.py::f#2`. PyCG: `pkg.mod`, `pkg.mod.A.f`, `pkg.mod.f.g`,
`pkg.mod.f.<lambda1>`, `pkg.mod.f.<lambda2>` (numbered per scope in order of appearance), and
one name for all definitions of the same name.
"""

from __future__ import annotations


def module_dotted(relpath: str) -> str:
    """'pkg/sub/mod.py' -> 'pkg.sub.mod'; 'pkg/__init__.py' -> 'pkg'; '__init__.py' -> ''."""
    path = relpath[:-3] if relpath.endswith(".py") else relpath
    parts = path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def pycg_name(node_id: str) -> str:
    """A codegraph node id as PyCG names the same entity."""
    path, _, qualname = node_id.partition("::")
    module = module_dotted(path)
    if not qualname:
        return module
    parts: list[str] = []
    for part in qualname.split("."):
        if part == "<locals>":
            continue
        name, _, number = part.partition("#")
        if name == "<lambda>":
            name = f"<lambda{number or 1}>"
        parts.append(name)
    return ".".join([module, *parts]) if module else ".".join(parts)
