"""Top-level code writes a marker file: it must only ever run inside a training job's working directory."""

with open("pymodel-import-marker.txt", "w") as fh:
    fh.write("the module was executed\n")


def train(df, training_config=None):
    return {"rows": len(df)}


def predict(model, query):
    return model["rows"]
