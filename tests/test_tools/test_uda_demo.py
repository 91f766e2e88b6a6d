"""tools/demo.py --task uda: both models train, metrics.json and the panel are written,
and --data-root reads a user's folders."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.e2e

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'tools', 'demo.py')


def run(args, tmp_path):
    env = dict(__import__('os').environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, DEMO, '--task', 'uda', '--iters', '2', *args],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_uda_demo_on_the_generated_miniature(tmp_path):
    from mmseg_semivl.demo.uda_scenes import flat_style, target_style  # noqa: F401
    out = tmp_path / 'out'
    proc = run(['--out', str(out), '--method', 'mic'], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert set(metrics) >= {'source_only', 'adapted', 'method', 'iterations'}
    assert metrics['method'] == 'mic' and metrics['iterations'] == 2
    for key in ('source_only', 'adapted'):
        assert 0 <= metrics[key]['mIoU'] <= 100
    panel = cv2.imread(str(out / 'panel.png'))
    assert panel is not None and panel.shape[0] > 4 * 64
    assert 'source-only  target mIoU' in proc.stdout
    # the miniature: 5 classes, source flat, target textured
    data = out / 'data'
    assert (data / 'classes.txt').read_text().split() == [
        'background', 'vegetation', 'water', 'sand', 'brick']
    for part in ('source/images', 'source/labels', 'target/images', 'target_val/labels'):
        assert (data / part).is_dir()


def test_uda_demo_reads_user_folders(tmp_path):
    root = tmp_path / 'mine'
    rng = np.random.default_rng(0)
    (root).mkdir()
    (root / 'classes.txt').write_text('road\ncar\n')
    for part, labeled in (('source', True), ('target', False), ('target_val', True)):
        for i in range(2):
            (root / part / 'images').mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / part / 'images' / f'{i}.png'),
                        rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
            if labeled:
                (root / part / 'labels').mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(root / part / 'labels' / f'{i}.png'),
                            rng.integers(0, 2, (64, 64), dtype=np.uint8))
    out = tmp_path / 'out'
    run(['--data-root', str(root), '--out', str(out), '--method', 'daformer'], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert 'folders under' in metrics['data'] and set(metrics['adapted']) >= {'mIoU'}


def test_uda_demo_runs_an_adversarial_method(tmp_path):
    """--method advent: the two-optimizer AdvEnt step on the same miniature and student."""
    out = tmp_path / 'out'
    run(['--out', str(out), '--method', 'advent'], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['method'] == 'advent' and metrics['iterations'] == 2
    assert 0 <= metrics['adapted']['mIoU'] <= 100
    import torch
    checkpoint = torch.load(str(out / 'adapted' / 'iter_2.pth'), map_location='cpu',
                            weights_only=False)
    # Two optimizers (segmentor SGD, discriminator Adam) and the discriminator's weights.
    assert sorted(checkpoint['optimizer']) == ['discriminator', 'segmentor']
    assert any(k.startswith('discriminators.main.') for k in checkpoint['state_dict'])


def test_uda_demo_dacs_vl_trains_plain_dacs_beside_and_reports_the_guidance(tmp_path):
    """--method dacs-vl: source-only, DACS and DACS + dense CLIP guidance (tiny-scenes-long)."""
    out = tmp_path / 'out'
    proc = run(['--out', str(out), '--method', 'dacs-vl', '--guidance-weight', '0.2'], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['method'] == 'dacs-vl' and metrics['guidance_weight'] == 0.2
    for key in ('source_only', 'plain', 'adapted'):
        assert 0 <= metrics[key]['mIoU'] <= 100
    zero_shot = metrics['guidance_zero_shot']
    assert 0 < zero_shot['mIoU'] <= 100 and 0 <= zero_shot['coverage'] <= 1
    assert 'dacs         target mIoU' in proc.stdout
    import torch
    state = torch.load(str(out / 'adapted' / 'iter_2.pth'), map_location='cpu',
                       weights_only=False)['state_dict']
    assert not any(k.startswith('guidance.') for k in state)  # frozen: never saved


def test_duda_demo_compares_the_small_student_with_dacs(tmp_path):
    from mmseg_semivl.demo.duda_demo import HEAVY, SMALL
    out = tmp_path / 'duda'
    proc = run(['--out', str(out), '--method', 'duda', '--seeds', '3'], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['iterations'] == 2 and list(metrics['results']) == ['3']
    for key in ('dacs', 'duda'):
        assert 0 <= metrics['results']['3'][key] <= 100
    assert metrics['small'] == SMALL and metrics['heavy'] == HEAVY
    ckpt = __import__('torch').load(str(out / 'duda_seed3' / 'iter_2.pth'), map_location='cpu',
                                    weights_only=False)['state_dict']
    width = ckpt['student.backbone.layers.0.0.projection.weight'].shape[0]
    heavy = ckpt['heavy.student.backbone.layers.0.0.projection.weight'].shape[0]
    assert (width, heavy) == (SMALL['embed_dims'], HEAVY['embed_dims'])
    assert 'seed  DACS   DUDA   margin' in proc.stdout


@pytest.mark.parametrize('method', ['dacs-planted', 'advent-planted'])
def test_uda_demo_planted_reference(tmp_path, method):
    """--method dacs-planted (advent-planted): a reference trained on labeled target-style
    scenes (its own stream) guides DACS (AdvEnt's target prediction); the reference's own
    mIoU is its guidance mIoU (same predictions)."""
    out = tmp_path / 'out'
    run(['--out', str(out), '--method', method], tmp_path)
    metrics = json.loads((out / 'metrics.json').read_text())
    assert metrics['method'] == method
    for key in ('source_only', 'plain', 'adapted', 'planted_reference'):
        assert 0 <= metrics[key]['mIoU'] <= 100
    assert metrics['guidance_zero_shot']['mIoU'] == pytest.approx(
        metrics['planted_reference']['mIoU'], abs=0.01)
    planted = out / 'planted_data'
    assert len(list((planted / 'source' / 'labels').glob('*.png'))) == 200
    assert (planted / 'target_val').resolve() == (out / 'data' / 'target_val').resolve()
