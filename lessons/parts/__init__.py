"""Page parts the lessons share: chrome and widget helpers, the sidebar, models and their lock, photo input."""
