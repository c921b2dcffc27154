"""Executors run the sandbox worker with the requested limits; one interface, several implementations."""

from sandbox.contract import FunctionNames
from sandbox.executors.base import (
    Executor,
    ExecutorError,
    JobResult,
    Limits,
    PredictorHandle,
    PredictorSpec,
    PredictOutcome,
    TrainJob,
    Usage,
)

__all__ = [
    "Executor",
    "ExecutorError",
    "FunctionNames",
    "JobResult",
    "Limits",
    "PredictOutcome",
    "PredictorHandle",
    "PredictorSpec",
    "TrainJob",
    "Usage",
]
