# train imports a module the allowlist does not admit (os), inside the function.
def train(df, training_config=None):
    import os
    return {"cwd": os.getcwd()}


def predict(model, query):
    return 0
