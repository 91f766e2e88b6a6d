"""``SemiSupervisedSegmentor``: the flat config interface of SemiVL / UniMatch configs.

Configs written before the teacher-student core give the student's parts at the top
level (``backbone``, ``decode_head``, ``guidance``, ...); this class builds the student
from them and is otherwise :class:`SemiVLSegmentor` (UniMatch when ``guidance=None``).
Its checkpoints of that time (keys ``backbone.*``, ``decode_head.*``) load through the
key mapping of :class:`TeacherStudentSegmentor`.
"""
from __future__ import annotations

from typing import Optional, Sequence

from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptConfigType, OptMultiConfig

from .semivl import SemiVLSegmentor

#: Type of the student built from the flat arguments.
STUDENT_TYPE = 'HeadSyncedEncoderDecoder'


@MODELS.register_module()
class SemiSupervisedSegmentor(SemiVLSegmentor):
    """SemiVL (or UniMatch without ``guidance``) from a flat encoder-decoder config.

    Args:
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg, pretrained:
            The student's parts, as in MMSeg's :class:`EncoderDecoder`
            (a ``HeadSyncedEncoderDecoder`` is built from them).
        guidance, loss_guidance, guidance_weight, guidance_schedule,
            guidance_temperature: As :class:`SemiVLSegmentor`.
        use_consistency, use_feature_perturbation, view_weights, loss_consistency,
            log_pseudo_label_miou: As :class:`UniMatchSegmentor`.
        sup_weight (float): Weight of the supervised CE (paper: 1/2).
        unsup_weight (float): Weight of the consistency terms (paper: 1/2).
        data_preprocessor (ConfigType, optional): ``SemiSegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation config of the student.
        **kwargs: Further :class:`SemiVLSegmentor` / :class:`TeacherStudentSegmentor`
            arguments (``teacher``, ``mixer``, ``num_strong_views``, ``semi_test_cfg``,
            ``confidence_threshold``, ``guidance_threshold``, ``fp_dropout``, ...).
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 guidance: OptConfigType = None,
                 use_consistency: bool = True,
                 use_feature_perturbation: bool = True,
                 sup_weight: float = 0.5,
                 unsup_weight: float = 0.5,
                 view_weights: Sequence[float] = (0.25, 0.25, 0.5),
                 loss_consistency: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.95, normalizer='valid'),
                 loss_guidance: ConfigType = dict(
                     type='ConfidenceMaskedCrossEntropy', threshold=0.9, normalizer='all'),
                 guidance_weight: float = 0.1,
                 guidance_schedule: str = 'linear',
                 guidance_temperature: float = 100.0,
                 log_pseudo_label_miou: bool = True,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 **kwargs) -> None:
        student = dict(type=STUDENT_TYPE, backbone=backbone, decode_head=decode_head,
                       neck=neck, auxiliary_head=auxiliary_head, train_cfg=train_cfg,
                       test_cfg=test_cfg, pretrained=pretrained, init_cfg=init_cfg)
        semi_train_cfg = {'sup_weight': sup_weight, 'unsup_weight': unsup_weight,
                          **(kwargs.pop('semi_train_cfg', None) or {})}
        super().__init__(
            student,
            guidance=guidance,
            loss_guidance=loss_guidance,
            guidance_weight=guidance_weight,
            guidance_schedule=guidance_schedule,
            guidance_temperature=guidance_temperature,
            use_consistency=use_consistency,
            use_feature_perturbation=use_feature_perturbation,
            view_weights=view_weights,
            loss_consistency=loss_consistency,
            log_pseudo_label_miou=log_pseudo_label_miou,
            semi_train_cfg=semi_train_cfg,
            data_preprocessor=data_preprocessor,
            **kwargs)


__all__ = ['SemiSupervisedSegmentor']
