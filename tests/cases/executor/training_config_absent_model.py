# train does not declare training_config: it must be called with the table alone.
def train(df):
    return {"rows": len(df)}


def predict(model, query):
    return model["rows"]
