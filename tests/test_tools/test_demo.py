"""tools/demo.py --quick: the README's first command, end to end, offline."""
import json

import cv2

from tools import demo
import pytest

pytestmark = pytest.mark.e2e


def test_quick_demo_writes_metrics_and_picture(tmp_path):
    assert demo.main(['--quick', '--work-dir', str(tmp_path), '--num-labeled', '4']) == 0
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert metrics['iterations'] == 4
    for key in ('supervised_only', 'semivl'):
        assert set(metrics[key]) >= {'mIoU', 'aAcc', 'mAcc'}
        assert 0.0 <= metrics[key]['mIoU'] <= 100.0
    assert metrics['num_labeled'] == 4 and metrics['num_unlabeled'] == 236
    assert 'tiny-scenes' in metrics['clip']
    panel = cv2.imread(str(tmp_path / 'panel.png'))
    # 6 rows (3 validation + 3 unlabeled scenes) of 6 tiles (image + 5 maps) of 96 px.
    assert panel.shape[1] >= 6 * 96 and panel.shape[0] >= 6 * 96
    assert metrics['panel'] == str(tmp_path / 'panel.png')
