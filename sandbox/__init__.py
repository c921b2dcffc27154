"""The trust boundary: the static validator, the executors that run user code, and the in-sandbox worker.

Nothing here imports `runtime`; `sandbox.worker` imports only the standard library and the data stack.
"""
