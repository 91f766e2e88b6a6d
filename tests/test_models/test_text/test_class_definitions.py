import mmseg_semivl  # noqa: F401

import pytest

from mmseg_semivl.models.text import (ClassDefinitions, list_class_definitions,
                                      load_class_definitions)


def test_voc_concepts_from_paper_table_s2():
    voc = load_class_definitions('voc')
    assert voc.num_classes == 21 and len(voc.flat_concepts) == 98
    assert voc.names[0] == 'background' and len(voc.concepts[0]) == 45
    assert voc.names[-1] == 'tv/monitor' and voc.concepts[-1] == ['tv', 'monitor',
                                                                  'standalone screen']
    background = voc.concepts[0]
    # Excluded by the VOC guidelines, hence background.
    assert {'stool', 'wheelchair', 'tractor', 'wolves', 'flowers in a vase'} <= set(background)
    assert 'armchair' in voc.concepts[voc.names.index('chair')]
    assert voc.concept_to_class[:46] == [0] * 45 + [1]


def test_other_shipped_definitions():
    cityscapes = load_class_definitions('cityscapes')
    assert cityscapes.num_classes == 19 and len(cityscapes.flat_concepts) == 54
    assert cityscapes.concepts[2][1] == 'skyscraper'
    coco = load_class_definitions('coco')
    assert coco.num_classes == 81 and coco.names[:3] == ['background', 'person', 'bicycle']
    assert coco.names[-1] == 'toothbrush' and coco.concepts == [[n] for n in coco.names]
    ade = load_class_definitions('ade20k')
    assert ade.num_classes == 150 and ade.names[7] == 'bed' and ade.names[-1] == 'flag'
    assert {'voc', 'cityscapes', 'coco', 'ade20k', 'voc_names', 'voc_guidelines',
            'voc_gpt'} <= set(list_class_definitions())
    for name in ('voc_names', 'voc_guidelines', 'voc_gpt'):
        assert load_class_definitions(name).names == load_class_definitions('voc').names


def test_custom_yaml_file_and_mapping(tmp_path):
    path = tmp_path / 'mine.yaml'
    path.write_text('road: [road, street]\ncar: car\n')
    definitions = load_class_definitions(str(path))
    assert definitions.names == ['road', 'car']
    assert definitions.concepts == [['road', 'street'], ['car']]
    assert load_class_definitions(dict(road=['road', 'street'], car='car')) == definitions
    assert load_class_definitions(definitions) is definitions


@pytest.mark.parametrize('content, message', [
    ('- road\n- car\n', 'must be a mapping'),
    ('road: []\n', "class 'road' needs a non-empty list"),
    ('road: [road, 3]\n', "class 'road' needs a non-empty list"),
    ('road: [road]\nroad: [street]\n', "duplicate class names \\['road'\\]"),
    ('road: [road\n', 'Invalid YAML'),
])
def test_bad_yaml_names_the_file(tmp_path, content, message):
    path = tmp_path / 'bad.yaml'
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        load_class_definitions(str(path))
    assert 'bad.yaml' in str(info.value)


def test_bad_name_or_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown class definitions 'vocc'.*'voc'"):
        load_class_definitions('vocc')
    with pytest.raises(FileNotFoundError, match='missing.yaml'):
        load_class_definitions(str(tmp_path / 'missing.yaml'))
    with pytest.raises(ValueError, match='2 names but 1 concept lists'):
        ClassDefinitions(['a', 'b'], [['a']])
