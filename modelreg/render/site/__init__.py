"""The static site's pages, rendered from what ``queries.site`` gathers: HTML with SVG charts
and lineage graphs drawn at build time, one stylesheet and one script (no inline script, no
network). Pure: data in, (path, text) out; ``operations.site`` writes them."""
