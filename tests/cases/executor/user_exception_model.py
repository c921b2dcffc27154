# train raises from a helper: the error is "ValueError: bad things" and the traceback names model.py lines.
def check(rows):
    if rows:
        raise ValueError("bad things")


def train(df, training_config=None):
    check(len(df))
    return {}


def predict(model, query):
    return 0
