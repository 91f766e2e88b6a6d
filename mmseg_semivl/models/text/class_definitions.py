"""Class definitions: each class owns a list of text concepts (SemiVL Sec. 3.6)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Union

import yaml

CLASS_DEFINITIONS_DIR = Path(__file__).resolve().parents[2] / 'class_definitions'


@dataclass(frozen=True)
class ClassDefinitions:
    """Class names and, per class, the concepts whose max score gives the class score.

    Attributes:
        names (list[str]): Class names in label order.
        concepts (list[list[str]]): Non-empty concept list of every class.
        source (str): Where the definitions came from (for messages).
    """
    names: List[str]
    concepts: List[List[str]]
    source: str = field(default='<mapping>', compare=False)

    def __post_init__(self) -> None:
        if not self.names:
            raise ValueError(f'Class definitions {self.source} define no class.')
        if len(self.names) != len(self.concepts):
            raise ValueError(f'Class definitions {self.source}: {len(self.names)} names but '
                             f'{len(self.concepts)} concept lists.')
        if len(set(self.names)) != len(self.names):
            duplicates = sorted({n for n in self.names if self.names.count(n) > 1})
            raise ValueError(f'Class definitions {self.source}: duplicate classes {duplicates}.')
        for name, concepts in zip(self.names, self.concepts):
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f'Class definitions {self.source}: invalid class name {name!r}.')
            if not concepts or not all(isinstance(c, str) and c.strip() for c in concepts):
                raise ValueError(
                    f"Class definitions {self.source}: class '{name}' needs a non-empty list of "
                    f'non-empty strings, got {concepts!r}.')

    @property
    def num_classes(self) -> int:
        return len(self.names)

    @property
    def flat_concepts(self) -> List[str]:
        """All concepts, class by class (K entries)."""
        return [c for concepts in self.concepts for c in concepts]

    @property
    def concept_to_class(self) -> List[int]:
        """Class index of every entry of :attr:`flat_concepts`."""
        return [i for i, concepts in enumerate(self.concepts) for _ in concepts]

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any],
                     source: str = '<mapping>') -> 'ClassDefinitions':
        """Build from ``{class name: [concept, ...]}``; a single string is one concept."""
        if not isinstance(mapping, Mapping):
            raise ValueError(f'Class definitions {source} must be a mapping of class name -> '
                             f'list of concepts, got {type(mapping).__name__}.')
        names, concepts = [], []
        for name, value in mapping.items():
            names.append(name)
            concepts.append([value] if isinstance(value, str) else
                            list(value) if isinstance(value, (list, tuple)) else value)
        return cls(names, concepts, source)


def class_count_mismatch(definitions: ClassDefinitions, classes: Sequence[str],
                         classes_source: str) -> Optional[str]:
    """The message for definitions that do not define as many classes as ``classes``.

    Args:
        definitions (ClassDefinitions): Loaded definitions (their ``source`` names the file).
        classes (Sequence[str]): The class names the model must predict, in label order.
        classes_source (str): Where ``classes`` come from, for the message.

    Returns:
        str, optional: Naming the file, the classes it lacks and the ones it has in
        excess; None when the counts agree (order and spelling are checked elsewhere).
    """
    classes = [str(c) for c in classes]
    if len(definitions.names) == len(classes):
        return None
    missing = [c for c in classes if c not in definitions.names]
    extra = [c for c in definitions.names if c not in classes]
    parts = [f'class definitions {definitions.source} define {len(definitions.names)} classes '
             f'but {classes_source} has {len(classes)}']
    if missing:
        parts.append(f"missing: {', '.join(repr(c) for c in missing)} (add e.g. "
                     f"`{missing[0]}: [{missing[0]}]` to the file)")
    if extra:
        parts.append(f"not in {classes_source}: {', '.join(repr(c) for c in extra)}")
    return '; '.join(parts)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        keys = [self.construct_object(key_node, deep=deep) for key_node, _ in node.value]
        duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
        if duplicates:
            raise yaml.constructor.ConstructorError(
                None, None, f'duplicate class names {duplicates}', node.start_mark)
        return super().construct_mapping(node, deep=deep)


def list_class_definitions() -> List[str]:
    """Names of the class definitions shipped in ``mmseg_semivl/class_definitions``."""
    return sorted(p.stem for p in CLASS_DEFINITIONS_DIR.glob('*.yaml'))


def load_class_definitions(
        name_or_path: Union[str, os.PathLike, Mapping, ClassDefinitions]) -> ClassDefinitions:
    """Load class definitions by shipped name, YAML file, or mapping.

    Args:
        name_or_path: A shipped name ('voc', 'cityscapes', 'coco', 'ade20k', 'voc_names',
            'voc_guidelines', 'voc_gpt'), a path to a YAML file mapping each class name
            to its list of concepts, a mapping of the same form, or ClassDefinitions.

    Returns:
        ClassDefinitions: Validated definitions in file order.
    """
    if isinstance(name_or_path, ClassDefinitions):
        return name_or_path
    if isinstance(name_or_path, Mapping):
        return ClassDefinitions.from_mapping(name_or_path)
    text = os.fspath(name_or_path)
    shipped = CLASS_DEFINITIONS_DIR / f'{text}.yaml'
    if shipped.is_file():
        path = shipped
    elif os.path.isfile(os.path.expanduser(text)):
        path = Path(os.path.expanduser(text))
    elif text.endswith(('.yaml', '.yml')) or os.sep in text or '/' in text:
        raise FileNotFoundError(f"Class definitions file not found: '{text}'.")
    else:
        raise ValueError(f"Unknown class definitions '{text}': not a shipped name "
                         f'{list_class_definitions()} nor an existing YAML file.')
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.load(f, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"Invalid YAML in class definitions file '{path}': {exc}") from exc
    return ClassDefinitions.from_mapping(data, source=f"'{path}'")
