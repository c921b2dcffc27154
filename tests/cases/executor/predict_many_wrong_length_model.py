# predict_many returns one result whatever the batch size; or an endless generator for {"gen": true}.
def train(df, training_config=None):
    return {}


def predict(model, query):
    return 1


def predict_many(model, queries):
    if queries[0].get("gen"):
        return (n for n in iter(int, 1))
    return [1]
