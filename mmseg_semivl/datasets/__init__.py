from . import samplers, transforms  # noqa: F401
from .uda_concat import UDAConcatDataset  # noqa: F401 (UDA pair with a class check)
from .ade import ADE20KSplitDataset
from .cityscapes import CityscapesSplitDataset
from .coco import COCO_OBJECT_CLASSES, COCOSplitDataset
from .split_files import available_splits, get_split_file, resolve_split_name
from .split_io import SplitEntry, read_split_list, scan_image_label_pairs, write_split_list
from .split_list import SplitListDataset
from .unlabeled_folder import UnlabeledFolderDataset
from .voc import VOC_CLASSES, PascalVOCSplitDataset
from . import uda_transforms  # noqa: F401  (registers PackTargetInputs)
from .acdc import ACDC_CONDITIONS, ACDCDataset
from .gta import GTA_ID_TO_TRAIN_ID, GTADataset
from .mapillary import MAPILLARY_ID_TO_TRAIN_ID, MapillaryCityscapesDataset
from .rare_class_sampling import (RareClassMultiSourceSampler, RareClassSamplingDataset,
                                  rcs_class_probabilities)
from .synthia import (SYNTHIA_13_TRAIN_IDS, SYNTHIA_16_TRAIN_IDS, SYNTHIA_ID_TO_TRAIN_ID,
                      SynthiaDataset)
from .uda_base import (CITYSCAPES_CLASSES, UnlabeledBDD100KDataset, UnlabeledCityscapesDataset,
                       UnlabeledDarkZurichDataset)
from .uda_folder import UDAFolderDataset, read_classes_file

__all__ = [
    'ADE20KSplitDataset', 'CityscapesSplitDataset', 'COCO_OBJECT_CLASSES', 'COCOSplitDataset',
    'available_splits', 'get_split_file', 'resolve_split_name', 'SplitEntry', 'read_split_list',
    'scan_image_label_pairs', 'write_split_list', 'SplitListDataset', 'UnlabeledFolderDataset',
    'VOC_CLASSES', 'PascalVOCSplitDataset',
    'ACDC_CONDITIONS', 'ACDCDataset', 'GTA_ID_TO_TRAIN_ID', 'GTADataset',
    'MAPILLARY_ID_TO_TRAIN_ID', 'MapillaryCityscapesDataset', 'RareClassMultiSourceSampler',
    'RareClassSamplingDataset', 'rcs_class_probabilities', 'SYNTHIA_13_TRAIN_IDS',
    'SYNTHIA_16_TRAIN_IDS', 'SYNTHIA_ID_TO_TRAIN_ID', 'SynthiaDataset', 'CITYSCAPES_CLASSES',
    'UnlabeledBDD100KDataset', 'UnlabeledCityscapesDataset', 'UnlabeledDarkZurichDataset',
    'UDAFolderDataset', 'read_classes_file'
]
