from .submodule_constructor import SubmoduleOptimWrapperConstructor  # noqa: F401
from .trainable_params_constructor import TrainableParamsOptimWrapperConstructor

__all__ = ['TrainableParamsOptimWrapperConstructor']
