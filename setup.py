"""Install mmseg-semivl.

``install_requires`` states the ranges the code supports so that GPU users can keep
their own CUDA build of torch; ``requirements.txt`` pins the exact stack that CI tests.
mmcv is deliberately *not* listed: like MMSeg, we leave the choice between full mmcv
(compiled CUDA ops, ``mim install "mmcv>=2.0.0rc4,<2.2.0"``) and ``mmcv-lite`` to the
user, because the two must never be installed side by side. ``pip install
mmseg-semivl[lite]`` pulls mmcv-lite for CPU-only machines.
"""
from setuptools import find_packages, setup


def read_version() -> str:
    namespace: dict = {}
    with open('mmseg_semivl/version.py') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmseg-semivl',
    version=read_version(),
    description='SemiVL: semi-supervised semantic segmentation with vision-language '
    'guidance, as an MMSegmentation 1.x plugin',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmseg_semivl', 'mmseg_semivl.*']),
    include_package_data=True,
    package_data={
        'mmseg_semivl': ['class_definitions/*.yaml', 'splits/*/*.txt', 'splits/*/*/*.txt',
                         'splits/README.md', 'tiny_clip/*.pt'],
    },
    install_requires=[
        'torch>=2.1',
        'torchvision>=0.16',
        'mmengine>=0.10.0,<1.0.0',
        'mmsegmentation>=1.2.0,<1.3.0',
        'open_clip_torch>=2.23',
        'ftfy',
        'regex',
        'pyyaml',
        'numpy',
        'opencv-python',
    ],
    extras_require={
        # mmseg 1.2.x refuses mmcv >= 2.2.0.
        'lite': ['mmcv-lite>=2.0.0rc4,<2.2.0'],
        'full': ['mmcv>=2.0.0rc4,<2.2.0'],
        'demo': ['imgviz', 'scikit-image'],
        'tests': ['pytest', 'imgviz', 'scikit-image'],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
)
