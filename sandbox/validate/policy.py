"""The validator's policy as data: which modules, names and attributes model code may use, and why not.

Every entry carries a comment or a reason a person reads. Code in this package decides *how* to find a
construct; this module decides *whether* it is allowed, so a policy review reads one file.
"""

from __future__ import annotations

import re

# --- modules ---------------------------------------------------------------------------------------------

DEFAULT_ALLOWED_MODULES: frozenset[str] = frozenset(
    {
        # -- standard library: computation, data structures and text, no I/O beyond plain files --
        "__future__",  # `from __future__ import annotations`; compile-time flags only
        "sys",  # only the attributes in PARTIAL_MODULES["sys"] (writing logs, version checks); B14
        "math",  # pure functions on numbers
        "cmath",  # same, complex numbers
        "decimal",  # exact decimal arithmetic
        "fractions",  # rational numbers
        "statistics",  # mean/median/... on sequences
        "random",  # pseudo-random numbers (its private `_os` is refused as a module-private attribute)
        "itertools",  # iterator building blocks
        "functools",  # partial, reduce, lru_cache; getattr cannot be passed in (bare references refused)
        "operator",  # add/mul/itemgetter; attrgetter/methodcaller only with literal, non-dunder names
        "collections",  # Counter, defaultdict, deque, namedtuple
        "heapq",  # heap queue algorithm
        "bisect",  # sorted-list search
        "array",  # typed arrays
        "dataclasses",  # @dataclass (B07)
        "enum",  # Enum classes
        "typing",  # type hints; get_type_hints/ForwardRef are refused (they eval strings)
        "typing_extensions",  # back-ported type hints; pure declarations
        "abc",  # ABC, abstractmethod; `metaclass=ABCMeta` is the one metaclass admitted
        "numbers",  # numeric ABCs
        "re",  # regular expressions
        "string",  # constants and Template; string.Formatter is refused (attribute lookups in fields)
        "textwrap",  # text filling
        "unicodedata",  # Unicode database lookups
        "json",  # JSON encode/decode
        "csv",  # CSV reader/writer over file objects the model opened itself
        "datetime",  # dates and times
        "time",  # clocks and sleep
        "calendar",  # calendar arithmetic
        "zoneinfo",  # IANA time zones (reads the system tz database, read-only)
        "copy",  # copy/deepcopy
        "pprint",  # pretty printing
        "hashlib",  # digests, e.g. for feature hashing
        "hmac",  # keyed digests
        "base64",  # binary-to-text encodings
        "binascii",  # same, lower level
        "struct",  # packing binary records
        "uuid",  # uuid4; uuid1/getnode are refused (they may run system tools to find a MAC address)
        "warnings",  # warnings.warn / filters inside model code
        "contextlib",  # contextmanager, suppress
        "io",  # StringIO/BytesIO; io.open/FileIO are refused like open() with a computed path
        "logging",  # logging from model code; logging.config is refused (it resolves and calls dotted names)
        "zlib",  # compression of model artifacts the model writes itself
        "gzip",  # same
        "bz2",  # same
        "lzma",  # same
        # -- the data/ML stack; refused corners are listed in REFUSED_MODULE_PATHS below --
        "numpy",  # arrays
        "pandas",  # DataFrames (what train receives)
        "pyarrow",  # Arrow tables (the hand-off format)
        "scipy",  # scientific routines
        "sklearn",  # scikit-learn estimators
        "statsmodels",  # statistical models
        "xgboost",  # gradient boosting
        "lightgbm",  # gradient boosting
        "catboost",  # gradient boosting
        "torch",  # deep learning; torch.load only with weights_only=True
        "tensorflow",  # deep learning
        "keras",  # deep learning (Keras 3)
        "joblib",  # Parallel/delayed; joblib.load and joblib.Memory are refused (they unpickle files)
    }
)
"""Top-level modules model code may import by default. `packageRequirements` extends it (see
`requirement_import_names`); a requirement never re-admits a standard-library module."""

# Why a module that people often reach for is refused, and what to do instead. Any other module outside the
# allowlist gets the generic message.
REFUSED_MODULE_HINTS: dict[str, str] = {
    "os": "it reaches the host's processes, environment and files",
    "sys": "it reaches the interpreter: modules, frames and the runtime's globals",
    "subprocess": "model code may not start processes",
    "socket": "model code has no network",
    "ctypes": "it calls native code directly",
    "cffi": "it calls native code directly",
    "importlib": "dynamic import machinery is never allowed; import modules by name",
    "builtins": "it reaches the unrestricted builtins",
    "pickle": "unpickling runs arbitrary code; return the model from train and the runtime persists it",
    "cloudpickle": "unpickling runs arbitrary code; return the model from train and the runtime persists it",
    "dill": "unpickling runs arbitrary code; return the model from train and the runtime persists it",
    "marshal": "it loads code objects",
    "shelve": "it unpickles files",
    "shutil": "it moves and deletes files outside model code's working directory",
    "pathlib": "use open() with a relative file name instead",
    "inspect": "it reaches frames and the runtime's globals",
    "gc": "it reaches every object in the process",
    "types": "it builds functions and code objects",
    "threading": "the runtime controls concurrency (see isThreadSafe)",
    "multiprocessing": "the runtime controls processes and CPUs (see cpuSize)",
    "asyncio": "model functions are called synchronously",
    "signal": "signals belong to the runtime",
    "code": "it runs code from strings",
    "codeop": "it compiles code from strings",
    "runpy": "it runs other modules as scripts",
    "pdb": "debuggers read commands from stdin",
    "traceback": "it reaches frames and the runtime's globals",
    # The runtime's own packages: installed next to it, so a requirement naming them would admit them.
    "runtime": "it is pymodel's control plane",
    "sandbox": "it is pymodel's sandbox",
    "psutil": "it controls the host's processes",
    "sqlalchemy": "it opens databases, pymodel's own included",
    "docker": "it controls the host's containers",
    "fastapi": "it is the runtime's web framework",
    "starlette": "it is the runtime's web framework",
    "uvicorn": "it is the runtime's web server",
    "typer": "it is the runtime's command line",
    "RestrictedPython": "it is the validator's own machinery",
    "abacusai": "it is an API client with the caller's credentials",
}

# Dotted paths inside allowed packages that are refused, with the reason (and the fix where there is one).
# Matched on the full dotted name of imports (`import pandas.io.clipboard`), of from-imports
# (`from joblib import load`) and of attribute chains rooted at an imported module (`pd.read_pickle`), as a
# prefix: refusing `pandas.io.common` also refuses `pandas.io.common.os`.
# Modules admitted for a few attributes only. Every other attribute is refused, and so is the bare module used
# as a value (`f(sys)`), because what a value reaches cannot be followed statically. In the sandbox the
# worker's import hook hands the user module a stand-in that carries these attributes alone.
PARTIAL_MODULES: dict[str, frozenset[str]] = {
    "sys": frozenset(
        {
            "stdout",  # print to the job's captured output (B14 writes without a trailing newline)
            "stderr",  # same, the error stream
            "version",  # version checks
            "version_info",
            "hexversion",
            "maxsize",  # numeric limits
            "float_info",
            "int_info",
            "byteorder",
            "platform",
        }
    ),
}

REFUSED_MODULE_PATHS: dict[str, str] = {
    # pandas
    "pandas.read_pickle": "it unpickles the file, which runs arbitrary code; read CSV or Parquet instead",
    "pandas.read_clipboard": "it runs clipboard programs in a subprocess",
    "pandas.io.clipboard": "it imports subprocess, os and ctypes (vendored pyperclip) (R25)",
    "pandas.io.clipboards": "it runs clipboard programs in a subprocess",
    "pandas.io.common": "it re-exports os and other file-system internals",
    "pandas.io.pickle": "it unpickles files, which runs arbitrary code",
    "pandas.compat.pickle_compat": "it unpickles data, which runs arbitrary code",
    "pandas.read_hdf": "HDF object columns are unpickled, which runs arbitrary code",
    "pandas.HDFStore": "HDF object columns are unpickled, which runs arbitrary code",
    "pandas.io.pytables": "HDF object columns are unpickled, which runs arbitrary code",
    # numpy
    "numpy.f2py": "it compiles and runs native code in a subprocess",
    "numpy.distutils": "it compiles and runs native code in a subprocess",
    "numpy.ctypeslib": "it loads native libraries through ctypes",
    "numpy.lib.format": "read_array takes allow_pickle, and pickled arrays run arbitrary code; use numpy.load",
    "numpy.testing": "it runs code from strings (runstring) and starts processes; use numpy.allclose",
    # joblib: persistence is the runtime's job (R39)
    "joblib.load": "it unpickles the file, which runs arbitrary code; return the model from train and "
    "the runtime persists it",
    "joblib.numpy_pickle": "it unpickles files, which runs arbitrary code",
    "joblib.memory": "its cache unpickles files from disk, which runs arbitrary code",
    "joblib.Memory": "its cache unpickles files from disk, which runs arbitrary code",
    "joblib.externals": "it vendors cloudpickle and loky internals",
    # torch / tensorflow
    "torch.hub": "it downloads and runs code from the internet",
    "torch.utils.cpp_extension": "it compiles and loads native code",
    "torch.package": "it unpickles packaged code",
    "torch.ops.load_library": "it loads native libraries",
    "torch.classes.load_library": "it loads native libraries",
    "tensorflow.load_op_library": "it loads native libraries",
    "tensorflow.load_library": "it loads native libraries",
    # statsmodels
    "statsmodels.iolib": "its load_pickle unpickles files, which runs arbitrary code",
    "statsmodels.api.load": "it unpickles the file, which runs arbitrary code",
    "statsmodels.api.load_pickle": "it unpickles the file, which runs arbitrary code",
    # standard library corners of allowed modules
    "string.Formatter": "format fields perform attribute and index lookups out of the validator's sight; "
    "use an f-string",
    "dataclasses.make_dataclass": "it builds a class and its methods from a dict at run time; write a @dataclass class",
    "logging.config": "dictConfig/fileConfig resolve and call arbitrary dotted names; configure loggers in code",
    "logging.currentframe": "it returns the caller's frame",
    "typing.get_type_hints": "it evaluates string annotations as code",
    "typing.ForwardRef": "it evaluates strings as code",
    "io.open": "use open() with a relative file name literal",
    "io.open_code": "use open() with a relative file name literal",
    "io.FileIO": "use open() with a relative file name literal",
    "uuid.uuid1": "it may run system tools to read the MAC address; use uuid.uuid4()",
    "uuid.getnode": "it may run system tools to read the MAC address",
}

# --- names -----------------------------------------------------------------------------------------------

# Builtins refused wherever they are referenced (called or passed around) unless the name is bound by the
# user in a function scope (a parameter called `input` is fine). Value: why, and the fix.
REFUSED_BUILTINS: dict[str, str] = {
    "eval": "it runs code built at run time, out of the validator's sight",
    "exec": "it runs code built at run time, out of the validator's sight",
    "compile": "it turns strings into code objects",
    "breakpoint": "it starts a debugger that reads commands from stdin",
    "globals": "it hands out the module namespace, including __builtins__",
    "locals": "it hands out a frame's namespace",
    "vars": "it reaches any object's __dict__; read attributes by name",
    "input": "model code has no stdin; take values from the query or trainingConfig",
    "help": "it starts the interactive help system (and possibly a pager process)",
}

# Builtins that are fine when called directly with literal arguments the validator can check, and refused
# otherwise (including bare references such as `map(getattr, ...)`).
CHECKED_BUILTINS: frozenset[str] = frozenset(
    {
        "getattr",  # only getattr(obj, "literal"[, default]) with an allowed attribute name
        "setattr",  # same
        "delattr",  # same
        "hasattr",  # same
        "open",  # only open("relative/name.ext", ...): the path must be a literal inside the working dir
    }
)

# Dunder names model code may read as plain names (`if __name__ == "__main__":`) or assign at module/class
# level. Every other dunder name (`__builtins__`, `__loader__`, `__spec__`, `__import__`, `__file__`, ...)
# is refused.
ALLOWED_DUNDER_NAMES: frozenset[str] = frozenset(
    {
        "__name__",  # the module name; the classic main guard
        "__doc__",  # docstrings
        "__all__",  # export lists
        "__version__",  # version strings
        "__slots__",  # class body: memory-lean classes
        "__match_args__",  # class body: positional patterns in `match`
        "__hash__",  # class body: `__hash__ = None` makes a class unhashable
    }
)

# Data-model methods a class may define, and that may be read as attributes (`super().__init__()`,
# `key=d.__getitem__`). They are protocol hooks, not introspection: none of them hands out frames, code,
# globals or the class hierarchy.
DEFINABLE_DUNDER_METHODS: frozenset[str] = frozenset(
    {
        "__init__", "__new__", "__post_init__", "__repr__", "__str__", "__bytes__", "__format__", "__hash__",
        "__bool__", "__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__",
        "__getattr__", "__setattr__", "__delattr__", "__dir__", "__get__", "__set__", "__delete__",
        "__set_name__", "__init_subclass__", "__class_getitem__", "__call__",
        "__len__", "__length_hint__", "__getitem__", "__setitem__", "__delitem__", "__missing__", "__iter__",
        "__next__", "__reversed__", "__contains__",
        "__add__", "__sub__", "__mul__", "__matmul__", "__truediv__", "__floordiv__", "__mod__", "__divmod__",
        "__pow__", "__lshift__", "__rshift__", "__and__", "__xor__", "__or__",
        "__radd__", "__rsub__", "__rmul__", "__rmatmul__", "__rtruediv__", "__rfloordiv__", "__rmod__",
        "__rdivmod__", "__rpow__", "__rlshift__", "__rrshift__", "__rand__", "__rxor__", "__ror__",
        "__iadd__", "__isub__", "__imul__", "__imatmul__", "__itruediv__", "__ifloordiv__", "__imod__",
        "__ipow__", "__ilshift__", "__irshift__", "__iand__", "__ixor__", "__ior__",
        "__neg__", "__pos__", "__abs__", "__invert__", "__complex__", "__int__", "__float__", "__index__",
        "__round__", "__trunc__", "__floor__", "__ceil__",
        "__enter__", "__exit__",
        "__getstate__", "__setstate__", "__getnewargs__", "__getnewargs_ex__", "__copy__", "__deepcopy__",
        "__sizeof__", "__fspath__",
        "__array__", "__array_ufunc__", "__array_function__", "__array_priority__", "__dataframe__",
        "__sklearn_tags__", "__sklearn_clone__", "__torch_function__",
    }
)  # fmt: skip

# Dunder methods a class may NOT define, although Python would accept them.
REFUSED_DUNDER_METHODS: dict[str, str] = {
    # B27/C31: unpickling calls whatever __reduce__ returns. The artifact must be data plus code by value; a
    # model that needs custom state uses __getstate__/__setstate__.
    "__reduce__": "unpickling the model would call whatever it returns; use __getstate__/__setstate__",
    "__reduce_ex__": "unpickling the model would call whatever it returns; use __getstate__/__setstate__",
    # An object that intercepts every attribute lookup can lie about its own type (`__class__`) to the
    # runtime's result checks; __getattr__ (missing attributes only) covers delegation.
    "__getattribute__": "it intercepts every attribute lookup, including the runtime's type checks; use __getattr__",
}

# Readable dunder attributes beyond the data-model methods: plain metadata strings.
READABLE_DUNDER_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "__name__",  # `type(x).__name__`, `func.__name__` in log lines
        "__qualname__",  # same
        "__doc__",  # docstrings
        "__version__",  # `np.__version__`, `sklearn.__version__`
    }
)

# Frame, code, traceback, generator and coroutine attributes: each leads to frames and from there to the
# runtime's globals and builtins (B01; RestrictedPython CVE-2023-37271). Refused on any object.
FRAME_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "tb_frame", "tb_next",  # traceback -> frame chain
        "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "f_trace", "f_generator",  # frames
        "co_code", "co_consts", "co_names",  # code objects (R15: code-object crafting)
        "gi_frame", "gi_code", "gi_yieldfrom",  # generators
        "cr_frame", "cr_code", "cr_await", "cr_origin",  # coroutines
        "ag_frame", "ag_code", "ag_await",  # async generators
    }
)  # fmt: skip

# Attribute names refused on any object, because what they reach is refused whatever the receiver is.
# Module-valued attributes (`clip.subprocess`, `np.ctypeslib`, `random._os`, `arr.ctypes._ctypes`): allowed
# libraries import dangerous modules, and reaching them as attributes would sidestep the import allowlist.
# Matched after stripping leading underscores, so `_os` and `__os` count as `os`.
MODULE_ATTRIBUTE_NAMES: frozenset[str] = frozenset(
    {
        "os", "posix", "nt", "sys", "subprocess", "posixsubprocess", "builtins", "ctypes", "cffi",
        "importlib", "imp", "pickle", "cpickle", "cloudpickle", "marshal", "shutil", "socket", "pty",
        "runpy", "multiprocessing", "codeop", "gc", "inspect", "linecache", "pdb", "webbrowser",
    }
)  # fmt: skip

# Method names refused on any object (the receiver's type is unknown statically), with the reason.
REFUSED_ATTRIBUTE_NAMES: dict[str, str] = {
    "read_pickle": "it unpickles the file, which runs arbitrary code; read CSV or Parquet instead",
    "load_pickle": "it unpickles the file, which runs arbitrary code",
    "read_clipboard": "it runs clipboard programs in a subprocess",
    "to_clipboard": "it runs clipboard programs in a subprocess",
    "read_hdf": "HDF object columns are unpickled, which runs arbitrary code",
    "load_op_library": "it loads native libraries",
    "load_library": "it loads native libraries",
    "ctypeslib": "it loads native libraries through ctypes",
    "f2py": "it compiles and runs native code",
    **{
        name: "model code may not start processes"
        for name in (
            "system",
            "popen",
            "Popen",
            "fork",
            "forkpty",
            "posix_spawn",
            "posix_spawnp",
            "execv",
            "execve",
            "execvp",
            "execvpe",
            "execl",
            "execle",
            "execlp",
            "execlpe",
            "spawnv",
            "spawnve",
            "spawnvp",
            "spawnvpe",
            "spawnl",
            "spawnle",
            "spawnlp",
            "spawnlpe",
            "check_output",
            "check_call",
            "getoutput",
            "getstatusoutput",
        )
    },  # fmt: skip
}

# Metaclasses a class statement may name: they run code at class creation and can change attribute lookup,
# so only the standard ABC one is admitted.
ALLOWED_METACLASSES: frozenset[str] = frozenset({"abc.ABCMeta"})

# --- strings ---------------------------------------------------------------------------------------------

# Introspection dunders that have no business in a string literal: strings reach attributes through
# str.format fields, operator.attrgetter, pandas eval/query, typing annotations and the like (R19, R43).
# Docstrings and other bare string statements are exempt (they are never used as values).
STRING_DUNDER_PATTERN = re.compile(
    r"__(?:class|base|bases|mro|subclasses|globals|builtins|import|code|closure|func|self|dict|loader|spec"
    r"|getattribute|reduce|reduce_ex|traceback|defaults|kwdefaults|wrapped|module)__"
)
STRING_FRAME_PATTERN = re.compile(r"\.\s*(?:" + "|".join(sorted(FRAME_ATTRIBUTES)) + r")\b")

# --- limits ----------------------------------------------------------------------------------------------

MAX_SOURCE_BYTES = 4 * 1024 * 1024  # a model file is code, not data; bigger sources are refused unparsed
