"""Codebases to index: deterministic synthetic presets and real code (stdlib, sdists).

Synthetic corpora are packages of modules that import each other, classes that inherit
across modules, methods and functions that call each other, with docstrings and realistic
sizes. The same preset, seed and GENERATOR_VERSION always give byte-identical files, so
a corpus is cached under that key and its fingerprint is stable.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer import list_files

GENERATOR_VERSION = 1
PRESETS: dict[str, int] = {"small": 30, "small60": 60, "small99": 99, "medium": 300, "large": 1500, "xlarge": 12000}
SDISTS: dict[str, str] = {"django": "django==5.2.8", "requests": "requests==2.32.3"}
MODULES_PER_PACKAGE = 12


class CorpusError(RuntimeError):
    """A corpus could not be made (e.g. pip could not download an sdist)."""


class UnknownCorpus(CorpusError):
    """The name is no preset, not `stdlib` and no sdist: the caller asked for something that does not exist."""


@dataclass(frozen=True)
class Corpus:
    name: str
    path: str
    files: int
    lines: int
    bytes: int
    fingerprint: str
    kind: str  # synthetic | stdlib | sdist

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def cache_root() -> Path:
    base = os.environ.get("CODEGRAPH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codegraph")
    return Path(base) / "corpora"


def describe(name: str, path: Path, kind: str) -> Corpus:
    """Files, lines, bytes and a fingerprint (sha256 of sorted paths and content hashes) of
    exactly the files the indexer's discovery finds (the stdlib's site-packages excluded)."""
    digest = hashlib.sha256()
    files = lines = size = 0
    found, _ = list_files(path)
    for src in found:
        try:
            with open(src.path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        files += 1
        size += len(data)
        lines += data.count(b"\n")
        digest.update(f"{src.relpath}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return Corpus(name, str(path), files, lines, size, digest.hexdigest(), kind)


# -- synthetic ----------------------------------------------------------------------------
def _words(rng: random.Random, n: int) -> str:
    vocab = ("parse", "graph", "node", "edge", "index", "cache", "batch", "worker", "session", "token",
             "config", "result", "value", "record", "stream", "buffer", "filter", "merge", "query", "schema")
    return " ".join(rng.choice(vocab) for _ in range(n))


def _module_source(rng: random.Random, index: int, names: list[str], module: str) -> str:
    """One module: imports of earlier modules, classes inheriting across modules, calls."""
    package = module.rpartition(".")[0]
    earlier = names[:index]
    imported = rng.sample(earlier, min(len(earlier), rng.randint(1, 3))) if earlier else []
    lines = [f'"""{module}: {_words(rng, 8)}.\n\n{_words(rng, 12)}.\n"""', "", "import os", "import json"]
    aliases: list[tuple[str, str]] = []
    for n, target in enumerate(imported):
        alias = f"dep{n}"
        if target.rpartition(".")[0] == package and rng.random() < 0.5:
            lines.append(f"from . import {target.rpartition('.')[2]} as {alias}")
        else:
            lines.append(f"import {target} as {alias}")
        aliases.append((alias, target))
    lines += ["", ""]
    functions = [f"func_{index}_{i}" for i in range(rng.randint(2, 5))]
    for i, fn in enumerate(functions):
        lines.append(f"def {fn}(value, *, limit=10):")
        lines.append(f'    """{_words(rng, 6).capitalize()}."""')
        lines.append("    total = 0")
        for step in range(rng.randint(3, 9)):
            lines.append(f"    for item in range(limit):  # {_words(rng, 3)}")
            lines.append(f"        total += (item * {step + 1}) % (value or 1)")
        if i > 0:
            lines.append(f"    total += {functions[i - 1]}(value, limit=limit)")
        if aliases:
            alias, _ = rng.choice(aliases)
            lines.append(f"    total += len({alias}.__name__)")
        lines.append("    return json.dumps({'total': total, 'sep': os.sep})")
        lines += ["", ""]
    previous_class: str | None = None
    for c in range(rng.randint(1, 3)):
        cls = f"Model{index}_{c}"
        if aliases and rng.random() < 0.6:
            alias, _ = rng.choice(aliases)
            base = f"{alias}.Model{names.index(dict(aliases)[alias])}_0"
        else:
            base = previous_class or "object"
        lines.append(f"class {cls}({base}):")
        lines.append(f'    """{_words(rng, 10).capitalize()}."""')
        lines.append("")
        methods = [f"step_{m}" for m in range(rng.randint(2, 6))]
        lines.append("    def __init__(self, value=0):")
        lines.append("        self.value = value")
        lines.append("")
        for m, method in enumerate(methods):
            lines.append(f"    def {method}(self, amount=1):")
            lines.append(f'        """{_words(rng, 5).capitalize()}."""')
            lines.append("        result = self.value")
            for k in range(rng.randint(2, 6)):
                lines.append(f"        result = result * {k + 2} + amount  # {_words(rng, 2)}")
            if m > 0:
                lines.append(f"        result += self.{methods[m - 1]}(amount)")
            lines.append(f"        return result + {rng.choice(functions)}(result)")
            lines.append("")
        lines.append("")
        previous_class = cls
    return "\n".join(lines).rstrip() + "\n"


_BAD = (b"def broken(:\n    pass\n", b"x = '\xff\xfe'\n", b"\x7fELF\x02\x01\x01\x00binary\x00data")


def _module_name(i: int) -> str:
    return f"pkg{i // (MODULES_PER_PACKAGE * 8)}.sub{(i // MODULES_PER_PACKAGE) % 8}.mod{i % MODULES_PER_PACKAGE}"


def _module_count(files: int) -> int:
    """Modules such that modules + their package __init__ files == files."""
    modules = files
    while modules > 1:
        packages = {_module_name(i).rpartition(".")[0] for i in range(modules)}
        if modules + len(packages) + len({p.partition(".")[0] for p in packages}) <= files:
            return modules
        modules -= 1
    return modules


def generate(preset: str, target: Path, *, seed: int = 0, bad_share: float = 0.0) -> Corpus:
    """Write the preset's files under `target` (which must be empty or absent)."""
    if preset not in PRESETS:
        raise UnknownCorpus(f"unknown preset {preset!r}; presets are {', '.join(PRESETS)}")
    count = _module_count(PRESETS[preset])
    rng = random.Random(f"{preset}:{seed}:{GENERATOR_VERSION}")
    names = [_module_name(i) for i in range(count)]
    target.mkdir(parents=True, exist_ok=True)
    packages = {n.rpartition(".")[0] for n in names}
    packages |= {p.partition(".")[0] for p in packages}
    for package in sorted(packages):
        init = target / package.replace(".", "/") / "__init__.py"
        init.parent.mkdir(parents=True, exist_ok=True)
        init.write_text(f'"""Package {package}."""\n')
    bad = set(rng.sample(range(count), int(count * bad_share))) if bad_share else set()
    for i, module in enumerate(names):
        path = target / (module.replace(".", "/") + ".py")
        if i in bad:
            path.write_bytes(_BAD[i % len(_BAD)])
        else:
            path.write_text(_module_source(rng, i, names, module))
    return describe(preset, target, "synthetic")


def synthetic(preset: str, *, seed: int = 0, bad_share: float = 0.0, cache: Path | None = None) -> Corpus:
    """The cached corpus for (preset, seed, bad share, generator version), generated on first use."""
    key = f"{preset}-s{seed}-b{int(bad_share * 1000)}-g{GENERATOR_VERSION}"
    folder = (cache or cache_root()) / key
    manifest = folder / "corpus.json"
    if manifest.is_file():
        return Corpus(**json.loads(manifest.read_text()))
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    corpus = generate(preset, tmp / "src", seed=seed, bad_share=bad_share)
    corpus = Corpus(**{**corpus.to_dict(), "path": str(folder / "src")})  # type: ignore[arg-type]
    (tmp / "corpus.json").write_text(json.dumps(corpus.to_dict(), indent=2))
    try:
        tmp.rename(folder)
    except OSError:  # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return Corpus(**json.loads(manifest.read_text()))


# -- real code ----------------------------------------------------------------------------
def stdlib(python: str = sys.executable) -> Corpus:
    out = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                         capture_output=True, text=True, check=True)
    path = Path(out.stdout.strip())
    return describe("stdlib", path, "stdlib")


def sdist(name: str, cache: Path | None = None) -> Corpus:
    """A PyPI source distribution (pinned in SDISTS, or 'pkg==version'), downloaded once."""
    requirement = SDISTS.get(name, name)
    folder = (cache or cache_root()) / ("sdist-" + requirement.replace("==", "-"))
    manifest = folder / "corpus.json"
    if manifest.is_file():
        return Corpus(**json.loads(manifest.read_text()))
    download = folder.with_name(folder.name + ".download")
    download.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                             "--quiet", "-d", str(download), requirement], capture_output=True, text=True)
    if result.returncode != 0:
        raise CorpusError(f"pip could not download {requirement}: {result.stderr.strip()[-400:]}")
    archive = next(iter(sorted(download.iterdir())))
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(src)
    else:
        with tarfile.open(archive) as tf:
            tf.extractall(src, filter="data") if sys.version_info >= (3, 12) else tf.extractall(src)  # noqa: S202
    corpus = describe(name, src, "sdist")
    manifest.write_text(json.dumps(corpus.to_dict(), indent=2))
    return corpus


def get(name: str, *, seed: int = 0, bad_share: float = 0.0) -> Corpus:
    """A corpus by name: a preset, 'stdlib', or an sdist."""
    if name in PRESETS:
        return synthetic(name, seed=seed, bad_share=bad_share)
    if name == "stdlib":
        return stdlib()
    if name in SDISTS or "==" in name:
        return sdist(name)
    raise UnknownCorpus(f"unknown corpus {name!r}; use one of {', '.join([*PRESETS, 'stdlib', *SDISTS])}")
