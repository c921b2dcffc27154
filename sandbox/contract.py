"""The user-function contract shared by the validator, the executors and the runtime: the function names."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOP_LEVEL_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.MULTILINE)


@dataclass(frozen=True)
class FunctionNames:
    """The names of the user's functions as configured on a model (any names, not only the defaults).

    `None` means the model does not use that function: no `predict_many` → batches map `predict`;
    no `initialize` → the trained object is served as it is.
    """

    train: str = "train"
    predict: str | None = "predict"
    predict_many: str | None = None
    initialize: str | None = None

    def named(self) -> dict[str, str]:
        """The configured roles and their names, e.g. {"train": "fit", "predict": "score"}."""
        roles = {
            "train": self.train,
            "predict": self.predict,
            "predict_many": self.predict_many,
            "initialize": self.initialize,
        }
        return {role: name for role, name in roles.items() if name}


def optional_roles_defined(source: str) -> FunctionNames:
    """The default names with `predict_many` and `initialize` set when the source has top-level defs of those
    names: a text scan that picks defaults for the command line, never a check (the validator checks)."""
    defined = set(_TOP_LEVEL_DEF.findall(source))
    return FunctionNames(
        predict_many="predict_many" if "predict_many" in defined else None,
        initialize="initialize" if "initialize" in defined else None,
    )
