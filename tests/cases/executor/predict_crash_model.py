# predict crashes the worker: SIGSEGV for {"crash": "segv"}, SystemExit(3) for {"crash": "exit"}.
# Needs allowed_modules with faulthandler.
import faulthandler


def train(df, training_config=None):
    return {}


def predict(model, query):
    if query.get("crash") == "segv":
        faulthandler._sigsegv()
    if query.get("crash") == "exit":
        raise SystemExit(3)
    return "ok"
