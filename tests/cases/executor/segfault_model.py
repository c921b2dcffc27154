# train crashes the interpreter with SIGSEGV. Needs allowed_modules with faulthandler.
import faulthandler


def train(df, training_config=None):
    faulthandler._sigsegv()
    return {}


def predict(model, query):
    return 0
