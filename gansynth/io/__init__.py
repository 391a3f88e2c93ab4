"""Reading and writing user files: tables and images."""
