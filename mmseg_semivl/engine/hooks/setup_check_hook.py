"""Check, before the first iteration, that data and model agree on classes and crop."""
from __future__ import annotations

from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS

from ...datasets.transforms.checks import (BadInputError, check_class_definitions,
                                           check_crop_size)


@HOOKS.register_module()
class SetupCheckHook(Hook):
    """Fail fast (``before_train``) on a class list or crop the model cannot use.

    * The training dataset's ``metainfo['classes']`` must equal the class names of
      the decoder (``decode_head.class_names``, kept when the head builds its text
      embeddings; spelling variants such as 'diningtable' / 'dining table' match), of
      the dense CLIP guidance (``model.guidance.class_names``), of the optional
      ``class_definitions``, and their number the head's ``num_classes`` - otherwise
      label ``i`` and text embedding ``i`` mean different classes.
    * The training crop (``model.data_preprocessor.size``) must be a multiple of the
      backbone's patch size (unless the backbone's ``pads_to_patch_grid`` is True) and
      span at least ``min_patches`` patches
      (:func:`~mmseg_semivl.datasets.transforms.checks.check_crop_size`).

    Args:
        class_definitions (str, optional): Name or path of the decoder's class
            definitions (``decode_head.text_embeddings.class_definitions``).
        min_patches (int): Fewest patches per crop side. Defaults to 2.
    """

    priority = 'VERY_HIGH'

    def __init__(self, class_definitions: Optional[str] = None, min_patches: int = 2) -> None:
        self.class_definitions = class_definitions
        self.min_patches = min_patches

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        dataset = runner.train_dataloader.dataset
        classes = list((getattr(dataset, 'metainfo', None) or {}).get('classes') or [])
        name = f'the training dataset ({type(dataset).__name__})'
        if classes:
            self._check_classes(model, classes, name)
        self._check_crop(model)

    def _check_classes(self, model, classes: list, dataset_name: str) -> None:
        head = getattr(model, 'decode_head', None)
        if head is not None and getattr(head, 'num_classes', len(classes)) != len(classes):
            raise BadInputError(f'decode_head.num_classes={head.num_classes} but '
                                f'{dataset_name} has {len(classes)} classes: {classes}')
        if getattr(head, 'class_names', None) is not None:
            # The decoder's vocabulary, as built from its text_embeddings config.
            check_class_definitions(head.class_names, classes, "the decoder's class names",
                                    dataset_name, spelling_insensitive=True)
        guidance = getattr(model, 'guidance', None)
        if getattr(guidance, 'class_names', None) is not None:
            check_class_definitions(guidance.class_names, classes,
                                    'the guidance class definitions', dataset_name)
        if self.class_definitions is not None:
            from ...models.text import load_class_definitions
            check_class_definitions(load_class_definitions(self.class_definitions).names,
                                    classes, f'class definitions {self.class_definitions!r}',
                                    dataset_name)

    def _check_crop(self, model) -> None:
        size = getattr(getattr(model, 'data_preprocessor', None), 'size', None)
        backbone = getattr(model, 'backbone', None)
        patch = getattr(backbone, 'patch_size', None)
        if size is not None and patch is not None:
            check_crop_size(size, patch, self.min_patches,
                            pads_to_patch_grid=getattr(backbone, 'pads_to_patch_grid', False))
