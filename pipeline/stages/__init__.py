"""The pipeline's stages, in build order: extract, update, prefill, check, readability,
render, a11y, publish. Each takes plain data (and the build's workspace) and returns
plain data; no stage imports another."""
