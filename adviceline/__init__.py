"""adviceline: an advice line for parents, run by youth and family centres (CJG)."""

__version__ = "0.1.0"
