"""Reference clients, consumer and provider contract suites, pytest plugin."""
