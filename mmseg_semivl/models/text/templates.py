"""Prompt templates that turn a concept into a caption for the CLIP text tower."""
from __future__ import annotations

from typing import Dict, Sequence, Tuple, Union

from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

DEFAULT_TEMPLATES: Tuple[str, ...] = ('a photo of a {}.', )

# Named ensembles; embeddings of the templates are averaged per concept.
TEMPLATE_SETS: Dict[str, Tuple[str, ...]] = {
    'openai_imagenet': tuple(t('{}') for t in OPENAI_IMAGENET_TEMPLATES),
    'simple_imagenet': tuple(t('{}') for t in SIMPLE_IMAGENET_TEMPLATES),
}


def resolve_templates(templates: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Validated tuple of templates, each with exactly one ``{}`` for the concept.

    Args:
        templates: One template ('a photo of a {}.'), a sequence of templates (an
            ensemble), or the name of a set in :data:`TEMPLATE_SETS`.
    """
    if isinstance(templates, str):
        templates = TEMPLATE_SETS.get(templates, (templates, ))
    templates = tuple(templates)
    if not templates:
        raise ValueError('At least one prompt template is needed.')
    for template in templates:
        if not isinstance(template, str) or template.count('{}') != 1:
            raise ValueError(f'Prompt template {template!r} must contain "{{}}" exactly once '
                             f'(or name a template set: {sorted(TEMPLATE_SETS)}).')
    return templates


def fill_template(template: str, text: str) -> str:
    """Insert ``text`` (which may itself contain braces) into ``template``."""
    return template.replace('{}', text)
