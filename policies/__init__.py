"""The Rego policy library, shipped as package data and located with importlib.resources."""
