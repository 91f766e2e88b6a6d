from .autocast_norm import AutocastGroupNorm
from .box_mix import MixPartnerSelector, box_mix
from . import self_training  # noqa: F401 (DACS parts, registered)
from . import distillation  # noqa: F401 (DUDA parts, registered)
from .clip_guidance import DenseCLIPGuidance, VisionLanguageFeatureDistance
from .entropy import entropy_loss, self_information
from .instance_bank import InstanceFeatureBank, connected_components
from .loss_dict import add_prefix, reweight_losses
from .mixers import BaseMixer, ClassMixMasker, CutMixBoxMixer

__all__ = [
    'AutocastGroupNorm', 'BaseMixer', 'ClassMixMasker', 'CutMixBoxMixer', 'DenseCLIPGuidance',
    'InstanceFeatureBank', 'MixPartnerSelector', 'VisionLanguageFeatureDistance', 'add_prefix',
    'box_mix', 'connected_components', 'entropy_loss', 'reweight_losses', 'self_information'
]
