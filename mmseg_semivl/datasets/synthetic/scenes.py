"""Generated scenes of textured objects, with captions and per-pixel material labels.

The world is designed for what a CLIP small enough to pretrain on two CPU cores can
learn (issue 13's probe: colour and texture words within minutes, shape words not at
all): *materials* carry identity through a colour and a texture, as real "stuff" classes
do, while shape, size, position, count, lighting and same-coloured confounders vary
freely, so that a segmentation model that saw a handful of labeled scenes has not seen
most of the appearance space. Every draw comes from a ``numpy.random.Generator``: a
scene is a pure function of its seed.

Two uses share the renderer:

* contrastive pre-training of a tiny CLIP on ``(image, caption)`` pairs
  (``tools/pretrain_tiny_clip.py``);
* a segmentation task whose classes group materials (``SCENE_TASK``), written in VOC
  layout by :func:`write_scene_dataset` (``tools/benchmark_learning.py``, the demo).

The task's class *names* ('vegetation', 'background') never occur in captions, while
their *concepts* ('grass', 'bark'; 'stone', 'asphalt') do: exactly the situation that
SemiVL's class definitions address (Sec. 3.6), where a dataset's class name is not the
word the vision-language model knows the appearance by.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np


@dataclass(frozen=True)
class Material:
    """A surface: caption word, colour word, mean RGB, texture and texture word."""
    name: str
    colour: str
    rgb: Tuple[int, int, int]
    texture: str
    texture_word: str


#: Object materials first, background materials last (order = material index).
MATERIALS: Tuple[Material, ...] = (
    Material('grass', 'green', (70, 165, 55), 'speckled', 'speckled'),
    Material('bark', 'brown', (125, 80, 40), 'striped', 'striped'),
    Material('water', 'blue', (40, 95, 205), 'wavy', 'wavy'),
    Material('sand', 'yellow', (225, 200, 85), 'dotted', 'dotted'),
    Material('brick', 'red', (195, 50, 45), 'bricks', 'bricked'),
    Material('stone', 'gray', (135, 135, 135), 'mottled', 'mottled'),
    Material('asphalt', 'black', (45, 45, 50), 'plain', 'smooth'),
)
MATERIAL_INDEX: Dict[str, int] = {m.name: i for i, m in enumerate(MATERIALS)}
BACKGROUND_MATERIALS: Tuple[str, ...] = ('stone', 'asphalt')
OBJECT_MATERIALS: Tuple[str, ...] = tuple(
    m.name for m in MATERIALS if m.name not in BACKGROUND_MATERIALS)
SHAPES: Tuple[str, ...] = ('disc', 'square', 'triangle', 'ring', 'blob')

#: The segmentation task on these scenes: class name -> its concepts (materials).
#: Written to ``class_definitions/scenes.yaml`` as well (a test keeps the two equal).
SCENE_TASK: Dict[str, List[str]] = {
    'background': ['stone', 'asphalt'],
    'vegetation': ['grass', 'bark'],
    'water': ['water'],
    'sand': ['sand'],
    'brick': ['brick'],
}
SCENE_PALETTE: List[List[int]] = [[0, 0, 0], [60, 160, 60], [40, 90, 200], [220, 200, 90],
                                  [190, 50, 40]]


@dataclass
class SceneObject:
    """One object of a scene (for captions)."""
    material: str
    shape: str
    size: str  # 'small' or 'large'
    area: int  # visible pixels after occlusion


@dataclass
class Scene:
    """A rendered scene.

    Attributes:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        materials (np.ndarray): (H, W) uint8 material index per pixel.
        background (str): Background material.
        objects (list[SceneObject]): Objects, in drawing order (later ones on top).
    """
    image: np.ndarray
    materials: np.ndarray
    background: str
    objects: List[SceneObject]


def material_to_class_lut(task: Dict[str, Sequence[str]] = SCENE_TASK) -> np.ndarray:
    """(num_materials,) uint8 class index of every material under ``task``."""
    lut = np.full(len(MATERIALS), 255, dtype=np.uint8)
    for cls, concepts in enumerate(task.values()):
        for concept in concepts:
            lut[MATERIAL_INDEX[concept]] = cls
    if (lut == 255).any():
        missing = [MATERIALS[i].name for i in np.flatnonzero(lut == 255)]
        raise ValueError(f'scene task leaves materials {missing} without a class')
    return lut


def _texture(material: Material, size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size, 3) float32 RGB of the material, with its texture and a colour jitter."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    period = size / rng.uniform(5.0, 9.0)
    phase = rng.uniform(0, 2 * np.pi)
    kind = material.texture
    if kind == 'speckled':
        noise = rng.standard_normal((size, size)).astype(np.float32)
        mod = 0.22 * cv2.GaussianBlur(noise, (3, 3), 0.7) / 0.45
    elif kind == 'mottled':  # low-frequency blotches: stone is not grass in a green light
        noise = rng.standard_normal((size, size)).astype(np.float32)
        blotches = cv2.GaussianBlur(noise, (0, 0), size / 24)
        mod = 0.25 * blotches / (blotches.std() + 1e-6)
    elif kind == 'striped':
        angle = rng.uniform(-0.3, 0.3) + np.pi / 2  # roughly vertical, like bark
        t = xx * np.cos(angle - np.pi / 2) + yy * np.sin(angle - np.pi / 2)
        mod = 0.3 * np.sign(np.sin(2 * np.pi * t / period + phase))
    elif kind == 'wavy':
        mod = 0.28 * np.sin(2 * np.pi * (yy + 0.12 * period * np.sin(xx / period * 2.5)) /
                            period + phase)
    elif kind == 'dotted':
        cell = max(3.0, period * 0.6)
        dy = (yy + phase) % cell - cell / 2
        dx = (xx + 2 * phase) % cell - cell / 2
        mod = np.where(dx * dx + dy * dy < (cell * 0.25)**2, -0.35, 0.08)
    elif kind == 'bricks':
        row_h = max(3.0, period * 0.7)
        row = np.floor((yy + phase) / row_h)
        brick_w = 2 * row_h
        offset = (row % 2) * brick_w / 2
        mortar = (((yy + phase) % row_h) < 1.0) | (((xx + offset) % brick_w) < 1.0)
        mod = np.where(mortar, -0.45, 0.05)
    else:  # plain
        mod = np.zeros((size, size), np.float32)
    jitter = rng.uniform(0.85, 1.15, size=3)  # the same material is never the same twice
    rgb = np.asarray(material.rgb, np.float32) * jitter
    return rgb[None, None, :] * (1.0 + mod[..., None])


def _shape_mask(shape: str, size: int, cx: float, cy: float, radius: float,
                rng: np.random.Generator) -> np.ndarray:
    """(size, size) bool mask of one shape."""
    mask = np.zeros((size, size), np.uint8)
    c = (int(round(cx)), int(round(cy)))
    r = max(2, int(round(radius)))
    if shape == 'disc':
        cv2.circle(mask, c, r, 1, -1)
    elif shape == 'ring':
        cv2.circle(mask, c, r, 1, -1)
        cv2.circle(mask, c, max(1, int(r * 0.55)), 0, -1)
    elif shape == 'square':
        angle = rng.uniform(0, 90)
        box = cv2.boxPoints(((cx, cy), (1.7 * r, 1.7 * r), angle))
        cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1)
    elif shape == 'triangle':
        start = rng.uniform(0, 2 * np.pi)
        pts = [(cx + r * np.cos(start + k * 2 * np.pi / 3), cy + r * np.sin(start + k * 2 * np.pi / 3))
               for k in range(3)]
        cv2.fillPoly(mask, [np.round(np.array(pts)).astype(np.int32)], 1)
    else:  # blob: a random star-shaped polygon
        n = 9
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = r * rng.uniform(0.55, 1.1, n)
        pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
    return mask.astype(bool)


def render_scene(rng: np.random.Generator,
                 size: int = 96,
                 max_objects: int = 4,
                 min_objects: int = 1,
                 confounder_prob: float = 0.35,
                 lighting: float = 0.2,
                 noise_std: float = 6.0) -> Scene:
    """Draw one scene.

    Args:
        rng (np.random.Generator): Source of every random choice.
        size (int): Side of the square image in pixels.
        max_objects (int): Most object-material objects per scene.
        min_objects (int): Fewest object-material objects per scene.
        confounder_prob (float): Chance of an extra object made of the *other*
            background material (shape cues alone then mislead).
        lighting (float): Strength of the per-image colour cast: channel gains are
            drawn from [1 - lighting, 1 + lighting] (a few labeled scenes see few
            lighting conditions; unlabeled ones see the rest).
        noise_std (float): Std of the additive pixel noise (0-255 scale).

    Returns:
        Scene: The image, the material map and what a caption needs.
    """
    background = BACKGROUND_MATERIALS[rng.integers(len(BACKGROUND_MATERIALS))]
    image = _texture(MATERIALS[MATERIAL_INDEX[background]], size, rng)
    materials = np.full((size, size), MATERIAL_INDEX[background], np.uint8)
    drawn: List[Tuple[str, str, str, np.ndarray]] = []
    count = int(rng.integers(min_objects, max_objects + 1))
    names = [OBJECT_MATERIALS[i] for i in rng.integers(len(OBJECT_MATERIALS), size=count)]
    if rng.random() < confounder_prob:
        names.insert(int(rng.integers(len(names) + 1)),
                     [b for b in BACKGROUND_MATERIALS if b != background][0])
    for name in names:
        large = rng.random() < 0.5
        radius = size * (rng.uniform(0.17, 0.3) if large else rng.uniform(0.07, 0.14))
        cx, cy = rng.uniform(0.1 * size, 0.9 * size, 2)
        shape = SHAPES[rng.integers(len(SHAPES))]
        mask = _shape_mask(shape, size, cx, cy, radius, rng)
        material = MATERIALS[MATERIAL_INDEX[name]]
        image[mask] = _texture(material, size, rng)[mask]
        materials[mask] = MATERIAL_INDEX[name]
        drawn.append((name, shape, 'large' if large else 'small', mask))
    gains = rng.uniform(1 - lighting, 1 + lighting, size=3) * rng.uniform(0.8, 1.15)
    image = image * gains[None, None, :] + rng.normal(0, noise_std, image.shape)
    objects = []
    for i, (name, shape, size_word, mask) in enumerate(drawn):
        visible = mask.copy()
        for *_, later in drawn[i + 1:]:
            visible &= ~later
        if visible.any():
            objects.append(SceneObject(name, shape, size_word, int(visible.sum())))
    return Scene(np.clip(image, 0, 255).astype(np.uint8), materials, background, objects)


def caption_scene(scene: Scene, rng: np.random.Generator, max_described: int = 3) -> str:
    """A caption naming the largest objects and the background.

    Attributes are dropped at random so that each word is learnt on its own, e.g.
    ``'a photo of a large green grass disc and a small red bricked square on gray stone.'``

    Args:
        scene (Scene): The scene.
        rng (np.random.Generator): For the wording.
        max_described (int): Objects named at most (the largest visible ones).

    Returns:
        str: The caption (fits a 32-token context).
    """
    objects = sorted(scene.objects, key=lambda o: -o.area)[:max_described]
    rng.shuffle(objects)
    phrases = []
    for obj in objects:
        m = MATERIALS[MATERIAL_INDEX[obj.material]]
        words = []
        if rng.random() < 0.5:
            words.append(obj.size)
        if rng.random() < 0.8:
            words.append(m.colour)
        if rng.random() < 0.4:
            words.append(m.texture_word)
        if rng.random() < 0.85:
            words.append(m.name)
        words.append(obj.shape if rng.random() < 0.7 else 'object')
        phrases.append('a ' + ' '.join(words))
    bg = MATERIALS[MATERIAL_INDEX[scene.background]]
    background = f'{bg.colour} {bg.name}' if rng.random() < 0.5 else bg.name
    if not phrases:
        return f'a photo of {background}.'
    return f'a photo of {" and ".join(phrases)} on {background}.'


#: Independent streams of one seed: training scenes, validation scenes, captions.
STREAMS = {'train': 0, 'val': 1, 'pretrain': 2, 'pretrain_eval': 3, 'oracle': 4}


def scene_seed(seed: int, index: int, stream: str = 'train') -> np.random.Generator:
    """The generator of scene ``index`` of stream ``stream`` of the collection ``seed``."""
    return np.random.default_rng([seed, STREAMS[stream], index])


def write_scene_dataset(root: str,
                        num_labeled: int,
                        num_unlabeled: int,
                        num_val: int,
                        size: int = 96,
                        seed: int = 0,
                        task: Dict[str, Sequence[str]] = SCENE_TASK,
                        **render_kwargs) -> Dict[str, str]:
    """Write a segmentation task on generated scenes in VOC layout.

    ``images/*.png``, ``labels/*.png`` (class indices under ``task``), split lists
    ``splits/{labeled,unlabeled,val}.txt`` of ``<image> <label>`` lines (the unlabeled
    list keeps its labels, so pseudo-label quality can be logged; training never
    reads them as targets), and ``classes.txt``. Idempotent: existing files of the same
    collection are reused.

    Args:
        root (str): Output folder.
        num_labeled (int): Labeled training scenes (indices ``0 .. num_labeled - 1``).
        num_unlabeled (int): Unlabeled training scenes (the next indices).
        num_val (int): Validation scenes (their own stream: never training scenes).
        size (int): Image side.
        seed (int): Collection seed.
        task (dict): Class name -> materials.
        **render_kwargs: Passed to :func:`render_scene`.

    Returns:
        dict[str, str]: 'root' and the relative paths of the split lists and 'classes'.
    """
    out = Path(root)
    for sub in ('images', 'labels', 'splits'):
        (out / sub).mkdir(parents=True, exist_ok=True)
    lut = material_to_class_lut(task)

    def write(name: str, rng: np.random.Generator) -> str:
        img_path, lab_path = out / 'images' / f'{name}.png', out / 'labels' / f'{name}.png'
        if not (img_path.is_file() and lab_path.is_file()):
            scene = render_scene(rng, size=size, **render_kwargs)
            cv2.imwrite(str(lab_path), lut[scene.materials])
            cv2.imwrite(str(img_path), scene.image[..., ::-1])
        return f'images/{name}.png labels/{name}.png'

    splits = {
        'labeled': [write(f'train_{i:05d}', scene_seed(seed, i)) for i in range(num_labeled)],
        'unlabeled': [
            write(f'train_{i:05d}', scene_seed(seed, i))
            for i in range(num_labeled, num_labeled + num_unlabeled)
        ],
        'val': [write(f'val_{i:05d}', scene_seed(seed, i, 'val')) for i in range(num_val)],
    }
    paths = {'root': str(out)}
    for split, lines in splits.items():
        (out / 'splits' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
        paths[split] = f'splits/{split}.txt'
    (out / 'classes.txt').write_text('\n'.join(task) + '\n')
    paths['classes'] = 'classes.txt'
    return paths
