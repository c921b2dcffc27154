"""The operator's import allowlist: the default one, changed by a policy file and by command-line flags.

A policy file is TOML:

    [imports]
    allow = ["shapely", "networkx"]   # added to the default allowlist
    deny = ["torch"]                  # removed from it

Flags (`--allow-module`, `--deny-module`) apply after the file. Modules that would let model code take the
validator's own checks apart can never be allowed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from sandbox.validate.policy import DEFAULT_ALLOWED_MODULES

NEVER_ALLOWED_REASONS: dict[str, str] = {
    "builtins": "it reaches eval, exec and __import__",
    "importlib": "it imports modules by computed name, past the allowlist",
    "ctypes": "it calls native code and writes raw memory",
    "gc": "it reaches every object in the process, the guards included",
    "inspect": "it reaches frames and the runtime's globals",
    "marshal": "it loads code objects",
    "code": "it runs code from strings",
    "codeop": "it compiles code from strings",
    "runpy": "it runs modules as scripts",
}
"""Modules that would let model code take the validator's own checks apart, with why."""
NEVER_ALLOWED: frozenset[str] = frozenset(NEVER_ALLOWED_REASONS)


class AllowlistError(ValueError):
    """A policy file or flag the runtime cannot use; the message names the file or flag and the value."""


def build_allowlist(
    policy_file: Path | None = None, allow: Iterable[str] = (), deny: Iterable[str] = ()
) -> frozenset[str]:
    """The default allowlist with the policy file's and then the flags' changes applied."""
    modules = set(DEFAULT_ALLOWED_MODULES)
    if policy_file is not None:
        file_allow, file_deny = _read_policy(policy_file)
        modules |= _checked(file_allow, f"{policy_file}: imports.allow")
        modules -= _checked(file_deny, f"{policy_file}: imports.deny", allowing=False)
    modules |= _checked(allow, "--allow-module")
    modules -= _checked(deny, "--deny-module", allowing=False)
    return frozenset(modules)


def _read_policy(path: Path) -> tuple[list[str], list[str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AllowlistError(f"policy file {path} cannot be read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AllowlistError(f"policy file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"imports"})
    if unknown:
        raise AllowlistError(f"policy file {path}: unknown table [{unknown[0]}]; the accepted table is [imports]")
    imports = data.get("imports", {})
    if not isinstance(imports, dict):
        raise AllowlistError(f"policy file {path}: imports must be a table with allow and deny lists")
    unknown = sorted(set(imports) - {"allow", "deny"})
    if unknown:
        raise AllowlistError(f"policy file {path}: unknown key imports.{unknown[0]}; accepted keys: allow, deny")
    lists: list[list[str]] = []
    for key in ("allow", "deny"):
        value = imports.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise AllowlistError(f"policy file {path}: imports.{key} must be a list of module names (got {value!r})")
        lists.append(value)
    return lists[0], lists[1]


def _checked(names: Iterable[str], where: str, *, allowing: bool = True) -> set[str]:
    out: set[str] = set()
    for name in names:
        if not name.isidentifier():
            raise AllowlistError(f"{where}: {name!r} is not a top-level module name (write e.g. 'shapely')")
        if allowing and name in NEVER_ALLOWED:
            raise AllowlistError(f"{where}: {name!r} can never be allowed: {NEVER_ALLOWED_REASONS[name]}")
        out.add(name)
    return out
