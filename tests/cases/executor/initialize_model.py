# initialize appends one mark to init_count.txt in its working directory (the version's work dir);
# predict reports how many marks there are, read through a relative path.
def train(df, training_config=None):
    return {"base": 10}


def initialize(model):
    with open("init_count.txt", "a") as handle:
        handle.write("x")
    return {**model, "ready": True}


def predict(model, query):
    with open("init_count.txt") as handle:
        marks = handle.read().count("x")
    return {"ready": model["ready"], "initialized": marks}
