"""tools/benchmark_learning.py on a user's folder in VOC layout (--data-root)."""
import json

import cv2
import numpy as np
import pytest

from tools import benchmark_learning


def voc_folder(root, with_definitions=True):
    rng = np.random.default_rng(0)
    (root / 'JPEGImages').mkdir(parents=True)
    (root / 'SegmentationClass').mkdir()
    lines = []
    for i in range(5):
        cv2.imwrite(str(root / f'JPEGImages/{i}.jpg'),
                    rng.integers(0, 256, (80, 100, 3), dtype=np.uint8))
        cv2.imwrite(str(root / f'SegmentationClass/{i}.png'),
                    rng.integers(0, 3, (80, 100)).astype(np.uint8))
        lines.append(f'JPEGImages/{i}.jpg SegmentationClass/{i}.png')
    (root / 'labeled.txt').write_text('\n'.join(lines[:2]) + '\n')
    (root / 'unlabeled.txt').write_text('\n'.join(lines[2:4]) + '\n')
    (root / 'val.txt').write_text(lines[4] + '\n')
    (root / 'classes.txt').write_text('stone\nwater\nsand\n')
    if with_definitions:
        (root / 'class_definitions.yaml').write_text(
            'stone: [stone, asphalt]\nwater: [water]\nsand: [sand]\n')


def test_user_folder_rows(tmp_path):
    voc_folder(tmp_path / 'data')
    out = tmp_path / 'results.json'
    assert benchmark_learning.main([
        '--data-root', str(tmp_path / 'data'), '--rows', 'supervised', 'zero_shot',
        '--iters', '2', '--seeds', '0', '--work-dir', str(tmp_path / 'work'),
        '--json', str(out)]) == 0
    summary = json.loads(out.read_text())
    assert [(r['num_labeled'], r['row']) for r in summary['results']] == [
        (2, 'supervised'), (2, 'zero_shot')]
    assert all(0 <= r['mIoU'] <= 100 for r in summary['results'])
    assert summary['table'][0]['seeds'] == 1


def test_user_folder_missing_files_are_named(tmp_path):
    (tmp_path / 'data').mkdir()
    with pytest.raises(FileNotFoundError, match='labeled.txt, unlabeled.txt, val.txt'):
        benchmark_learning.main(['--data-root', str(tmp_path / 'data'), '--seeds', '0'])
