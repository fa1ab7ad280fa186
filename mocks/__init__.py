"""Mock servers for the three APIs."""
