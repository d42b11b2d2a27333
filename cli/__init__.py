"""Command-line interface (presentation layer): the only place that prints or exits."""
