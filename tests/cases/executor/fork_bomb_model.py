# train starts processes until the system refuses one. Needs allowed_modules with subprocess.
import subprocess


def train(df, training_config=None):
    children = []
    for _ in range(1000):
        children.append(subprocess.Popen(["sleep", "600"]))
    return {"children": len(children)}


def predict(model, query):
    return 0
