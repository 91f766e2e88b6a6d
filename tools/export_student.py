"""Export the deployed student of a teacher-student checkpoint (DUDA's lightweight student,
DACS's student) as a plain MMSeg model: a checkpoint with the student's keys only
(``backbone.*``, ``decode_head.*``) and a config whose ``model`` is the student's own
segmentor config, loadable by ``mmseg.apis.init_model`` without the heavy networks.

Example::

    python tools/export_student.py configs/duda/duda_mitb5-mitb0_gta2cs.py \\
        work_dirs/duda_mitb5-mitb0_gta2cs/iter_40000.pth --out-dir exported/mitb0_gta2cs
    # -> exported/mitb0_gta2cs/student.py, exported/mitb0_gta2cs/student.pth
"""
from __future__ import annotations

import argparse
import copy
import os
import os.path as osp
import sys
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

import mmseg_semivl  # noqa: E402,F401  (the plugin first: its modules, the legacy allow-list)

#: Keys of a training config that evaluation and inference with the student still need.
KEPT_KEYS = ('default_scope', 'env_cfg', 'vis_backends', 'visualizer', 'log_processor',
             'log_level', 'test_pipeline', 'test_dataloader', 'test_evaluator', 'test_cfg',
             'val_dataloader', 'val_evaluator', 'val_cfg', 'tta_pipeline', 'tta_model')
#: Data pre-processor keys that carry over to MMSeg's single-stream SegDataPreProcessor.
PREPROCESSOR_KEYS = ('mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr', 'pad_val', 'seg_pad_val')


def student_config(cfg: Config) -> ConfigDict:
    """The student's segmentor config with a plain MMSeg data pre-processor.

    Pretrained-weight initialisers are dropped (the exported checkpoint holds the
    weights), so building it downloads nothing.
    """
    model = cfg.model
    if 'student' not in model:
        raise KeyError(f'{model.get("type")} has no model.student: not a teacher-student config')
    student = copy.deepcopy(model.student)
    pre = model.get('data_preprocessor') or {}
    student['data_preprocessor'] = dict(type='SegDataPreProcessor',
                                        **{k: pre[k] for k in PREPROCESSOR_KEYS if k in pre})
    student.pop('pretrained', None)
    backbone = student.get('backbone', {})
    if isinstance(backbone.get('init_cfg'), dict) and backbone['init_cfg'].get(
            'type') == 'Pretrained':
        backbone['init_cfg'] = None
    if model.get('test_cfg') is not None:
        student['test_cfg'] = model.test_cfg
    return ConfigDict(student)


def student_state_dict(state_dict: Dict[str, torch.Tensor],
                       prefix: str = 'student.') -> Dict[str, torch.Tensor]:
    """The student's tensors with ``prefix`` removed (``student.backbone.x`` -> ``backbone.x``)."""
    out = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not out:
        raise KeyError(f'the checkpoint has no {prefix!r} keys (keys start with '
                       f'{sorted({k.split(".")[0] for k in state_dict})})')
    return out


def export_student(config: str, checkpoint: str, out_dir: str,
                   cfg_options: Optional[dict] = None) -> Tuple[str, str]:
    """Write ``out_dir/student.py`` and ``out_dir/student.pth``; return both paths."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    # The safe loader: plain checkpoints (PlainCheckpointStateHook) need no allow-list,
    # older ones load through the plugin's legacy allow-list.
    ckpt = torch.load(checkpoint, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt)
    state = student_state_dict(state)
    meta = dict(ckpt.get('meta', {})) if isinstance(ckpt, dict) else {}
    meta = {k: v for k, v in meta.items() if k in ('dataset_meta', 'mmseg_version', 'seed')}
    meta['exported_from'] = dict(config=osp.abspath(config), checkpoint=osp.abspath(checkpoint),
                                 model_type=cfg.model.get('type'))
    out = dict(model=student_config(cfg))
    for key in KEPT_KEYS:
        if key in cfg:
            out[key] = cfg[key]
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    if 'mmseg_semivl' not in imports:
        imports.insert(0, 'mmseg_semivl')  # the student's own types (heads, encoders)
    out['custom_imports'] = dict(imports=imports, allow_failed_imports=False)
    os.makedirs(out_dir, exist_ok=True)
    cfg_path, ckpt_path = osp.join(out_dir, 'student.py'), osp.join(out_dir, 'student.pth')
    Config(out).dump(cfg_path)
    torch.save(dict(state_dict=state, meta=meta), ckpt_path)
    return cfg_path, ckpt_path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='the training config (DUDA, DACS, ...)')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--out-dir', required=True, help='where student.py / .pth go')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg_path, ckpt_path = export_student(args.config, args.checkpoint, args.out_dir)
    print(f'student config: {cfg_path}\nstudent checkpoint: {ckpt_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
