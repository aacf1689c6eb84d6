# Thin wrappers: the scripts are the real thing (CI and the docs call them directly).
PREFIX ?= /usr/local

.PHONY: dist install test
dist:
	scripts/dist
install:
	scripts/install "$(PREFIX)"
test:
	scripts/test
