"""`@dataclass`, `field` and `replace` as the standard library has them, made at a fraction of
the cost when the tool starts.

Each hook call imports some forty record classes.  The standard `dataclasses` module imports
`inspect` (with `ast`, `dis`, `tokenize`) and compiles five or six methods per class: a third of
a short run's time.  Here `__init__`, `__eq__` and `__hash__` are compiled when a class first
uses them, so a short run pays only for the classes it makes.  Type checkers see the standard
module itself, so the declarations mean exactly what they say, and mypy refuses an assignment to
a field of a frozen record; at run time such a record is made and read as a plain object (a
guard against assignment there would make each of the tool's many small records slower to make
and to read).  Supported: `frozen`, defaults, and `field` with
`default`, `default_factory`, `init`, `repr`, `compare` and `hash`.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import replace as replace
else:
    _MISSING = object()

    class _Field:
        __slots__ = ("name", "default", "default_factory", "init", "repr", "compare", "hash")

        def __init__(self, default=_MISSING, default_factory=_MISSING, init=True, repr=True,
                     compare=True, hash=None):
            self.name = ""
            self.default = default
            self.default_factory = default_factory
            self.init = init
            self.repr = repr
            self.compare = compare
            self.hash = compare if hash is None else hash

    def field(*, default=_MISSING, default_factory=_MISSING, init=True, repr=True,
              compare=True, hash=None):
        return _Field(default, default_factory, init, repr, compare, hash)

    def dataclass(cls=None, /, *, frozen=False):
        def wrap(cls):
            return _process(cls, frozen)

        return wrap if cls is None else wrap(cls)

    def replace(record, /, **changes):
        for found in record.__record_fields__:
            if found.init and found.name not in changes:
                changes[found.name] = getattr(record, found.name)
        return record.__class__(**changes)

    def _fields(cls):
        found = {}
        for base in reversed(cls.__mro__[1:]):
            for inherited in getattr(base, "__record_fields__", ()):
                found[inherited.name] = inherited
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if "ClassVar" in str(annotation):
                continue
            value = cls.__dict__.get(name, _MISSING)
            made = value if isinstance(value, _Field) else _Field(default=value)
            made.name = name
            if isinstance(value, _Field):
                if made.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, made.default)
            found[name] = made
        return tuple(found.values())

    def _process(cls, frozen):
        fields = _fields(cls)
        cls.__record_fields__ = fields
        # The methods are compiled when first called: a short run makes few of the classes.
        cls.__init__ = _compiled_later(cls, "__init__", _init_source)
        shown = tuple(f.name for f in fields if f.repr)

        def __repr__(self):
            inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
            return f"{self.__class__.__qualname__}({inside})"

        cls.__repr__ = __repr__
        cls.__eq__ = _compiled_later(cls, "__eq__", _eq_source)
        if frozen:
            cls.__hash__ = _compiled_later(cls, "__hash__", _hash_source)
        elif "__hash__" not in cls.__dict__:
            cls.__hash__ = None
        return cls

    def _compiled_later(cls, name, make_source):
        """A stand-in for the method `name` of `cls` that compiles the method on its first
        call, puts it on the class in its place, and calls it."""
        def first_call(self, *args, **kwargs):
            namespace = {"_MISSING": _MISSING, "NotImplemented": NotImplemented}
            exec(make_source(cls, namespace), namespace)  # noqa: S102  (our own field names)
            method = namespace[name]
            method.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, method)
            return method(self, *args, **kwargs)

        first_call.__qualname__ = f"{cls.__qualname__}.{name}"
        return first_call

    def _init_source(cls, namespace):
        parameters, body = [], []
        for found in cls.__record_fields__:
            if found.init:
                if found.default is not _MISSING:
                    namespace[f"_d_{found.name}"] = found.default
                    parameters.append(f"{found.name}=_d_{found.name}")
                elif found.default_factory is not _MISSING:
                    namespace[f"_f_{found.name}"] = found.default_factory
                    parameters.append(f"{found.name}=_MISSING")
                else:
                    parameters.append(found.name)
                value = found.name
                if found.default_factory is not _MISSING:
                    value = f"_f_{found.name}() if {found.name} is _MISSING else {found.name}"
            elif found.default_factory is not _MISSING:
                namespace[f"_f_{found.name}"] = found.default_factory
                value = f"_f_{found.name}()"
            elif found.default is not _MISSING:
                namespace[f"_d_{found.name}"] = found.default
                value = f"_d_{found.name}"
            else:
                continue
            body.append(f"self.{found.name} = {value}")
        if hasattr(cls, "__post_init__"):
            body.append("self.__post_init__()")
        # Parameters with defaults may precede those without only by keyword, as
        # dataclasses would refuse; the classes here never need that.
        return (f"def __init__(self, {', '.join(parameters)}):\n    "
                + ("\n    ".join(body) or "pass") + "\n")

    def _eq_source(cls, namespace):
        compared = [f.name for f in cls.__record_fields__ if f.compare]
        return ("def __eq__(self, other):\n"
                "    if other.__class__ is not self.__class__:\n        return NotImplemented\n"
                f"    return {_tuple('self', compared)} == {_tuple('other', compared)}\n")

    def _hash_source(cls, namespace):
        hashed = [f.name for f in cls.__record_fields__ if f.hash]
        return f"def __hash__(self):\n    return hash({_tuple('self', hashed)})\n"

    def _tuple(owner, names):
        return "(" + "".join(f"{owner}.{name}, " for name in names) + ")"
