"""Segment your own images with a trained model, a new class list, or CLIP alone.

Examples::

    # a trained model (its config and checkpoint) on files, folders and globs
    python tools/infer.py CONFIG CHECKPOINT photos/ 'more/*.jpg' img.png --out preds
    # the same model on a new class list (open vocabulary)
    python tools/infer.py CONFIG CHECKPOINT photos/ --out preds --classes "road,car,person"
    python tools/infer.py CONFIG CHECKPOINT photos/ --out preds --class-defs my_classes.yaml
    # zero-shot dense CLIP (MaskCLIP), no checkpoint
    python tools/infer.py --zero-shot photos/ --out preds --class-defs voc
    python tools/infer.py --zero-shot CONFIG - photos/ --out preds  # the config's guidance CLIP

Writes ``DIR/masks/<name>.png`` (colour masks), ``DIR/overlays/<name>.png`` and, with
``--save-labels``, ``DIR/labels/<name>.png`` (class indices), all at the input size.
Bad inputs end with a one-line error naming the culprit (exit status 2).
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from mmseg_semivl.apis import (CLIP_PREPROCESSOR, PredictionWriter,  # noqa: E402
                               build_zero_shot_model, collect_image_paths, configure_test_cfg,
                               inference_pipeline, init_semivl_model, output_names,
                               parse_class_list, predict_files, set_vocabulary,
                               zero_shot_test_pipeline)
from mmseg_semivl.visualization import generate_palette  # noqa: E402

#: Defaults of the zero-shot CLIP when no config gives them.
DEFAULT_CLIP_MODEL = 'ViT-B-16'
DEFAULT_CLIP_PRETRAINED = 'openai'
DEFAULT_ZERO_SHOT_SIZE = 512
#: Keys of a config's data_preprocessor that define the normalisation.
NORMALISATION_KEYS = ('mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr', 'pad_val')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='infer.py',
        description='Segment images with a SemiVL model (or zero-shot CLIP)',
        usage='%(prog)s CONFIG CHECKPOINT INPUT [INPUT ...] --out DIR [options]\n'
        '       %(prog)s --zero-shot [CONFIG [-]] INPUT [INPUT ...] --out DIR [options]')
    parser.add_argument(
        'paths', nargs='+', metavar='CONFIG CHECKPOINT INPUT',
        help='config and checkpoint (with --zero-shot: an optional config, optionally '
        "followed by '-'), then images, folders or glob patterns")
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--save-labels', action='store_true',
                        help='also write raw label PNGs (class indices)')
    parser.add_argument('--opacity', type=float, default=0.5, help='mask weight of overlays')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--device', default=None,
                        help="e.g. 'cuda', 'cuda:1', 'cpu'; default cuda when available")
    parser.add_argument('--mode', choices=['whole', 'slide'],
                        help="inference mode; default the config's test_cfg")
    parser.add_argument('--crop-size', type=int, nargs='+', metavar='SIZE',
                        help='sliding-window size: one value or H W')
    parser.add_argument('--stride', type=int, nargs='+', metavar='SIZE',
                        help='sliding-window stride: one value or H W (default 2/3 crop)')
    vocabulary = parser.add_mutually_exclusive_group()
    vocabulary.add_argument('--classes', help='comma-separated class names, e.g. "road,car"')
    vocabulary.add_argument(
        '--class-defs', help='class definitions: a shipped name (voc, cityscapes, coco, '
        'ade20k, ...) or a YAML file mapping each class to its concepts')
    zero_shot = parser.add_argument_group('zero-shot dense CLIP (MaskCLIP)')
    zero_shot.add_argument('--zero-shot', action='store_true',
                           help='segment with a frozen CLIP alone; no checkpoint')
    zero_shot.add_argument('--clip-model', help=f'open_clip model (default {DEFAULT_CLIP_MODEL})')
    zero_shot.add_argument(
        '--clip-pretrained', help='open_clip tag or checkpoint file (default '
        f'{DEFAULT_CLIP_PRETRAINED})')
    zero_shot.add_argument('--clip-model-cfg', type=json.loads, metavar='JSON',
                           help='explicit open_clip architecture as JSON (tiny test models)')
    zero_shot.add_argument(
        '--img-size', type=int, help='CLIP input size, and the short side images are resized '
        f'to without a config (default {DEFAULT_ZERO_SHOT_SIZE})')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy format')
    return parser


def split_paths(args: argparse.Namespace) -> Tuple[Optional[str], Optional[str], List[str]]:
    """(config, checkpoint, inputs) from the positional arguments."""
    paths = list(args.paths)
    if args.zero_shot:
        config = paths.pop(0) if paths[0].endswith('.py') else None
        if config is not None and paths and paths[0] == '-':
            paths.pop(0)
        checkpoint = None
    else:
        if len(paths) < 3:
            raise ValueError('expected CONFIG CHECKPOINT INPUT...; got '
                             f'{len(paths)} positional argument(s) (use --zero-shot to run '
                             'without a checkpoint)')
        config, checkpoint = paths.pop(0), paths.pop(0)
        if checkpoint == '-':
            raise ValueError("a checkpoint is required without --zero-shot, got '-'")
    if config is not None and not osp.isfile(config):
        raise FileNotFoundError(f"config file not found: '{config}'")
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f"checkpoint file not found: '{checkpoint}'")
    if not paths:
        raise ValueError('no input image, folder or pattern given')
    return config, checkpoint, paths


def class_definitions_arg(args: argparse.Namespace):
    """The class list of --classes / --class-defs, or None."""
    if args.classes is not None:
        return parse_class_list(args.classes)
    return args.class_defs


def build_trained_model(args: argparse.Namespace, cfg: Config, checkpoint: str,
                        device: str) -> torch.nn.Module:
    model = init_semivl_model(cfg, checkpoint, device=device)
    definitions = class_definitions_arg(args)
    if definitions is not None:
        # A class given by its concepts is embedded as their mean (one embedding per
        # class, as the decoder needs); a bare name list by the names.
        aggregation = 'name' if args.classes is not None else 'mean'
        set_vocabulary(model, definitions, aggregation=aggregation, config=cfg, device=device)
    return model


def build_zero_shot(args: argparse.Namespace, cfg: Optional[Config],
                    device: str) -> Tuple[torch.nn.Module, Sequence[dict]]:
    """The zero-shot model and its test pipeline, from the config and/or the CLI."""
    guidance = dict(cfg.model.get('guidance') or {}) if cfg is not None else {}
    definitions = class_definitions_arg(args) or guidance.get('class_definitions')
    if definitions is None:
        raise ValueError('zero-shot mode needs --classes or --class-defs (or a config '
                         'with model.guidance.class_definitions)')
    img_size = args.img_size or guidance.get('img_size', DEFAULT_ZERO_SHOT_SIZE)
    preprocessor = dict(CLIP_PREPROCESSOR)
    if cfg is not None:
        config_preprocessor = cfg.model.get('data_preprocessor') or {}
        preprocessor.update(
            {k: config_preprocessor[k] for k in NORMALISATION_KEYS if k in config_preprocessor})
        pipeline = cfg.test_pipeline
        test_cfg = dict(cfg.model.test_cfg) if cfg.model.get('test_cfg') else None
    else:
        pipeline, test_cfg = zero_shot_test_pipeline(img_size), None
    model = build_zero_shot_model(
        definitions,
        model_name=args.clip_model or guidance.get('model_name', DEFAULT_CLIP_MODEL),
        pretrained=args.clip_pretrained or guidance.get('pretrained', DEFAULT_CLIP_PRETRAINED),
        model_cfg=args.clip_model_cfg or guidance.get('model_cfg'),
        img_size=img_size,
        templates=guidance.get('templates'),
        test_cfg=test_cfg,
        data_preprocessor=preprocessor,
        device=device)
    return model, pipeline


def run(args: argparse.Namespace) -> List[str]:
    """Segment every input; returns the written output names."""
    config, checkpoint, inputs = split_paths(args)
    paths = collect_image_paths(inputs)
    names = output_names(paths)
    cfg = None
    if config is not None:
        cfg = Config.fromfile(config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if args.zero_shot:
        model, test_pipeline = build_zero_shot(args, cfg, device)
    else:
        model, test_pipeline = build_trained_model(args, cfg, checkpoint, device), cfg.test_pipeline
    configure_test_cfg(model, args.mode, args.crop_size, args.stride)

    num_classes = model.num_classes
    palette = (model.dataset_meta or {}).get('palette')
    if palette is None or len(palette) != num_classes:
        palette = generate_palette(num_classes)
    writer = PredictionWriter(args.out, palette, args.opacity, args.save_labels)
    progress = ProgressBar(len(paths))
    name_of = dict(zip(paths, names))
    for path, image, labels in predict_files(model, paths, inference_pipeline(test_pipeline),
                                             args.batch_size):
        writer.write(name_of[path], image, labels)
        progress.update()
    return names


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = build_parser()
    # Intermixed: options may come between the inputs (`a.jpg --out d b.jpg`).
    args = parser.parse_intermixed_args(argv)
    try:
        run(args)
    except (FileNotFoundError, ValueError) as err:
        # Bad inputs (files, class lists, options) are the user's to fix: one line.
        message = ' '.join(str(err).split())
        parser.exit(2, f'{parser.prog}: error: {message}\n')


if __name__ == '__main__':
    main()
