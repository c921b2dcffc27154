# train declares training_config: it receives the model's trainingConfig.
def train(df, training_config=None):
    return {"config": training_config}


def predict(model, query):
    return model["config"]
