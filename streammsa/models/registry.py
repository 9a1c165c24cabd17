"""Models by name (MMSA-style): ``build_model("cacr", dims, {"tau": 0.3})``.

A model class is registered with its config dataclass; it is constructed as
``cls(dims, config)`` and keeps ``.name`` and ``.config`` so that a checkpoint can store
``name`` and ``dataclasses.asdict(config)`` and rebuild exactly the same model.

Config classes grow keys as the models change. A checkpoint's stored config is a complete record
of the code that wrote it, so a key it lacks means "the behaviour before that key existed": a config
class lists those values in ``LEGACY`` (a ``ClassVar`` dict), and ``config_from_record`` fills missing
keys from it, while ``make_config`` (the command line, new models) fills them with the defaults.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

from torch import nn

from streammsa import MODALITIES
from streammsa.errors import UsageError

MODELS: dict[str, tuple[type[nn.Module], type]] = {}

T = TypeVar("T", bound=type)


def register(name: str, config_cls: type) -> Callable[[T], T]:
    """Class decorator: make ``name`` buildable with config dataclass ``config_cls``."""
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"config for {name!r} must be a dataclass, got {config_cls!r}")

    def decorate(cls: T) -> T:
        if name in MODELS and MODELS[name][0] is not cls:
            raise ValueError(f"model name {name!r} is already registered to {MODELS[name][0].__name__}")
        MODELS[name] = (cls, config_cls)
        return cls

    return decorate


def available() -> list[str]:
    return sorted(MODELS)


def _lookup(name: str) -> tuple[type[nn.Module], type]:
    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; choose one of: {', '.join(available())}")
    return MODELS[name]


def make_config(name: str, overrides: dict[str, Any] | None = None) -> Any:
    """The config dataclass of ``name`` with ``overrides`` applied (unknown keys -> UsageError)."""
    _, config_cls = _lookup(name)
    overrides = dict(overrides or {})
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise UsageError(
            f"unknown config key(s) {', '.join(unknown)} for model {name!r}; valid keys: {', '.join(sorted(fields))}"
        )
    defaults = config_cls()
    for key, value in overrides.items():
        # JSON/YAML give lists where the dataclass holds tuples (e.g. head weights).
        if isinstance(getattr(defaults, key), tuple) and isinstance(value, list):
            overrides[key] = tuple(value)
    try:
        return config_cls(**overrides)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad config for model {name!r}: {exc}") from exc


def config_from_record(name: str, stored: dict[str, Any]) -> Any:
    """The config of a stored record (a checkpoint's ``config``): keys it lacks take their ``LEGACY`` value.

    Old checkpoints therefore rebuild the model they were trained as, while new models get the
    new defaults.
    """
    _, config_cls = _lookup(name)
    legacy = dict(getattr(config_cls, "LEGACY", {}))
    return make_config(name, {**{k: v for k, v in legacy.items() if k not in stored}, **stored})


def build_model(name: str, dims: dict[str, int], config: Any = None) -> nn.Module:
    """Construct model ``name`` for feature sizes ``dims`` ({"text": 384, "audio": 60, "vision": 62})."""
    cls, config_cls = _lookup(name)
    missing = [m for m in MODALITIES if m not in dims]
    if missing:
        raise UsageError(f"dims lacks {', '.join(missing)}: give the feature size of every modality {MODALITIES}")
    bad = [m for m in MODALITIES if not isinstance(dims[m], int) or dims[m] <= 0]
    if bad:
        raise UsageError(f"dims of {', '.join(bad)} must be positive integers, got {dims}")
    if config is None:
        config = config_cls()
    elif isinstance(config, dict):
        config = make_config(name, config)
    elif not isinstance(config, config_cls):
        raise UsageError(f"model {name!r} takes a {config_cls.__name__} or a dict, got {type(config).__name__}")
    model = cls({m: int(dims[m]) for m in MODALITIES}, config)
    model.name = name
    model.config = config
    model.dims = {m: int(dims[m]) for m in MODALITIES}
    return model
