"""`python -m harness new <name>`: a connector skeleton that registers and passes the `registry` check at once.

`templates/` holds the files as `string.Template`s; `styles.py` the pagination styles; `generate.py` renders
them and writes every file or none; `command.py` is the command line.
"""
