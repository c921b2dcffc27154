"""Imports a module that only its packageRequirements admit (it is installed in the runtime's environment)."""

import requests


def train(df):
    return {"version": requests.__version__, "rows": len(df)}


def predict(model, query):
    return {"requests": model["version"], "status_ok": requests.codes.ok}
