"""Warm predictor workers for deployments: start (initialize once), answer, restart after a crash, stop.

One slot per deployment holds its sandboxed predictor. A timeout or a crash costs only the request that
caused it: the slot starts a fresh worker in the background and later requests wait for it to be ready.
"""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select, update

from runtime.config import GIB
from runtime.context import Context
from runtime.errors import (
    NotReadyError,
    PredictionFailedError,
    RequestTimeoutError,
    WorkerCrashedError,
)
from runtime.ids import utc_now
from runtime.services.models import function_names, requirement_modules
from runtime.store import schema as t
from sandbox.executors import ExecutorError, Limits, PredictorHandle, PredictorSpec

log = logging.getLogger("pymodel.serving")

Op = Literal["predict", "predict_many"]


@dataclass
class _Slot:
    deployment_id: str
    model_version: str
    handle: PredictorHandle | None = None
    error: str | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    generation: int = 0
    stopped: bool = False


class ServingPool:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        """Bring back every deployment that should be serving (after a restart nothing is lost)."""
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(t.deployments.c.id).where(t.deployments.c.status.in_(["PENDING", "DEPLOYING", "ACTIVE"]))
            ).all()
        for row in rows:
            self.deploy(row.id)

    def shutdown(self) -> None:
        with self._lock:
            slots = list(self._slots.values())
            self._slots.clear()
        for slot in slots:
            slot.stopped = True
            if slot.handle is not None:
                slot.handle.close()

    # -- deployment lifecycle ----------------------------------------------------------------------------

    def deploy(self, deployment_id: str) -> None:
        """Start (or restart) the deployment's worker in the background; status goes DEPLOYING → ACTIVE|FAILED."""
        with self.ctx.db.begin() as conn:
            row = conn.execute(select(t.deployments).where(t.deployments.c.id == deployment_id)).one()
            conn.execute(
                update(t.deployments).where(t.deployments.c.id == deployment_id).values(status="DEPLOYING", error=None)
            )
        slot = _Slot(deployment_id=deployment_id, model_version=row.model_version)
        with self._lock:
            old = self._slots.pop(deployment_id, None)
            self._slots[deployment_id] = slot
        if old is not None:
            old.stopped = True
            if old.handle is not None:
                old.handle.close()
        threading.Thread(target=self._boot, args=(slot, True), name=f"deploy-{deployment_id}", daemon=True).start()

    def stop(self, deployment_id: str) -> None:
        with self._lock:
            slot = self._slots.pop(deployment_id, None)
        if slot is not None:
            slot.stopped = True
            slot.ready.set()
            if slot.handle is not None:
                slot.handle.close()

    def is_serving(self, deployment_id: str) -> bool:
        with self._lock:
            return deployment_id in self._slots

    def _boot(self, slot: _Slot, record_status: bool) -> None:
        try:
            handle = self.ctx.executor.predictor(self._spec(slot))
            handle.start()
        except (ExecutorError, OSError) as exc:
            slot.error = str(exc)
            slot.handle = None
            slot.ready.set()
            log.warning("deployment %s failed to start: %s", slot.deployment_id, exc)
            self._set_status(slot.deployment_id, "FAILED", error=f"the model's worker failed to start: {exc}")
            return
        if slot.stopped:
            handle.close()
            return
        slot.handle = handle
        slot.error = None
        slot.ready.set()
        if record_status:
            self._set_status(slot.deployment_id, "ACTIVE", deployed_at=utc_now())

    def _spec(self, slot: _Slot) -> PredictorSpec:
        layout = self.ctx.layout
        with self.ctx.db.read() as conn:
            version = conn.execute(select(t.model_versions).where(t.model_versions.c.id == slot.model_version)).one()
            rev = dict(
                conn.execute(select(t.model_revisions).where(t.model_revisions.c.id == version.revision_id))
                .one()
                ._mapping
            )
        # Each worker gets its own copy of the version's working directory: what predict writes stays out of
        # the stored version.
        slot.generation += 1
        work = layout.deployment_dir(slot.deployment_id) / f"work-{slot.generation}"
        shutil.rmtree(layout.deployment_dir(slot.deployment_id), ignore_errors=True)
        source_work = layout.version_work(slot.model_version)
        if source_work.exists():
            shutil.copytree(source_work, work, symlinks=True)
        else:
            work.mkdir(parents=True)
        requested = version.requested
        return PredictorSpec(
            model_path=layout.version_model(slot.model_version),
            work_dir=work,
            source=rev["source_code"],
            functions=function_names(rev),
            extra_modules=requirement_modules(rev),
            limits=Limits(
                cpus=float(requested["cpus"]),
                memory_bytes=int(requested["memoryGb"]) * GIB,
                wall_seconds=None,
                output_bytes=self.ctx.settings.output_bytes,
            ),
            predict_timeout=self.ctx.settings.predict_timeout,
        )

    def _set_status(self, deployment_id: str, status: str, **values: Any) -> None:
        with self.ctx.db.begin() as conn:
            conn.execute(
                update(t.deployments)
                .where(
                    t.deployments.c.id == deployment_id,
                    t.deployments.c.status.not_in(["STOPPED", "STOPPING"]),
                )
                .values(status=status, **values)
            )

    def _restart(self, slot: _Slot) -> None:
        old = slot.handle
        slot.handle = None
        slot.ready.clear()
        if old is not None:
            old.close()
        threading.Thread(target=self._boot, args=(slot, False), daemon=True).start()

    # -- requests ----------------------------------------------------------------------------------------

    def call(self, deployment_id: str, op: Op, payload: Any) -> str:
        """Strict JSON text of the model's answer; per-request failures raise the runtime's typed errors."""
        with self._lock:
            slot = self._slots.get(deployment_id)
        if slot is None:
            raise NotReadyError(f"deployment {deployment_id} is not serving; start it with startDeployment")
        timeout = self.ctx.settings.predict_timeout
        if not slot.ready.wait(timeout):
            raise NotReadyError(f"deployment {deployment_id} is still starting its worker; try again shortly")
        handle = slot.handle
        if handle is None:
            raise NotReadyError(f"deployment {deployment_id} has no running worker: {slot.error or 'stopped'}")
        outcome = handle.call(op, payload)
        if outcome.ok and outcome.result_json is not None:
            return outcome.result_json
        function = "predict_many" if op == "predict_many" else "predict"
        if outcome.error_kind == "timeout":
            self._restart(slot)
            raise RequestTimeoutError(f"{outcome.error}; the worker was restarted")
        if outcome.error_kind == "crash":
            self._restart(slot)
            reason = outcome.error or "stopped"
            reason = reason if reason.endswith(f"during {function}") else f"{reason} during {function}"
            raise WorkerCrashedError(f"the model's worker {reason}; it was restarted")
        if outcome.error_kind == "output":
            raise PredictionFailedError(f"{function} returned a result that cannot be sent as JSON: {outcome.error}")
        raise PredictionFailedError(f"{function} raised {outcome.error}")
