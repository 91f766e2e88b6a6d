"""Inference cost of DUDA's deployed model vs the plain lightweight baseline.

Builds (a) the model ``tools/export_student.py`` writes for a DUDA config and (b) a plain
segmentor of a UDA encoder base (default: ``configs/_base_/uda/encoders/mitb0.py``, the
DACS / DAFormer MiT-B0 student), and counts the FLOPs of one whole-image forward
(``encode_decode``, multiply-add = 2 FLOPs, ``FlopCounterMode``) and the parameters::

    python tools/analysis/duda_inference_cost.py configs/duda/duda_mitb5-mitb0_gta2cs.py \\
        --baseline configs/_base_/uda/encoders/mitb0.py --size 512 1024
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

import torch
from mmengine.config import Config
from torch.utils.flop_counter import FlopCounterMode

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def forward_cost(model_cfg: dict, size) -> dict:
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from mmseg_semivl.analysis.fake_execution import FakeExecution
    init_default_scope('mmseg')
    model = MODELS.build(model_cfg).eval()
    params = sum(p.numel() for p in model.parameters())
    execution = FakeExecution()
    execution.fakeify(model)
    with execution, FlopCounterMode(display=False) as counter, torch.no_grad():
        x = torch.zeros(1, 3, *size)
        model.encode_decode(x, [dict(img_shape=tuple(size), ori_shape=tuple(size))])
    return dict(type=model_cfg['type'], backbone=model_cfg['backbone']['type'],
                params=params, gflops=counter.get_total_flops() / 1e9)


def main(argv=None) -> int:
    import mmseg_semivl  # noqa: F401
    import tools.export_student as export
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='a DUDA (or any teacher-student) config')
    parser.add_argument('--baseline', default=osp.join(REPO, 'configs', '_base_', 'uda',
                                                       'encoders', 'mitb0.py'),
                        help='a config whose `student` is the plain baseline')
    parser.add_argument('--size', type=int, nargs=2, default=[512, 512], help='H W')
    args = parser.parse_args(argv)
    deployed = dict(export.student_config(Config.fromfile(args.config)))
    baseline = dict(Config.fromfile(args.baseline).student)
    baseline.pop('pretrained', None)
    baseline['backbone'] = dict(baseline['backbone'], init_cfg=None)
    rows = dict(deployed=forward_cost(deployed, args.size),
                baseline=forward_cost(baseline, args.size))
    for name, row in rows.items():
        print(f"{name:9s} {row['backbone']:22s} {row['params'] / 1e6:7.2f} M params  "
              f"{row['gflops']:8.2f} GFLOPs at {args.size[0]}x{args.size[1]}")
    same = rows['deployed']['gflops'] == rows['baseline']['gflops']
    print('deployed == baseline' if same else 'deployed != baseline')
    return 0


if __name__ == '__main__':
    sys.exit(main())
