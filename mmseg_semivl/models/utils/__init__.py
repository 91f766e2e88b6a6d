from .box_mix import MixPartnerSelector, box_mix

__all__ = ['MixPartnerSelector', 'box_mix']
