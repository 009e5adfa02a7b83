"""The exit statuses every `mlq` command keeps to (the README's "Every command exits …")."""

EXIT_FAILED = 1  # the command ran and failed: a broken bank, an unreachable or damaged database
EXIT_USAGE = 2  # a wrong flag, argument, path or setting
