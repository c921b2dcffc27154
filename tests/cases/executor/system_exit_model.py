# train exits through SystemExit with the status in training_config["status"] (0 included): no model.
def train(df, training_config=None):
    raise SystemExit(training_config["status"])


def predict(model, query):
    return 0
