"""Benchmark configs: schedule lengths, optimiser, data and class definitions against the
paper's protocol (Sec. 4.1 and docs/reference.md), for every split of every family."""

import math
import re

import pytest
from config_helpers import FAMILIES, benchmark_configs, family_of, load_config

from mmseg_semivl.datasets import read_split_list, resolve_split_name
from mmseg_semivl.engine.runner import iterations_for_epochs

BENCHMARKS = benchmark_configs('semivl', 'unimatch')


def num_listed(ann_file: str) -> int:
    """Number of images in a shipped split list."""
    path = resolve_split_name(ann_file)
    assert path is not None, f'{ann_file} names no shipped list'
    return len(read_split_list(path))


def expected_iterations(family: str, labels: int) -> int:
    """epochs x ceil(unlabeled / 8): one epoch = one pass over the unlabeled set with the
    total unlabeled batch of 8 (UniMatch / SemiVL)."""
    facts = FAMILIES[family]
    return facts['epochs'] * math.ceil((facts['num_train'] - labels) / 8)


def test_all_benchmark_splits_exist():
    names = {p.stem for p in BENCHMARKS if p.parent.name == 'semivl'}
    expected = {f'{prefix}_{n}' for prefix, splits in {
        'voc': (92, 183, 366, 732, 1464), 'coco': (232, 463, 925, 1849, 3697),
        'ade': (158, 316, 632, 1263, 2526), 'cityscapes': (100, 186, 372, 744, 1488)
    }.items() for n in splits}
    assert expected <= names
    assert {p.stem for p in BENCHMARKS if p.parent.name == 'unimatch'} == expected


@pytest.mark.parametrize('path', BENCHMARKS, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_split_and_iterations(path):
    cfg = load_config(path)
    family = family_of(cfg)
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    labels = num_listed(labeled.ann_file)
    # The file name states the number of labeled images; the lists must agree.
    assert str(labels) == path.stem.split('_')[1]
    split = labeled.ann_file.split('/')[1]
    assert labeled.ann_file == f"{FAMILIES[family]['lists']}/{split}/labeled.txt"
    assert unlabeled.ann_file == f"splits/{FAMILIES[family]['lists']}/{split}/unlabeled.txt"
    # The length: epochs over the unlabeled set (the complement of the labeled list in
    # the training set, written by the prepare scripts; the loop reads its size from the
    # dataset), the sampler's 1:1 split of the per-GPU batch and the GPUs of the layout,
    # through the loop's one formula, equals the protocol's count (the facts'
    # hand-computed lengths: test_iteration_examples); schedulers end where the loop ends.
    assert cfg.train_cfg.type == 'SourceEpochTrainLoop' and cfg.train_cfg.epoch_source == 1
    assert cfg.train_cfg.max_epochs == FAMILIES[family]['epochs']
    assert 'max_iters' not in cfg.train_cfg
    layout = re.search(r'_(\d+)xb(\d+)$', path.stem)
    gpus = int(layout.group(1)) if layout else 8
    unlabeled_per_step = cfg.train_dataloader.sampler.batch_size // 2 * gpus
    num_unlabeled = FAMILIES[family]['num_train'] - labels
    max_iters = iterations_for_epochs(cfg.train_cfg.max_epochs, num_unlabeled,
                                      unlabeled_per_step)
    assert max_iters == expected_iterations(family, labels)
    assert [s.type for s in cfg.param_scheduler] == ['PolyLR']  # no warm-up
    assert 'end' not in cfg.param_scheduler[0]  # MMEngine: the loop's max_iters
    assert cfg.param_scheduler[0].power == 0.9
    assert cfg.train_cfg.val_interval == cfg.default_hooks.checkpoint.interval
    assert max_iters // cfg.train_cfg.val_interval in range(8, 26)


def test_iteration_examples():
    # Hand-computed: VOC 92 = 80 x ceil(10,490 / 8) = 80 x 1,312; Cityscapes 1/16 =
    # 240 x ceil(2,789 / 8) = 240 x 349 = 83,760 (docs/reference.md, "Schedules").
    assert expected_iterations('voc', 92) == 104_960
    assert expected_iterations('cityscapes', 186) == 83_760
    assert expected_iterations('cityscapes', 100) == 86_400
    assert expected_iterations('coco', 232) == 147_570
    assert expected_iterations('ade', 158) == 100_280


@pytest.mark.parametrize('path', BENCHMARKS, ids=lambda p: f'{p.parent.name}/{p.stem}')
def test_protocol(path):
    cfg = load_config(path)
    facts = FAMILIES[family_of(cfg)]
    # <config>_<G>xb<S>.py: G GPUs x S samples; the benchmark configs: 8 x (1 + 1).
    layout = re.search(r'_(\d+)xb(\d+)$', path.stem)
    gpus = int(layout.group(1)) if layout else 8
    if layout:
        assert cfg.train_dataloader.batch_size == int(layout.group(2))
    # Total batch 8 labeled + 8 unlabeled, split 1:1 on every GPU.
    assert cfg.train_dataloader.batch_size * gpus == 16
    assert cfg.train_dataloader.sampler.batch_size == cfg.train_dataloader.batch_size
    assert tuple(cfg.train_dataloader.sampler.source_ratio) == (1, 1)
    # Optimiser.
    optim = cfg.optim_wrapper
    assert optim.optimizer.type == 'AdamW'
    assert optim.optimizer.lr == facts['lr']
    assert optim.optimizer.weight_decay == 0.01
    backbone_mult = facts['backbone_lr_mult']
    if path.parent.name == 'unimatch' and family_of(cfg) == 'voc':
        backbone_mult = 0.001  # the reference's UniMatch-ViT runs
    assert optim.paramwise_cfg.custom_keys.backbone.lr_mult == backbone_mult
    assert optim.paramwise_cfg.custom_keys.decode_head.lr_mult == 10.0
    # Data.
    crop = (facts['crop'], facts['crop'])
    for dataset in (*cfg.train_dataloader.dataset.datasets, cfg.val_dataloader.dataset):
        assert dataset.type == facts['dataset_type']
        assert dataset.data_root == facts['data_root']
    for dataset in cfg.train_dataloader.dataset.datasets:
        crops = [t.crop_size for t in dataset.pipeline if t.type == 'RandomCrop']
        assert crops == [crop]
        resize = next(t for t in dataset.pipeline if t.type == 'RandomResize')
        assert tuple(resize.ratio_range) == (0.5, 2.0)
    val_resize = [t.scale for t in cfg.val_dataloader.dataset.pipeline if t.type == 'Resize']
    assert val_resize == ([(2048, facts['val_short_side'])] if facts['val_short_side'] else [])
    # Model: classes, sliding-window evaluation, crop of the pre-processor and backbone.
    model = cfg.model
    assert model.decode_head.num_classes == facts['num_classes']
    assert model.test_cfg.mode == 'slide'
    assert tuple(model.test_cfg.crop_size) == crop
    assert tuple(model.test_cfg.stride) == (facts['stride'], ) * 2
    img_size = model.backbone.img_size
    assert (tuple(img_size) if isinstance(img_size, (list, tuple)) else (img_size, ) * 2) == crop
    if facts['crop'] % 16:
        # 801 crops are padded to the next multiple of the patch size, not to a size.
        assert model.data_preprocessor.size is None
        assert model.data_preprocessor.size_divisor == 16
    else:
        assert tuple(model.data_preprocessor.size) == crop


@pytest.mark.parametrize('path', benchmark_configs('semivl'), ids=lambda p: p.stem)
def test_semivl_text(path):
    cfg = load_config(path)
    facts = FAMILIES[family_of(cfg)]
    text = cfg.model.decode_head.text_embeddings
    assert (text.class_definitions, text.aggregation) == facts['decoder_text']
    guidance = cfg.model.guidance
    assert (guidance.class_definitions, guidance.aggregation) == facts['guidance_text']
    assert guidance.img_size == cfg.model.backbone.img_size
    assert cfg.model.backbone.finetune == 'spatial'


@pytest.mark.parametrize('path', benchmark_configs('unimatch'), ids=lambda p: p.stem)
def test_unimatch_baseline(path):
    model = load_config(path).model
    assert model.guidance is None
    assert model.backbone.finetune == 'full'
    assert model.decode_head.type == 'DeepLabV3PlusViTHead'
