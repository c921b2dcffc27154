"""The training queue: claims PENDING versions, runs each in the executor's sandbox, records how it ended.

A version leaves TRAINING only through this module. Claims are atomic in the database, so a server and a
CLI sharing one data dir never run the same version twice; a version whose runner died is FAILED at the
next start with the restart message.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from pathlib import Path
from typing import IO, Any

import psutil
from sqlalchemy import select, update

from runtime.config import GIB
from runtime.context import Context
from runtime.ids import utc_now
from runtime.services.models import function_names, gpu_available, requirement_modules
from runtime.store import schema as t
from runtime.store.artifacts import commit_file, move_tree_atomic, write_bytes_atomic
from sandbox.executors import JobResult, Limits, TrainJob

log = logging.getLogger("pymodel.scheduler")

INTERRUPTED = "interrupted by a runtime restart"
_SWEEP_SECONDS = 2.0


def _runner_identity() -> tuple[int, float]:
    me = psutil.Process()
    return me.pid, me.create_time()


def _runner_alive(pid: int | None, started: float | None) -> bool:
    if pid is None or started is None:
        return False
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except psutil.Error:
        return False


class _LogSink:
    """Appends a job's output to its version's log files as it arrives, up to the output cap per stream."""

    def __init__(self, folder: Path, cap: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.cap = cap
        self.files: dict[str, IO[str]] = {
            name: (folder / f"{name}.log").open("w", encoding="utf-8") for name in ("stdout", "stderr")
        }
        self.written = dict.fromkeys(self.files, 0)
        self.lock = threading.Lock()

    def __call__(self, stream: str, chunk: str) -> None:
        with self.lock:
            fh = self.files.get(stream)
            if fh is None or self.written[stream] >= self.cap:
                return
            piece = chunk[: self.cap - self.written[stream]]
            fh.write(piece)
            fh.flush()
            self.written[stream] += len(piece)

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()


class TrainingScheduler:
    def __init__(self, ctx: Context, concurrency: int | None = None) -> None:
        self.ctx = ctx
        self.concurrency = max(1, concurrency or ctx.settings.max_concurrent_trainings)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        for index in range(self.concurrency):
            thread = threading.Thread(target=self._loop, name=f"train-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def recover(self) -> list[str]:
        """Fail versions whose runner is gone; queue the PENDING ones again. Returns the failed ids."""
        failed: list[str] = []
        with self.ctx.db.begin() as conn:
            rows = conn.execute(select(t.model_versions).where(t.model_versions.c.status == "TRAINING")).all()
            for row in rows:
                if _runner_alive(row.runner_pid, row.runner_started):
                    continue
                conn.execute(
                    update(t.model_versions)
                    .where(t.model_versions.c.id == row.id, t.model_versions.c.status == "TRAINING")
                    .values(status="FAILED", error=INTERRUPTED, training_completed_at=utc_now())
                )
                failed.append(row.id)
        for version_id in failed:
            shutil.rmtree(self.ctx.layout.job_dir(version_id), ignore_errors=True)
            log.warning("model version %s was %s", version_id, INTERRUPTED)
        self._sweep()
        return failed

    def submit(self, version_id: str) -> None:
        with self._lock:
            if version_id in self._queued:
                return
            self._queued.add(version_id)
        self._queue.put(version_id)

    def _sweep(self) -> None:
        with self.ctx.db.read() as conn:
            pending = [
                r.id
                for r in conn.execute(
                    select(t.model_versions.c.id)
                    .where(t.model_versions.c.status == "PENDING")
                    .order_by(t.model_versions.c.created_at)
                )
            ]
        for version_id in pending:
            self.submit(version_id)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                version_id = self._queue.get(timeout=_SWEEP_SECONDS)
            except queue.Empty:
                self._sweep()  # picks up versions queued by another process (the CLI) on this data dir
                continue
            if version_id is None:
                return
            try:
                self.run_one(version_id)
            finally:
                with self._lock:
                    self._queued.discard(version_id)

    # -- one job -----------------------------------------------------------------------------------------

    def run_one(self, version_id: str) -> bool:
        """Claim and train one version in the calling thread. False when another runner has it."""
        pid, started = _runner_identity()
        with self.ctx.db.begin() as conn:
            claimed = conn.execute(
                update(t.model_versions)
                .where(t.model_versions.c.id == version_id, t.model_versions.c.status == "PENDING")
                .values(status="TRAINING", training_started_at=utc_now(), runner_pid=pid, runner_started=started)
            ).rowcount
            if not claimed:
                return False
            version = dict(
                conn.execute(select(t.model_versions).where(t.model_versions.c.id == version_id)).one()._mapping
            )
            # The wall-clock limit is the runner's (`serve --train-timeout`), whoever queued the version.
            version["requested"] = {**version["requested"], "timeoutSeconds": self.ctx.settings.train_timeout}
            conn.execute(
                update(t.model_versions)
                .where(t.model_versions.c.id == version_id)
                .values(requested=version["requested"])
            )
            rev = dict(
                conn.execute(select(t.model_revisions).where(t.model_revisions.c.id == version["revision_id"]))
                .one()
                ._mapping
            )
        try:
            self._train(version, rev)
        except Exception as exc:  # a bug of ours must not leave the version TRAINING forever
            log.exception("training of %s failed inside the runtime", version_id)
            self._finish(
                version_id,
                status="FAILED",
                error=f"internal error in the runtime: {type(exc).__name__}: {exc}",
            )
        return True

    def _train(self, version: dict[str, Any], rev: dict[str, Any]) -> None:
        layout = self.ctx.layout
        requested = version["requested"]
        if requested.get("useGpu") and not gpu_available():
            self._finish(
                version["id"],
                status="FAILED",
                error="useGpu is set but this node has no GPU (no NVIDIA device under /dev); "
                "train on a node with a GPU or set useGpu to false",
            )
            return
        job_dir = layout.job_dir(version["id"])
        shutil.rmtree(job_dir, ignore_errors=True)
        job_dir.mkdir(parents=True)
        settings = self.ctx.settings
        job = TrainJob(
            job_dir=job_dir,
            source=rev["source_code"],
            functions=function_names(rev),
            extra_modules=requirement_modules(rev),
            input_tables=tuple(layout.table_arrow(fgv) for fgv in version["feature_group_versions"]),
            training_config=version["training_config"],
            limits=Limits(
                cpus=float(requested["cpus"]),
                memory_bytes=int(requested["memoryGb"]) * GIB,
                wall_seconds=float(requested["timeoutSeconds"]),
                output_bytes=settings.output_bytes,
                gpu=bool(requested.get("useGpu")),
            ),
        )
        sink = _LogSink(layout.version_dir(version["id"]), settings.output_bytes)
        try:
            result = self.ctx.executor.run_training(job, on_log=sink)
        finally:
            sink.close()
        self._store_result(version["id"], result)
        shutil.rmtree(job_dir, ignore_errors=True)

    def _store_result(self, version_id: str, result: JobResult) -> None:
        layout = self.ctx.layout
        stderr = result.stderr
        if not result.ok:
            trace = (result.exception or {}).get("traceback") or ""
            if trace and trace.strip() not in stderr:
                stderr = f"{stderr.rstrip()}\n{trace}".lstrip("\n")
            stderr = f"{stderr.rstrip()}\npymodel: training failed: {result.error}\n".lstrip("\n")
        write_bytes_atomic(layout.version_log(version_id, "stdout"), result.stdout.encode("utf-8", "replace"))
        write_bytes_atomic(layout.version_log(version_id, "stderr"), stderr.encode("utf-8", "replace"))
        usage = result.usage.to_dict()
        if not result.ok or result.model_path is None:
            self._finish(
                version_id,
                status="FAILED",
                error=result.error or "training ended without a model",
                exception=result.exception,
                usage=usage,
            )
            return
        digest = commit_file(result.model_path, layout.version_model(version_id))
        size = layout.version_model(version_id).stat().st_size
        if result.work_dir.exists():
            move_tree_atomic(result.work_dir, layout.version_work(version_id))
        else:
            layout.version_work(version_id).mkdir(parents=True, exist_ok=True)
        self._finish(version_id, status="COMPLETE", usage=usage, artifact_sha256=digest, artifact_size=size)

    def _finish(self, version_id: str, *, status: str, **values: Any) -> None:
        with self.ctx.db.begin() as conn:
            conn.execute(
                update(t.model_versions)
                .where(t.model_versions.c.id == version_id)
                .values(status=status, training_completed_at=utc_now(), **values)
            )
        log.info(
            "model version %s is %s%s",
            version_id,
            status,
            f": {values['error']}" if "error" in values else "",
        )
