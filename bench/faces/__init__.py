"""`python -m bench.faces`: face search measured through the real path, beside the floor of the same dlib calls."""
