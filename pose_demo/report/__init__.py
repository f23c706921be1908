"""Reports a coach keeps: ``session`` writes the session report of an analysed video (one HTML file)."""
