"""Figures: one module per lesson, plotly objects with text in the reader's language; `style` is shared."""
