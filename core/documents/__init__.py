"""Documents: Word templates of a pack or uploaded by an administrator, rendered in a sandbox."""
