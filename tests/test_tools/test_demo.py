"""tools/demo.py --quick: the README's first command, end to end, offline."""
import json

from tools import demo


def test_quick_demo_writes_metrics_and_picture(tmp_path):
    summary = demo.main(['--quick', '--offline', '--work-dir', str(tmp_path)])
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert metrics['iterations'] == 4
    assert set(metrics['metrics']) >= {'mIoU', 'aAcc', 'mAcc'}
    assert 0.0 <= metrics['metrics']['mIoU'] <= 100.0
    assert metrics['meaningful'] is False  # random tiny CLIP: said so, not hidden
    import cv2
    panel = cv2.imread(str(tmp_path / 'panel.png'))
    # 4 rows (1 validation + 3 unlabeled images) of 5 tiles (image + 4 maps) of 128 px.
    assert panel.shape[1] >= 5 * 128 and panel.shape[0] >= 4 * 128
    assert summary['panel'] == str(tmp_path / 'panel.png')
