"""landcarbon.models: one module per model (SPEC + compute + summary)."""
