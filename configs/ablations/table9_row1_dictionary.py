# Table 9, row 1 ("Dictionary Def. (Text)"): dense CLIP guidance with dictionary
# definitions of the VOC classes (paper Table S6: each class name with its Oxford
# Languages definition, scored with the max over the two texts). Paper mIoU: 82.7 (92 labels).
# The definitions are not redistributed with this package: copy them from the paper's
# Table S6 into the YAML file below (`class name: ["name", "definition"]`, the 21 classes
# of mmseg_semivl/class_definitions/voc.yaml in that order) or point
# `dictionary_definitions` elsewhere; a missing file is reported by name at start-up.
_base_ = ['../semivl/voc_92.py']
dictionary_definitions = 'data/class_definitions/voc_dictionary.yaml'
model = dict(guidance=dict(class_definitions=dictionary_definitions, aggregation='max'))
