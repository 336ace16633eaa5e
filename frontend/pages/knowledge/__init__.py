"""The Knowledge area: the page (list, upload, search tester) and one document\x27s page."""
