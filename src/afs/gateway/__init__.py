"""An OpenAI-compatible gateway for the experts and the pipeline, with a feedback page."""
