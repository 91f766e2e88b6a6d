"""The rows of the learning benchmark: one config change per SemiVL component.

Shared by ``tools/benchmark_learning.py`` (the table of docs/learning.md) and
``tools/demo.py`` (supervised-only vs SemiVL). A row is a function that edits a
training config of the full method; every row keeps the iterations, the labeled batch
and the seed, so rows differ in exactly one component (paper Table 6 order).
Not imported by ``import mmseg_semivl``: nothing here is needed to train.
"""
from __future__ import annotations

import copy
import os
import os.path as osp
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

from mmengine.config import Config
from mmengine.runner import Runner

from ..datasets.synthetic.scenes import write_scene_dataset
from ..utils.train_data import drop_unlabeled_stream

ROW_ORDER = ('supervised', 'unimatch', 'clip_guidance', 'class_definitions', 'unimatch_head',
             'fully_supervised', 'zero_shot')
#: Rows that train (zero_shot only evaluates the frozen CLIP).
TRAINED_ROWS = ROW_ORDER[:-1]


@dataclass
class TaskData:
    """Where one benchmark task lives.

    Attributes:
        root (str): Dataset root (image and label paths in the lists are relative to it).
        labeled (str): Split list of the N labeled images.
        unlabeled (str): Split list of the unlabeled images.
        all (str): Both lists together (the fully supervised row).
        val (str): Validation split list.
        classes (tuple[str]): Class names.
        definitions (str | dict, optional): Class definitions (YAML path or mapping)
            for the decoder and the guidance; None keeps the config's.
    """
    root: str
    labeled: str
    unlabeled: str
    all: str
    val: str
    classes: tuple
    definitions: Optional[Union[str, Mapping]] = None
    extra: Dict = field(default_factory=dict)


# ----------------------------------------------------------------------- rows
def _labeled_only(cfg: Config) -> None:
    """Train on the labeled stream alone, with the same labeled batch as the other rows."""
    cfg.model.use_consistency = False
    drop_unlabeled_stream(cfg)


def _no_guidance(cfg: Config) -> None:
    cfg.model.guidance = None


def _guidance_from_names(cfg: Config) -> None:
    cfg.model.guidance.aggregation = 'name'


def _unimatch_head(cfg: Config) -> None:
    """configs/unimatch on the same encoder: fully fine-tuned, DeepLabv3+ head, no guidance."""
    cfg.model.guidance = None
    backbone = cfg.model.backbone
    backbone.finetune = 'full'
    head = cfg.model.decode_head
    cfg.model.decode_head = dict(
        type='DeepLabV3PlusViTHead', in_channels=head.text_channels,
        in_index=len(backbone.skip_blocks), skip_in_channels=head.in_channels[0], c1_index=0,
        channels=64, c1_in_channels=32, c1_channels=12, dilations=(1, 2, 3, 4),
        num_classes=head.get('num_classes') or cfg.num_classes, norm_cfg=dict(type='BN'),
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         avg_non_ignore=True))


ROWS: Dict[str, Callable[[Config], None]] = {
    'supervised': _labeled_only,
    'unimatch': _no_guidance,
    'clip_guidance': _guidance_from_names,
    'class_definitions': lambda cfg: None,  # the full method
    'unimatch_head': _unimatch_head,
    'fully_supervised': _labeled_only,
}


# ----------------------------------------------------------------------- data
def write_split(path: str, lines: Sequence[str]) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def read_split(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def scene_task(work_dir: str, num_labeled: int, pool: int = 240, num_val: int = 100,
               seed: int = 0, classes: Sequence[str] = ()) -> TaskData:
    """The generated-scenes task: the first ``num_labeled`` of ``pool`` scenes labeled."""
    root = osp.join(work_dir, 'data', 'scenes')
    paths = write_scene_dataset(root, num_labeled=0, num_unlabeled=pool, num_val=num_val,
                                seed=seed)
    scenes = read_split(osp.join(root, paths['unlabeled']))
    if not 0 < num_labeled <= len(scenes):
        raise ValueError(f'num_labeled={num_labeled} must lie in 1..{len(scenes)} (the pool)')
    split_dir = osp.join(work_dir, f'splits_n{num_labeled}')
    return TaskData(
        root=root,
        labeled=write_split(osp.join(split_dir, 'labeled.txt'), scenes[:num_labeled]),
        unlabeled=write_split(osp.join(split_dir, 'unlabeled.txt'), scenes[num_labeled:]),
        all=write_split(osp.join(split_dir, 'all.txt'), scenes),
        val=osp.join(root, paths['val']),
        classes=tuple(classes or read_split(osp.join(root, paths['classes']))))


# ----------------------------------------------------------------------- configs
def build_row_config(config: Union[str, Config], row: str, seed: int, data: TaskData,
                     work_dir: str, iters: Optional[int] = None,
                     cfg_options: Optional[dict] = None) -> Config:
    """The training config of one row on one task.

    Args:
        config (str | Config): The full-method config (e.g. configs/learning/semivl_scenes.py).
        row (str): One of :data:`TRAINED_ROWS`.
        seed (int): Training seed.
        data (TaskData): The task.
        work_dir (str): The run's folder.
        iters (int, optional): Iterations (default: the config's ``train_cfg.max_iters``).
        cfg_options (dict, optional): Overrides merged before the row's change.
    """
    if row not in ROWS:
        raise ValueError(f'unknown benchmark row {row!r}; rows: {", ".join(TRAINED_ROWS)}')
    cfg = copy.deepcopy(config) if isinstance(config, Config) else Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    metainfo = dict(cfg.get('metainfo') or {}, classes=tuple(data.classes))
    if len(metainfo.get('palette', ())) != len(data.classes):
        metainfo.pop('palette', None)  # MMSeg draws one for other class lists
    head = cfg.model.decode_head
    head.num_classes = len(data.classes)
    if data.definitions is not None:
        head.text_embeddings.class_definitions = data.definitions
        cfg.model.guidance.class_definitions = data.definitions
    labeled, unlabeled = cfg.train_dataloader.dataset.datasets
    lists = (data.all if row == 'fully_supervised' else data.labeled, data.unlabeled)
    for dataset, ann_file in zip((labeled, unlabeled), lists):
        # Assigned, not merged: a base palette of another length must not survive.
        dataset.update(data_root=data.root, ann_file=ann_file)
        dataset['metainfo'] = metainfo  # CheckLabelValues follows the dataset's classes
    cfg.val_dataloader.dataset.update(data_root=data.root, ann_file=data.val)
    cfg.val_dataloader.dataset['metainfo'] = metainfo
    cfg.test_dataloader = cfg.val_dataloader
    ROWS[row](cfg)
    iters = iters or cfg.train_cfg.max_iters
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    for scheduler in cfg.param_scheduler:
        scheduler.end = min(scheduler.get('end', iters), iters)
    cfg.default_hooks.checkpoint.interval = iters
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    return cfg


def train_row(cfg: Config) -> Dict:
    """Train, evaluate once on the validation list; returns metrics, seconds and the runner."""
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = {k: float(v) for k, v in runner.val_loop.run().items()}
    metrics['seconds'] = round(time.time() - start, 1)
    return dict(metrics=metrics, runner=runner)


def zero_shot_config(config: Union[str, Config], data: TaskData, work_dir: str,
                     cfg_options: Optional[dict] = None) -> Config:
    """Test config of the frozen guidance CLIP alone (MaskCLIP, MMSeg's IoUMetric)."""
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)  # e.g. another guidance CLIP, as the trained rows
    clip = dict(cfg.model.guidance, type='DenseCLIPZeroShot')
    if data.definitions is not None:
        clip['class_definitions'] = data.definitions
    preprocessor = dict(cfg.model.data_preprocessor, type='SegDataPreProcessor')
    preprocessor.pop('size', None)
    dataset = dict(cfg.val_dataloader.dataset, data_root=data.root, ann_file=data.val,
                   metainfo=dict(classes=tuple(data.classes)))
    return Config(dict(
        model=dict(type='ZeroShotSegmentor', clip=clip, data_preprocessor=preprocessor,
                   logit_scale=cfg.model.get('guidance_temperature', 100.0),
                   test_cfg=cfg.model.test_cfg),
        default_scope='mmseg', work_dir=work_dir, env_cfg=cfg.env_cfg,
        custom_imports=cfg.get('custom_imports'),
        test_dataloader=dict(cfg.val_dataloader, dataset=dataset),
        test_evaluator=cfg.val_evaluator, test_cfg=dict(type='TestLoop')))


def zero_shot_row(config: Union[str, Config], data: TaskData, work_dir: str,
                  cfg_options: Optional[dict] = None) -> Dict:
    start = time.time()
    run_cfg = zero_shot_config(config, data, work_dir, cfg_options)
    metrics = {k: float(v) for k, v in Runner.from_cfg(run_cfg).test().items()}
    metrics['seconds'] = round(time.time() - start, 1)
    return dict(metrics=metrics)


# ----------------------------------------------------------------------- table
def summarise(results: List[Dict]) -> List[Dict]:
    """Mean and spread (sample std, min, max) of mIoU per (N, row), in row order."""
    table = []
    keys = sorted({(r['num_labeled'], r['row']) for r in results},
                  key=lambda k: (k[0], ROW_ORDER.index(k[1])))
    for n, row in keys:
        values = [r['mIoU'] for r in results if r['num_labeled'] == n and r['row'] == row]
        table.append(dict(num_labeled=n, row=row, seeds=len(values),
                          mean=round(statistics.mean(values), 2),
                          std=round(statistics.stdev(values), 2) if len(values) > 1 else 0.0,
                          min=round(min(values), 2), max=round(max(values), 2)))
    return table


def markdown(table: List[Dict]) -> str:
    """The summary as a Markdown table."""
    lines = ['| N labeled | row | mIoU mean | std | min | max | seeds |',
             '|---|---|---|---|---|---|---|']
    lines += [f"| {t['num_labeled']} | {t['row']} | {t['mean']:.2f} | {t['std']:.2f} | "
              f"{t['min']:.2f} | {t['max']:.2f} | {t['seeds']} |" for t in table]
    return '\n'.join(lines)
