"""Inference helpers: trained models, new class lists, zero-shot CLIP, image files."""
from .image_io import collect_image_paths, output_names, read_image
from .model_init import inference_config, init_semivl_model, sync_num_classes
from .outputs import PredictionWriter
from .predictor import configure_test_cfg, inference_pipeline, predict_files
from .vocabulary import parse_class_list, set_vocabulary, text_embedding_settings
from .zero_shot import (CLIP_PREPROCESSOR, ZeroShotSegmentor, build_zero_shot_model,
                        zero_shot_test_pipeline)

__all__ = [
    'collect_image_paths', 'output_names', 'read_image', 'inference_config',
    'init_semivl_model', 'sync_num_classes', 'PredictionWriter', 'configure_test_cfg',
    'inference_pipeline', 'predict_files', 'parse_class_list', 'set_vocabulary',
    'text_embedding_settings', 'CLIP_PREPROCESSOR', 'ZeroShotSegmentor',
    'build_zero_shot_model', 'zero_shot_test_pipeline'
]
