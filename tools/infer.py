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
Bad inputs end with a one-line error naming the culprit (exit status 2); with
``--skip-bad`` unreadable images are left out and listed at the end.

Memory: class scores are upsampled to the input size ``--tile-pixels`` rows at a time,
and labels, masks and overlays are computed and PNG-encoded band by band (nothing but the
decoded image exists at full size), so beyond the model (and its input at the test
pipeline's resolution) an image costs its decoding (6 bytes per pixel at the peak, as
OpenCV copies its buffer once; 3 stay) plus one tile of scores (``--tile-pixels`` x
(4 x classes + 16) bytes, ~100 MB for 21 classes) and one band of pictures (~40 MB).
``--max-memory`` (default 2 GiB) refuses, before decoding and with a message, an image
that would not fit: up to ~340 megapixels at the defaults. Measured: a 196-megapixel JPEG
peaks 1.06 GB above a small image's run (was ~160 bytes per pixel: 13 GB for
81 megapixels, killed at 22 GB for 196). This holds when the
test pipeline resizes the image for the model (every shipped config and --zero-shot do);
whole-image inference at full resolution costs what the model needs at that size.
"""
import argparse
import json
import logging
import os
import os.path as osp
import socket
import sys
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlparse

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_semivl  # noqa: E402,F401  (compat fixes + registration before mmseg)
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

from mmseg_semivl.apis import (CLIP_PREPROCESSOR, PredictionWriter,  # noqa: E402
                               build_zero_shot_model, collect_image_paths, configure_test_cfg,
                               inference_pipeline, init_semivl_model, output_names,
                               parse_class_list, predict_files, set_vocabulary,
                               zero_shot_test_pipeline)
from mmseg_semivl.apis.predictor import DEFAULT_TILE_PIXELS  # noqa: E402
from mmseg_semivl.models.backbones import TINY_CLIP_CFG, TINY_SCENES_CLIP_CFG  # noqa: E402
from mmseg_semivl.models.backbones.open_clip_builder import get_pretrained_tag_cfg  # noqa: E402
from mmseg_semivl.visualization import generate_palette  # noqa: E402

#: Defaults of the zero-shot CLIP when no config gives them.
DEFAULT_CLIP_MODEL = 'ViT-B-16'
DEFAULT_CLIP_PRETRAINED = 'openai'
DEFAULT_ZERO_SHOT_SIZE = 512
#: Keys of a config's data_preprocessor that define the normalisation.
NORMALISATION_KEYS = ('mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr', 'pad_val')
#: The plugin's own architectures, named as the configs name them (no open_clip entry).
PLUGIN_MODEL_CFGS = {'semivl-tiny': TINY_CLIP_CFG, 'semivl-tiny-scenes': TINY_SCENES_CLIP_CFG}
#: Seconds to wait for the weights' host before calling the machine offline.
#: ``--max-memory``: GiB one image may cost beyond the model.
DEFAULT_MAX_MEMORY_GIB = 2.0
DEFAULT_CONNECT_TIMEOUT = 5.0


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
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out unreadable images (listed at the end) instead of '
                        'stopping at the first')
    parser.add_argument('--tile-pixels', type=int, default=DEFAULT_TILE_PIXELS,
                        help='output pixels whose class scores are upsampled at once '
                        f'(memory: classes x 4 bytes each; default {DEFAULT_TILE_PIXELS})')
    parser.add_argument('--max-memory', type=float, default=DEFAULT_MAX_MEMORY_GIB,
                        metavar='GIB',
                        help='memory budget of one image beyond the model, in GiB: an image '
                        'whose decoding (6 bytes per pixel) plus one tile of scores does not '
                        'fit is refused (or skipped with --skip-bad) before decoding '
                        f'(default {DEFAULT_MAX_MEMORY_GIB:g})')
    parser.add_argument('--connect-timeout', type=float, default=DEFAULT_CONNECT_TIMEOUT,
                        help='seconds to wait for the CLIP weights\' download host before '
                        f'failing as offline (default {DEFAULT_CONNECT_TIMEOUT:g})')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, xxx=yyy format')
    return parser


def clip_model_and_cfg(name: str, model_cfg: Optional[dict]) -> Tuple[str, Optional[dict]]:
    """Accept the model names configs use: open_clip's, OpenAI's and the plugin's own.

    ``ViT-B/16`` (OpenAI's spelling) is open_clip's ``ViT-B-16``; ``semivl-tiny`` and
    ``semivl-tiny-scenes`` (the demo and scenes configs) come with their architecture.
    """
    if model_cfg is None and name in PLUGIN_MODEL_CFGS:
        return name, dict(PLUGIN_MODEL_CFGS[name])
    if model_cfg is None and '/' in name:
        return name.replace('/', '-'), None
    return name, model_cfg


def _weights_cached(tag_cfg: dict) -> bool:
    """Whether open_clip would find the tag's weights without a download."""
    hf_hub = tag_cfg.get('hf_hub', '')
    if hf_hub:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:  # open_clip then downloads from the URL
            pass
        else:
            # open_clip's convention: 'org/model/file' or 'org/model/' (default files).
            repo, filename = os.path.split(hf_hub)
            names = [filename] if filename else ['open_clip_model.safetensors',
                                                 'open_clip_pytorch_model.bin']
            if any(isinstance(try_to_load_from_cache(repo, name), str) for name in names):
                return True
    url = tag_cfg.get('url', '')
    return bool(url) and osp.isfile(osp.join(osp.expanduser('~/.cache/clip'),
                                             osp.basename(urlparse(url).path)))


def check_weights_reachable(model_name: str, pretrained: Optional[str], flag: str,
                            timeout: float = DEFAULT_CONNECT_TIMEOUT) -> None:
    """Fail fast when an open_clip tag must be downloaded and its host is unreachable.

    Without this, open_clip retries for about a minute offline and ends in a long
    traceback whose advice names a config key rather than the tool's flag.

    Raises:
        ValueError: One line naming the model, the tag, the host and ``flag``.
    """
    tag_cfg = get_pretrained_tag_cfg(model_name, pretrained)
    if not tag_cfg or 'file' in tag_cfg or _weights_cached(tag_cfg):
        return
    host = 'huggingface.co' if tag_cfg.get('hf_hub') else urlparse(tag_cfg.get('url', '')).hostname
    offline = os.environ.get('HF_HUB_OFFLINE', '').lower() in ('1', 'true', 'yes') and (
        host == 'huggingface.co')
    reason = 'HF_HUB_OFFLINE is set'
    if not offline:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            return
        except OSError as err:
            reason = f'{host} cannot be reached: {err}'
    raise ValueError(
        f"the CLIP weights '{pretrained}' of {model_name} are not downloaded yet and "
        f'{reason}; on an offline machine pass a local open_clip checkpoint file with '
        f'{flag} FILE')


def warn_about_vocabulary(definitions, text_pretrained: Optional[str]) -> None:
    """Warnings for class lists that run but give meaningless masks."""
    names = getattr(definitions, 'names', None)
    if names is not None and len(names) == 1:
        print_log(f'--classes names a single class ({names[0]!r}): the argmax of one class '
                  'is that class everywhere; add the alternatives (e.g. "background") to '
                  'get a segmentation.', logger='current', level=logging.WARNING)
    if text_pretrained is None:
        print_log('the text encoder has random weights (pretrained=None): the class '
                  'embeddings, and so the masks, mean nothing and differ on every run; '
                  'pass real CLIP weights (--clip-pretrained, or the config\'s '
                  'text_embeddings.pretrained).', logger='current', level=logging.WARNING)


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
        text_cfg = cfg.model.get('decode_head', {}).get('text_embeddings') or {}
        warn_about_vocabulary(definitions, text_cfg.get('pretrained'))
        check_weights_reachable(
            text_cfg.get('model_name', DEFAULT_CLIP_MODEL), text_cfg.get('pretrained'),
            '--cfg-options model.decode_head.text_embeddings.pretrained=', args.connect_timeout)
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
    model_name, model_cfg = clip_model_and_cfg(
        args.clip_model or guidance.get('model_name', DEFAULT_CLIP_MODEL),
        args.clip_model_cfg or guidance.get('model_cfg'))
    pretrained = args.clip_pretrained or guidance.get('pretrained', DEFAULT_CLIP_PRETRAINED)
    warn_about_vocabulary(definitions, pretrained)
    check_weights_reachable(model_name, pretrained, '--clip-pretrained', args.connect_timeout)
    model = build_zero_shot_model(
        definitions,
        model_name=model_name,
        pretrained=pretrained,
        model_cfg=model_cfg,
        img_size=img_size,
        templates=guidance.get('templates'),
        test_cfg=test_cfg,
        data_preprocessor=preprocessor,
        device=device)
    return model, pipeline


def image_budget(max_memory_gib: float, tile_pixels: int, num_classes: int,
                 band_pixels: int) -> int:
    """Bytes left for the decoded image: the budget less one tile of scores
    (classes x 4 + 16 bytes per pixel) and one band of pictures (~40 bytes per pixel)."""
    if max_memory_gib <= 0:
        raise ValueError(f'--max-memory must be > 0 GiB, got {max_memory_gib:g}')
    fixed = tile_pixels * (4 * num_classes + 16) + band_pixels * 40
    budget = int(max_memory_gib * 2**30) - fixed
    if budget <= 0:
        raise ValueError(f'--max-memory {max_memory_gib:g} GiB does not hold one tile of '
                         f'scores ({fixed / 2**30:.2f} GiB at --tile-pixels {tile_pixels}): '
                         'raise it or lower --tile-pixels')
    return budget


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
    skipped: List[Tuple[str, str]] = []
    written = []
    for path, image, labels in predict_files(
            model, paths, inference_pipeline(test_pipeline), args.batch_size,
            tile_pixels=args.tile_pixels, on_bad_image='skip' if args.skip_bad else 'raise',
            skipped=skipped, stream=True,
            max_image_bytes=image_budget(args.max_memory, args.tile_pixels, num_classes,
                                         writer.band_pixels)):
        writer.write(name_of[path], image, labels)
        written.append(name_of[path])
        progress.update()
    if skipped:
        sys.stdout.write('\n')
        sys.stderr.write(f'infer.py: skipped {len(skipped)} unreadable image(s) of '
                         f'{len(paths)} (--skip-bad):\n' +
                         ''.join(f'  {message}\n' for _, message in skipped))
    return written


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
