# initialize raises: the predictor must not start, and say why.
def train(df, training_config=None):
    return {}


def initialize(model):
    raise RuntimeError("no weights found")


def predict(model, query):
    return 0
