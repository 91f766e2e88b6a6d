from .class_definitions import (CLASS_DEFINITIONS_DIR, ClassDefinitions, list_class_definitions,
                                load_class_definitions)
from .concept_aggregation import aggregate_concepts
from .dense_clip import DenseCLIPZeroShot
from .embedding_cache import CACHE_ENV, resolve_cache_dir
from .templates import DEFAULT_TEMPLATES, TEMPLATE_SETS, resolve_templates
from .text_embedder import (AGGREGATIONS, ConceptEmbeddings, build_text_embeddings, embed_texts,
                            encode_texts)

__all__ = [
    'CLASS_DEFINITIONS_DIR', 'ClassDefinitions', 'list_class_definitions', 'load_class_definitions',
    'aggregate_concepts', 'DenseCLIPZeroShot', 'CACHE_ENV', 'resolve_cache_dir',
    'DEFAULT_TEMPLATES', 'TEMPLATE_SETS', 'resolve_templates', 'AGGREGATIONS',
    'ConceptEmbeddings', 'build_text_embeddings', 'embed_texts', 'encode_texts'
]
