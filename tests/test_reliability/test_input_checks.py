"""Bad input is caught with one clear message naming the file, key or value at fault."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS

from mmseg_semivl.datasets.transforms.checks import (BadInputError, check_class_definitions,
                                                     check_crop_size)
from mmseg_semivl.engine.hooks import CheckpointCompatibilityHook, SetupCheckHook
from mmseg_semivl.engine.runner.checkpoint_compat import IncompatibleCheckpointError


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    good = str(tmp_path / 'good.jpg')
    cv2.imwrite(good, image)
    data = open(good, 'rb').read()
    truncated = tmp_path / 'truncated.jpg'
    truncated.write_bytes(data[:len(data) // 2])
    garbage = tmp_path / 'garbage.png'
    garbage.write_bytes(b'not an image at all')
    return dict(good=good, truncated=str(truncated), garbage=str(garbage), image=image)


@pytest.mark.parametrize('name', ['truncated', 'garbage'])
def test_safe_loader_names_the_unreadable_file(images, name):
    load = TRANSFORMS.build(dict(type='SafeLoadImageFromFile'))
    assert load(dict(img_path=images['good']))['img'].shape == (32, 48, 3)
    with pytest.raises(BadInputError, match=rf'unreadable image .*{name}\.(jpg|png)'):
        load(dict(img_path=images[name]))


def test_safe_loader_skip_mode_returns_none_and_counts(images):
    load = TRANSFORMS.build(dict(type='SafeLoadImageFromFile', on_error='skip'))
    assert load(dict(img_path=images['truncated'])) is None
    assert load(dict(img_path=images['garbage'])) is None
    assert load(dict(img_path=images['good'])) is not None
    assert load.num_skipped == 2


def test_skipped_sample_is_replaced_deterministically(images, tmp_path):
    """MMEngine's dataset redraws another index with the seeded NumPy generator."""
    from mmengine.dataset import BaseDataset

    class Images(BaseDataset):
        def load_data_list(self):
            return [dict(img_path=images[k]) for k in ('good', 'truncated', 'good')]

    def draw():
        np.random.seed(0)
        with DefaultScope.overwrite_default_scope('mmseg'):  # as inside a Runner
            dataset = Images(pipeline=[dict(type='SafeLoadImageFromFile', on_error='skip')],
                             serialize_data=False)
        return dataset[1]['img_path'], dataset.pipeline.transforms[0].num_skipped

    assert draw() == draw() == (images['good'], 1)


def test_label_values_outside_classes_name_file_and_values():
    check = TRANSFORMS.build(dict(type='CheckLabelValues', num_classes=3))
    ok = dict(gt_seg_map=np.array([[0, 2], [255, 1]], np.uint8), seg_map_path='a.png')
    assert check(ok) is ok
    bad = dict(gt_seg_map=np.array([[0, 3], [7, 255]], np.uint8), seg_map_path='labels/b.png')
    with pytest.raises(BadInputError, match=r'labels/b\.png has values \[3, 7\] outside the '
                       r'classes 0\.\.2 and the ignore index 255'):
        check(bad)
    skip = TRANSFORMS.build(dict(type='CheckLabelValues', num_classes=3, on_error='skip'))
    assert skip(bad) is None and skip.num_skipped == 1
    assert check(dict(img=np.zeros((2, 2)))) is not None  # unlabeled samples pass


def test_class_definitions_mismatch_names_both_sides():
    check_class_definitions(['a', 'b'], ('a', 'b'))
    with pytest.raises(BadInputError,
                       match=r"only in voc\.yaml: \['cat'\]; only in VOC: \['dog'\]"):
        check_class_definitions(['a', 'cat'], ['a', 'dog'], 'voc.yaml', 'VOC')
    with pytest.raises(BadInputError, match=r"index 0 is 'b' in x but 'a' in y"):
        check_class_definitions(['b', 'a'], ['a', 'b'], 'x', 'y')
    with pytest.raises(BadInputError, match='2 classes in x, 3 in y'):
        check_class_definitions(['a', 'b'], ['a', 'b', 'c'], 'x', 'y')


def test_crop_size_check():
    check_crop_size((512, 512), 16)
    with pytest.raises(BadInputError, match='crop width 500 px is not a multiple of the patch '
                       'size 16; use 496 or 512'):
        check_crop_size((512, 500), 16)
    with pytest.raises(BadInputError, match='crop height 16 px is below 2 patches'):
        check_crop_size((16, 64), 16)
    check_crop_size((512, 500), 14, pads_to_patch_grid=True)  # EVA02: padded to 518 x 504
    with pytest.raises(BadInputError, match='crop height 16 px is below 2 patches'):
        check_crop_size((16, 64), 14, pads_to_patch_grid=True)


def _runner(model, classes):
    dataset = SimpleNamespace(metainfo=dict(classes=classes))
    return SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=dataset))


def test_setup_check_hook_compares_dataset_and_model():
    model = nn.Module()
    model.decode_head = SimpleNamespace(num_classes=21)
    model.guidance = SimpleNamespace(class_names=['background', 'cat'])
    model.backbone = SimpleNamespace(patch_size=16)
    model.data_preprocessor = SimpleNamespace(size=(64, 64))
    with pytest.raises(BadInputError, match=r'decode_head.num_classes=21 but the training '
                       r'dataset \(SimpleNamespace\) has 2 classes'):
        SetupCheckHook().before_train(_runner(model, ['background', 'dog']))
    model.decode_head.num_classes = 2
    with pytest.raises(BadInputError, match=r"only in the guidance class definitions: \['cat'\]"):
        SetupCheckHook().before_train(_runner(model, ['background', 'dog']))
    SetupCheckHook().before_train(_runner(model, ['background', 'cat']))
    voc = SetupCheckHook(class_definitions='voc')
    with pytest.raises(BadInputError, match="class definitions 'voc'.*21 classes"):
        voc.before_train(_runner(model, ['background', 'cat']))
    model.data_preprocessor.size = (64, 72)
    with pytest.raises(BadInputError, match='crop width 72'):
        SetupCheckHook().before_train(_runner(model, ['background', 'cat']))
    model.backbone.pads_to_patch_grid = True  # as OpenCLIPEVA
    SetupCheckHook().before_train(_runner(model, ['background', 'cat']))


def test_incompatible_checkpoint_names_file_and_keys():
    model = nn.Sequential(nn.Conv2d(3, 8, 1), nn.Conv2d(8, 21, 1))
    other = nn.Sequential(nn.Conv2d(3, 8, 1), nn.Conv2d(8, 19, 1), nn.ReLU())
    state = {f'module.{k}': v for k, v in other.state_dict().items()}
    state['extra.weight'] = torch.zeros(1)
    runner = SimpleNamespace(model=model, _load_from='work/cityscapes.pth', _resume=False)
    hook = CheckpointCompatibilityHook()
    with pytest.raises(IncompatibleCheckpointError) as info:
        hook.after_load_checkpoint(runner, dict(state_dict=state))
    message = str(info.value)
    assert 'checkpoint work/cityscapes.pth' in message
    assert '1.weight: (19, 8, 1, 1) in the file, (21, 8, 1, 1) in the model' in message
    assert 'not in the model: extra.weight' in message
    # Deliberate fine-tuning to another class count: the classifier may differ.
    CheckpointCompatibilityHook(ignore_keys=[r'^1\.', '^extra']).after_load_checkpoint(
        runner, dict(state_dict=state))
    hook.after_load_checkpoint(runner, dict(state_dict=model.state_dict()))


# ---------------------------------------------------------------- issue 14
def test_empty_split_list_is_one_clear_error(tmp_path):
    from mmseg_semivl.datasets import SplitListDataset
    (tmp_path / 'empty.txt').write_text('\n  \n')
    with pytest.raises(ValueError, match=(
            rf'^SplitListDataset: split list {tmp_path}/empty.txt has no entries \(only blank '
            r'lines or an empty file\)')):
        SplitListDataset(ann_file=str(tmp_path / 'empty.txt'), data_root=str(tmp_path))


def _image_and_label(tmp_path, image_hw, label_hw):
    image = tmp_path / 'img.jpg'
    label = tmp_path / 'lbl.png'
    cv2.imwrite(str(image), np.zeros((*image_hw, 3), np.uint8))
    cv2.imwrite(str(label), np.zeros(label_hw, np.uint8))
    return dict(img_path=str(image), seg_map_path=str(label), reduce_zero_label=False,
                seg_fields=[])


@pytest.mark.parametrize('checker', ['CheckLabelValues', 'LoadOptionalAnnotations'])
def test_mask_of_another_size_names_both_files_at_load_time(tmp_path, checker):
    load = TRANSFORMS.build(dict(type='SafeLoadImageFromFile'))
    results = load(_image_and_label(tmp_path, (32, 48), (32, 40)))
    if checker == 'CheckLabelValues':
        results = TRANSFORMS.build(dict(type='LoadAnnotations'))(results)
        transform = TRANSFORMS.build(dict(type='CheckLabelValues', num_classes=21))
    else:
        transform = TRANSFORMS.build(dict(type='LoadOptionalAnnotations'))
    with pytest.raises(BadInputError, match=(
            rf'^label file {tmp_path}/lbl.png is 32x40 \(height x width\) but its image '
            rf'{tmp_path}/img.jpg is 32x48')):
        transform(results)
    good = load(_image_and_label(tmp_path, (32, 48), (32, 48)))
    good = TRANSFORMS.build(dict(type='LoadAnnotations'))(good)
    assert TRANSFORMS.build(dict(type='CheckLabelValues', num_classes=21))(good) is good


def test_class_definitions_missing_a_class_name_the_file_and_the_class(tmp_path):
    from mmseg_semivl.engine.runner import ConfigArgumentError, check_class_vocabulary
    yaml_file = tmp_path / 'mine.yaml'
    yaml_file.write_text('road: [road, street]\ncar: [car]\n')
    cfg = dict(
        model=dict(decode_head=dict(num_classes=3, text_embeddings=dict(
            class_definitions=str(yaml_file)))),
        train_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[dict(
            type='SplitListDataset', metainfo=dict(classes=('road', 'car', 'tree')))])))
    with pytest.raises(ConfigArgumentError, match=(
            rf"^model.decode_head.text_embeddings.class_definitions: class definitions "
            rf"'{yaml_file}' define 2 classes but the training dataset \(SplitListDataset\) has "
            r"3; missing: 'tree' \(add e.g. `tree: \[tree\]` to the file\)$")):
        check_class_vocabulary(cfg)
    yaml_file.write_text('road: [road]\ncar: [car]\ntree: [tree]\n')
    check_class_vocabulary(cfg)


def test_load_from_another_class_count_fine_tunes_to_the_config_vocabulary(
        tmp_path, demo_config, tiny_train_options):
    """VOC (21 classes) checkpoint -> a 3-class config: the config's vocabulary wins."""
    from mmengine.runner import Runner

    from tools import train as train_tool

    def build(work_dir, *options):
        cfg = train_tool.build_config(train_tool.parse_args(
            [demo_config, '--work-dir', str(work_dir), '--cfg-options',
             *tiny_train_options(), *options]))
        return Runner.from_cfg(cfg)

    source = build(tmp_path / 'voc')
    path = str(tmp_path / 'voc21.pth')
    torch.save(dict(meta=dict(), state_dict=source.model.state_dict()), path)
    classes = ('background', 'aeroplane', 'bicycle')
    definitions = tmp_path / 'three.yaml'
    definitions.write_text(''.join(f'{c}: [{c}]\n' for c in classes))
    runner = build(
        tmp_path / 'three', f'load_from={path}', 'model.decode_head.num_classes=3',
        f'model.decode_head.text_embeddings.class_definitions={definitions}',
        f'model.guidance.class_definitions={definitions}',
        *[f'train_dataloader.dataset.datasets.{i}.metainfo.classes=[{",".join(classes)}]'
          for i in (0, 1)])
    own = runner.model.decode_head.text_embeddings.clone()
    runner.load_or_resume()
    head = runner.model.decode_head
    assert head.num_classes == 3 and torch.equal(head.text_embeddings, own)
    loaded = torch.load(path, map_location='cpu')['state_dict']
    for key, value in runner.model.state_dict().items():
        if not key.endswith('decode_head.text_embeddings') and not key.startswith('guidance.'):
            torch.testing.assert_close(value, loaded[key], msg=key)
    SetupCheckHook().before_train(runner)  # 3 classes everywhere: no error


def test_label_check_takes_the_dataset_class_count(tmp_path):
    """CheckLabelValues() in a split-list pipeline checks against the dataset's classes."""
    from mmengine.registry import init_default_scope

    from mmseg_semivl.datasets import SplitListDataset
    init_default_scope('mmseg')
    cv2.imwrite(str(tmp_path / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'a_label.png'), np.full((8, 8), 3, np.uint8))
    (tmp_path / 'list.txt').write_text('a.png a_label.png\n')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='CheckLabelValues')]
    three = SplitListDataset(ann_file='list.txt', data_root=str(tmp_path), pipeline=pipeline,
                             metainfo=dict(classes=('a', 'b', 'c')))
    assert three.pipeline.transforms[-1].num_classes == 3
    with pytest.raises(BadInputError, match=r'a_label.png has values \[3\] outside the classes 0..2'):
        three[0]
    four = SplitListDataset(ann_file='list.txt', data_root=str(tmp_path), pipeline=pipeline,
                            metainfo=dict(classes=('a', 'b', 'c', 'd')))
    assert int(four[0]['gt_seg_map'].max()) == 3  # a valid class of a 4-class dataset


def test_decoder_class_names_are_checked_against_the_dataset():
    """SetupCheckHook compares the head's own vocabulary, spelling-insensitively."""
    from mmseg_semivl.engine.hooks import SetupCheckHook
    head = SimpleNamespace(num_classes=3, class_names=['background', 'diningtable', 'tvmonitor'])
    hook = SetupCheckHook()
    hook._check_classes(SimpleNamespace(decode_head=head),
                        ['background', 'dining table', 'tv/monitor'], 'VOC')
    head.class_names = ['background', 'tvmonitor', 'diningtable']
    with pytest.raises(BadInputError, match="decoder's class names"):
        hook._check_classes(SimpleNamespace(decode_head=head),
                            ['background', 'dining table', 'tv/monitor'], 'VOC')
