"""Helpers of the config tests (imported by them; pytest puts this folder on sys.path):
the benchmark facts per dataset family, a tiny-model override and a generator of
miniature dataset folders in each benchmark's layout."""

import copy
import functools
import os.path as osp
from pathlib import Path
from typing import Dict, List

import mmcv
import numpy as np
from mmengine.config import Config, ConfigDict

from mmseg_semivl.models.backbones import TINY_CLIP_CFG
from mmseg_semivl.models.backbones.clip_conv_skip import RESNET101_V1C_STEM
from mmseg_semivl.utils import visit_dicts

#: Output channels of the narrowed conv stem of ``CLIPWithConvSkip`` (base 8 x 4).
TINY_CONV_SKIP_CHANNELS = 32

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'

#: Self-training UDA configs (DACS family: ``configs/uda/{method}_{encoder}_{shift}.py`` and
#: the UDA demo), tested by test_uda_configs.py with tiny versions of their own encoders.
UDA_SELF_TRAINING_CONFIGS: List[Path] = sorted(
    [p for p in (CONFIG_ROOT / 'uda').glob('*_*_*2*.py')
     if p.stem.split('_')[0] in ('source-only', 'dacs', 'daformer', 'dacs-mic', 'daformer-mic')]
    + [CONFIG_ROOT / 'demo' / 'dacs_scenes_uda_demo.py']
    # DIDA (DACS family, full-size encoders): test_dida_configs.py shrinks and trains them.
    + list((CONFIG_ROOT / 'dida').glob('*.py'))
    # Vision-language guided UDA (issue 21): test_uda_vl_configs.py shrinks and trains them.
    + list((CONFIG_ROOT / 'uda_vl').glob('*.py'))
    # DUDA (heavy DACS pair + light student): test_duda_configs.py shrinks and builds them.
    + list((CONFIG_ROOT / 'duda').glob('*.py')))

#: Every runnable config (the `_base_` files are only fragments) of SemiVL / UniMatch.
LEAF_CONFIGS: List[Path] = sorted(
    p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.relative_to(CONFIG_ROOT).parts
    and p not in UDA_SELF_TRAINING_CONFIGS)

#: Benchmark facts per dataset family (paper Sec. 4.1, docs/reference.md "Schedules").
FAMILIES: Dict[str, dict] = {
    'voc': dict(dataset_type='PascalVOCSplitDataset', num_classes=21, lists='pascal',
                data_root='data/VOCdevkit/VOC2012', num_train=10582, epochs=80, lr=1e-4,
                backbone_lr_mult=0.01, crop=512, stride=426, val_short_side=512,
                decoder_text=('voc_reference_names', 'name'), guidance_text=('voc', 'max')),
    'coco': dict(dataset_type='COCOSplitDataset', num_classes=81, lists='coco',
                 data_root='data/coco', num_train=118287, epochs=10, lr=4e-4,
                 backbone_lr_mult=0.001, crop=512, stride=426, val_short_side=None,
                 decoder_text=('coco', 'name'), guidance_text=('coco', 'name')),
    'ade': dict(dataset_type='ADE20KSplitDataset', num_classes=150, lists='ade',
                data_root='data/ade/ADEChallengeData2016', num_train=20210, epochs=40,
                lr=4e-4, backbone_lr_mult=0.001, crop=512, stride=426, val_short_side=512,
                decoder_text=('ade20k', 'name'), guidance_text=('ade20k', 'name')),
    'cityscapes': dict(dataset_type='CityscapesSplitDataset', num_classes=19,
                       lists='cityscapes', data_root='data/cityscapes', num_train=2975,
                       epochs=240, lr=5e-5, backbone_lr_mult=0.1, crop=801, stride=534,
                       val_short_side=None, decoder_text=('cityscapes', 'mean'),
                       guidance_text=('cityscapes', 'max')),
}
_FAMILY_BY_TYPE = {facts['dataset_type']: name for name, facts in FAMILIES.items()}


@functools.lru_cache(maxsize=None)
def _load_config(path: Path) -> Config:
    return Config.fromfile(str(path))


def load_config(path: Path) -> Config:
    """A private copy of ``Config.fromfile(path)`` (parsed once per session: ~0.15 s)."""
    return copy.deepcopy(_load_config(path))


def family_of(cfg: Config) -> str:
    """Dataset family ('voc', 'coco', 'ade', 'cityscapes') of a config's labeled data."""
    return _FAMILY_BY_TYPE[cfg.train_dataloader.dataset.datasets[0].type]


def benchmark_configs(*methods: str) -> List[Path]:
    """Leaf configs of the given method folders (e.g. 'semivl', 'unimatch')."""
    return [p for p in LEAF_CONFIGS if p.parent.name in methods]


def tinify_model(cfg: Config, checkpoint: str, crop: int = 64) -> ConfigDict:
    """Swap every CLIP of ``cfg.model`` for the tiny one, in place, and return the model.

    Every dict naming an open_clip ``model_name`` (backbone, decoder text embeddings,
    guidance) gets ``TINY_CLIP_CFG`` and the one checkpoint, so that they share
    weights as with a real CLIP; widths, skip blocks, crop sizes and the inference mode
    follow; decode heads are narrowed (at 128 channels per class the joint-reasoning
    ASPP alone has ~200 M parameters for 21 classes).
    """
    width = TINY_CLIP_CFG['vision_cfg']['width']
    embed_dim = TINY_CLIP_CFG['embed_dim']
    num_layers = TINY_CLIP_CFG['vision_cfg']['layers']

    def visit(node: dict) -> None:
        if 'model_name' in node:
            node.update(model_name='semivl-tiny', model_cfg=copy.deepcopy(TINY_CLIP_CFG),
                        pretrained=checkpoint)
            if 'img_size' in node:
                node['img_size'] = crop
            if 'skip_blocks' in node:
                # Same number of skips, at blocks that exist in the 3-block tower.
                node['skip_blocks'] = tuple(range(len(node['skip_blocks'])))[:num_layers]
        if node.get('type') == 'CLIPWithConvSkip':
            # Narrow conv stem (32 channels at 1/4), random init (no download), BN on one CPU.
            node['conv_stem'] = dict(node.get('conv_stem', RESNET101_V1C_STEM), stem_channels=16,
                                     base_channels=8, init_cfg=None,
                                     norm_cfg=dict(type='BN', requires_grad=True))
        if node.get('type') == 'LanguageGuidedHead':
            node['in_channels'] = (width, ) * (len(node.get('in_index', (0, 1, 2))))
            if cfg.model.backbone.get('type') == 'CLIPWithConvSkip':
                node['in_channels'] = (TINY_CONV_SKIP_CHANNELS, ) + node['in_channels'][1:]
            node['text_channels'] = embed_dim
            # A quarter of the widths: the per-class decoder dominates a CPU step on
            # 81 or 150 classes; the structure (and the ablation switches) stays.
            node.update(channels=32, text_proj_channels=32, feedforward_channels=64,
                        skip_channels=(8, 16), up_channels=(32, 16))
            if node.get('joint_reasoning'):
                # N x channels enter one ASPP (no sharing across classes).
                node.update(channels=16, skip_channels=(4, 8), up_channels=(16, 8),
                            gn_channels_per_group=4)
        if node.get('type') == 'VisionTransformer':
            # MMSeg's ImageNet ViT (Table 6 row 1): same tiny shape, random init.
            node.update(img_size=(crop, crop), embed_dims=width, num_layers=num_layers,
                        num_heads=2, out_indices=(0, num_layers - 1), init_cfg=None)
        if node.get('type') == 'DeepLabV3PlusViTHead':
            # Narrow ASPP (256 channels take most of the build time); BN on one CPU.
            clip = cfg.model.backbone.get('type') != 'VisionTransformer'
            node.update(in_channels=embed_dim if clip else width, skip_in_channels=width,
                        channels=32,
                        c1_in_channels=32, c1_channels=16,
                        norm_cfg=dict(type='BN', requires_grad=True))

    visit_dicts(cfg.model, visit)
    preprocessor = cfg.model.data_preprocessor
    if preprocessor.get('size') is not None:
        preprocessor['size'] = (crop, crop)
    # A teacher-student UDA model (DACS) keeps test_cfg in its student.
    cfg.model.get('student', cfg.model).test_cfg = dict(mode='whole')
    return cfg.model


def shrink_pipelines(cfg: Config, crop: int) -> None:
    """Set the training crops (and the rescale base) of ``cfg``'s loaders to ``crop``."""

    def visit(node: dict) -> None:
        kind = node.get('type')
        if kind == 'RandomResize':
            node['scale'] = (2 * crop, crop)
        elif kind == 'RandomCrop':
            node['crop_size'] = (crop, crop)
        elif kind == 'PadToSize':
            node['size'] = (crop, crop)
        elif kind == 'Resize':
            node['scale'] = (2 * crop, crop)

    visit_dicts(cfg.train_dataloader, visit)
    visit_dicts(cfg.val_dataloader, visit)


# ---------------------------------------------------------------------------- data
#: Image and label path of sample ``i`` per family (train / val) and the label values.
_LAYOUTS = {
    'voc': (lambda s, i: (f'JPEGImages/{s}_{i}.jpg', f'SegmentationClass/{s}_{i}.png'),
            list(range(21)) + [255]),
    'coco': (lambda s, i: (f'{s}2017/{i:012d}.jpg', f'masks/{s}{i:012d}.png'),
             list(range(81)) + [255]),
    'ade': (lambda s, i: (f'images/{"training" if s == "train" else "validation"}/'
                          f'ADE_{s}_{i:08d}.jpg',
                          f'annotations/{"training" if s == "train" else "validation"}/'
                          f'ADE_{s}_{i:08d}.png'), list(range(151))),
    'cityscapes': (lambda s, i: (f'leftImg8bit/{s}/aachen/aachen_{i:06d}_leftImg8bit.png',
                                 f'gtFine/{s}/aachen/aachen_{i:06d}_gtFine_labelTrainIds.png'),
                   list(range(19)) + [255]),
}


def make_miniature(cfg: Config, root: Path, image_hw=(48, 64), num_per_list: int = 2) -> None:
    """Write tiny images, labels and the config's three lists under ``root``.

    The lists are written at the paths the config names (relative to the data root),
    so the config's own list names are what is tested; ``data_root`` of every dataset
    is pointed at ``root``.
    """
    family = family_of(cfg)
    paths, label_values = _LAYOUTS[family]
    rng = np.random.default_rng(0)
    datasets = {
        'labeled': cfg.train_dataloader.dataset.datasets[0],
        'unlabeled': cfg.train_dataloader.dataset.datasets[1],
        'val': cfg.val_dataloader.dataset,
    }
    for offset, (role, dataset) in enumerate(datasets.items()):
        lines = []
        for i in range(num_per_list):
            img_path, seg_path = paths('val' if role == 'val' else 'train',
                                       offset * num_per_list + i)
            image = rng.integers(0, 256, (*image_hw, 3), dtype=np.uint8)
            label = rng.choice(label_values, size=image_hw).astype(np.uint8)
            mmcv.imwrite(image, osp.join(root, img_path))
            mmcv.imwrite(label, osp.join(root, seg_path))
            lines.append(f'{img_path} {seg_path}')
        list_path = root / dataset.ann_file
        list_path.parent.mkdir(parents=True, exist_ok=True)
        list_path.write_text('\n'.join(lines) + '\n')
        dataset.data_root = str(root)
    if cfg.get('test_dataloader') is not None:
        cfg.test_dataloader = cfg.val_dataloader


def loader_cfg(dataloader: ConfigDict) -> ConfigDict:
    """A copy of a dataloader config that runs in the test process."""
    dataloader = copy.deepcopy(dataloader)
    dataloader.update(num_workers=0, persistent_workers=False)
    return dataloader


def first_config(method: str, family: str) -> Path:
    """The lowest-label config of a method and family, e.g. configs/semivl/voc_92.py."""
    candidates = [p for p in benchmark_configs(method)
                  if p.stem.split('_')[0] == family and p.stem.split('_')[-1].isdigit()]
    return min(candidates, key=lambda p: int(p.stem.split('_')[-1]))
