"""Typed models: the KKP kinds kkpgen reads, and the resolved state it renders from."""
