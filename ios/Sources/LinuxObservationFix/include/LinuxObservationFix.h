// Nothing to import: the target only supplies a symbol on Linux (see fix.c).
