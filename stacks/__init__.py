"""Pulumi program and components that provision a recommended layout (see the recommend issue)."""
