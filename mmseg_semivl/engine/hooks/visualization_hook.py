"""Pictures of what SemiVL trains on: prediction, pseudo-label and CLIP guidance."""
from __future__ import annotations

import contextlib
import copy
import os
import os.path as osp
import random
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose, ConcatDataset
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmseg.registry import HOOKS, TRANSFORMS
from mmseg.structures import SegDataSample
from mmseg.utils import stack_batch

from ...visualization import generate_palette, make_panel, stack_rows

#: Column titles of a panel row after the image, in order.
PANEL_COLUMNS = ('ground truth', 'prediction', 'pseudo-label', 'guidance')
#: Keys of ``predict_training_targets`` drawn in the last three columns.
TARGET_KEYS = ('prediction', 'pseudo_label', 'guidance')


@contextlib.contextmanager
def preserved_rng_state() -> Iterator[None]:
    """Restore Python's, NumPy's and torch's (CPU and CUDA) random states on exit.

    Whatever runs inside (data transforms, model code) cannot shift the random
    streams of training, so a run gives the same weights with and without it.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()
    torch_state = torch.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


@HOOKS.register_module()
class SemiVLVisualizationHook(Hook):
    """Every ``interval`` iterations, draw the training targets of fixed unlabeled images.

    One row per image: image | ground truth | prediction | pseudo-label | dense
    CLIP guidance, from the segmentor's ``predict_training_targets`` (student
    argmax; the same where its confidence passes the consistency threshold; the
    frozen CLIP's labels where they pass the guidance threshold; white = ignored,
    grey = not available). The picture goes to ``work_dir/<out_dir>/iter_<N>.png``
    and, optionally, to the runner's visualizer backends (e.g. TensorBoard).

    The first ``num_images`` images of the unlabeled training dataset are loaded
    once, resized to fit the training crop, normalised by the model's data
    preprocessor and padded to the crop (like training batches). Only rank 0
    draws; the model runs without gradients in eval mode and is put back in its
    previous mode, and all random states are restored, so training is unchanged.

    Args:
        interval (int): Draw every ``interval`` training iterations.
        num_images (int): Rows of the panel.
        dataset_index (int): Which dataset of the training ``ConcatDataset`` is the
            unlabeled one (the contract's order: labeled, unlabeled). Ignored when
            the training dataset is not a ConcatDataset.
        pipeline (Sequence[dict], optional): Loads one sample into
            ``{'inputs', 'data_samples'}`` no larger than the crop; default: load
            the image and its label if any, keep-ratio resize to fit the crop, pack.
        crop_size (tuple[int, int], optional): (H, W) images are padded to; default
            the model data preprocessor's ``size`` (the training crop).
        out_dir (str): Folder under ``work_dir`` for the PNGs.
        add_to_visualizer (bool): Also send the picture to the runner's visualizer
            (``add_image``), i.e. to its enabled backends.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 1000,
                 num_images: int = 4,
                 dataset_index: int = 1,
                 pipeline: Optional[Sequence[dict]] = None,
                 crop_size: Optional[Union[int, Tuple[int, int]]] = None,
                 out_dir: str = 'vis',
                 add_to_visualizer: bool = True) -> None:
        if interval < 1 or num_images < 1:
            raise ValueError(f'interval and num_images must be >= 1, got {interval} and '
                             f'{num_images}')
        self.interval = interval
        self.num_images = num_images
        self.dataset_index = dataset_index
        self.pipeline = copy.deepcopy(list(pipeline)) if pipeline is not None else None
        self.crop_size = (crop_size, crop_size) if isinstance(crop_size, int) else crop_size
        self.out_dir = out_dir
        self.add_to_visualizer = add_to_visualizer
        self._samples: Optional[List[dict]] = None
        self._palette: Optional[List[Tuple[int, int, int]]] = None

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
        return model.module if is_model_wrapper(model) else model

    def _unlabeled_dataset(self, runner):
        dataset = runner.train_dataloader.dataset
        if isinstance(dataset, ConcatDataset):
            num = len(dataset.datasets)
            if not -num <= self.dataset_index < num:
                raise IndexError(f'SemiVLVisualizationHook: dataset_index={self.dataset_index} '
                                 f'but the training ConcatDataset holds {num} datasets')
            dataset = dataset.datasets[self.dataset_index]
        return dataset

    def _default_pipeline(self, crop_size: Tuple[int, int]) -> List[dict]:
        return [
            dict(type='LoadImageFromFile'),
            dict(type='LoadOptionalAnnotations'),
            # mmcv's scale is (w, h); keep_ratio fits the image inside it.
            dict(type='Resize', scale=(crop_size[1], crop_size[0]), keep_ratio=True),
            dict(type='PackSegInputs'),
        ]

    def _load_samples(self, runner) -> None:
        """Run the pipeline once on the first ``num_images`` unlabeled images."""
        model = self._unwrap(runner.model)
        if not hasattr(model, 'predict_training_targets'):
            raise TypeError('SemiVLVisualizationHook needs a segmentor with '
                            f'predict_training_targets(), got {type(model).__name__}')
        crop_size = self.crop_size or getattr(model.data_preprocessor, 'size', None)
        if crop_size is None:
            raise ValueError('SemiVLVisualizationHook needs crop_size (the model data '
                             'preprocessor has no size)')
        self.crop_size = tuple(int(s) for s in crop_size)
        dataset = self._unlabeled_dataset(runner)
        pipeline = Compose([
            TRANSFORMS.build(t) for t in (self.pipeline or self._default_pipeline(self.crop_size))
        ])
        count = min(self.num_images, len(dataset))
        if count == 0:
            raise ValueError('SemiVLVisualizationHook: the unlabeled dataset is empty')
        self._samples = [pipeline(dataset.get_data_info(i)) for i in range(count)]
        for sample in self._samples:
            size = tuple(sample['inputs'].shape[-2:])
            if size[0] > self.crop_size[0] or size[1] > self.crop_size[1]:
                raise ValueError(
                    f"SemiVLVisualizationHook: the pipeline made "
                    f"'{sample['data_samples'].img_path}' {size}, larger than the crop "
                    f'{self.crop_size}; resize it to fit the crop')
        palette = dataset.metainfo.get('palette')
        num_classes = model.decode_head.num_classes
        self._palette = (list(map(tuple, palette)) if palette and len(palette) >= num_classes
                         else generate_palette(num_classes))

    # ------------------------------------------------------------------ drawing
    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval) or not is_main_process():
            return
        with preserved_rng_state():
            if self._samples is None:
                self._load_samples(runner)
            panel = self.draw(self._unwrap(runner.model))
        step = runner.iter + 1
        path = osp.join(runner.work_dir, self.out_dir, f'iter_{step}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, panel[..., ::-1])
        if self.add_to_visualizer:
            runner.visualizer.add_image('semivl_targets', panel, step=step)

    @torch.no_grad()
    def draw(self, model: torch.nn.Module) -> np.ndarray:
        """The panel of the loaded images with the model's current targets.

        Returns:
            np.ndarray: (n * (TITLE_HEIGHT + H) + (n - 1) * gap, 5 * W + 4 * gap, 3)
            RGB uint8 for n images and the crop (H, W).
        """
        was_training = model.training
        model.eval()
        try:
            inputs, samples = self._batch(model)
            maps = model.predict_training_targets(inputs)
        finally:
            model.train(was_training)
        ignore = model.decode_head.ignore_index
        rows = []
        for i, sample in enumerate(samples):
            _, pad_right, _, pad_bottom = sample.metainfo['padding_size']
            size = (self.crop_size[0] - pad_bottom, self.crop_size[1] - pad_right)
            gt = sample.gt_sem_seg.data[0] if 'gt_sem_seg' in sample else None
            columns = [gt] + [maps[k][i] if k in maps else None for k in TARGET_KEYS]
            columns = [None if c is None else _ignore_padding(c, size, ignore) for c in columns]
            rows.append(
                make_panel(self._display_image(model, i), list(zip(PANEL_COLUMNS, columns)),
                           self._palette, ignore))
        return stack_rows(rows)

    def _batch(self, model: torch.nn.Module) -> Tuple[torch.Tensor, List[SegDataSample]]:
        """Normalised images padded to the crop, (n, 3, H, W), and their samples."""
        inputs, samples = [], []
        for sample in self._samples:
            # One image at a time: the preprocessor only stacks equal sizes at test time.
            data = model.data_preprocessor(
                dict(inputs=[sample['inputs']], data_samples=[copy.deepcopy(
                    sample['data_samples'])]), training=False)
            inputs.append(data['inputs'][0])
            samples.extend(data['data_samples'])
        # Padded after normalisation with the preprocessor's values, as in training.
        return stack_batch(inputs, samples, size=self.crop_size,
                           pad_val=model.data_preprocessor.pad_val,
                           seg_pad_val=model.data_preprocessor.seg_pad_val)

    def _display_image(self, model: torch.nn.Module, index: int) -> np.ndarray:
        """(H, W, 3) RGB uint8 image of sample ``index``, black padding to the crop."""
        image = self._samples[index]['inputs']
        if getattr(model.data_preprocessor, 'channel_conversion', False):
            image = image[[2, 1, 0]]  # the preprocessor's BGR -> RGB
        image = image.permute(1, 2, 0).cpu().numpy().astype(np.uint8)
        canvas = np.zeros((*self.crop_size, 3), dtype=np.uint8)
        canvas[:image.shape[0], :image.shape[1]] = image[:self.crop_size[0], :self.crop_size[1]]
        return canvas


def _ignore_padding(label: torch.Tensor, size: Tuple[int, int], ignore_index: int) -> np.ndarray:
    """(H, W) labels as numpy, with everything outside the top-left ``size`` ignored."""
    label = label.cpu().numpy().copy()
    label[size[0]:] = ignore_index
    label[:, size[1]:] = ignore_index
    return label
