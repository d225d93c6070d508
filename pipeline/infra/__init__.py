"""Infrastructure: files, locks, caches, child processes, workers, the preview server."""
