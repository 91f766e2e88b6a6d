from .semi_segmentor import SemiSupervisedSegmentor
from .zero_shot_segmentor import CLIP_PREPROCESSOR, ZeroShotSegmentor

__all__ = ['CLIP_PREPROCESSOR', 'SemiSupervisedSegmentor', 'ZeroShotSegmentor']
