from . import samplers, transforms  # noqa: F401
from .ade import ADE20KSplitDataset
from .cityscapes import CityscapesSplitDataset
from .coco import COCO_OBJECT_CLASSES, COCOSplitDataset
from .split_files import available_splits, get_split_file, resolve_split_name
from .split_io import SplitEntry, read_split_list, scan_image_label_pairs, write_split_list
from .split_list import SplitListDataset
from .unlabeled_folder import UnlabeledFolderDataset
from .voc import VOC_CLASSES, PascalVOCSplitDataset

__all__ = [
    'ADE20KSplitDataset', 'CityscapesSplitDataset', 'COCO_OBJECT_CLASSES', 'COCOSplitDataset',
    'available_splits', 'get_split_file', 'resolve_split_name', 'SplitEntry', 'read_split_list',
    'scan_image_label_pairs', 'write_split_list', 'SplitListDataset', 'UnlabeledFolderDataset',
    'VOC_CLASSES', 'PascalVOCSplitDataset'
]
