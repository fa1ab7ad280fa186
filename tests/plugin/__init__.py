"""The pytest plugin, exercised in throwaway projects with ``pytester``."""
