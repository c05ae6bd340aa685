"""Atrous Lab's computing core: arithmetic, receptive fields, models, figures. Never imports streamlit."""
