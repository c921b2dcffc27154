"""The objects one runtime process shares: settings, the database, the artifact layout, the executor.

The scheduler and the serving pool are attached by whoever runs them (the server, or the CLI in-process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runtime.config import Settings
from runtime.store.artifacts import Layout
from runtime.store.db import Database
from sandbox.executors import Executor
from sandbox.validate.isolated import IsolatedValidator

if TYPE_CHECKING:
    from runtime.scheduler import TrainingScheduler
    from runtime.serving import ServingPool


@dataclass
class Context:
    settings: Settings
    db: Database
    layout: Layout
    executor: Executor
    validator: IsolatedValidator
    scheduler: TrainingScheduler | None = field(default=None)
    serving: ServingPool | None = field(default=None)


def make_executor(settings: Settings) -> Executor:
    from sandbox.validate import DEFAULT_ALLOWED_MODULES

    allowed = settings.allowed_modules if settings.allowed_modules is not None else DEFAULT_ALLOWED_MODULES
    if settings.executor == "process":
        from sandbox.executors.process import ProcessExecutor

        return ProcessExecutor(allowed_modules=allowed)
    raise ValueError(f"executor must be 'process' (got {settings.executor!r}); 'docker' comes with issue 5")


def open_context(settings: Settings) -> Context:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Context(
        settings=settings,
        db=Database(settings.db_path),
        layout=Layout(settings.data_dir),
        executor=make_executor(settings),
        validator=IsolatedValidator(timeout=settings.validate_timeout),
    )
