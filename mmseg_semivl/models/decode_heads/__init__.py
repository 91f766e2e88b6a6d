"""Decode heads: SemiVL's language-guided decoder and the UniMatch-ViT baseline."""
from .class_attention import ClassAttentionBlock, SemanticReasoning
from .daformer_head import DAFormerHead, DLV2Head  # noqa: F401 (UDA)
from .deeplabv2_head import DeepLabV2Head
from .deeplabv3plus_vit_head import DeepLabV3PlusViTHead
from .feature_perturbation import FeaturePerturbationMixin, perturb_features
from .language_guided_head import DECODER_ABLATIONS, PER_CLASS_AGGREGATIONS, LanguageGuidedHead
from .low_level_adapter import LowLevelAdapter
from .residual_aspp import ResidualASPP
from .spatial_reasoning import SpatialReasoning
from .upsample_block import UpBlock

__all__ = [
    'ClassAttentionBlock', 'DECODER_ABLATIONS', 'DeepLabV2Head', 'DeepLabV3PlusViTHead',
    'FeaturePerturbationMixin', 'LanguageGuidedHead', 'LowLevelAdapter',
    'PER_CLASS_AGGREGATIONS', 'ResidualASPP', 'SemanticReasoning', 'SpatialReasoning',
    'UpBlock', 'perturb_features'
]
