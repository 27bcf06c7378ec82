// Never finishes: the import's time limit stops it.
for (;;) {}
