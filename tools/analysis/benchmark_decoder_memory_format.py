"""Time LanguageGuidedHead forward+backward with channels_last off and on (CPU).

The decoder runs its conv stacks on B*N per-class maps, so their activations
dominate its time and memory. This script measures whether
``LanguageGuidedHead(channels_last=True)`` pays off on this machine: a
full-size default head (ViT-B/16 inputs of a square crop), identical weights
for both layouts, one untimed warm-up pass each, then ``--repeats`` timed
passes (interleaved, so drift hits both alike); the median of each is printed.

Examples::

    OMP_NUM_THREADS=2 python tools/analysis/benchmark_decoder_memory_format.py
    python tools/analysis/benchmark_decoder_memory_format.py --batch 2 --bf16
"""
import argparse
import os.path as osp
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mmseg_semivl.models.decode_heads import LanguageGuidedHead  # noqa: E402

PATCH_SIZE = 16  # ViT-B/16: skips and dense embedding are all at 1/16


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='CPU timing of LanguageGuidedHead forward+backward, '
        'channels_last False vs True')
    parser.add_argument('--batch', type=int, default=1, help='images per pass')
    parser.add_argument('--num-classes', type=int, default=21, help='classes N')
    parser.add_argument('--crop', type=int, default=512, help='square crop size in pixels')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed passes per layout, after one warm-up')
    parser.add_argument('--bf16', action='store_true',
                        help='also time forward under CPU bf16 autocast')
    parser.add_argument('--seed', type=int, default=0, help='seed of weights and inputs')
    args = parser.parse_args(argv)
    if args.crop % PATCH_SIZE:
        parser.error(f'--crop must be a multiple of {PATCH_SIZE}')
    if min(args.batch, args.num_classes, args.repeats) < 1:
        parser.error('--batch, --num-classes and --repeats must be >= 1')
    return args


def make_inputs(batch: int, crop: int) -> List[torch.Tensor]:
    """(skip_0, skip_1, dense) as the ViT-B/16 backbone gives them: all at 1/16."""
    size = crop // PATCH_SIZE
    skips = [torch.randn(batch, 768, size, size, requires_grad=True) for _ in range(2)]
    dense = F.normalize(torch.randn(batch, 512, size, size), dim=1).requires_grad_()
    return [*skips, dense]


def make_step(head: LanguageGuidedHead, inputs: List[torch.Tensor],
              bf16: bool) -> Callable[[], torch.Tensor]:
    def step() -> torch.Tensor:
        head.zero_grad(set_to_none=True)
        for x in inputs:
            x.grad = None
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            out = head(inputs)
        out.float().square().mean().backward()
        return out.detach()
    return step


def timed(step: Callable[[], torch.Tensor]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    heads: Dict[bool, LanguageGuidedHead] = {}
    for channels_last in (False, True):
        heads[channels_last] = LanguageGuidedHead(
            num_classes=args.num_classes, channels_last=channels_last).train()
    heads[True].load_state_dict(heads[False].state_dict())
    embeddings = torch.randn(args.num_classes, 512)
    for head in heads.values():
        head.set_text_embeddings(embeddings)
    inputs = make_inputs(args.batch, args.crop)

    print(f'LanguageGuidedHead (default, N={args.num_classes}), batch {args.batch}, '
          f'crop {args.crop}: inputs {[tuple(x.shape) for x in inputs]}, '
          f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    rows = []
    for precision in (['fp32', 'bf16'] if args.bf16 else ['fp32']):
        steps = {cl: make_step(head, inputs, precision == 'bf16') for cl, head in heads.items()}
        outs = {cl: step() for cl, step in steps.items()}  # warm-up; same logits either way
        diff = (outs[True].float() - outs[False].float()).abs().max().item()
        times: Dict[bool, List[float]] = {False: [], True: []}
        for _ in range(args.repeats):
            for cl, step in steps.items():
                times[cl].append(timed(step))
        medians = {cl: statistics.median(t) for cl, t in times.items()}
        rows.append((precision, medians[False], medians[True],
                     medians[True] / medians[False], diff, tuple(outs[True].shape)))

    header = (f'{"precision":<10}{"NCHW s":>10}{"channels_last s":>17}'
              f'{"ratio CL/NCHW":>15}{"max |diff|":>12}  output')
    print(header)
    print('-' * len(header))
    for precision, nchw, cl, ratio, diff, shape in rows:
        print(f'{precision:<10}{nchw:>10.3f}{cl:>17.3f}{ratio:>15.3f}{diff:>12.2e}  {shape}')
    print(f'median of {args.repeats} forward+backward passes after 1 warm-up; '
          'ratio < 1 means channels_last is faster')


if __name__ == '__main__':
    main()
