"""Roadmap pieces of the products pages (registered into products.pages slots)."""
