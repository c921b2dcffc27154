"""Driving pymodel with the abacusai SDK: the dtype cast its upload needs under pandas 3, and waits that poll
faster than the SDK's own (which sleep 5 s between polls). The SDK itself stays a client-side dependency."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

DEFAULT_POLL_SECONDS = 0.2


def sdk_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy the SDK's upload accepts: text as object, naive datetimes as datetime64[ns] (pandas 3 makes `str`
    and datetime64[us], which the SDK refuses or misreads)."""
    out = df.copy()
    for name in out.columns:
        dtype = out[name].dtype
        if isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
            out[name] = out[name].astype(object)
        elif str(dtype).startswith("datetime64[") and getattr(dtype, "tz", None) is None:
            out[name] = out[name].astype("datetime64[ns]")
    return out


def wait_version(client: Any, model_version: str, timeout: float = 120, poll: float = DEFAULT_POLL_SECONDS) -> Any:
    """The finished ModelVersion (COMPLETE or FAILED): polls describeModelVersion until partialComplete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = client.describe_model_version(model_version)
        if version.partial_complete:
            return version
        time.sleep(poll)
    raise TimeoutError(f"model version {model_version} did not finish within {timeout:g} s")


def wait_deployment(client: Any, deployment_id: str, timeout: float = 60, poll: float = DEFAULT_POLL_SECONDS) -> Any:
    """The Deployment once it has left PENDING/DEPLOYING (ACTIVE, or FAILED with its error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment = client.describe_deployment(deployment_id)
        if deployment.status not in ("PENDING", "DEPLOYING"):
            return deployment
        time.sleep(poll)
    raise TimeoutError(f"deployment {deployment_id} did not start within {timeout:g} s")
