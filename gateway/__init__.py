"""Juheli (聚合力): one GraphQL view of a household across every body serving a community."""

__version__ = "0.1.0"
