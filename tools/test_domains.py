"""Evaluate one checkpoint on several domains and tabulate the results.

The domains are the entries of the config's ``test_domains`` dict, or else of
``configs/_base_/datasets/uda_test_domains.py`` (Cityscapes, ACDC, Dark Zurich, BDD100K,
Mapillary, each with its test pipeline). A domain whose folders are absent is reported as
skipped with the path looked for; the others are evaluated one after the other with the
same model. The table (mIoU per domain, their mean, and mIoU16 / mIoU13 when the class
subsets of SYNTHIA apply) is printed and written as ``test_domains.json`` and
``test_domains.md``.

Examples::

    python tools/test_domains.py CONFIG CKPT --domains cityscapes acdc darkzurich bdd100k mapillary
    python tools/test_domains.py CONFIG CKPT --data-root acdc=/data/ACDC --class-subsets synthia
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import is_main_process  # noqa: E402

from mmseg_semivl.datasets.acdc import ACDCDataset  # noqa: E402
from mmseg_semivl.utils.cli import load_run_config, run_tool  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_DOMAINS_FILE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'uda_test_domains.py')
SUBSET_METRICS = ('mIoU16', 'mIoU13')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config (its test_domains, if any, are used)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--domains', nargs='+', default=None,
                        help='domains to evaluate (default: all of test_domains)')
    parser.add_argument('--data-root', nargs='+', default=[], metavar='NAME=PATH',
                        help='override the data_root of a domain')
    parser.add_argument('--class-subsets', default='auto', choices=('auto', 'synthia', 'none'),
                        help="mIoU16/mIoU13: 'synthia' always, 'none' never, 'auto' as the "
                        "config's test_evaluator (default)")
    parser.add_argument('--out-dir', default=None,
                        help='where the JSON and Markdown tables go (default: '
                        '<work_dir>/test_domains)')
    parser.add_argument('--work-dir', help='work dir (logs)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, xxx=yyy')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_domains(cfg: Config) -> Dict[str, dict]:
    """The config's ``test_domains``, or the shipped defaults."""
    domains = cfg.get('test_domains')
    if domains is None:
        domains = Config.fromfile(DEFAULT_DOMAINS_FILE).test_domains
    return {name: copy.deepcopy(d) for name, d in domains.items()}


def select_domains(domains: Dict[str, dict], names: Optional[Sequence[str]],
                   data_roots: Sequence[str]) -> Dict[str, dict]:
    """The requested domains, in the requested order, with overridden roots.

    Raises:
        ValueError: Naming an unknown domain (and the known ones) or a bad ``NAME=PATH``.
    """
    for item in data_roots:
        name, sep, path = item.partition('=')
        if not sep or name not in domains:
            raise ValueError(f'--data-root {item!r}: expected NAME=PATH with NAME one of '
                             f'{sorted(domains)}')
        domains[name]['data_root'] = path
    names = list(domains) if not names else list(names)
    unknown = [n for n in names if n not in domains]
    if unknown:
        raise ValueError(f'unknown domain(s) {unknown}; known: {sorted(domains)} (add more '
                         'to test_domains in the config)')
    return {n: domains[n] for n in names}


def required_folders(dataset: dict) -> List[str]:
    """Folders a domain's dataset reads; all must exist for it to be evaluated."""
    root = dataset.get('data_root') or ''
    prefix = dataset.get('data_prefix') or {}
    if dataset.get('type') == 'ACDCDataset':
        img_dir = dataset.get('img_dir', 'rgb_anon')
        ann_dir = dataset.get('ann_dir', 'gt')
        split = dataset.get('split', 'val')
        conditions = ACDCDataset.parse_conditions(dataset.get('conditions', 'all'))
        return [osp.join(root, d, c, split) for c in conditions for d in (img_dir, ann_dir)]
    folders = [osp.join(root, prefix.get(key, '')) for key in ('img_path', 'seg_map_path')
               if prefix.get(key) is not None]
    return folders or [root]


def evaluator_for(cfg: Config, class_subsets: str) -> dict:
    """The config's test evaluator as a ``UDAIoUMetric`` with the chosen class subsets."""
    evaluator = copy.deepcopy(cfg.get('test_evaluator') or dict(type='IoUMetric'))
    if isinstance(evaluator, (list, tuple)):
        evaluator = copy.deepcopy(evaluator[0])
    evaluator = dict(evaluator)
    if evaluator.get('type') in ('IoUMetric', 'UDAIoUMetric'):
        evaluator['type'] = 'UDAIoUMetric'
    if class_subsets == 'synthia':
        evaluator['class_subsets'] = 'synthia'
    elif class_subsets == 'none':
        evaluator.pop('class_subsets', None)
    for key in ('output_dir', 'keep_results', 'format_only'):
        evaluator.pop(key, None)
    return evaluator


def loader_for(cfg: Config, dataset: dict) -> dict:
    """The config's test loader with ``dataset`` in place of its own."""
    loader = copy.deepcopy(cfg.get('test_dataloader') or cfg.get('val_dataloader') or {})
    loader = dict(loader) if loader else dict(num_workers=2)
    loader['dataset'] = dataset
    loader['batch_size'] = 1  # images of a domain differ in size (Mapillary)
    loader.setdefault('sampler', dict(type='DefaultSampler', shuffle=False))
    loader['persistent_workers'] = False  # one pass per domain
    return loader


def format_table(rows: List[dict], subset_columns: bool) -> str:
    """Markdown table of the rows (skipped domains show their missing path)."""
    columns = ['mIoU', *SUBSET_METRICS] if subset_columns else ['mIoU']
    lines = ['| domain | ' + ' | '.join(columns) + ' | images | status |',
             '|---|' + '---|' * len(columns) + '---|---|']
    for row in rows:
        values = [f'{row[c]:.2f}' if row.get(c) is not None else '-' for c in columns]
        images = str(row['images']) if row.get('images') is not None else '-'
        lines.append(f'| {row["domain"]} | ' + ' | '.join(values) + f' | {images} | '
                     f'{row["status"]} |')
    return '\n'.join(lines)


def _number(value) -> Optional[float]:
    """A metric as a JSON number: float32 noise rounded off (MMSeg reports 2 decimals),
    NaN (a class absent from a domain) as None."""
    value = float(value)
    return None if math.isnan(value) else round(value, 2)


def summarize(results: Dict[str, dict], skipped: Dict[str, str],
              order: Sequence[str]) -> Tuple[List[dict], dict]:
    """Rows of the table (domains in order, then the mean) and the JSON document."""
    rows = []
    for name in order:
        if name in skipped:
            rows.append(dict(domain=name, status=f'skipped: not found {skipped[name]}',
                             path=skipped[name]))
        else:
            metrics = results[name]
            row = dict(domain=name, status='evaluated', images=metrics.pop('_num_images'))
            row.update({k: _number(metrics[k]) for k in ('mIoU', *SUBSET_METRICS)
                        if k in metrics})
            row['metrics'] = {k: _number(v) for k, v in metrics.items()}
            rows.append(row)
    evaluated = [r for r in rows if r['status'] == 'evaluated']
    mean = dict(domain='mean', status=f'{len(evaluated)} of {len(rows)} domains')
    for key in ('mIoU', *SUBSET_METRICS):
        values = [r[key] for r in evaluated if r.get(key) is not None]
        if values:
            mean[key] = round(sum(values) / len(values), 2)
    document = dict(domains=rows, mean={k: v for k, v in mean.items() if k in (
        'mIoU', *SUBSET_METRICS)}, evaluated=[r['domain'] for r in evaluated],
        skipped={r['domain']: r['path'] for r in rows if r['status'] != 'evaluated'})
    return rows + [mean], document


def evaluate_domains(cfg: Config, domains: Dict[str, dict], evaluator: dict) -> Dict[str, dict]:
    """Build the model once, load the checkpoint, run one test loop per domain."""
    from mmengine.runner import Runner, TestLoop

    runner = Runner.from_cfg(cfg)
    runner.call_hook('before_run')
    runner.load_or_resume()
    results = {}
    for name, dataset in domains.items():
        loop = TestLoop(runner, dataloader=loader_for(cfg, dataset),
                        evaluator=copy.deepcopy(evaluator))
        # Hooks (timer, logger) read runner.test_loop / test_dataloader: this domain's.
        runner._test_loop = loop
        metrics = dict(loop.run())
        metrics['_num_images'] = len(loop.dataloader.dataset)
        results[name] = metrics
    runner.call_hook('after_run')
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cfg = load_run_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    cfg.load_from = args.checkpoint
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} not found')
    domains = select_domains(load_domains(cfg), args.domains, args.data_root)
    present, skipped = {}, {}
    for name, dataset in domains.items():
        missing = [f for f in required_folders(dataset) if not osp.isdir(f)]
        if missing:
            skipped[name] = missing[0]
            print(f'{name}: skipped, {missing[0]} not found')
        else:
            present[name] = dataset
    evaluator = evaluator_for(cfg, args.class_subsets)
    results = evaluate_domains(cfg, present, evaluator) if present else {}
    rows, document = summarize(results, skipped, list(domains))
    subset_columns = any(r.get(k) is not None for r in rows for k in SUBSET_METRICS)
    table = format_table(rows, subset_columns)
    print(table)
    if is_main_process():
        out_dir = args.out_dir or osp.join(cfg.work_dir, 'test_domains')
        os.makedirs(out_dir, exist_ok=True)
        document.update(config=args.config, checkpoint=args.checkpoint)
        with open(osp.join(out_dir, 'test_domains.json'), 'w', encoding='utf-8') as f:
            json.dump(document, f, indent=2)
        with open(osp.join(out_dir, 'test_domains.md'), 'w', encoding='utf-8') as f:
            f.write(f'Checkpoint `{args.checkpoint}`, config `{args.config}`\n\n{table}\n')
        print(f'written: {osp.join(out_dir, "test_domains.json")}, '
              f'{osp.join(out_dir, "test_domains.md")}')
    return 0


if __name__ == '__main__':
    run_tool(main)
