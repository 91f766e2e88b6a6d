"""Split-list datasets on generated miniatures of the benchmark folder layouts."""

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope
from mmseg.datasets import ADE20KDataset, CityscapesDataset, PascalVOCDataset
from mmseg.registry import DATASETS

# Importing the modules registers the datasets (also done by mmseg_semivl.datasets).
from mmseg_semivl.datasets import ade, cityscapes, voc  # noqa: F401
from mmseg_semivl.datasets.coco import COCO_OBJECT_CLASSES, pascal_colormap
from mmseg_semivl.datasets.split_files import (SPLITS_ROOT, available_splits, get_split_file,
                                               resolve_split_name)
from mmseg_semivl.datasets.split_io import parse_split_lines, read_split_list
from mmseg_semivl.datasets.split_list import SplitListDataset
from mmseg_semivl.datasets.unlabeled_folder import UnlabeledFolderDataset

# Per benchmark: dataset type, (image, label) paths of 3 samples relative to the root,
# label values written, label values expected after LoadAnnotations, number of classes.
BENCHMARKS = {
    'PascalVOCSplitDataset': dict(
        samples=[(f'JPEGImages/2007_00000{i}.jpg', f'SegmentationClass/2007_00000{i}.png')
                 for i in range(3)],
        written=[0, 1, 20, 255], loaded=[0, 1, 20, 255], num_classes=21, reduce=False),
    'COCOSplitDataset': dict(
        samples=[(f'train2017/00000000000{i}.jpg', f'masks/00000000000{i}.png')
                 for i in range(3)],
        written=[0, 1, 80, 255], loaded=[0, 1, 80, 255], num_classes=81, reduce=False),
    'ADE20KSplitDataset': dict(
        samples=[(f'images/training/ADE_train_0000000{i}.jpg',
                  f'annotations/training/ADE_train_0000000{i}.png') for i in range(1, 4)],
        written=[0, 1, 2, 150], loaded=[255, 0, 1, 149], num_classes=150, reduce=True),
    'CityscapesSplitDataset': dict(
        samples=[(f'leftImg8bit/train/aachen/aachen_00000{i}_000019_leftImg8bit.png',
                  f'gtFine/train/aachen/aachen_00000{i}_000019_gtFine_labelTrainIds.png')
                 for i in range(3)],
        written=[0, 1, 18, 255], loaded=[0, 1, 18, 255], num_classes=19, reduce=False),
}

#: Labeled-subset sizes and val sizes stated in mmseg_semivl/splits/README.md.
README_COUNTS = {
    'pascal': {'92': 92, '183': 183, '366': 366, '732': 732, '1464': 1464, 'val': 1449,
               'train_aug': 10582},
    'cityscapes': {'1_30': 100, '1_16': 186, '1_8': 372, '1_4': 744, '1_2': 1488, 'val': 500},
    'coco': {'1_512': 232, '1_256': 463, '1_128': 925, '1_64': 1849, '1_32': 3697, 'val': 5000},
    'ade': {'1_128': 158, '1_64': 316, '1_32': 632, '1_16': 1263, '1_8': 2526, 'val': 2000},
}


@pytest.fixture(autouse=True)
def mmseg_scope():
    # Pipelines name transforms as MMSeg configs do; the Runner sets this scope.
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


#: BGR colour of the generated images: distinct channels make the channel order observable.
IMAGE_BGR = (0, 64, 255)


def write_image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((6, 8, 3), IMAGE_BGR, dtype=np.uint8))


def label_map(values) -> np.ndarray:
    """(6, 8) uint8 mask whose first row holds ``values`` and the rest values[0]."""
    mask = np.full((6, 8), values[0], dtype=np.uint8)
    mask[0, :len(values)] = values
    return mask


def write_mask(path: Path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), label_map(values))


def make_benchmark(root: Path, name: str) -> Path:
    """Mini dataset folder of benchmark ``name`` plus its list (no final newline)."""
    spec = BENCHMARKS[name]
    for img, seg in spec['samples']:
        write_image(root / img)
        write_mask(root / seg, spec['written'])
    list_file = root / 'list.txt'
    lines = [f'{img} {seg}' for img, seg in spec['samples']]
    # A blank line in the middle and no newline at the end, as in real lists.
    list_file.write_text('\n'.join(lines[:1] + [''] + lines[1:]))
    return list_file


@pytest.mark.parametrize('name', sorted(BENCHMARKS))
def test_benchmark_dataset_reads_list_and_loads_labels(tmp_path, name):
    spec = BENCHMARKS[name]
    list_file = make_benchmark(tmp_path, name)
    dataset = DATASETS.build(dict(
        type=name, data_root=str(tmp_path), ann_file='list.txt',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]))

    assert len(dataset) == 3
    info = dataset.get_data_info(1)
    img, seg = spec['samples'][1]
    assert info['img_path'] == str(tmp_path / img)
    assert info['seg_map_path'] == str(tmp_path / seg)
    assert info['line_no'] == 3  # line 2 is blank
    assert dataset.ann_file == str(list_file)
    assert len(dataset.metainfo['classes']) == spec['num_classes']
    assert len(dataset.metainfo['palette']) == spec['num_classes']
    assert dataset.reduce_zero_label is spec['reduce']
    assert dataset.ignore_index == 255

    results = dataset[0]
    assert results['img'].shape == (6, 8, 3)
    # BGR as written (JPEG may shift a uniform colour by a step or two).
    np.testing.assert_allclose(results['img'].reshape(-1, 3).mean(0), IMAGE_BGR, atol=3)
    gt = results['gt_seg_map']
    np.testing.assert_array_equal(gt[0, :4], spec['loaded'])
    assert (gt[1:] == spec['loaded'][0]).all()


def test_class_names_and_palettes():
    voc_meta = DATASETS.get('PascalVOCSplitDataset').METAINFO
    mmseg_voc = PascalVOCDataset.METAINFO
    renamed = {(a, b) for a, b in zip(voc_meta['classes'], mmseg_voc['classes']) if a != b}
    assert renamed == {('dining table', 'diningtable'), ('potted plant', 'pottedplant'),
                       ('tv/monitor', 'tvmonitor')}
    assert voc_meta['palette'] == mmseg_voc['palette']

    assert COCO_OBJECT_CLASSES[:3] == ('background', 'person', 'bicycle')
    assert COCO_OBJECT_CLASSES[-1] == 'toothbrush' and len(set(COCO_OBJECT_CLASSES)) == 81
    coco_palette = DATASETS.get('COCOSplitDataset').METAINFO['palette']
    assert coco_palette[:21] == [list(c) for c in mmseg_voc['palette']]
    assert len({tuple(c) for c in coco_palette}) == 81
    assert pascal_colormap(81)[80] == coco_palette[80]

    assert DATASETS.get('ADE20KSplitDataset').METAINFO is ADE20KDataset.METAINFO
    assert DATASETS.get('CityscapesSplitDataset').METAINFO is CityscapesDataset.METAINFO


def test_missing_files_error_names_list_line_and_path(tmp_path):
    make_benchmark(tmp_path, 'PascalVOCSplitDataset')
    missing = tmp_path / 'SegmentationClass' / '2007_000001.png'
    missing.unlink()
    with pytest.raises(FileNotFoundError) as error:
        DATASETS.build(dict(type='PascalVOCSplitDataset', data_root=str(tmp_path),
                            ann_file='list.txt'))
    message = str(error.value)
    assert '1 file(s)' in message and str(tmp_path / 'list.txt') in message
    assert f'line 3: {missing}' in message
    assert 'check_files=False' in message

    unchecked = DATASETS.build(dict(type='PascalVOCSplitDataset', data_root=str(tmp_path),
                                    ann_file='list.txt', check_files=False))
    assert len(unchecked) == 3


def test_missing_files_error_is_truncated(tmp_path):
    lines = [f'img/{i}.jpg lab/{i}.png' for i in range(4)]
    (tmp_path / 'list.txt').write_text('\n'.join(lines))
    with pytest.raises(FileNotFoundError, match=r'8 file\(s\)') as error:
        SplitListDataset(data_root=str(tmp_path), ann_file='list.txt', max_missing_reported=3)
    assert len(re.findall(r'\n  line \d+:', str(error.value))) == 3
    assert '... and 5 more' in str(error.value)


def test_unlabeled_lines_and_with_labels(tmp_path):
    write_image(tmp_path / 'a.jpg')
    write_image(tmp_path / 'b.jpg')
    write_mask(tmp_path / 'a.png', [1])
    (tmp_path / 'mixed.txt').write_text('a.jpg a.png\r\nb.jpg\r\n\r\n')
    mixed = SplitListDataset(data_root=str(tmp_path), ann_file='mixed.txt')
    assert [d['seg_map_path'] for d in mixed] == [str(tmp_path / 'a.png'), None]

    images_only = SplitListDataset(data_root=str(tmp_path), ann_file='mixed.txt',
                                   with_labels=False)
    assert [d['seg_map_path'] for d in images_only] == [None, None]
    (tmp_path / 'a.png').unlink()  # labels are not checked when they are not used
    assert len(SplitListDataset(data_root=str(tmp_path), ann_file='mixed.txt',
                                with_labels=False)) == 2


def test_parse_split_lines_errors_and_format():
    entries = parse_split_lines('x.jpg  y.png\n\n  z.jpg  ')
    assert [(e.img_path, e.seg_map_path, e.line_no) for e in entries] == [
        ('x.jpg', 'y.png', 1), ('z.jpg', None, 3)]
    assert [e.to_line() for e in entries] == ['x.jpg y.png', 'z.jpg']
    with pytest.raises(ValueError, match=r'my\.txt, line 2: .*3 fields'):
        parse_split_lines('a b\na b c', source='my.txt')


def test_shipped_split_by_name_and_accessor(tmp_path):
    path = get_split_file('pascal', '92', 'labeled')
    assert path == SPLITS_ROOT / 'pascal' / '92' / 'labeled.txt'
    assert len(read_split_list(path)) == 92
    assert resolve_split_name('splits/pascal/92/labeled.txt') == path
    assert resolve_split_name('pascal/92/unlabeled.txt') is None
    assert resolve_split_name('../setup.py') is None

    # Not a file under data_root -> taken from the package.
    dataset = DATASETS.build(dict(type='PascalVOCSplitDataset', data_root=str(tmp_path),
                                  ann_file='pascal/92/labeled.txt', check_files=False))
    assert len(dataset) == 92 and dataset.ann_file == str(path)
    first = read_split_list(path)[0]
    assert dataset.get_data_info(0)['img_path'] == str(tmp_path / first.img_path)

    # A file of that name under data_root wins over the shipped one.
    own = tmp_path / 'pascal' / '92' / 'labeled.txt'
    own.parent.mkdir(parents=True)
    own.write_text('x.jpg y.png')
    dataset = DATASETS.build(dict(type='PascalVOCSplitDataset', data_root=str(tmp_path),
                                  ann_file='pascal/92/labeled.txt', check_files=False))
    assert len(dataset) == 1


def test_unknown_split_errors_list_available():
    with pytest.raises(FileNotFoundError, match=r'(?s)pascal/93.*pascal: splits 92, 183'):
        get_split_file('pascal', '93')
    with pytest.raises(FileNotFoundError, match='make_unlabeled_split'):
        get_split_file('pascal', '92', 'unlabeled')
    with pytest.raises(FileNotFoundError, match=r"(?s)'nope\.txt' not found.*coco: splits"):
        SplitListDataset(ann_file='nope.txt')
    with pytest.raises(ValueError, match='needs `ann_file`'):
        SplitListDataset()


def test_all_shipped_lists_have_readme_counts():
    splits = available_splits()
    assert splits == {d: [k for k in c if k not in ('val', 'train_aug')]
                      for d, c in README_COUNTS.items()}
    for dataset, counts in README_COUNTS.items():
        for name, count in counts.items():
            kind = name if name in ('val', 'train_aug') else 'labeled'
            entries = read_split_list(get_split_file(dataset, name, kind))
            assert len(entries) == count, (dataset, name)
            assert all(e.seg_map_path for e in entries)
            assert len({e.img_path for e in entries}) == count
    pascal_train = {e.img_path for e in read_split_list(get_split_file('pascal', kind='train_aug'))}
    for split in splits['pascal']:
        assert {e.img_path for e in read_split_list(get_split_file('pascal', split))} <= \
            pascal_train


def test_unlabeled_folder_dataset(tmp_path):
    for name in ('b/2.PNG', 'a.jpg', 'b/1.jpeg', 'c/d/3.webp'):
        write_image(tmp_path / 'raw' / name)
    (tmp_path / 'raw' / 'notes.txt').write_text('not an image')
    dataset = DATASETS.build(dict(type='UnlabeledFolderDataset', data_root=str(tmp_path),
                                  data_prefix=dict(img_path='raw'),
                                  pipeline=[dict(type='LoadImageFromFile')]))
    root = tmp_path / 'raw'
    assert [d['img_path'] for d in dataset] == [
        str(root / p) for p in ('a.jpg', 'b/1.jpeg', 'b/2.PNG', 'c/d/3.webp')]
    assert all(d['seg_map_path'] is None for d in dataset)
    assert dataset[0]['img'].shape == (6, 8, 3)

    flat = UnlabeledFolderDataset(data_root=str(root), recursive=False)
    assert len(flat) == 1
    with pytest.raises(FileNotFoundError, match='does not exist'):
        UnlabeledFolderDataset(data_root=str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='no image'):
        UnlabeledFolderDataset(data_root=str(root), img_suffixes=('.tif',))


def test_pipeline_compose_of_dataset_matches_direct_loading(tmp_path):
    make_benchmark(tmp_path, 'ADE20KSplitDataset')
    dataset = DATASETS.build(dict(type='ADE20KSplitDataset', data_root=str(tmp_path),
                                  ann_file='list.txt'))
    pipeline = Compose([dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')])
    results = pipeline(dataset.get_data_info(2))
    assert results['reduce_zero_label'] is True
    np.testing.assert_array_equal(results['gt_seg_map'][0, :4], [255, 0, 1, 149])
