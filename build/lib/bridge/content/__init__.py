"""Help-centre content: what an article is, and the checks a writer's change must pass."""
