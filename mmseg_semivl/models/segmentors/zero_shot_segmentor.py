"""Zero-shot segmentation with a frozen CLIP alone (MaskCLIP), as an MMSeg segmentor."""
from __future__ import annotations

import copy
from typing import List, Tuple

from mmengine.config import ConfigDict
from mmseg.models.segmentors import BaseSegmentor, EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig, OptSampleList, SampleList
from torch import Tensor

from ..backbones.clip_configs import CLIP_MEAN, CLIP_STD


#: CLIP's image normalisation (0-255 RGB), as in configs/_base_/models/semivl_vit-b16.py.
CLIP_PREPROCESSOR = dict(
    type='SegDataPreProcessor',
    mean=list(CLIP_MEAN),
    std=list(CLIP_STD),
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)


@MODELS.register_module()
class ZeroShotSegmentor(BaseSegmentor):
    """A frozen dense CLIP (:class:`DenseCLIPZeroShot`) behind MMSeg's test interface.

    ``test_step``/``predict`` give the usual :class:`SegDataSample` results (labels
    at the original image size), with MMSeg's whole-image or sliding-window
    inference, so the MaskCLIP baseline (and SemiVL's guidance) can be run and
    evaluated like any trained segmentor. Nothing is trained.

    Args:
        clip (ConfigType): Config of the ``DenseCLIPZeroShot`` (model, weights,
            class definitions with concepts, aggregation 'max').
        logit_scale (float): Factor on the cosine scores so that their softmax is
            CLIP's (and SemiVL's guidance temperature). Default: 100.
        align_corners (bool): Of the bilinear resizing of scores. Default: False.
        test_cfg (dict, optional): ``mode`` 'whole' (default) or 'slide' with
            ``crop_size`` and ``stride``.
        data_preprocessor (dict, optional): Default :data:`CLIP_PREPROCESSOR`.
        init_cfg (dict, optional): Unused; the CLIP loads its own weights.
    """

    # MMSeg's test-time machinery (whole / sliding-window inference and resizing back
    # to the original image) is reused unchanged; only ``encode_decode`` differs.
    predict = EncoderDecoder.predict
    inference = EncoderDecoder.inference
    whole_inference = EncoderDecoder.whole_inference
    slide_inference = EncoderDecoder.slide_inference

    def __init__(self,
                 clip: ConfigType,
                 logit_scale: float = 100.0,
                 align_corners: bool = False,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = copy.deepcopy(CLIP_PREPROCESSOR)
        if isinstance(data_preprocessor, dict):
            # Built from MMSeg's registry: no default scope is needed outside a runner.
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.clip = MODELS.build(clip)
        if self.clip.num_classes < 2:
            raise ValueError('zero-shot segmentation needs at least 2 classes (the argmax '
                             f'of one class is constant), got {self.clip.class_names}')
        self.num_classes = self.out_channels = self.clip.num_classes
        self.logit_scale = logit_scale
        self.align_corners = align_corners
        self.test_cfg = ConfigDict(test_cfg if test_cfg is not None else dict(mode='whole'))
        self.dataset_meta = None

    @property
    def class_names(self) -> List[str]:
        return list(self.clip.class_names)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor]:
        """Class cosine scores (B, C, H/p, W/p), as a one-element tuple."""
        return (self.clip(inputs), )

    def encode_decode(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Scaled class scores (B, C, H, W) at the size of ``inputs`` (B, 3, H, W)."""
        scores = self.extract_feat(inputs)[0].float() * self.logit_scale
        return resize(scores, size=inputs.shape[2:], mode='bilinear',
                      align_corners=self.align_corners)

    def _forward(self, inputs: Tensor, data_samples: OptSampleList = None) -> Tensor:
        return self.extract_feat(inputs)[0]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        raise NotImplementedError('ZeroShotSegmentor is a frozen CLIP; it has no training loss')

    def train(self, mode: bool = True) -> 'ZeroShotSegmentor':
        """Always in eval mode: nothing here is trained."""
        return super().train(False)


__all__ = ['CLIP_PREPROCESSOR', 'ZeroShotSegmentor']
