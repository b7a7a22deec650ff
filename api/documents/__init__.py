"""Invoice PDFs, CSV downloads and attached documents (I7)."""
