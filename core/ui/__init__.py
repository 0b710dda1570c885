"""The web application (Flask): generated from the registry."""
