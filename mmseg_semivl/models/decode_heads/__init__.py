"""Decode heads: SemiVL's language-guided decoder, the UniMatch-ViT baseline and the UDA
heads (DAFormer, DeepLabV2)."""
from .class_attention import ClassAttentionBlock, SemanticReasoning
from .daformer_head import DAFormerHead
from .deeplabv2_head import DLV2Head
from .deeplabv3plus_vit_head import DeepLabV3PlusViTHead
from .feature_perturbation import FeaturePerturbationMixin, perturb_features
from .language_guided_head import DECODER_ABLATIONS, PER_CLASS_AGGREGATIONS, LanguageGuidedHead
from .low_level_adapter import LowLevelAdapter
from .residual_aspp import ResidualASPP
from .spatial_reasoning import SpatialReasoning
from .upsample_block import UpBlock

__all__ = [
    'ClassAttentionBlock', 'DAFormerHead', 'DECODER_ABLATIONS', 'DLV2Head',
    'DeepLabV3PlusViTHead',
    'FeaturePerturbationMixin', 'LanguageGuidedHead', 'LowLevelAdapter',
    'PER_CLASS_AGGREGATIONS', 'ResidualASPP', 'SemanticReasoning', 'SpatialReasoning',
    'UpBlock', 'perturb_features'
]
