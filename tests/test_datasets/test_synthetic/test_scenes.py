"""Generated scenes: deterministic, labels follow the materials, captions name them."""
import cv2
import numpy as np
import pytest
import yaml

from mmseg_semivl.datasets.synthetic.scenes import (MATERIAL_INDEX, MATERIALS, SCENE_PALETTE,
                                                    SCENE_TASK, caption_scene,
                                                    material_to_class_lut, render_scene,
                                                    scene_seed, write_scene_dataset)
from mmseg_semivl.models.text.class_definitions import CLASS_DEFINITIONS_DIR


def test_scene_is_a_pure_function_of_its_seed():
    a = render_scene(scene_seed(3, 7), size=64)
    b = render_scene(scene_seed(3, 7), size=64)
    c = render_scene(scene_seed(3, 8), size=64)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.materials, b.materials)
    assert not np.array_equal(a.image, c.image)
    # Streams of one seed are independent: validation scenes are not training scenes.
    assert not np.array_equal(render_scene(scene_seed(3, 7, 'val'), size=64).image, a.image)


def test_material_map_matches_objects_and_background():
    scene = render_scene(scene_seed(0, 1), size=96, min_objects=3, max_objects=3,
                         confounder_prob=0.0)
    assert scene.image.shape == (96, 96, 3) and scene.image.dtype == np.uint8
    present = set(np.unique(scene.materials).tolist())
    expected = {MATERIAL_INDEX[scene.background]} | {MATERIAL_INDEX[o.material]
                                                     for o in scene.objects}
    assert present == expected
    for obj in scene.objects:  # visible areas add up per material
        same = [o.area for o in scene.objects if o.material == obj.material]
        assert (scene.materials == MATERIAL_INDEX[obj.material]).sum() == sum(same)


def test_lut_groups_materials_into_task_classes():
    lut = material_to_class_lut()
    assert lut[MATERIAL_INDEX['grass']] == lut[MATERIAL_INDEX['bark']] == 1  # vegetation
    assert lut[MATERIAL_INDEX['stone']] == lut[MATERIAL_INDEX['asphalt']] == 0
    assert [lut[MATERIAL_INDEX[m]] for m in ('water', 'sand', 'brick')] == [2, 3, 4]
    with pytest.raises(ValueError, match="'asphalt'"):
        material_to_class_lut({'background': ['stone'], 'rest': ['grass', 'bark', 'water',
                                                                  'sand', 'brick']})


def test_caption_names_only_visible_materials():
    rng = scene_seed(0, 5)
    scene = render_scene(rng, size=64)
    caption = caption_scene(scene, rng)
    assert caption.startswith('a photo of') and caption.endswith('.')
    named = {m.name for m in MATERIALS if f' {m.name} ' in f' {caption[:-1]} '}
    assert named <= {o.material for o in scene.objects} | {scene.background}
    # The task's class names are never caption words (Sec. 3.6's situation).
    assert 'vegetation' not in caption and 'background' not in caption
    assert len(caption.split()) <= 30  # fits the 32-token context with SOT/EOT


def test_class_definitions_yaml_is_the_task():
    with open(CLASS_DEFINITIONS_DIR / 'scenes.yaml') as f:
        assert yaml.safe_load(f) == SCENE_TASK
    assert len(SCENE_PALETTE) == len(SCENE_TASK)


def test_written_dataset_layout(tmp_path):
    paths = write_scene_dataset(str(tmp_path), num_labeled=2, num_unlabeled=3, num_val=2,
                                size=48)
    lines = {k: (tmp_path / paths[k]).read_text().split('\n')[:-1]
             for k in ('labeled', 'unlabeled', 'val')}
    assert [len(v) for v in lines.values()] == [2, 3, 2]
    image, label = lines['unlabeled'][0].split()
    assert cv2.imread(str(tmp_path / image)).shape == (48, 48, 3)
    values = np.unique(cv2.imread(str(tmp_path / label), cv2.IMREAD_UNCHANGED))
    assert set(values.tolist()) <= set(range(len(SCENE_TASK)))
    assert (tmp_path / 'classes.txt').read_text().split() == list(SCENE_TASK)
    # Idempotent: a second call rewrites nothing (same collection).
    before = (tmp_path / image).stat().st_mtime_ns
    write_scene_dataset(str(tmp_path), num_labeled=2, num_unlabeled=3, num_val=2, size=48)
    assert (tmp_path / image).stat().st_mtime_ns == before
