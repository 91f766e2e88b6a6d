"""UDA converters on generated miniatures: exact label mappings, exact statistics files,
resuming, --check, and the messages for missing or bad input."""

import json
import sys

import cv2
import numpy as np
import pytest
from uda_miniatures import (make_acdc, make_cityscapes, make_gta, make_mapillary, make_synthia,
                            load_tool, tile, write_gray)

prepare_gta = load_tool('dataset_converters/prepare_gta.py')
prepare_synthia = load_tool('dataset_converters/prepare_synthia.py')
prepare_acdc = load_tool('dataset_converters/prepare_acdc.py')
prepare_mapillary = load_tool('dataset_converters/prepare_mapillary.py')
prepare_cityscapes = load_tool('dataset_converters/prepare_cityscapes.py')

# The tables of ../shared/reference/uda-facts.md, written out here on purpose (not
# imported) so that the package's tables are checked against the facts.
FACTS_GTA = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
             24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
FACTS_SYNTHIA = {3: 0, 4: 1, 2: 2, 21: 3, 5: 4, 7: 5, 15: 6, 9: 7, 6: 8, 1: 10, 10: 11, 17: 12,
                 8: 13, 19: 15, 12: 17, 11: 18}
FACTS_MAPILLARY = {13: 0, 24: 0, 41: 0, 2: 1, 15: 1, 17: 2, 6: 3, 3: 4, 45: 5, 47: 5, 48: 6,
                   50: 7, 30: 8, 29: 9, 27: 10, 19: 11, 20: 12, 21: 12, 22: 12, 55: 13, 61: 14,
                   54: 15, 58: 16, 57: 17, 52: 18}
BAND = 4 * 48  # pixels of one band of uda_miniatures.tile on a 32 x 48 label


def read(path):
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)


def load_json(path):
    return json.loads(path.read_text())


def every_value(num_values, shape=(16, 16)):
    return (np.arange(shape[0] * shape[1]) % num_values).reshape(shape)


def test_gta_full_mapping_is_the_facts_table(tmp_path):
    raw = every_value(256)
    make_gta(tmp_path, [raw])
    assert prepare_gta.main([str(tmp_path)]) == 0
    expected = np.vectorize(lambda v: FACTS_GTA.get(int(v), 255))(raw)
    np.testing.assert_array_equal(read(tmp_path / 'labels/00001_labelTrainIds.png'), expected)


def test_gta_labels_and_statistics_exact(tmp_path, capsys):
    make_gta(tmp_path, [tile([7, 8, 26, 33, 0, 34, 11, 31]), tile([24, 24, 24, 24, 25, 25, 7, 7])])
    assert prepare_gta.main([str(tmp_path)]) == 0
    np.testing.assert_array_equal(read(tmp_path / 'labels/00001_labelTrainIds.png'),
                                  tile([0, 1, 13, 18, 255, 255, 2, 16]))
    np.testing.assert_array_equal(read(tmp_path / 'labels/00002_labelTrainIds.png'),
                                  tile([11, 11, 11, 11, 12, 12, 0, 0]))
    f1, f2 = 'labels/00001_labelTrainIds.png', 'labels/00002_labelTrainIds.png'
    assert load_json(tmp_path / 'sample_class_stats.json') == [
        {'0': BAND, '1': BAND, '2': BAND, '13': BAND, '16': BAND, '18': BAND, 'file': f1},
        {'0': 2 * BAND, '11': 4 * BAND, '12': 2 * BAND, 'file': f2},
    ]
    assert load_json(tmp_path / 'sample_class_stats_dict.json') == {
        f1: {'0': BAND, '1': BAND, '2': BAND, '13': BAND, '16': BAND, '18': BAND},
        f2: {'0': 2 * BAND, '11': 4 * BAND, '12': 2 * BAND},
    }
    assert load_json(tmp_path / 'samples_with_class.json') == {
        '0': [[f1, BAND], [f2, 2 * BAND]], '1': [[f1, BAND]], '2': [[f1, BAND]],
        '11': [[f2, 4 * BAND]], '12': [[f2, 2 * BAND]], '13': [[f1, BAND]],
        '16': [[f1, BAND]], '18': [[f1, BAND]],
    }
    out = capsys.readouterr().out
    # The counts name the shortfall against the full release.
    images = str(tmp_path / 'images')
    assert f'images in {images}: 2 of 24,966 expected (24,964 missing)' in out
    assert '2 trainId labels ready (2 converted now, 0 already there)' in out


def test_rerun_skips_finished_files_and_keeps_statistics(tmp_path, capsys):
    make_gta(tmp_path, [tile([7] * 8), tile([8] * 8), tile([11] * 8)])
    assert prepare_gta.main([str(tmp_path), '--nproc', '2']) == 0
    first = load_json(tmp_path / 'samples_with_class.json')
    assert first == {'0': [['labels/00001_labelTrainIds.png', 8 * BAND]],
                     '1': [['labels/00002_labelTrainIds.png', 8 * BAND]],
                     '2': [['labels/00003_labelTrainIds.png', 8 * BAND]]}
    (tmp_path / 'labels/00002_labelTrainIds.png').unlink()  # as if interrupted there
    # Mark a finished file: a re-run must only read it (its counts), not convert it again.
    write_gray(tmp_path / 'labels/00003_labelTrainIds.png', tile([5] * 8))
    capsys.readouterr()
    assert prepare_gta.main([str(tmp_path)]) == 0
    assert '3 trainId labels ready (1 converted now, 2 already there)' in capsys.readouterr().out
    np.testing.assert_array_equal(read(tmp_path / 'labels/00002_labelTrainIds.png'), tile([1] * 8))
    np.testing.assert_array_equal(read(tmp_path / 'labels/00003_labelTrainIds.png'), tile([5] * 8))
    assert load_json(tmp_path / 'samples_with_class.json') == {
        '0': first['0'], '1': first['1'], '5': [['labels/00003_labelTrainIds.png', 8 * BAND]]}
    assert not list(tmp_path.rglob('*.tmp'))  # atomic writes leave no temporary file


def test_synthia_reads_the_first_channel_and_maps_16_classes(tmp_path):
    raw = every_value(23)
    raw[0, :4] = [300, 16, 18, 20]  # 16-bit ids; terrain/truck/train ids of SYNTHIA's README
    make_synthia(tmp_path, [raw, tile([3, 4, 2, 21, 0, 22, 16, 1])])
    assert prepare_synthia.main([str(tmp_path)]) == 0
    expected = np.vectorize(lambda v: FACTS_SYNTHIA.get(int(v), 255))(raw)
    np.testing.assert_array_equal(read(tmp_path / 'GT/LABELS/0000000_labelTrainIds.png'), expected)
    assert set(np.unique(expected)) - {255} == set(FACTS_SYNTHIA.values())  # 16 classes
    stats = load_json(tmp_path / 'sample_class_stats.json')
    assert stats[1] == {'0': BAND, '1': BAND, '2': BAND, '3': BAND, '10': BAND,
                        'file': 'GT/LABELS/0000001_labelTrainIds.png'}
    # Terrain, truck and train never appear in the statistics.
    assert not {'9', '14', '16'} & set(load_json(tmp_path / 'samples_with_class.json'))


def test_mapillary_mapping_matches_mmseg_v12_names_and_facts(tmp_path):
    from mmseg.datasets import MapillaryDataset_v1

    from mmseg_semivl.datasets import CITYSCAPES_CLASSES, MAPILLARY_ID_TO_TRAIN_ID
    assert MAPILLARY_ID_TO_TRAIN_ID == FACTS_MAPILLARY
    names = MapillaryDataset_v1.METAINFO['classes']
    assert [names[i] for i in (13, 24, 41)] == ['Road', 'Lane Marking - General', 'Manhole']
    assert names[52] == 'Bicycle' and CITYSCAPES_CLASSES[FACTS_MAPILLARY[52]] == 'bicycle'
    raw = every_value(66)
    make_mapillary(tmp_path, 'validation', [raw, tile([13, 24, 41, 2, 15, 20, 65, 64])])
    assert prepare_mapillary.main([str(tmp_path), '--splits', 'validation']) == 0
    labels = tmp_path / 'validation/labels'
    expected = np.vectorize(lambda v: FACTS_MAPILLARY.get(int(v), 255))(raw)
    np.testing.assert_array_equal(read(labels / '-0jQs2Ot6m4ztbBlyqpgqA_labelTrainIds.png'),
                                  expected)
    np.testing.assert_array_equal(read(labels / '_1Gn_xkw7sa_i9GU4mkxxQ_labelTrainIds.png'),
                                  tile([0, 0, 0, 1, 1, 12, 255, 255]))
    with_class = load_json(tmp_path / 'validation/samples_with_class.json')
    assert with_class['0'][1] == ['validation/labels/_1Gn_xkw7sa_i9GU4mkxxQ_labelTrainIds.png',
                                  3 * BAND]


def test_acdc_shipped_train_ids_and_converted_label_ids(tmp_path, capsys):
    make_acdc(tmp_path, {'fog': {'train': [tile([0, 1, 2, 3, 4, 5, 6, 255])]},
                         'night': {'train': [tile([10] * 8)]},
                         'rain': {'train': []}, 'snow': {'train': []}})
    # Snow ships only label ids here: they are converted with the Cityscapes table.
    make_acdc(tmp_path, {'snow': {'train': [tile([7, 8, 26, 26, 26, 26, 0, 33])]}}, raw=True)
    (tmp_path / 'rgb_anon/rain/train').mkdir(parents=True, exist_ok=True)
    (tmp_path / 'gt/rain/train').mkdir(parents=True, exist_ok=True)
    assert prepare_acdc.main([str(tmp_path)]) == 0
    gt = 'gt/{}/train/GOPR0475/GOPR0475_frame_000000_gt_labelTrainIds.png'
    np.testing.assert_array_equal(read(tmp_path / gt.format('snow')),
                                  tile([0, 1, 13, 13, 13, 13, 255, 18]))
    assert load_json(tmp_path / 'sample_class_stats_dict.json') == {
        gt.format('fog'): {str(c): BAND for c in range(7)},
        gt.format('night'): {'10': 8 * BAND},
        gt.format('snow'): {'0': BAND, '1': BAND, '13': 4 * BAND, '18': BAND},
    }
    out = capsys.readouterr().out
    assert 'images in ' + str(tmp_path / 'rgb_anon/rain/train') + ': 0 of 400 expected' in out
    assert '3 trainId labels ready (1 converted now, 2 already there)' in out
    assert prepare_acdc.main([str(tmp_path), '--check']) == 0
    out = capsys.readouterr().out
    assert 'sample_class_stats.json matches the 3 label files' in out
    assert 'GOPR0475_frame_000000_gt_labelTrainIds.png: car 50.0%, road 12.5%' in out
    # A dataset of a subset of conditions does not match these statistics: --check says so.
    with pytest.raises(ValueError, match='lists 3 label files but 1 are on disk'):
        prepare_acdc.main([str(tmp_path), '--conditions', 'night', '--check'])


def test_cityscapes_converter_writes_training_statistics(tmp_path):
    make_cityscapes(tmp_path, 'train', [tile([7, 8, 11, 12, 13, 17, 19, 0])], label_ids=True)
    make_cityscapes(tmp_path, 'val', [tile([26] * 8)], label_ids=True)
    assert prepare_cityscapes.main([str(tmp_path)]) == 0
    stats = load_json(tmp_path / 'sample_class_stats.json')
    assert stats == [dict({str(c): BAND for c in range(7)},
                          file='gtFine/train/aachen/aachen_000000_000019_gtFine_labelTrainIds.png')]
    np.testing.assert_array_equal(
        read(tmp_path / 'gtFine/val/aachen/aachen_000000_000019_gtFine_labelTrainIds.png'),
        tile([13] * 8))


def test_check_reports_counts_statistics_and_histograms(tmp_path, capsys):
    make_gta(tmp_path, [tile([7, 7, 7, 7, 8, 8, 0, 0]), tile([26] * 8)])
    assert prepare_gta.main([str(tmp_path)]) == 0
    capsys.readouterr()
    assert prepare_gta.main([str(tmp_path), '--check']) == 0
    out = capsys.readouterr().out
    assert 'trainId labels in ' in out and ': 2 of 24,966 expected' in out
    assert 'sample_class_stats.json matches the 2 label files' in out
    assert '00001_labelTrainIds.png: road 50.0%, sidewalk 25.0%, ignore 25.0%' in out
    assert '00002_labelTrainIds.png: car 100.0%, ignore 0.0%' in out


def test_missing_folder_is_named_in_one_line(tmp_path, monkeypatch):
    (tmp_path / 'images').mkdir()
    with pytest.raises(FileNotFoundError) as error:
        prepare_gta.main([str(tmp_path)])
    assert f'missing folder(s) {tmp_path / "labels"}' in str(error.value)
    assert 'download.visinf.tu-darmstadt.de' in str(error.value)
    # Through the command line: one 'error:' line, no traceback.
    monkeypatch.setattr(sys, 'argv', ['prepare_synthia.py', str(tmp_path / 'nowhere')])
    with pytest.raises(SystemExit) as exit_info:
        prepare_synthia.run_tool(prepare_synthia.main)
    message = str(exit_info.value.code)
    assert message.startswith('error: SYNTHIA: dataset root ') and 'nowhere' in message
    assert '\n' not in message


def test_empty_label_folder_names_the_expected_count(tmp_path):
    (tmp_path / 'RGB').mkdir()
    (tmp_path / 'GT/LABELS').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r'no label file .* \(found 0 of 9,400 expected\)'):
        prepare_synthia.main([str(tmp_path)])


def test_raw_ids_left_in_a_train_id_file_name_the_file(tmp_path):
    make_gta(tmp_path, [tile([7] * 8), tile([8] * 8)])
    stale = tmp_path / 'labels/00002_labelTrainIds.png'
    write_gray(stale, tile([26] * 8))  # a raw GTA id where a train id belongs
    with pytest.raises(ValueError, match=f'{stale} holds values \\[26\\] outside the train ids'):
        prepare_gta.main([str(tmp_path)])


def test_check_names_statistics_that_do_not_match_the_labels(tmp_path):
    make_gta(tmp_path, [tile([7] * 8), tile([8] * 8)])
    assert prepare_gta.main([str(tmp_path)]) == 0
    (tmp_path / 'labels/00002_labelTrainIds.png').unlink()
    with pytest.raises(ValueError) as error:
        prepare_gta.main([str(tmp_path), '--check'])
    message = str(error.value)
    assert str(tmp_path / 'sample_class_stats.json') in message
    assert 'lists 2 label files but 1 are on disk' in message
    assert "only in the statistics: ['labels/00002_labelTrainIds.png']" in message


@pytest.mark.parametrize('tool', [prepare_gta, prepare_synthia, prepare_acdc, prepare_mapillary,
                                  prepare_cityscapes, load_tool('test_domains.py')],
                         ids=lambda t: t.__name__)
def test_help(tool, capsys):
    with pytest.raises(SystemExit) as exit_info:
        tool.main(['--help'])
    assert exit_info.value.code == 0
    assert 'usage:' in capsys.readouterr().out
