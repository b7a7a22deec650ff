"""Prometheus metrics (issue 20 item 5): the series (`series.py`), what is read at scrape
time from the database (`collectors.py`), the timing middleware (`middleware.py`) and where
they are exposed (`exposition.py`: `/metrics`, `--metrics-port`, multiprocess mode)."""
