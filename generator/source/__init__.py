"""Reading the repository: git refs and the work tree, YAML with positions, specs into models."""
