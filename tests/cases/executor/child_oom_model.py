# A child process of the job runs out of memory and is killed; train shrugs and returns a model anyway.
# Needs allowed_modules with subprocess. `python3` is the worker's own interpreter: its directory leads PATH.
import subprocess


def train(df, training_config=None):
    child = subprocess.run(["python3", "-c", "hoard = b'x' * (1 << 30)"], check=False)
    return {"child_status": child.returncode}


def predict(model, query):
    return 0
