"""Mixture of experts: the generalist and its invocation protocol, fusion, the critic loop."""
