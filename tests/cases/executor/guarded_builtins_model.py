# The guards of the user module must hold at serving time too, after the model was pickled by value:
# the method below runs in a fresh process, unpickled from model.pkl.
class Probe:
    def run(self, probe):
        if probe == "eval":
            return eval("1 + 1")
        if probe == "closure":
            make = lambda: eval("2 + 2")  # a function created while predicting
            return make()
        if probe == "open_outside":
            with open("/etc/hostname") as handle:
                return handle.read()
        if probe == "open_fd":
            return open(1, "w").write("forged")
        if probe == "open_inside":
            with open("note.txt", "w") as handle:
                handle.write("fine")
            with open("note.txt") as handle:
                return handle.read()
        return "unknown"


def train(df, training_config=None):
    return Probe()


def predict(model, query):
    return model.run(query["probe"])
