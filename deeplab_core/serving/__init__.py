"""Serving many students from one process: the fair queue every network run takes a ticket in, and the train
lab's shared jobs. Plain threading, no Streamlit: the pages enter the queue through one helper
(lessons.parts.runner), and the tests drive these classes directly."""
