from .adversarial import AdversarialSegmentor, AdvEnt, AdvSeg, MinEnt  # noqa: F401
from .dacs import DACS  # noqa: F401 (self-training UDA: DACS, DAFormer, MIC)
from .dida import DIDA  # noqa: F401 (DACS/DAFormer + DIDA's instance level)
from .duda import DUDA  # noqa: F401 (distilled UDA: heavy pair + light student)
from .encoder_decoder import HeadSyncedEncoderDecoder
from .semi_segmentor import SemiSupervisedSegmentor
from .segmentor_scores import SegmentorScores  # noqa: F401 (a planted guidance reference)
from .semivl import SemiVLSegmentor
from .teacher_student import TeacherStudentSegmentor
from .unimatch import UniMatchSegmentor
from .zero_shot_segmentor import CLIP_PREPROCESSOR, ZeroShotSegmentor

__all__ = [
    'CLIP_PREPROCESSOR', 'HeadSyncedEncoderDecoder', 'SemiSupervisedSegmentor',
    'SemiVLSegmentor', 'TeacherStudentSegmentor', 'UniMatchSegmentor', 'ZeroShotSegmentor'
]
