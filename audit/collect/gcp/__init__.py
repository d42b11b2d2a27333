"""Live GCP collector (in progress: instance mapping; the scan itself is issue 4)."""
