"""Release notes: the first time a build publishes one, it is mailed once to the nominated contacts it concerns."""
