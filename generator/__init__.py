"""Site generator: results files -> statistics -> charts and Markdown pages -> MkDocs site."""
