"""The benchmark suite: execution-verified items and a runner that scores any model."""
