# train tries to reach a TCP port on the host's loopback and reports what happened in network.json.
# Needs allowed_modules with socket and json.
import json
import socket


def train(df, training_config=None):
    outcome = {"connected": False, "error": None}
    try:
        with socket.create_connection(("127.0.0.1", training_config["port"]), timeout=2):
            outcome["connected"] = True
    except OSError as exc:
        outcome["error"] = f"{type(exc).__name__}: {exc}"
    with open("network.json", "w") as handle:
        json.dump(outcome, handle)
    return outcome


def predict(model, query):
    return model
