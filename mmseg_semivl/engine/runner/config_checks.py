"""Find misspelt hook and loop arguments before a run starts, not at its first save.

MMEngine builds hooks and loops from dicts. ``CheckpointHook`` accepts ``**kwargs`` and
forwards them to ``Runner.save_checkpoint``, so ``default_hooks.checkpoint.intervl=1``
is only rejected at the first save, possibly thousands of iterations later; other
hooks and loops fail with a bare ``TypeError`` that names no config key.
:func:`check_run_config` compares every hook and loop argument with the signature of
the class it builds and names the key, the class and the nearest valid argument.
"""
from __future__ import annotations

import difflib
import inspect
from typing import Any, Iterable, Mapping, Optional, Sequence

from mmengine.hooks import CheckpointHook

#: Arguments the runner passes itself (``default_args``), per kind of component.
_RUNNER_ARGS = {'hook': (), 'loop': ('runner', 'dataloader', 'evaluator')}


class ConfigArgumentError(ValueError):
    """A hook or loop config names an argument its class does not take."""


def check_run_config(cfg: Any) -> None:
    """Check the arguments of ``default_hooks``, ``custom_hooks`` and the loops of ``cfg``.

    Components whose class takes ``**kwargs`` (and is not a ``CheckpointHook``) are
    skipped: their valid arguments are not knowable from the signature.

    Args:
        cfg (Config or dict): The run config (after ``--cfg-options``).

    Raises:
        ConfigArgumentError: ``<key>: <Class> has no argument '<name>' (did you mean
            '<nearest>'?)`` for the first unknown argument.
    """
    from mmseg.registry import HOOKS, LOOPS

    for name, hook in (cfg.get('default_hooks') or {}).items():
        if isinstance(hook, Mapping):
            _check(f'default_hooks.{name}', hook, HOOKS, 'hook')
    for index, hook in enumerate(cfg.get('custom_hooks') or []):
        if isinstance(hook, Mapping):
            _check(f'custom_hooks.{index}', hook, HOOKS, 'hook')
    for key in ('train_cfg', 'val_cfg', 'test_cfg'):
        loop = cfg.get(key)
        if not isinstance(loop, Mapping):
            continue
        loop = dict(loop)
        if 'type' not in loop and key == 'train_cfg':
            # Runner.build_train_loop's own inference from `by_epoch`.
            by_epoch = loop.pop('by_epoch', None)
            if by_epoch is None:
                continue  # MMEngine itself refuses this config, with its own message
            loop['type'] = 'EpochBasedTrainLoop' if by_epoch else 'IterBasedTrainLoop'
        elif 'type' not in loop:
            loop['type'] = 'ValLoop' if key == 'val_cfg' else 'TestLoop'
        _check(key, loop, LOOPS, 'loop')


def _check(key: str, component: Mapping, registry: Any, kind: str) -> None:
    kind_type = component.get('type')
    cls = registry.get(kind_type) if isinstance(kind_type, str) else kind_type
    if not inspect.isclass(cls):
        return  # an unknown type: the registry's own error names it when building
    given = [k for k in component if k != 'type']
    valid = _arguments(cls)
    if valid is None:
        return
    for name in given:
        if name not in valid:
            raise ConfigArgumentError(unknown_argument_message(
                key, cls.__name__, name, [v for v in valid if v not in _RUNNER_ARGS[kind]]))


def _arguments(cls: type) -> Optional[Sequence[str]]:
    """Keyword arguments ``cls`` accepts, or None when it takes arbitrary ``**kwargs``.

    A ``**kwargs`` is followed up the class hierarchy (subclasses forward it to
    ``super().__init__``) until an ``__init__`` without one closes the list.
    """
    names: list = []
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None  # **kwargs reached object: nothing closes the list
        params = inspect.signature(init).parameters.values()
        names += [p.name for p in params if p.name != 'self' and p.kind in (
            p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        # CheckpointHook's **kwargs go to Runner.save_checkpoint, which already gets
        # every argument it has from the hook: any extra name fails at the first save.
        if klass is CheckpointHook or not any(p.kind == p.VAR_KEYWORD for p in params):
            return list(dict.fromkeys(names))
    return None


def unknown_argument_message(key: str, class_name: str, name: str,
                             valid: Iterable[str]) -> str:
    """``<key>: <Class> has no argument '<name>' (did you mean '<x>'?); valid: ...``."""
    valid = list(valid)
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ''
    known = f"its arguments are {', '.join(valid)}" if valid else 'it takes no arguments'
    return f"{key}: {class_name} has no argument '{name}'{hint}; {known}"


#: Where a config names class definitions: (key path, what the message calls it).
VOCABULARY_KEYS = (('model.decode_head.text_embeddings.class_definitions', 'decoder'),
                   ('model.guidance.class_definitions', 'guidance'))


def check_class_vocabulary(cfg: Any) -> None:
    """Compare the class definitions a config names with its training dataset's classes.

    The head would otherwise fail while the model is built with ``num_classes=3 but
    text_embeddings builds 2 class embeddings``, naming neither the file nor the class.

    Args:
        cfg (Config or dict): The run config.

    Raises:
        ValueError: Naming the config key, the definitions file, the missing and the
            extra classes.
    """
    from ...models.text.class_definitions import class_count_mismatch, load_class_definitions
    classes, source = _training_classes(cfg)
    for key, _ in VOCABULARY_KEYS:
        value = _get_path(cfg, key)
        if value is None:
            continue
        definitions = load_class_definitions(value)
        if classes is not None:
            message = class_count_mismatch(definitions, classes, source)
        else:
            num_classes = _get_path(cfg, 'model.decode_head.num_classes')
            message = None if num_classes in (None, len(definitions.names)) else (
                f'class definitions {definitions.source} define {len(definitions.names)} '
                f'classes {definitions.names} but model.decode_head.num_classes={num_classes}')
        if message is not None:
            raise ConfigArgumentError(f'{key}: {message}')


def _get_path(cfg: Any, key: str) -> Any:
    node = cfg
    for part in key.split('.'):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _training_classes(cfg: Any):
    """``(classes, description)`` of the first training source, or ``(None, '')``."""
    from mmseg.registry import DATASETS
    dataset = _get_path(cfg, 'train_dataloader.dataset')
    while isinstance(dataset, Mapping) and dataset.get('datasets'):
        dataset = dataset['datasets'][0]  # ConcatDataset: the labeled source comes first
    while isinstance(dataset, Mapping) and isinstance(dataset.get('dataset'), Mapping):
        dataset = dataset['dataset']  # RepeatDataset and similar wrappers
    if not isinstance(dataset, Mapping):
        return None, ''
    name = dataset.get('type')
    metainfo = dataset.get('metainfo') or {}
    classes = metainfo.get('classes') if isinstance(metainfo, Mapping) else None
    if classes is None and isinstance(name, str):
        cls = DATASETS.get(name)
        classes = (getattr(cls, 'METAINFO', None) or {}).get('classes') if cls else None
    if not classes:
        return None, ''
    return list(classes), f'the training dataset ({name})'
