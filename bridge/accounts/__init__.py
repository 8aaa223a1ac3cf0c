"""Who the desk serves: organisations with their support plans, their contacts, and the desk's staff."""
