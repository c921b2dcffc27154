"""Two refused constructs on known lines: an import outside the allowlist and eval."""

import os


def train(df):
    return eval("1")


def predict(model, query):
    return os.getcwd()
