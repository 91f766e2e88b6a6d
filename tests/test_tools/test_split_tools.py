"""Split tools (make_unlabeled_split, make_splits) and the dataset converters."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest
from PIL import Image

from mmseg_semivl.datasets.split_files import get_split_file
from mmseg_semivl.datasets.split_io import read_split_list

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def load_tool(relative_path: str) -> ModuleType:
    """Import a script of tools/ (not a package) as a module."""
    path = TOOLS / relative_path
    spec = importlib.util.spec_from_file_location(f'tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_unlabeled_split = load_tool('make_unlabeled_split.py')
make_splits = load_tool('make_splits.py')
prepare_voc = load_tool('dataset_converters/prepare_voc.py')
prepare_coco = load_tool('dataset_converters/prepare_coco.py')
prepare_ade20k = load_tool('dataset_converters/prepare_ade20k.py')
prepare_cityscapes = load_tool('dataset_converters/prepare_cityscapes.py')
ALL_TOOLS = (make_unlabeled_split, make_splits, prepare_voc, prepare_coco, prepare_ade20k,
             prepare_cityscapes)


def touch_png(path: Path, value: int = 0, shape=(4, 5)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full(shape, value, dtype=np.uint8))


def lines(path: Path):
    return path.read_text().splitlines()


@pytest.mark.parametrize('tool', ALL_TOOLS, ids=lambda t: t.__name__)
def test_help(tool, capsys):
    with pytest.raises(SystemExit) as exit_info:
        tool.main(['--help'])
    assert exit_info.value.code == 0
    assert 'usage:' in capsys.readouterr().out


def test_unlabeled_split_ade_is_exact_complement(tmp_path):
    for i in range(1, 5):
        touch_png(tmp_path / f'images/training/ADE_train_{i:08d}.jpg')
        if i != 4:  # image 4 has no annotation: listed without label path
            touch_png(tmp_path / f'annotations/training/ADE_train_{i:08d}.png')
    touch_png(tmp_path / 'images/validation/ADE_val_00000001.jpg')  # not training
    labeled = tmp_path / 'labeled.txt'
    labeled.write_text('images/training/ADE_train_00000002.jpg '
                       'annotations/training/ADE_train_00000002.png')
    out = tmp_path / 'unlabeled.txt'
    assert make_unlabeled_split.main(['ade', str(tmp_path), '--labeled', str(labeled),
                                      '--out', str(out)]) == 0
    assert lines(out) == [
        'images/training/ADE_train_00000001.jpg annotations/training/ADE_train_00000001.png',
        'images/training/ADE_train_00000003.jpg annotations/training/ADE_train_00000003.png',
        'images/training/ADE_train_00000004.jpg',
    ]


def test_unlabeled_split_cityscapes_default_output(tmp_path):
    names = ['aachen/aachen_000001_000019', 'aachen/aachen_000000_000019',
             'bremen/bremen_000000_000019']
    for name in names:
        touch_png(tmp_path / f'leftImg8bit/train/{name}_leftImg8bit.png')
        touch_png(tmp_path / f'gtFine/train/{name}_gtFine_labelTrainIds.png')
    touch_png(tmp_path / 'gtFine/train/aachen/aachen_000000_000019_gtFine_labelIds.png')
    training = make_unlabeled_split.training_entries('cityscapes', str(tmp_path))
    assert [e.img_path for e in training] == [
        f'leftImg8bit/train/{n}_leftImg8bit.png' for n in sorted(names)]
    labeled = training[1:2]
    unlabeled = make_unlabeled_split.unlabeled_complement(training, labeled)
    assert unlabeled == [training[0], training[2]]
    assert unlabeled[0].seg_map_path == \
        'gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png'

    with pytest.raises(ValueError, match='not training images'):
        make_unlabeled_split.unlabeled_complement(
            training, read_split_list(get_split_file('cityscapes', '1_30')))


def test_unlabeled_split_pascal_uses_train_aug(tmp_path):
    assert make_unlabeled_split.main(['pascal', str(tmp_path), '--split', '92',
                                      '--no-check']) == 0
    out = tmp_path / 'splits' / 'pascal' / '92' / 'unlabeled.txt'
    unlabeled = read_split_list(out)
    labeled = {e.img_path for e in read_split_list(get_split_file('pascal', '92'))}
    train_aug = {e.img_path for e in read_split_list(get_split_file('pascal', kind='train_aug'))}
    assert len(unlabeled) == 10582 - 92
    assert {e.img_path for e in unlabeled} == train_aug - labeled
    assert [e.img_path for e in unlabeled] == sorted(e.img_path for e in unlabeled)

    with pytest.raises(FileNotFoundError, match='10582 pascal training images are missing'):
        make_unlabeled_split.main(['pascal', str(tmp_path), '--split', '92'])


def make_own_dataset(root: Path, num_images: int = 10, unlabeled=(3, 7)) -> None:
    for i in range(num_images):
        touch_png(root / 'images' / f'{i:02d}.jpg')
        if i not in unlabeled:
            touch_png(root / 'labels' / f'{i:02d}.png')


def run_make_splits(root: Path, out: str, *extra: str):
    make_splits.main(['--data-root', str(root), '--img-dir', 'images', '--ann-dir', 'labels',
                      '--out-dir', str(root / out), *extra])
    return lines(root / out / 'labeled.txt'), lines(root / out / 'unlabeled.txt')


def test_make_splits_seeded_sizes_disjoint_complete(tmp_path):
    make_own_dataset(tmp_path)
    labeled, unlabeled = run_make_splits(tmp_path, 'a', '--num-labeled', '3', '--seed', '0')
    again = run_make_splits(tmp_path, 'b', '--num-labeled', '3', '--seed', '0')
    assert (labeled, unlabeled) == again
    assert len(labeled) == 3 and len(unlabeled) == 7
    every = [f'images/{i:02d}.jpg' + ('' if i in (3, 7) else f' labels/{i:02d}.png')
             for i in range(10)]
    assert sorted(labeled + unlabeled) == every
    assert not set(labeled) & set(unlabeled)
    assert all(' labels/' in line for line in labeled)  # only samples with label
    assert 'images/03.jpg' in unlabeled and 'images/07.jpg' in unlabeled

    by_seed = {tuple(run_make_splits(tmp_path, f's{seed}', '--num-labeled', '3', '--seed',
                                     str(seed))[0]) for seed in range(1, 6)}
    assert len(by_seed) > 1  # the seed matters

    fraction, _ = run_make_splits(tmp_path, 'f', '--labeled-fraction', '0.25')
    assert len(fraction) == 2  # round(0.25 * 8 samples with label)


def test_make_splits_from_full_list_and_errors(tmp_path):
    full = tmp_path / 'train.txt'
    full.write_text('\n'.join(f'img/{i}.jpg lab/{i}.png' for i in range(6)))
    make_splits.main(['--data-root', str(tmp_path), '--full-list', str(full),
                      '--num-labeled', '2', '--seed', '3', '--out-dir', str(tmp_path / 'o')])
    labeled, unlabeled = lines(tmp_path / 'o/labeled.txt'), lines(tmp_path / 'o/unlabeled.txt')
    assert len(labeled) == 2 and sorted(labeled + unlabeled) == sorted(lines(full))

    entries = read_split_list(full)
    assert make_splits.random_split(entries, 2, seed=3) == \
        make_splits.random_split(entries[::-1], 2, seed=3)  # input order is irrelevant
    with pytest.raises(ValueError, match='cannot draw 7 labeled samples: 6'):
        make_splits.labeled_count(6, num_labeled=7)
    with pytest.raises(ValueError, match=r'fraction must be in \(0, 1\]'):
        make_splits.labeled_count(6, fraction=1.5)
    with pytest.raises(ValueError, match='listed more than once'):
        make_splits.random_split(entries + entries[:1], 2)


def test_cityscapes_converter_maps_ids(tmp_path):
    label_ids = np.array([[0, 6, 7, 8, 9, 11, 17, 19, 20],
                          [21, 23, 24, 26, 29, 30, 31, 33, 34]], dtype=np.uint8)
    expected = np.array([[255, 255, 0, 1, 255, 2, 5, 6, 7],
                         [8, 10, 11, 13, 255, 255, 16, 18, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(prepare_cityscapes.label_ids_to_train_ids(label_ids), expected)

    name = 'gtFine/{}/x/x_000000_000019_gtFine_labelIds.png'
    for split in ('train', 'val'):
        (tmp_path / f'leftImg8bit/{split}').mkdir(parents=True)
        target = tmp_path / name.format(split)
        target.parent.mkdir(parents=True)
        cv2.imwrite(str(target), label_ids)
    assert prepare_cityscapes.main([str(tmp_path)]) == 0
    written = cv2.imread(str(tmp_path / 'gtFine/val/x/x_000000_000019_gtFine_labelTrainIds.png'),
                         cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, expected)


def test_cityscapes_converter_names_missing_folders(tmp_path):
    (tmp_path / 'leftImg8bit/train').mkdir(parents=True)
    (tmp_path / 'gtFine/train').mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as error:
        prepare_cityscapes.main([str(tmp_path)])
    message = str(error.value)
    assert str(tmp_path / 'leftImg8bit/val') in message
    assert str(tmp_path / 'gtFine/val') in message
    assert 'leftImg8bit/train' not in message
    with pytest.raises(FileNotFoundError, match=r'No \*_gtFine_labelIds\.png'):
        prepare_cityscapes.main([str(tmp_path), '--splits', 'train'])


def test_ade20k_checker(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        prepare_ade20k.main([str(tmp_path / 'nope')])
    for subset, prefix in (('training', 'train'), ('validation', 'val')):
        touch_png(tmp_path / f'images/{subset}/ADE_{prefix}_00000001.jpg')
        touch_png(tmp_path / f'annotations/{subset}/ADE_{prefix}_00000001.png')
    assert prepare_ade20k.check_ade20k(str(tmp_path), lists=[]) == {
        'training': 1, 'validation': 1}
    with pytest.raises(FileNotFoundError, match=r'1999 of the 2000 samples of .*ade/val\.txt have'):
        prepare_ade20k.check_ade20k(str(tmp_path))

    touch_png(tmp_path / 'images/training/ADE_train_00000002.jpg')
    with pytest.raises(FileNotFoundError, match='1 training image.*ADE_train_00000002.jpg'):
        prepare_ade20k.main([str(tmp_path), '--lists'])
    (tmp_path / 'annotations/validation/ADE_val_00000001.png').unlink()
    (tmp_path / 'annotations/validation').rmdir()
    with pytest.raises(FileNotFoundError,
                       match=f'folders missing: {tmp_path}/annotations/validation'):
        prepare_ade20k.main([str(tmp_path)])


def write_voc_palette_mask(path: Path, mask: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(mask, mode='P')
    image.putpalette([255, 0, 0] * 256)  # colours are irrelevant: indices are the labels
    image.save(path)


def test_voc_check_and_sbd_conversion(tmp_path):
    scipy_io = pytest.importorskip('scipy.io')
    voc, sbd, out = tmp_path / 'VOC2012', tmp_path / 'sbd', tmp_path / 'pascal'
    ids = ['2007_000001', '2008_000002', '2009_000003']
    for i in ids:
        touch_png(voc / f'JPEGImages/{i}.jpg')
    voc_mask = np.array([[0, 15], [255, 1]], dtype=np.uint8)
    write_voc_palette_mask(voc / f'SegmentationClass/{ids[0]}.png', voc_mask)
    sbd_mask = np.array([[20, 0], [3, 3]], dtype=np.uint8)
    (sbd / 'cls').mkdir(parents=True)
    for i in ids[:2]:  # ids[0] also in SBD: VOC's own mask must win
        scipy_io.savemat(sbd / f'cls/{i}.mat', {'GTcls': {'Segmentation': sbd_mask}})
    split = tmp_path / 'train.txt'
    split.write_text('\n'.join(f'JPEGImages/{i}.jpg SegmentationClass/{i}.png' for i in ids[:2]))

    with pytest.raises(FileNotFoundError, match=r'(?s)1 of 2 masks of .*2008_000002.*SBD'):
        prepare_voc.main([str(voc), '--lists', str(split)])

    assert prepare_voc.main([str(voc), '--sbd-root', str(sbd), '--out-root', str(out),
                             '--lists', str(split)]) == 0
    read = lambda i: cv2.imread(str(out / f'SegmentationClass/{i}.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(read(ids[0]), voc_mask)
    np.testing.assert_array_equal(read(ids[1]), sbd_mask)
    assert (out / 'JPEGImages').resolve() == (voc / 'JPEGImages').resolve()

    split.write_text(f'JPEGImages/{ids[2]}.jpg SegmentationClass/{ids[2]}.png')
    with pytest.raises(FileNotFoundError, match=f'1 mask.*found neither.*{ids[2]}'):
        prepare_voc.build_aug_masks(str(voc), str(sbd), str(out), [str(split)])
    with pytest.raises(ValueError, match='must differ from voc_root'):
        prepare_voc.build_aug_masks(str(voc), str(sbd), str(voc), [str(split)])
    with pytest.raises(FileNotFoundError, match=f'VOC folders missing: {tmp_path}/nope/JPEG'):
        prepare_voc.main([str(tmp_path / 'nope')])


def test_coco_category_mapping_and_mask_drawing():
    coco_ids = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
    mapping = prepare_coco.category_to_label(coco_ids[::-1])
    assert mapping[1] == 1 and mapping[13] == 12 and mapping[90] == 80
    assert sorted(mapping.values()) == list(range(1, 81))
    with pytest.raises(ValueError, match='expected the 80'):
        prepare_coco.category_to_label(coco_ids[:-1])

    def box_mask(ann):  # stands in for pycocotools' annToMask
        x, y, w, h = ann['bbox']
        mask = np.zeros((4, 6), dtype=np.uint8)
        mask[y:y + h, x:x + w] = 1
        return mask

    small_dog = dict(category_id=18, area=1, bbox=[1, 1, 1, 1], iscrowd=0)
    big_person = dict(category_id=1, area=6, bbox=[0, 0, 3, 2], iscrowd=0)
    crowd = dict(category_id=90, area=2, bbox=[5, 2, 1, 2], iscrowd=1)
    anns = [small_dog, big_person, crowd]
    mask = prepare_coco.draw_semantic_mask(4, 6, anns, mapping, box_mask)
    expected = np.zeros((4, 6), dtype=np.uint8)
    expected[0:2, 0:3] = 1
    expected[1, 1] = 17  # dog (category 18) drawn over the larger person
    expected[2:4, 5] = 255
    np.testing.assert_array_equal(mask, expected)
    as_class = prepare_coco.draw_semantic_mask(4, 6, anns, mapping, box_mask, crowd='class')
    assert (as_class[2:4, 5] == 80).all()


def test_coco_converter_errors(tmp_path, monkeypatch):
    (tmp_path / 'train2017').mkdir()
    with pytest.raises(FileNotFoundError) as error:
        prepare_coco.main([str(tmp_path)])
    message = str(error.value)
    assert str(tmp_path / 'val2017') in message
    assert str(tmp_path / 'annotations/instances_train2017.json') in message

    # None in sys.modules makes the import fail whether or not pycocotools is installed.
    monkeypatch.setitem(sys.modules, 'pycocotools', None)
    monkeypatch.setitem(sys.modules, 'pycocotools.coco', None)
    with pytest.raises(ImportError, match='pip install pycocotools'):
        prepare_coco.load_coco_api()
