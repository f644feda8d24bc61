# trainer2 shortcuts. `make` (or `make help`) lists them. Docker targets need Docker Compose v2.

COMPOSE ?= docker compose
SERVICE ?=

.DEFAULT_GOAL := help
.PHONY: help install dev build check test up down logs ps reset-db

help: ## List the shortcuts
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install dependencies exactly as locked (bun install --frozen-lockfile)
	bun install --frozen-lockfile

dev: ## Run everything on this machine without Docker (bun dev)
	bun dev

build: ## Build the api, agent and web images (docker compose build)
	$(COMPOSE) build

check: ## Lint, format check and type-check (biome + tsc)
	bun run check

test: ## Run the whole test suite (bun test; `bun run test` runs files in parallel)
	bun test

up: ## Start the full stack in the background (`make ps` shows health)
	$(COMPOSE) up --build --detach

down: ## Stop the stack (volumes are kept)
	$(COMPOSE) down

logs: ## Follow the logs (SERVICE=api for one service)
	$(COMPOSE) logs --follow --tail=200 $(SERVICE)

ps: ## Show the services and their health
	$(COMPOSE) ps

reset-db: ## DESTRUCTIVE: wipe the compose database volume and re-migrate (asks first)
	.dev/scripts/reset-db.sh
