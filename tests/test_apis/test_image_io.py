"""Finding and reading inference inputs: files, folders, globs and their errors."""

import cv2
import numpy as np
import pytest

from mmseg_semivl.apis import collect_image_paths, output_names, read_image


@pytest.fixture
def image_tree(tmp_path):
    for name in ('b.png', 'a.jpg', 'notes.txt', 'sub/c.png'):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith('.txt'):
            path.write_text('not an image')
        else:
            cv2.imwrite(str(path), np.zeros((4, 6, 3), np.uint8))
    return tmp_path


def test_folders_globs_and_files_expand_in_order(image_tree):
    folder = str(image_tree)
    paths = collect_image_paths([folder, f'{folder}/**/*.png', f'{folder}/a.jpg'])
    # The folder gives its own images (sorted, no sub-folders, no text file); the glob
    # adds the sub-folder image; b.png and a.jpg are not repeated.
    assert paths == [f'{folder}/a.jpg', f'{folder}/b.png', f'{folder}/sub/c.png']


@pytest.mark.parametrize('make_input, culprit', [
    (lambda root: str(root / 'missing.png'), 'missing.png'),
    (lambda root: str(root / 'empty'), 'empty'),
    (lambda root: str(root / '*.tif'), '*.tif'),
])
def test_missing_inputs_are_named(image_tree, make_input, culprit):
    (image_tree / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=culprit.replace('*', r'\*')):
        collect_image_paths([make_input(image_tree)])


def test_output_name_clash_names_both_files(image_tree):
    assert output_names(['x/a.jpg', 'x/b.png']) == ['a', 'b']
    with pytest.raises(ValueError, match="'x/a.jpg' and 'y/a.png'"):
        output_names(['x/a.jpg', 'y/a.png'])


def test_read_image_bgr_and_undecodable_file(image_tree):
    rgb = np.zeros((3, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    cv2.imwrite(str(image_tree / 'red.png'), rgb[..., ::-1])
    image = read_image(str(image_tree / 'red.png'))
    assert image.shape == (3, 5, 3) and image[0, 0].tolist() == [0, 0, 200]  # BGR
    with pytest.raises(ValueError, match="cannot read image '.*notes.txt'"):
        read_image(str(image_tree / 'notes.txt'))
