# train leaves a process behind that escaped the process group (own session) and holds stdout open,
# then returns at once. Needs allowed_modules with subprocess.
import subprocess


def train(df, training_config=None):
    orphan = subprocess.Popen(["sleep", "600"], start_new_session=True)
    with open("orphan.txt", "w") as handle:
        handle.write(str(orphan.pid))
    print("orphan started")
    return {"orphan": orphan.pid}


def predict(model, query):
    return 0
