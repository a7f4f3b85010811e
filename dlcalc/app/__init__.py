"""The command line and one run of it: arguments, settings, solving, checking, writing out."""
