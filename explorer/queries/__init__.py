"""Every SQL string of the app, as named constants, and the functions that run them."""
