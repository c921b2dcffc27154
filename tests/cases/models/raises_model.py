"""train raises: the version must end FAILED with the exception type and message."""


def _check(n):
    if n > 0:
        raise ValueError(f"boom: {n} rows is not enough")


def train(df, training_config=None):
    print("about to fail")
    _check(len(df))
    return {}


def predict(model, query):
    return 0
