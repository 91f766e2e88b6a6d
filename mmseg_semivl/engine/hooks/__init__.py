from .exact_resume_hook import ExactResumeHook  # noqa: F401
