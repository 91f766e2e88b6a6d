"""MMSeg's own API on our configs: ``custom_imports`` loads the plugin (docs/compatibility.md)."""
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_CONFIG = os.path.join(REPO_ROOT, 'configs', 'demo', 'semivl_tiny_demo.py')

# Stands for full mmcv's compiled ops, which mmseg's import needs (mmcv-lite has none).
FAKE_COMPILED_OPS = '''
import sys, types
class Ext(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return lambda *a, **k: None
sys.modules['mmcv._ext'] = Ext('mmcv._ext')
'''
INFER = f'''
from mmseg.apis import inference_model, init_model
import sys, numpy as np
imported_first = 'mmseg_semivl' in sys.modules
model = init_model({DEMO_CONFIG!r}, device='cpu')
result = inference_model(model, np.zeros((64, 96, 3), np.uint8))
print(imported_first, type(model).__name__, tuple(result.pred_sem_seg.shape))
'''


def _run(code):
    return subprocess.run([sys.executable, '-c', code], cwd='/', capture_output=True, text=True,
                          env=dict(os.environ, OMP_NUM_THREADS='1'), timeout=600)


def test_init_model_from_the_config_alone_with_full_mmcv():
    result = _run(FAKE_COMPILED_OPS + INFER)
    assert result.returncode == 0, result.stderr[-3000:]
    # mmseg_semivl was not imported by the user: the config's custom_imports did it.
    assert result.stdout.split('\n')[-2] == 'False SemiSupervisedSegmentor (64, 96)'


def test_with_mmcv_lite_the_documented_line_comes_first():
    result = _run('import mmseg_semivl\n' + INFER)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split('\n')[-2] == 'True SemiSupervisedSegmentor (64, 96)'
