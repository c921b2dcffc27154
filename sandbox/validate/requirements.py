"""`packageRequirements`: PEP 508 requirements only, and the import names they make available.

URLs, local paths, editable installs and pip options are refused: each would let a model install code
from somewhere other than the package index the node is configured with, or change how pip runs.
"""

from __future__ import annotations

import functools
import platform
import re
from collections.abc import Iterable
from importlib.metadata import packages_distributions

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

_ACCEPTED = "give a PEP 508 requirement such as 'scikit-learn>=1.4' (URLs, paths and pip options are refused)"
_URL_OR_PATH = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|\.|/|\\|~)|[/\\]", re.IGNORECASE)

# Distributions whose import name differs from their name, for when they are not installed here (the
# installed metadata, read first, is the maintained source). Keys are canonical distribution names.
_KNOWN_IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "scikit-learn": ("sklearn",),
    "scikit-image": ("skimage",),
    "pillow": ("PIL",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "opencv-contrib-python": ("cv2",),
    "beautifulsoup4": ("bs4",),
    "pyyaml": ("yaml",),
    "python-dateutil": ("dateutil",),
    "imbalanced-learn": ("imblearn",),
    "umap-learn": ("umap",),
    "faiss-cpu": ("faiss",),
    "faiss-gpu": ("faiss",),
    "tensorflow-cpu": ("tensorflow",),
    "tensorflow-gpu": ("tensorflow",),
    "pytorch-lightning": ("pytorch_lightning",),
    "attrs": ("attr", "attrs"),
    "protobuf": ("google",),
    "python-levenshtein": ("Levenshtein",),
    "pymupdf": ("fitz",),
    "msgpack-python": ("msgpack",),
}


class RequirementError(ValueError):
    """A `packageRequirements` list that cannot be accepted; `problems` has one sentence per bad entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def parse_requirements(entries: Iterable[str] | None) -> list[Requirement]:
    """Every entry as a `Requirement`; `RequirementError` names each refused entry and what is accepted."""
    problems: list[str] = []
    parsed: list[Requirement] = []
    seen: dict[str, str] = {}
    for entry in entries or []:
        requirement, problem = _parse_one(entry)
        if problem:
            problems.append(problem)
            continue
        assert requirement is not None  # _parse_one returns one or the other
        key = canonicalize_name(requirement.name)
        if key in seen:
            problems.append(
                f"packageRequirements entries '{seen[key]}' and '{entry}' name the same distribution: "
                "combine them into one requirement"
            )
            continue
        seen[key] = str(entry)
        parsed.append(requirement)
    if problems:
        raise RequirementError(problems)
    return parsed


def _parse_one(entry: object) -> tuple[Requirement | None, str | None]:
    if not isinstance(entry, str):
        return None, f"packageRequirements entry {entry!r} is not accepted: it must be a string; {_ACCEPTED}"
    text = entry.strip()
    refused = f"packageRequirements entry '{entry}' is not accepted: "
    if not text:
        return None, f"{refused}it is empty; {_ACCEPTED}"
    if text.startswith("-"):
        return None, f"{refused}pip options are refused; {_ACCEPTED}"
    if "\n" in text or "\r" in text:
        return None, f"{refused}one requirement per entry; {_ACCEPTED}"
    name_part = re.split(r"[\s;@\[<>=!~]", text, maxsplit=1)[0]
    if _URL_OR_PATH.search(name_part) or "://" in text:
        return None, f"{refused}{_ACCEPTED}"
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0]
        return None, f"{refused}it is not a valid requirement ({detail}); {_ACCEPTED}"
    if requirement.url:
        return None, f"{refused}{_ACCEPTED}"
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None, (
            f"{refused}its environment marker '{requirement.marker}' does not match this runtime (Python "
            f"{platform.python_version()}), so it would silently not install; drop the marker"
        )
    return requirement, None


def requirement_import_names(requirements: Iterable[Requirement]) -> frozenset[str]:
    """The top-level import names the requirements provide: `scikit-learn` -> {"sklearn"}.

    Read from installed distribution metadata when the distribution is installed here, else from a small
    table of well-known ones, else the normalised name (`my-pkg` -> `my_pkg`). Private names are dropped.
    """
    installed = _installed_import_names()
    names: set[str] = set()
    for requirement in requirements:
        key = canonicalize_name(requirement.name)
        found = installed.get(key) or _KNOWN_IMPORT_NAMES.get(key) or (key.replace("-", "_"),)
        names.update(name for name in found if name.isidentifier() and not name.startswith("_"))
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def _installed_import_names() -> dict[str, tuple[str, ...]]:
    """Canonical distribution name -> its top-level import names, from the installed metadata (cached:
    scanning every distribution takes a noticeable fraction of a second)."""
    by_distribution: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            by_distribution.setdefault(canonicalize_name(distribution), set()).add(module)
    return {key: tuple(sorted(modules)) for key, modules in by_distribution.items()}
