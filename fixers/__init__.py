"""dockmend's fixers: the Dockerfile model and one module per fixer or check. Pure, no I/O."""
