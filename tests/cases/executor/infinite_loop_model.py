# train starts a helper process, records both pids in its working directory, then never returns.
# Needs allowed_modules with os and subprocess.
import os
import subprocess


def train(df, training_config=None):
    helper = subprocess.Popen(["sleep", "600"])
    with open("pids.txt", "w") as handle:
        handle.write(f"{os.getpid()} {helper.pid}")
    while True:
        pass


def predict(model, query):
    return 0
