from .autocast_norm import AutocastGroupNorm
from .box_mix import MixPartnerSelector, box_mix

__all__ = ['AutocastGroupNorm', 'MixPartnerSelector', 'box_mix']
