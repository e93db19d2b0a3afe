"""Write the pages: Markdown, charts, downloads, the snippets to embed, and the escaping every
untrusted value passes through."""
